// Parquet's file metadata (the footer's FileMetaData) and page headers, decoded from Thrift compact into plain
// structs holding only what the reader uses, and the schema flattened into leaf columns. Nothing here is trusted:
// the reader checks sizes and offsets against the file before it uses them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgload::parquet {

enum class Physical : int32_t {
  Boolean = 0,
  Int32 = 1,
  Int64 = 2,
  Int96 = 3,
  Float = 4,
  Double = 5,
  ByteArray = 6,
  FixedLenByteArray = 7
};

enum class Codec : int32_t {
  Uncompressed = 0,
  Snappy = 1,
  Gzip = 2,
  Lzo = 3,
  Brotli = 4,
  Lz4 = 5,
  Zstd = 6,
  Lz4Raw = 7
};

enum class Encoding : int32_t {
  Plain = 0,
  PlainDictionary = 2,
  Rle = 3,
  BitPacked = 4,
  DeltaBinaryPacked = 5,
  DeltaLengthByteArray = 6,
  DeltaByteArray = 7,
  RleDictionary = 8,
  ByteStreamSplit = 9
};

enum class TimeUnit : uint8_t { Millis, Micros, Nanos };

// What a leaf's values mean, from its LogicalType or (older writers) its ConvertedType.
enum class Logical : uint8_t {
  None,
  String,  // STRING / UTF8 / ENUM
  Json,
  Bson,
  Uuid,
  Decimal,
  Date,
  Time,
  Timestamp,
  Integer,
  Float16,
  List,   // a LIST group (LogicalType LIST or ConvertedType LIST)
  Map,    // a MAP group (MAP or the legacy MAP_KEY_VALUE)
  Other,  // INTERVAL, VARIANT, ...
};

struct SchemaElement {
  std::optional<Physical> type;
  int32_t type_length = 0;
  int32_t repetition = 0;  // 0 required, 1 optional, 2 repeated
  std::string name;
  int32_t num_children = 0;
  Logical logical = Logical::None;
  bool is_enum = false;
  int32_t scale = 0, precision = 0;
  TimeUnit unit = TimeUnit::Micros;
  bool utc = false;  // isAdjustedToUTC (TIME/TIMESTAMP)
  int32_t int_bits = 0;
  bool int_signed = true;
};

struct ColumnMeta {
  Physical type = Physical::Int32;
  Codec codec = Codec::Uncompressed;
  int64_t num_values = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  std::vector<std::string> path;
  bool external = false;  // the chunk lives in another file (ColumnChunk.file_path)
};

struct RowGroupMeta {
  std::vector<ColumnMeta> columns;
  int64_t num_rows = 0;
  int64_t total_compressed_size = 0;
};

struct FileMeta {
  std::vector<SchemaElement> schema;  // depth-first, the root first
  int64_t num_rows = 0;
  std::vector<RowGroupMeta> row_groups;
  std::string created_by;
};

// A leaf column of the flattened schema.
struct LeafColumn {
  std::string name;  // the top-level field's name (for a nested column: the field that holds it)
  std::string path;  // dotted path, for messages
  SchemaElement element;
  int16_t max_def = 0, max_rep = 0;
  bool nested = false;  // inside a group (LIST, MAP, struct) or repeated
  int top = 0;          // index of its top-level field among the root's children
};

// Decodes FileMetaData from the footer bytes. Throws ParquetError.
FileMeta parse_file_meta(const uint8_t* data, size_t size);

// The leaf columns in schema order; throws ParquetError when the schema tree is malformed.
std::vector<LeafColumn> leaf_columns(const FileMeta& meta);

enum class PageType : int32_t { Data = 0, Index = 1, Dictionary = 2, DataV2 = 3 };

struct PageHeader {
  PageType type = PageType::Data;
  int32_t uncompressed_size = 0;
  int32_t compressed_size = 0;
  int32_t num_values = 0;
  Encoding encoding = Encoding::Plain;
  Encoding def_encoding = Encoding::Rle;
  // v2 only
  int32_t num_nulls = 0, num_rows = 0;
  int32_t def_bytes = 0, rep_bytes = 0;
  bool v2_compressed = true;
  bool has_data = false, has_dict = false, has_v2 = false;
};

// Decodes one page header from at most `size` bytes; `header_bytes` receives its length. Throws ParquetError.
PageHeader parse_page_header(const uint8_t* data, size_t size, size_t& header_bytes);

const char* codec_name(Codec c) noexcept;
const char* encoding_name(Encoding e) noexcept;
const char* physical_name(Physical p) noexcept;

}  // namespace pgload::parquet
