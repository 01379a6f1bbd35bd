// A reader of Thrift's compact protocol, just what Parquet's footer and page headers need: field headers, integers,
// binaries, lists, and skipping whatever is not read. Every read is bounds-checked against the buffer and nesting is
// limited, so a hostile file ends in a ParquetError, never in a read past the bytes given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "loader/parquet/parquet_error.h"

namespace pgload::parquet {

// Compact protocol element types (the low nibble of a field header).
enum class TType : uint8_t {
  Stop = 0,
  True = 1,
  False = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Set = 10,
  Map = 11,
  Struct = 12,
};

class CompactReader {
 public:
  CompactReader(const uint8_t* data, size_t size) : p_(data), end_(data + size), begin_(data) {}

  size_t position() const noexcept { return static_cast<size_t>(p_ - begin_); }

  // Enters a struct (field ids restart at 0) and leaves it; structs nest at most 32 deep.
  void begin_struct();
  void end_struct();
  // The next field of the current struct: false at its Stop. `id` and `type` describe the field.
  bool next_field(int16_t& id, TType& type);

  // Values of the field just announced by next_field (or elements of a list).
  bool read_bool(TType field_type);  // a field's bool lives in its header; a list element is a byte
  int8_t read_i8() { return static_cast<int8_t>(read_byte()); }
  int32_t read_i32();
  int64_t read_i64();
  std::string_view read_binary();
  // A list or set header: its element type and count (checked against the bytes left: each element takes >= 1).
  uint32_t read_list_header(TType& element);
  void skip(TType type);

 private:
  uint64_t read_varint();
  uint8_t read_byte();
  void skip_depth(TType type, int depth);

  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* begin_;
  int16_t last_id_ = 0;
  int16_t stack_[32] = {};
  int depth_ = 0;
};

}  // namespace pgload::parquet
