// PostgreSQL 15 input functions, one parse per value: int2in..int8in, float4in/float8in, numeric_in, boolin,
// uuid_in, date_in/time_in/timetz_in/timestamp_in and interval_in (ISO and postgres-style forms, common/pg_datetime),
// inet_in/cidr_in (common/pg_inet), macaddr_in, byteain, varchar/bpchar length, json/jsonb, enum_in (the label
// must be one of the type's), array_in (split by common/pg_array; the elements are parsed when encoded).
// Written from the documented rules and checked against a real server by tests/integration/value_check_server_test
// (messages), hash_types_server_test (values) and binary_copy_test (the send formats built from them).
#include "common/pg_input.h"

#include <fast_float/fast_float.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "common/hex.h"
#include "common/pg_datetime.h"
#include "common/pg_json.h"

namespace pgload {
namespace {

constexpr const char *kNulByte = "invalid byte sequence for encoding \"UTF8\": 0x00";

// isspace() in the C locale, which is what PostgreSQL's input functions use.
constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `text` without leading and trailing C-locale whitespace.
std::string_view trim(std::string_view text) noexcept {
  size_t b = 0, e = text.size();
  while (b < e && is_space(text[b])) ++b;
  while (e > b && is_space(text[e - 1])) --e;
  return text.substr(b, e - b);
}

// Case-insensitive equality with a lower-case literal.
bool iequals(std::string_view text, std::string_view lower_literal) noexcept {
  if (text.size() != lower_literal.size()) return false;
  for (size_t i = 0; i < text.size(); ++i)
    if (lower(text[i]) != lower_literal[i]) return false;
  return true;
}

// Forms PostgreSQL 16+ accepts for integers and numeric (0x/0o/0b prefixes, '_'
// between digits) that 15 rejects: left to the server so a newer cluster is
// never refused valid data.
bool newer_pg_integer_form(std::string_view body) noexcept {
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  if (body.size() >= 2 && body[0] == '0') {
    char p = lower(body[1]);
    if (p == 'x' || p == 'o' || p == 'b') return true;
  }
  return body.find('_') != std::string_view::npos;
}

// numeric_in's message for a text parse_pg_numeric did not take (error path only):
// NaN/Infinity spellings, or [+-]digits[.digits][e[ws][+-]digits] between
// whitespace, within the storage limits (16383 digits after the point, weight
// below 10^131072, |exponent| < INT_MAX/2); nullptr when the server may accept it.
const char *check_numeric(std::string_view text) noexcept {
  constexpr const char *kSyntax = "invalid input syntax for type numeric";
  constexpr const char *kOverflow = "value overflows numeric format";
  std::string_view body = trim(text);
  if (body.empty()) return kSyntax;
  {
    std::string_view u = body;
    if (u[0] == '+' || u[0] == '-') u.remove_prefix(1);
    if (iequals(u, "inf") || iequals(u, "infinity")) return nullptr;
    if (iequals(body, "nan")) return nullptr;
  }
  size_t i = 0, n = body.size();
  if (body[i] == '+' || body[i] == '-') ++i;
  int64_t int_digits = 0, frac_digits = 0, leading_zeros = 0;
  bool seen_point = false, seen_nonzero = false;
  if (i < n && body[i] == '.' && !(i + 1 < n && is_digit(body[i + 1])))
    return newer_pg_integer_form(body) ? nullptr : kSyntax;
  if (i >= n || (!is_digit(body[i]) && body[i] != '.')) return newer_pg_integer_form(body) ? nullptr : kSyntax;
  for (; i < n; ++i) {
    char c = body[i];
    if (is_digit(c)) {
      if (seen_point) {
        ++frac_digits;
        if (!seen_nonzero && c == '0') ++leading_zeros;
      } else if (seen_nonzero || c != '0') {
        ++int_digits;
      }
      if (c != '0') seen_nonzero = true;
    } else if (c == '.') {
      if (seen_point) return kSyntax;
      seen_point = true;
    } else {
      break;
    }
  }
  int64_t exponent = 0;
  if (i < n && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    while (i < n && is_space(body[i])) ++i;  // strtol skips leading whitespace
    bool negative = false;
    if (i < n && (body[i] == '+' || body[i] == '-')) negative = body[i++] == '-';
    if (i >= n || !is_digit(body[i])) return kSyntax;
    for (; i < n && is_digit(body[i]); ++i) {
      if (exponent < (int64_t{1} << 40)) exponent = exponent * 10 + (body[i] - '0');
    }
    if (negative) exponent = -exponent;
  }
  if (i != n) return newer_pg_integer_form(body) ? nullptr : kSyntax;
  constexpr int64_t kMaxExponent = std::numeric_limits<int32_t>::max() / 2;
  if (exponent >= kMaxExponent || exponent <= -kMaxExponent) return kOverflow;
  if (frac_digits - exponent > 16383) return kOverflow;
  if (seen_nonzero) {
    // Decimal position of the most significant nonzero digit (10^k).
    int64_t k = int_digits > 0 ? int_digits - 1 + exponent : -(leading_zeros + 1) + exponent;
    if (k > 131071) return kOverflow;
  }
  return nullptr;
}

int days_in_month(int year, int month) noexcept {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Reads 1..max_digits digits at `i`; false if none.
bool read_number(std::string_view s, size_t &i, int max_digits, int &out) noexcept {
  size_t start = i;
  out = 0;
  while (i < s.size() && is_digit(s[i]) && static_cast<int>(i - start) < max_digits) out = out * 10 + (s[i++] - '0');
  return i > start && !(i < s.size() && is_digit(s[i]));
}

// date_in/timestamp_in/timestamptz_in's message for a text pg_datetime did not
// take (error path only). Decides the ISO forms YYYY-MM-DD[(
// |T)HH:MM[:SS[.frac]]] (calendar and clock ranges; what follows the clock,
// e.g. a zone, is left to the server), blank input, and digit-free input that
// names no special value; everything else (other styles, 5-digit years, BC,
// zones) is accepted.
const char *check_datetime(std::string_view text, const char *syntax) noexcept {
  constexpr const char *kRange = "date/time field value out of range";
  std::string_view v = trim(text);
  if (v.empty()) return syntax;
  if (!is_digit(v[0])) {
    for (char c : v)
      if (is_digit(c)) return nullptr;
    // No digits: only the special values (possibly with a zone) can be valid.
    size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && !is_alpha(v[i])) ++i;
      size_t start = i;
      while (i < v.size() && is_alpha(v[i])) ++i;
      std::string_view word = v.substr(start, i - start);
      for (std::string_view special : {"infinity", "epoch", "now", "today", "tomorrow", "yesterday"})
        if (iequals(word, special)) return nullptr;
    }
    return syntax;
  }
  size_t i = 0;
  int year = 0, month = 0, day = 0;
  size_t year_start = i;
  if (!read_number(v, i, 4, year) || i - year_start != 4) return nullptr;
  if (i >= v.size() || v[i] != '-') return nullptr;
  ++i;
  if (!read_number(v, i, 2, month) || i >= v.size() || v[i] != '-') return nullptr;
  ++i;
  if (!read_number(v, i, 2, day)) return nullptr;
  if (i < v.size() && !is_space(v[i]) && v[i] != 'T' && v[i] != 't') return nullptr;
  if (year == 0 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return kRange;
  if (i == v.size()) return nullptr;
  // Optional clock: after 'T' or whitespace.
  if (v[i] == 'T' || v[i] == 't') {
    ++i;
  } else {
    while (i < v.size() && is_space(v[i])) ++i;
  }
  int hour = 0, minute = 0, second = 0;
  bool fraction_nonzero = false;  // within the microseconds PostgreSQL keeps
                                  // (later digits only round)
  if (!read_number(v, i, 2, hour) || i >= v.size() || v[i] != ':') return nullptr;
  ++i;
  size_t minute_start = i;
  if (!read_number(v, i, 2, minute) || i - minute_start != 2) return nullptr;
  if (i < v.size() && v[i] == ':') {
    ++i;
    size_t second_start = i;
    if (!read_number(v, i, 2, second) || i - second_start != 2) return nullptr;
    if (i < v.size() && v[i] == '.') {
      ++i;
      for (size_t digits = 0; i < v.size() && is_digit(v[i]); ++digits, ++i)
        fraction_nonzero |= digits < 6 && v[i] != '0';
    }
  }
  if (i < v.size() && (is_digit(v[i]) || v[i] == ':' || v[i] == '.')) return nullptr;
  // Leap second 60 is accepted, but the clock may not pass 24:00:00.
  if (hour > 24 || minute > 59 || second > 60) return kRange;
  const int total_seconds = hour * 3600 + minute * 60 + second;
  if (total_seconds > 86400 || (total_seconds == 86400 && fraction_nonzero)) return kRange;
  return nullptr;
}

// varchar/bpchar input: at most max_chars characters, except that excess
// characters that are all spaces are silently dropped.
const char *check_length(std::string_view text, int32_t max_chars, const char *too_long) noexcept {
  if (max_chars < 0 || text.size() <= static_cast<size_t>(max_chars)) return nullptr;
  size_t chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == static_cast<size_t>(max_chars)) break;
      ++chars;
    }
  }
  for (; i < text.size(); ++i)
    if (text[i] != ' ') return too_long;
  return nullptr;
}

