// Send formats mirrored from PostgreSQL 15: int2send/int4send/int8send (big-endian), float4send/float8send (the
// IEEE bits, big-endian), boolsend (one byte), uuid_send (16 bytes), textsend/varcharsend/bpcharsend/json_send (the
// bytes), jsonb_send (version byte 1, then the text), numeric_send (ndigits, weight, sign, dscale, base-10000
// digits), date_send (int32 days since 2000-01-01), timestamp_send/timestamptz_send (int64 microseconds since
// 2000-01-01, UTC for timestamptz). The receive functions apply the column's typmod as the input functions do. The
// receive functions of text types run the same length and encoding checks as their input functions, so text values need
// no conversion here.
#include "loader/binary_row.h"

#include <fast_float/fast_float.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "common/pg_datetime.h"
#include "common/pg_numeric.h"

namespace pgload {
namespace {

constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) noexcept {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

template <typename U>
void put_be(std::string& out, U v) {
  char b[sizeof(U)];
  for (size_t i = 0; i < sizeof(U); ++i) b[i] = static_cast<char>(v >> (8 * (sizeof(U) - 1 - i)));
  out.append(b, sizeof(U));
}

void put_length(std::string& out, size_t n) { put_be<uint32_t>(out, static_cast<uint32_t>(n)); }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// float4in/float8in use strtof/strtod, which round correctly like fast_float; only plain finite decimals are
// taken (infinities, NaN and hex floats go as CSV).
template <typename Float, typename Bits>
bool append_float(std::string& out, std::string_view text) {
  std::string_view v = trim(text);
  bool negative = false;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
    negative = v[0] == '-';
    v.remove_prefix(1);
  }
  if (v.empty() || !((v[0] >= '0' && v[0] <= '9') || v[0] == '.')) return false;
  if (v.size() >= 2 && v[0] == '0' && lower(v[1]) == 'x') return false;
  Float value{};
  auto r = fast_float::from_chars(v.data(), v.data() + v.size(), value);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || !std::isfinite(value)) return false;
  if (negative) value = -value;
  put_length(out, sizeof(Bits));
  put_be<Bits>(out, std::bit_cast<Bits>(value));
  return true;
}

// boolin after check_bool accepted the text: t/true, y/yes, on, 1 are true; f/false, n/no, of/off, 0 false.
bool append_bool(std::string& out, std::string_view text) {
  std::string_view v = trim(text);
  if (v.empty()) return false;
  const char c = lower(v[0]);
  bool value;
  if (c == 't' || c == 'y' || c == '1')
    value = true;
  else if (c == 'f' || c == 'n' || c == '0')
    value = false;
  else if (c == 'o' && v.size() >= 2)
    value = lower(v[1]) == 'n';
  else
    return false;
  put_length(out, 1);
  out.push_back(value ? 1 : 0);
  return true;
}

// uuid_in after check_uuid accepted the text: the 32 hex digits, ignoring braces and hyphens.
bool append_uuid(std::string& out, std::string_view text) {
  unsigned char bytes[16];
  int digits = 0;
  for (char ch : text) {
    if (ch == '{' || ch == '}' || ch == '-') continue;
    int h = hex_value(ch);
    if (h < 0 || digits >= 32) return false;
    if (digits % 2 == 0)
      bytes[digits / 2] = static_cast<unsigned char>(h << 4);
    else
      bytes[digits / 2] |= static_cast<unsigned char>(h);
    ++digits;
  }
  if (digits != 32) return false;
  put_length(out, 16);
  out.append(reinterpret_cast<const char*>(bytes), 16);
  return true;
}

// numeric_in's value as numeric_send writes it; the server's numeric_recv then applies the column's typmod exactly
// as numeric_in would (round, or "numeric field overflow").
bool append_numeric(std::string& out, std::string_view text) {
  PgNumeric n;
  if (!parse_pg_numeric(text, -1, n)) return false;
  static constexpr uint16_t kSign[] = {0x0000, 0xC000, 0xD000, 0xF000};  // POS, NAN, PINF, NINF
  const uint16_t sign =
      n.kind == PgNumeric::Kind::Finite ? (n.negative ? 0x4000 : 0x0000) : kSign[static_cast<int>(n.kind)];
  put_length(out, 8 + 2 * n.digits.size());
  put_be<uint16_t>(out, static_cast<uint16_t>(n.digits.size()));
  put_be<uint16_t>(out, static_cast<uint16_t>(n.weight));
  put_be<uint16_t>(out, sign);
  put_be<uint16_t>(out, n.dscale);
  for (int16_t d : n.digits) put_be<uint16_t>(out, static_cast<uint16_t>(d));
  return true;
}

bool append_date(std::string& out, std::string_view text) {
  int32_t days = 0;
  if (parse_pg_date(text, days) != DtParse::Ok) return false;
  put_length(out, 4);
  put_be<uint32_t>(out, static_cast<uint32_t>(days));
  return true;
}

bool append_time(std::string& out, std::string_view text) {
  int64_t usecs = 0;
  if (parse_pg_time(text, usecs) != DtParse::Ok) return false;
  put_length(out, 8);
  put_be<uint64_t>(out, static_cast<uint64_t>(usecs));
  return true;
}

// byteain's hex form ("\x" then pairs of hex digits, either case), or its escape form without a backslash (the
// bytes as they are). Whitespace between pairs and backslash escapes go as CSV: the server reads those.
bool append_bytea(std::string& out, std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    const std::string_view digits = text.substr(2);
    if (digits.size() % 2 != 0) return false;
    put_length(out, digits.size() / 2);
    for (size_t i = 0; i < digits.size(); i += 2) {
      const int hi = nibble(digits[i]), lo = nibble(digits[i + 1]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>((hi << 4) | lo));
    }
    return true;
  }
  if (text.find('\\') != std::string_view::npos) return false;
  put_length(out, text.size());
  out.append(text);
  return true;
}

