// Decodes one column chunk of a row group (its dictionary and data pages, v1 and v2, every codec and encoding)
// into the values of its rows; for a leaf of a nested column (LIST, MAP, struct), into its repetition and definition
// levels and values, which nested.h assembles into rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "loader/parquet/metadata.h"

namespace pgload::parquet {

// A page's declared uncompressed size above this is refused (a decompression bomb cannot get past it either: the
// codecs never write past the declared size).
inline constexpr int32_t kMaxPageBytes = 256 << 20;
// Rows in one row group above this are refused (memory per column is proportional to rows).
inline constexpr int64_t kMaxRowGroupRows = int64_t{1} << 27;

// The decoded rows of one column chunk. Values are kept for non-null rows only, in row order, in the vector of
// the physical type: ints (BOOLEAN as 0/1, INT32 sign-extended, INT64), reals (FLOAT widened, DOUBLE) or bytes
// (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96: views into `buffers`).
struct ColumnValues {
  std::vector<uint8_t> defined;  // per row: 1 = a value, 0 = NULL; empty when the column is required or nested
  // A nested leaf: per level entry (one per value or NULL or empty list, several per row), its definition and
  // repetition level (rep_levels empty when nothing repeats); values are kept for entries at the maximum
  // definition level.
  std::vector<uint8_t> def_levels, rep_levels;
  std::vector<int64_t> ints;
  std::vector<double> reals;
  std::vector<std::string_view> bytes;
  std::deque<std::string> buffers;
  void clear();
};

// Level entries of a nested leaf's chunk above this are refused (an RLE run can declare billions in a few bytes).
inline constexpr int64_t kMaxLevelEntries = int64_t{1} << 27;

// Decodes the chunk bytes [chunk, chunk + size) of a leaf column that must hold `rows` rows. Throws ParquetError
// naming the page (0-based) where it went wrong.
void read_column_chunk(const uint8_t* chunk, size_t size, const LeafColumn& leaf, const ColumnMeta& meta, int64_t rows,
                       ColumnValues& out);

}  // namespace pgload::parquet