PgInput error_at(const char *message, size_t offset) noexcept {
  PgInput r;
  r.status = PgInput::Status::Error;
  r.error = message;
  r.error_offset = static_cast<uint32_t>(offset);
  return r;
}

// pg_strtoint16/32/64: [ws][+-]digits[ws]; overflow is reported as it is met,
// before trailing garbage.
PgInput parse_int(std::string_view text, uint64_t max_positive, const char *syntax, const char *range) noexcept {
  size_t i = 0, n = text.size();
  while (i < n && is_space(text[i])) ++i;
  bool negative = false;
  if (i < n && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  if (i >= n || !is_digit(text[i])) return newer_pg_integer_form(trim(text)) ? PgInput{} : error_at(syntax, i);
  const uint64_t limit = negative ? max_positive + 1 : max_positive;
  // 19 digits cannot overflow 64 bits: no division per digit unless the value is out of range or longer.
  uint64_t value = 0;
  const size_t start = i;
  for (const size_t end = std::min(n, start + 19); i < end; ++i) {
    const auto digit = static_cast<uint64_t>(static_cast<unsigned char>(text[i]) - '0');
    if (digit > 9) break;
    value = value * 10 + digit;
  }
  if (value > limit || (i < n && is_digit(text[i]))) {
    value = 0;
    for (i = start; i < n && is_digit(text[i]); ++i) {
      const auto digit = static_cast<uint64_t>(text[i] - '0');
      if (value > (limit - digit) / 10) return error_at(range, i);
      value = value * 10 + digit;
    }
  }
  while (i < n && is_space(text[i])) ++i;
  if (i != n) return newer_pg_integer_form(trim(text)) ? PgInput{} : error_at(syntax, i);
  PgInput r;
  r.status = PgInput::Status::Value;
  r.i = negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
  return r;
}

// float4in/float8in: strtof/strtod syntax (decimal, inf/infinity, nan[(chars)],
// hex left to the server); overflow to infinity and underflow to zero are
// errors, denormals are accepted. fast_float rounds correctly, as strtod does.
template <typename Float>
PgInput parse_float(std::string_view text, const char *syntax, const char *range) noexcept {
  std::string_view body = trim(text);
  const auto at = static_cast<size_t>(body.data() - text.data());
  if (body.empty()) return error_at(syntax, at);
  std::string_view u = body;
  const bool negative = u[0] == '-';
  if (u[0] == '+' || u[0] == '-') u.remove_prefix(1);
  if (u.empty()) return error_at(syntax, at + 1);
  PgInput r;
  r.status = PgInput::Status::Value;
  Float value{};
  if (iequals(u, "inf") || iequals(u, "infinity")) {
    value = std::numeric_limits<Float>::infinity();
  } else if (iequals(u, "nan")) {
    value = std::numeric_limits<Float>::quiet_NaN();
    r.send_as_text = negative;  // strtod keeps the sign of "-nan"
  } else if (u.size() >= 5 && iequals(u.substr(0, 4), "nan(") && u.back() == ')') {
    for (char c : u.substr(4, u.size() - 5))
      if (!is_alpha(c) && !is_digit(c) && c != '_') return error_at(syntax, at);
    value = std::numeric_limits<Float>::quiet_NaN();
    r.send_as_text = true;  // strtod may keep a payload
  } else if (u.size() >= 2 && u[0] == '0' && lower(u[1]) == 'x') {
    return PgInput{};
  } else {
    if (!is_digit(u[0]) && u[0] != '.') return error_at(syntax, at);
    const char *first = u.data();
    const char *last = first + u.size();
    auto result = fast_float::from_chars(first, last, value);
    if (result.ec != std::errc() || result.ptr != last)
      return error_at(syntax, static_cast<size_t>(result.ptr - text.data()));
    if (std::isinf(value)) return error_at(range, at);
    if (value == 0) {
      for (const char *p = first; p != last && lower(*p) != 'e'; ++p)
        if (*p >= '1' && *p <= '9') return error_at(range, at);  // a nonzero mantissa rounded to zero: underflow
    }
  }
  if (negative) value = -value;
  if constexpr (sizeof(Float) == 4)
    r.f4 = value;
  else
    r.f8 = value;
  return r;
}

// boolin: trimmed, case-insensitive; t/true, f/false, y/yes, n/no prefixes, on,
// of/off, 1, 0.
PgInput parse_bool(std::string_view text) noexcept {
  constexpr const char *kSyntax = "invalid input syntax for type boolean";
  std::string_view v = trim(text);
  if (v.empty()) return error_at(kSyntax, 0);
  auto prefix_of = [&](std::string_view word, size_t min_len) {
    return v.size() >= min_len && v.size() <= word.size() && iequals(v, word.substr(0, v.size()));
  };
  bool ok = false, value = false;
  switch (lower(v[0])) {
    case 't':
      ok = prefix_of("true", 1);
      value = true;
      break;
    case 'f':
      ok = prefix_of("false", 1);
      break;
    case 'y':
      ok = prefix_of("yes", 1);
      value = true;
      break;
    case 'n':
      ok = prefix_of("no", 1);
      break;
    case 'o':
      value = iequals(v, "on");
      ok = value || prefix_of("off", 2);
      break;
    case '1':
    case '0':
      ok = v.size() == 1;
      value = v[0] == '1';
      break;
    default:
      break;
  }
  if (!ok) return error_at(kSyntax, static_cast<size_t>(v.data() - text.data()));
  PgInput r;
  r.status = PgInput::Status::Value;
  r.b = value;
  return r;
}

// string_to_uuid: optional braces, 16 hex pairs, a '-' allowed after any
// second pair (not the last), no whitespace.
PgInput parse_uuid(std::string_view text) noexcept {
  constexpr const char *kSyntax = "invalid input syntax for type uuid";
  PgInput r;
  size_t i = 0, n = text.size();
  const bool braces = n > 0 && text[0] == '{';
  if (braces) ++i;
  for (int byte = 0; byte < 16; ++byte) {
    if (i + 1 >= n) return error_at(kSyntax, i);
    const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return error_at(kSyntax, hi < 0 ? i : i + 1);
    r.uuid[byte] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
    if (i < n && text[i] == '-' && byte % 2 == 1 && byte < 15) ++i;
  }
  if (braces) {
    if (i >= n || text[i] != '}') return error_at(kSyntax, i);
    ++i;
  }
  if (i != n) return error_at(kSyntax, i);
  r.status = PgInput::Status::Value;
  return r;
}

// numeric_in with the column's typmod (common/pg_numeric); the message only on
// the error path.
PgInput parse_numeric(std::string_view text, int32_t typmod) noexcept {
  PgInput r;
  if (parse_pg_numeric(text, typmod, r.numeric)) {
    r.status = PgInput::Status::Value;
    return r;
  }
  const char *why = check_numeric(text);
  return why ? error_at(why, 0) : PgInput{};
}

PgInput datetime_result(DtParse parsed, int64_t value, std::string_view text, const char *syntax) noexcept {
  if (parsed == DtParse::Ok) {
    PgInput r;
    r.status = PgInput::Status::Value;
    r.i = value;
    return r;
  }
  const char *why = check_datetime(text, syntax);
  return why ? error_at(why, 0) : PgInput{};
}

// byteain: the hex form (pairs of hex digits, whitespace between pairs) or the
// escape form (\\ and \ooo with a first digit 0-3, other bytes as they are),
// decoded into thread-local scratch. Anything else is left to the server.
PgInput parse_bytea(std::string_view text) noexcept {
  thread_local std::string bytes;
  try {
    bytes.clear();
    if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
      for (size_t i = 2; i < text.size();) {
        const char ch = text[i];
        if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
          ++i;
          continue;
        }
        if (i + 1 >= text.size()) return PgInput{};
        const int hi = hex_value(ch), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) return PgInput{};
        bytes.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
      }
    } else if (text.find('\\') == std::string_view::npos) {
      bytes.assign(text);
    } else {
      for (size_t i = 0; i < text.size();) {
        if (text[i] != '\\') {
          bytes.push_back(text[i++]);
        } else if (i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' && text[i + 2] >= '0' &&
                   text[i + 2] <= '7' && text[i + 3] >= '0' && text[i + 3] <= '7') {
          bytes.push_back(static_cast<char>((text[i + 1] - '0') << 6 | (text[i + 2] - '0') << 3 | (text[i + 3] - '0')));
          i += 4;
        } else if (i + 1 < text.size() && text[i + 1] == '\\') {
          bytes.push_back('\\');
          i += 2;
        } else {
          return PgInput{};
        }
      }
    }
  } catch (...) {
    return PgInput{};  // out of memory: the server decodes it
  }
  PgInput r;
  r.status = PgInput::Status::Value;
  r.bytes = bytes;
  return r;
}

