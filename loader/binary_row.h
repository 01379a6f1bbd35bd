// Rows in PostgreSQL's binary COPY format, encoded from the text values the tokenizer and the validator already
// produced: the workers then skip the text input functions. Only forms whose binary value is certain to equal
// what the type's input function would give are encoded; any other value sends its row as CSV instead.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/pg_input.h"

namespace pgload {

// A row's binary form being built: each field is stored straight into memory reserved for it (a std::string append
// per 4-byte length word cost a capacity check and a call each, a sixth of a CSV row's instructions).
class RowBytes {
 public:
  void clear() noexcept { size_ = 0; }
  size_t size() const noexcept { return size_; }
  char* data() noexcept { return buf_.data(); }
  std::string_view view() const noexcept { return {buf_.data(), size_}; }
  // n more bytes at the end, for the caller to fill.
  [[gnu::always_inline]] char* extend(size_t n) {
    if (buf_.size() - size_ < n) [[unlikely]]
      grow(n);
    char* p = buf_.data() + size_;
    size_ += n;
    return p;
  }

 private:
  void grow(size_t n) { buf_.resize(std::max(buf_.size() * 2, size_ + n)); }
  std::string buf_;  // its size is the capacity: bytes past size_ are scratch
  size_t size_ = 0;
};

// True when every column type has a binary encoder (types the validator does not know have none): only then may a
// table's rows go as binary COPY.
bool binary_encodable(const std::vector<ColumnType>& types) noexcept;

// The 19-byte file header that starts every binary COPY stream, and the 2-byte trailer that ends it.
void append_binary_header(std::string& out);
void append_binary_trailer(std::string& out);
inline constexpr size_t kBinaryHeaderBytes = 19;

// The 16-bit field count that starts a row.
void append_binary_row_start(std::string& out, uint16_t fields);
inline void append_binary_row_start(RowBytes& out, uint16_t fields) {
  char* p = out.extend(2);
  p[0] = static_cast<char>(fields >> 8);
  p[1] = static_cast<char>(fields);
}

namespace binary_detail {

// n more bytes at the end of out, for the caller to fill.
inline char* extend(std::string& out, size_t n) {
  out.resize(out.size() + n);
  return out.data() + out.size() - n;
}
[[gnu::always_inline]] inline char* extend(RowBytes& out, size_t n) { return out.extend(n); }

template <typename U>
[[gnu::always_inline]] inline char* put_be(char* p, U v) {
  if constexpr (std::endian::native == std::endian::little) {
    if constexpr (sizeof(U) == 2) v = __builtin_bswap16(v);
    if constexpr (sizeof(U) == 4) v = __builtin_bswap32(v);
    if constexpr (sizeof(U) == 8) v = __builtin_bswap64(v);
  }
  std::memcpy(p, &v, sizeof(U));
  return p + sizeof(U);
}

[[gnu::always_inline]] inline char* put_length(char* p, size_t n) {
  return put_be<uint32_t>(p, static_cast<uint32_t>(n));
}

// A field of fixed size: its length word, then `n` bytes for the caller.
template <class Out>
[[gnu::always_inline]] inline char* put_field(Out& out, size_t n) {
  return put_length(extend(out, 4 + n), n);
}

// The send formats that are a number or the value's bytes (int*send, float*send, boolsend, uuid_send, textsend and
// the like, jsonb_send), inline in the per-row loop: `plain` false for any other type, which the out-of-line
// encoder takes. Returns false when the value has no exact send form.
template <class Out>
[[gnu::always_inline]] inline bool append_plain_field(Out& out, const ColumnType& t, const PgInput& v, bool& plain) {
  plain = true;
  switch (t.type) {
    case PgType::Int2:
      put_be<uint16_t>(put_field(out, 2), static_cast<uint16_t>(v.i));
      return true;
    case PgType::Int4:
    case PgType::Date:
      put_be<uint32_t>(put_field(out, 4), static_cast<uint32_t>(v.i));
      return true;
    case PgType::Int8:
    case PgType::Time:
    case PgType::Timestamp:
    case PgType::Timestamptz:
      put_be<uint64_t>(put_field(out, 8), static_cast<uint64_t>(v.i));
      return true;
    case PgType::Float4:
      if (v.send_as_text) return false;
      put_be<uint32_t>(put_field(out, 4), std::bit_cast<uint32_t>(v.f4));
      return true;
    case PgType::Float8:
      if (v.send_as_text) return false;
      put_be<uint64_t>(put_field(out, 8), std::bit_cast<uint64_t>(v.f8));
      return true;
    case PgType::Bool:
      *put_field(out, 1) = v.b ? 1 : 0;
      return true;
    case PgType::Uuid:
      std::memcpy(put_field(out, 16), v.uuid, 16);
      return true;
    case PgType::Text:
    case PgType::Varchar:
    case PgType::Bpchar:
    case PgType::Json:
    case PgType::Bytea:
    case PgType::Enum: {
      char* p = put_field(out, v.bytes.size());
      if (!v.bytes.empty()) std::memcpy(p, v.bytes.data(), v.bytes.size());
      return true;
    }
    case PgType::Jsonb: {
      char* p = put_field(out, v.bytes.size() + 1);
      *p = 1;  // jsonb_recv's version number
      if (!v.bytes.empty()) std::memcpy(p + 1, v.bytes.data(), v.bytes.size());
      return true;
    }
    default:
      plain = false;
      return false;
  }
}

// The types append_plain_field leaves (numeric, timetz, interval, network types, arrays), out of line.
bool append_composite_field(std::string& out, const ColumnType& t, const PgInput& v);
bool append_composite_field(RowBytes& out, const ColumnType& t, const PgInput& v);

template <class Out>
[[gnu::always_inline]] inline bool append_field(Out& out, const ColumnType& t, const PgInput& v) {
  if (v.status != PgInput::Status::Value) return false;
  bool plain = false;
  const bool ok = append_plain_field(out, t, v, plain);
  return plain ? ok : append_composite_field(out, t, v);
}

}  // namespace binary_detail

// Appends one field (32-bit length, then the type's send format) from the value parse_pg_input gave for the text.
// Returns false, leaving `out` partly written, when the parse has no exact send form (status Deferred, e.g. "0x1f"
// or a zone name; a NaN with a sign or payload): the caller sends that row as CSV. The row encoder's is inline.
bool append_binary_field(std::string& out, const ColumnType& t, const PgInput& parsed);
[[gnu::always_inline]] inline bool append_binary_field(RowBytes& out, const ColumnType& t, const PgInput& parsed) {
  return binary_detail::append_field(out, t, parsed);
}
// A NULL field (length -1).
void append_binary_null(std::string& out);
void append_binary_null(RowBytes& out);
// parse_pg_input, then the above (nullopt: NULL); for callers that hold only the text.
bool append_binary_field(std::string& out, const ColumnType& t, std::optional<std::string_view> value);

// The key of a value ordered by its bytes.
uint64_t sort_key_of_bytes(std::string_view bytes) noexcept;
// A key whose unsigned order follows the B-tree order of the distribution column (integers and date/time values by
// value, other types by the first 8 bytes of their text): batches sorted by it insert into neighbouring index pages.
// Inline: it runs for every row.
inline uint64_t sort_key(PgType t, const PgInput& parsed, std::string_view text) noexcept {
  switch (t) {
    case PgType::Int2:
    case PgType::Int4:
    case PgType::Int8:
    case PgType::Date:
    case PgType::Time:
    case PgType::Timestamp:
    case PgType::Timestamptz:
      return parsed.status == PgInput::Status::Value ? static_cast<uint64_t>(parsed.i) ^ (uint64_t{1} << 63) : 0;
    default:
      return sort_key_of_bytes(text);
  }
}
// Whether every value of type t that equals another (as the server compares them) has the same sort_key: integers
// (always parsed: PostgreSQL 15 has no other integer form) and text/varchar (bytes, under a deterministic
// collation). Not numeric ("1.0" = "1.00"), char(n) (trailing blanks), uuid (case), or times (a form left to the
// server is keyed by its text).
bool sort_key_is_exact(PgType t) noexcept;

}  // namespace pgload