bool append_timestamp(std::string& out, std::string_view text, bool with_tz, std::optional<int32_t> zone_offset) {
  int64_t usecs = 0;
  if (parse_pg_timestamp(text, with_tz, zone_offset, usecs) != DtParse::Ok) return false;
  put_length(out, 8);
  put_be<uint64_t>(out, static_cast<uint64_t>(usecs));
  return true;
}

}  // namespace

bool parse_pg_int(std::string_view text, int64_t min, int64_t max, int64_t& out) noexcept {
  size_t i = 0, n = text.size();
  while (i < n && is_space(text[i])) ++i;
  bool negative = false;
  if (i < n && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  if (i >= n || text[i] < '0' || text[i] > '9') return false;
  const uint64_t limit = negative ? static_cast<uint64_t>(-(min + 1)) + 1 : static_cast<uint64_t>(max);
  uint64_t value = 0;
  for (; i < n && text[i] >= '0' && text[i] <= '9'; ++i) {
    const auto digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (limit - digit) / 10) return false;
    value = value * 10 + digit;
  }
  while (i < n && is_space(text[i])) ++i;
  if (i != n) return false;
  out = negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
  return true;
}

bool binary_encodable(const std::vector<ColumnType>& types) noexcept {
  for (const ColumnType& t : types) {
    switch (t.type) {
      case PgType::Int2:
      case PgType::Int4:
      case PgType::Int8:
      case PgType::Float4:
      case PgType::Float8:
      case PgType::Bool:
      case PgType::Text:
      case PgType::Varchar:
      case PgType::Bpchar:
      case PgType::Uuid:
      case PgType::Json:
      case PgType::Jsonb:
      case PgType::Numeric:
      case PgType::Date:
      case PgType::Timestamp:
      case PgType::Timestamptz:
      case PgType::Time:
      case PgType::Bytea:
        break;
      case PgType::Other:
        return false;
    }
  }
  return true;
}

void append_binary_header(std::string& out) {
  static constexpr char kHeader[kBinaryHeaderBytes] = {'P',  'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n',
                                                       '\0', 0,   0,   0,   0,   0,   0,    0,      0};
  out.append(kHeader, sizeof kHeader);
}

void append_binary_trailer(std::string& out) { put_be<uint16_t>(out, 0xFFFF); }

void append_binary_row_start(std::string& out, uint16_t fields) { put_be<uint16_t>(out, fields); }

bool append_binary_field(std::string& out, const ColumnType& t, std::optional<std::string_view> value) {
  if (!value) {
    put_be<uint32_t>(out, 0xFFFFFFFFu);
    return true;
  }
  const std::string_view v = *value;
  int64_t i = 0;
  switch (t.type) {
    case PgType::Int2:
      if (!parse_pg_int(v, INT16_MIN, INT16_MAX, i)) return false;
      put_length(out, 2);
      put_be<uint16_t>(out, static_cast<uint16_t>(i));
      return true;
    case PgType::Int4:
      if (!parse_pg_int(v, INT32_MIN, INT32_MAX, i)) return false;
      put_length(out, 4);
      put_be<uint32_t>(out, static_cast<uint32_t>(i));
      return true;
    case PgType::Int8:
      if (!parse_pg_int(v, INT64_MIN, INT64_MAX, i)) return false;
      put_length(out, 8);
      put_be<uint64_t>(out, static_cast<uint64_t>(i));
      return true;
    case PgType::Float4:
      return append_float<float, uint32_t>(out, v);
    case PgType::Float8:
      return append_float<double, uint64_t>(out, v);
    case PgType::Bool:
      return append_bool(out, v);
    case PgType::Uuid:
      return append_uuid(out, v);
    case PgType::Text:
    case PgType::Varchar:
    case PgType::Bpchar:
    case PgType::Json:
      put_length(out, v.size());
      out.append(v);
      return true;
    case PgType::Jsonb:
      put_length(out, v.size() + 1);
      out.push_back(1);  // jsonb_recv's version number
      out.append(v);
      return true;
    case PgType::Numeric:
      return append_numeric(out, v);
    case PgType::Date:
      return append_date(out, v);
    case PgType::Timestamp:
      return append_timestamp(out, v, false, std::nullopt);
    case PgType::Timestamptz:
      return append_timestamp(out, v, true, t.zone_offset_secs);
    case PgType::Time:
      return append_time(out, v);
    case PgType::Bytea:
      return append_bytea(out, v);
    case PgType::Other:
      return false;
  }
  return false;
}

bool sort_key_is_exact(PgType t) noexcept {
  return t == PgType::Int2 || t == PgType::Int4 || t == PgType::Int8 || t == PgType::Text || t == PgType::Varchar;
}

uint64_t sort_key(PgType t, std::string_view value) noexcept {
  if (t == PgType::Int2 || t == PgType::Int4 || t == PgType::Int8) {
    int64_t v = 0;
    if (parse_pg_int(value, INT64_MIN, INT64_MAX, v)) return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
    return 0;
  }
  uint64_t key = 0;
  for (size_t k = 0; k < 8; ++k) key = (key << 8) | (k < value.size() ? static_cast<unsigned char>(value[k]) : 0);
  return key;
}

}  // namespace pgload