// macaddr_in for the forms with six 2-digit hex groups separated by all ':' or all '-'; the other forms sscanf
// takes (single digits, whitespace, 08002b:010203, 0800.2b01.0203 ...) are left to the server.
PgInput parse_macaddr(std::string_view text) noexcept {
  if (text.size() != 17) return PgInput{};
  const char sep = text[2];
  if (sep != ':' && sep != '-') return PgInput{};
  PgInput r;
  for (size_t k = 0; k < 6; ++k) {
    const int hi = hex_value(text[3 * k]), lo = hex_value(text[3 * k + 1]);
    if (hi < 0 || lo < 0 || (k < 5 && text[3 * k + 2] != sep)) return PgInput{};
    r.inet.addr[k] = static_cast<uint8_t>(hi << 4 | lo);
  }
  r.status = PgInput::Status::Value;
  return r;
}

PgInput text_value(std::string_view text) noexcept {
  PgInput r;
  r.status = PgInput::Status::Value;
  r.bytes = text;
  return r;
}

PgInput checked_text(const char *why, std::string_view text) noexcept {
  return why ? error_at(why, 0) : text_value(text);
}

}  // namespace

ColumnType column_type_for(uint32_t type_oid, int32_t typmod) noexcept {
  auto length = [&] { return typmod >= 4 ? typmod - 4 : -1; };  // typmod of varchar/bpchar is n + VARHDRSZ
  switch (type_oid) {
    case 21:
      return {PgType::Int2};
    case 23:
      return {PgType::Int4};
    case 20:
      return {PgType::Int8};
    case 700:
      return {PgType::Float4};
    case 701:
      return {PgType::Float8};
    case 1700:
      return {PgType::Numeric, -1, std::nullopt, typmod};
    case 16:
      return {PgType::Bool};
    case 25:
      return {PgType::Text};
    case 1043:
      return {PgType::Varchar, length()};
    case 1042:
      return {PgType::Bpchar, length()};
    case 2950:
      return {PgType::Uuid};
    case 1082:
      return {PgType::Date};
    case 1114:
      return {PgType::Timestamp};
    case 1184:
      return {PgType::Timestamptz};
    case 1083:
      return {PgType::Time};
    case 17:
      return {PgType::Bytea};
    case 114:
      return {PgType::Json};
    case 1266:
      return {PgType::Timetz};
    case 1186:
      return {PgType::Interval};
    case 869:
      return {PgType::Inet};
    case 650:
      return {PgType::Cidr};
    case 829:
      return {PgType::Macaddr};
    case 3802:
      return {PgType::Jsonb};
    default:
      return {PgType::Other};
  }
}

