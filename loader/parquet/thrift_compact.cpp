#include "loader/parquet/thrift_compact.h"

#include <cstring>

namespace pgload::parquet {
namespace {

[[noreturn]] void truncated() { throw ParquetError("Thrift metadata is truncated or corrupt"); }

int64_t unzigzag(uint64_t v) noexcept { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

uint8_t CompactReader::read_byte() {
  if (p_ >= end_) truncated();
  return *p_++;
}

uint64_t CompactReader::read_varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = read_byte();
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  throw ParquetError("Thrift metadata holds a varint longer than 10 bytes");
}

void CompactReader::begin_struct() {
  if (depth_ >= 32) throw ParquetError("Thrift metadata nests structs more than 32 deep");
  stack_[depth_++] = last_id_;
  last_id_ = 0;
}

void CompactReader::end_struct() {
  if (depth_ > 0) last_id_ = stack_[--depth_];
}

bool CompactReader::next_field(int16_t& id, TType& type) {
  uint8_t b = read_byte();
  type = static_cast<TType>(b & 0x0f);
  if (type == TType::Stop) return false;
  if (b & 0xf0) {
    id = static_cast<int16_t>(last_id_ + (b >> 4));
  } else {
    int64_t v = unzigzag(read_varint());
    if (v < INT16_MIN || v > INT16_MAX) throw ParquetError("Thrift metadata holds a field id out of range");
    id = static_cast<int16_t>(v);
  }
  last_id_ = id;
  return true;
}

bool CompactReader::read_bool(TType field_type) {
  if (field_type == TType::True) return true;
  if (field_type == TType::False) return false;
  return read_byte() == 1;  // a list element
}

int32_t CompactReader::read_i32() {
  int64_t v = unzigzag(read_varint());
  if (v < INT32_MIN || v > INT32_MAX) throw ParquetError("Thrift metadata holds an i32 out of range");
  return static_cast<int32_t>(v);
}

int64_t CompactReader::read_i64() { return unzigzag(read_varint()); }

std::string_view CompactReader::read_binary() {
  uint64_t n = read_varint();
  if (n > static_cast<uint64_t>(end_ - p_)) truncated();
  std::string_view s(reinterpret_cast<const char*>(p_), n);
  p_ += n;
  return s;
}

uint32_t CompactReader::read_list_header(TType& element) {
  uint8_t b = read_byte();
  element = static_cast<TType>(b & 0x0f);
  uint64_t n = b >> 4;
  if (n == 15) n = read_varint();
  if (n > static_cast<uint64_t>(end_ - p_)) truncated();  // every element takes at least one byte
  return static_cast<uint32_t>(n);
}

void CompactReader::skip(TType type) { skip_depth(type, 0); }

void CompactReader::skip_depth(TType type, int depth) {
  if (depth > 32) throw ParquetError("Thrift metadata nests values more than 32 deep");
  switch (type) {
    case TType::True:
    case TType::False:
      return;  // a field's bool is in its header (list elements are read as Byte by the caller)
    case TType::Byte:
      read_byte();
      return;
    case TType::I16:
    case TType::I32:
    case TType::I64:
      read_varint();
      return;
    case TType::Double:
      if (end_ - p_ < 8) truncated();
      p_ += 8;
      return;
    case TType::Binary:
      read_binary();
      return;
    case TType::List:
    case TType::Set: {
      TType el;
      uint32_t n = read_list_header(el);
      for (uint32_t i = 0; i < n; ++i)
        skip_depth(el == TType::True || el == TType::False ? TType::Byte : el, depth + 1);
      return;
    }
    case TType::Map: {
      uint64_t n = read_varint();
      if (n == 0) return;
      if (n > static_cast<uint64_t>(end_ - p_)) truncated();
      uint8_t kv = read_byte();
      auto fix = [](TType t) { return t == TType::True || t == TType::False ? TType::Byte : t; };
      TType k = fix(static_cast<TType>(kv >> 4)), v = fix(static_cast<TType>(kv & 0x0f));
      for (uint64_t i = 0; i < n; ++i) {
        skip_depth(k, depth + 1);
        skip_depth(v, depth + 1);
      }
      return;
    }
    case TType::Struct: {
      begin_struct();
      int16_t id;
      TType t;
      while (next_field(id, t)) skip_depth(t, depth + 1);
      end_struct();
      return;
    }
    case TType::Stop:
      break;
  }
  throw ParquetError("Thrift metadata holds an unknown type " + std::to_string(static_cast<int>(type)));
}

}  // namespace pgload::parquet