PgEnum::PgEnum(std::string type_name, std::vector<EnumLabel> labels_in_any_order)
    : labels(std::move(labels_in_any_order)), error("invalid input value for enum " + std::move(type_name)) {
  std::sort(labels.begin(), labels.end(), [](const EnumLabel &a, const EnumLabel &b) { return a.label < b.label; });
}

bool PgEnum::has(std::string_view label) const noexcept {
  const auto it = std::lower_bound(labels.begin(), labels.end(), label, [](const EnumLabel &a, std::string_view b) {
    return std::string_view(a.label) < b;
  });
  return it != labels.end() && it->label == label;
}

ColumnType column_type_for(uint32_t base_oid, int32_t typmod, uint32_t element_oid, const PgEnum *enum_type) noexcept {
  ColumnType t;
  if (element_oid != 0) {
    // array_recv checks the element type's OID against the worker's own: only a built-in type's (below
    // FirstNormalObjectId) is the same on every node; an array of an enum or a user type goes as CSV.
    constexpr uint32_t kFirstNormalObjectId = 16384;
    if (element_oid >= kFirstNormalObjectId) return t;
    t = column_type_for(element_oid, typmod, 0, nullptr);
    if (t.type == PgType::Other) return t;
    t.element = t.type;
    t.element_oid = element_oid;
    t.type = PgType::Array;
    return t;
  }
  if (enum_type) {
    t.type = PgType::Enum;
    t.enum_type = enum_type;
    return t;
  }
  return column_type_for(base_oid, typmod);
}

PgInput parse_pg_input_any(const ColumnType &t, std::string_view text, bool nul_free) noexcept {
  if (const void *nul = nul_free ? nullptr : std::memchr(text.data(), '\0', text.size()))
    return error_at(kNulByte, static_cast<size_t>(static_cast<const char *>(nul) - text.data()));
  switch (t.type) {
    case PgType::Int2:
      return parse_int(text, 32767, "invalid input syntax for type smallint", "value out of range for type smallint");
    case PgType::Int4:
      return parse_int(text, 2147483647, "invalid input syntax for type integer",
                       "value out of range for type integer");
    case PgType::Int8:
      return parse_int(text, 9223372036854775807ULL, "invalid input syntax for type bigint",
                       "value out of range for type bigint");
    case PgType::Float4:
      return parse_float<float>(text, "invalid input syntax for type real", "value out of range for type real");
    case PgType::Float8:
      return parse_float<double>(text, "invalid input syntax for type double precision",
                                 "value out of range for type double precision");
    case PgType::Numeric:
      return parse_numeric(text, t.typmod);
    case PgType::Bool:
      return parse_bool(text);
    case PgType::Text:
      return text_value(text);
    case PgType::Varchar:
      return checked_text(check_length(text, t.max_chars, "value too long for type character varying"), text);
    case PgType::Bpchar:
      return checked_text(check_length(text, t.max_chars, "value too long for type character"), text);
    case PgType::Uuid:
      return parse_uuid(text);
    case PgType::Date: {
      int32_t days = 0;
      const DtParse p = parse_pg_date(text, days);
      return datetime_result(p, days, text, "invalid input syntax for type date");
    }
    case PgType::Timestamp: {
      int64_t usecs = 0;
      const DtParse p = parse_pg_timestamp(text, false, std::nullopt, usecs);
      return datetime_result(p, usecs, text, "invalid input syntax for type timestamp");
    }
    case PgType::Timestamptz: {
      int64_t usecs = 0;
      const DtParse p = parse_pg_timestamp(text, true, t.zone_offset_secs, usecs);
      return datetime_result(p, usecs, text, "invalid input syntax for type timestamp with time zone");
    }
    case PgType::Time: {  // the forms time_in takes are many: the server checks those not parsed here
      int64_t usecs = 0;
      if (parse_pg_time(text, usecs) != DtParse::Ok) return PgInput{};
      PgInput r;
      r.status = PgInput::Status::Value;
      r.i = usecs;
      return r;
    }
    case PgType::Bytea:
      return parse_bytea(text);
    // Types without a client-side check: a form not parsed here is left to the server (never an error here).
    case PgType::Timetz: {
      PgInput r;
      if (parse_pg_timetz(text, t.zone_offset_secs, r.i, r.zone) != DtParse::Ok) return PgInput{};
      r.status = PgInput::Status::Value;
      return r;
    }
    case PgType::Interval: {
      PgInput r;
      if (parse_pg_interval(text, r.months, r.days, r.i) != DtParse::Ok) return PgInput{};
      r.status = PgInput::Status::Value;
      return r;
    }
    case PgType::Inet:
    case PgType::Cidr: {
      PgInput r;
      if (!parse_pg_inet(text, t.type == PgType::Cidr, r.inet)) return PgInput{};
      r.status = PgInput::Status::Value;
      return r;
    }
    case PgType::Macaddr:
      return parse_macaddr(text);
    case PgType::Json:
      return checked_text(check_json(text, false), text);
    case PgType::Jsonb:
      return checked_text(check_json(text, true), text);
    case PgType::Enum:  // enum_in: the exact bytes of one of the labels
      if (!t.enum_type) return PgInput{};
      return t.enum_type->has(text) ? text_value(text) : error_at(t.enum_type->error.c_str(), 0);
    case PgType::Array: {  // split here; each element is parsed by the encoder, or by the server
      const PgArray *array = nullptr;
      if (t.element == PgType::Other || t.element == PgType::Array || !parse_pg_array(text, array)) return PgInput{};
      PgInput r;
      r.status = PgInput::Status::Value;
      r.array = array;
      return r;
    }
    case PgType::Other:
      return PgInput{};
  }
  return PgInput{};
}

const char *pg_type_name(PgType type) noexcept {
  switch (type) {
    case PgType::Int2:
      return "smallint";
    case PgType::Int4:
      return "integer";
    case PgType::Int8:
      return "bigint";
    case PgType::Float4:
      return "real";
    case PgType::Float8:
      return "double precision";
    case PgType::Numeric:
      return "numeric";
    case PgType::Bool:
      return "boolean";
    case PgType::Text:
      return "text";
    case PgType::Varchar:
      return "character varying";
    case PgType::Bpchar:
      return "character";
    case PgType::Uuid:
      return "uuid";
    case PgType::Date:
      return "date";
    case PgType::Timestamp:
      return "timestamp without time zone";
    case PgType::Timestamptz:
      return "timestamp with time zone";
    case PgType::Time:
      return "time without time zone";
    case PgType::Bytea:
      return "bytea";
    case PgType::Json:
      return "json";
    case PgType::Jsonb:
      return "jsonb";
    case PgType::Timetz:
      return "time with time zone";
    case PgType::Interval:
      return "interval";
    case PgType::Inet:
      return "inet";
    case PgType::Cidr:
      return "cidr";
    case PgType::Macaddr:
      return "macaddr";
    case PgType::Enum:
      return "enum";
    case PgType::Array:
      return "array";
    case PgType::Other:
      return "other";
  }
  return "other";
}

}  // namespace pgload
