// PostgreSQL-compatible hashing and input parsing for distribution columns; see citus_hash.h for what each mirrors.
// Written from the published algorithms (lookup3 as adopted by PostgreSQL's src/common/hashfn.c, the folding rule of
// hashint8 in src/backend/access/hash/hashfunc.c, uuid_in's accepted spellings) and checked against a real server.
#include "common/citus_hash.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

#include "common/jsonb_hash.h"
#include "common/pg_datetime.h"
#include "common/pg_inet.h"
#include "common/pg_numeric.h"

namespace pgload {
namespace {

constexpr uint32_t rotl32(uint32_t x, int k) noexcept { return (x << k) | (x >> (32 - k)); }

// lookup3's mix(): reversible mixing of three words (same shifts and order as hashfn.c's mix macro).
inline void mix(uint32_t& a, uint32_t& b, uint32_t& c) noexcept {
  a -= c;
  a ^= rotl32(c, 4);
  c += b;
  b -= a;
  b ^= rotl32(a, 6);
  a += c;
  c -= b;
  c ^= rotl32(b, 8);
  b += a;
  a -= c;
  a ^= rotl32(c, 16);
  c += b;
  b -= a;
  b ^= rotl32(a, 19);
  a += c;
  c -= b;
  c ^= rotl32(b, 4);
  b += a;
}

// lookup3's final(): mixes (a,b,c) into c (hashfn.c's final macro).
inline void final_mix(uint32_t& a, uint32_t& b, uint32_t& c) noexcept {
  c ^= b;
  c -= rotl32(b, 14);
  a ^= c;
  a -= rotl32(c, 11);
  b ^= a;
  b -= rotl32(a, 25);
  c ^= b;
  c -= rotl32(b, 16);
  a ^= c;
  a -= rotl32(c, 4);
  b ^= a;
  b -= rotl32(a, 14);
  c ^= b;
  c -= rotl32(b, 24);
}

// Little-endian word load: what PostgreSQL's word-at-a-time path reads on a little-endian server, independent of
// alignment and of the host's byte order.
inline uint32_t load_le32(const unsigned char* p) noexcept {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

// The initial state of hash_bytes: golden ratio + length + PostgreSQL's constant 3923095.
constexpr uint32_t kInitial = 0x9e3779b9u + 3923095u;

inline bool is_pg_space(char ch) noexcept {
  // isspace() of the C/UTF-8 locales PostgreSQL servers run with, for single bytes.
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

// pg_strtoint16/32/64 of PostgreSQL 15 (src/backend/utils/adt/numutils.c): [space*][+|-]digit+[space*], value in
// [-max_value - 1, max_value]. The magnitude is bounded before each multiply so nothing overflows.
bool parse_decimal(std::string_view text, int64_t max_value, int64_t& out) noexcept {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n && is_pg_space(text[i])) ++i;
  bool negative = false;
  if (i < n && (text[i] == '-' || text[i] == '+')) {
    negative = text[i] == '-';
    ++i;
  }
  if (i >= n || text[i] < '0' || text[i] > '9') return false;
  // Largest magnitude allowed for this sign: |min| = max + 1 for negatives.
  const uint64_t limit = negative ? static_cast<uint64_t>(max_value) + 1u : static_cast<uint64_t>(max_value);
  uint64_t magnitude = 0;
  while (i < n && text[i] >= '0' && text[i] <= '9') {
    const auto digit = static_cast<uint64_t>(text[i] - '0');
    if (magnitude > (limit - digit) / 10u) return false;  // out of range
    magnitude = magnitude * 10u + digit;
    ++i;
  }
  while (i < n && is_pg_space(text[i])) ++i;
  if (i != n) return false;  // trailing junk, including an embedded NUL
  out = negative ? static_cast<int64_t>(0u - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

inline int hex_value(char ch) noexcept {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

}  // namespace

uint32_t hash_bytes(const void* data, size_t len) noexcept {
  const auto* k = static_cast<const unsigned char*>(data);
  // PostgreSQL passes the length as int and adds it as uint32.
  uint32_t a = kInitial + static_cast<uint32_t>(len);
  uint32_t b = a;
  uint32_t c = a;
  size_t remaining = len;
  while (remaining >= 12) {
    a += load_le32(k);
    b += load_le32(k + 4);
    c += load_le32(k + 8);
    mix(a, b, c);
    k += 12;
    remaining -= 12;
  }
  // The last 0..11 bytes, little-endian, except that c's lowest byte stays free: bytes 8..10 go to c's bits 8..31.
  switch (remaining) {
    case 11:
      c += static_cast<uint32_t>(k[10]) << 24;
      [[fallthrough]];
    case 10:
      c += static_cast<uint32_t>(k[9]) << 16;
      [[fallthrough]];
    case 9:
      c += static_cast<uint32_t>(k[8]) << 8;
      [[fallthrough]];
    case 8:
      b += static_cast<uint32_t>(k[7]) << 24;
      [[fallthrough]];
    case 7:
      b += static_cast<uint32_t>(k[6]) << 16;
      [[fallthrough]];
    case 6:
      b += static_cast<uint32_t>(k[5]) << 8;
      [[fallthrough]];
    case 5:
      b += k[4];
      [[fallthrough]];
    case 4:
      a += static_cast<uint32_t>(k[3]) << 24;
      [[fallthrough]];
    case 3:
      a += static_cast<uint32_t>(k[2]) << 16;
      [[fallthrough]];
    case 2:
      a += static_cast<uint32_t>(k[1]) << 8;
      [[fallthrough]];
    case 1:
      a += k[0];
      break;
    default:
      break;
  }
  final_mix(a, b, c);
  return c;
}

uint32_t hash_uint32(uint32_t k) noexcept {
  uint32_t a = kInitial + 4u;
  uint32_t b = a;
  uint32_t c = a;
  a += k;
  final_mix(a, b, c);
  return c;
}

int32_t hash_int8(int64_t v) noexcept {
  // hashint8: lohalf ^= (v >= 0) ? hihalf : ~hihalf, so int8 values that fit in int4 hash like hashint4.
  const auto u = static_cast<uint64_t>(v);
  auto lo = static_cast<uint32_t>(u);
  const auto hi = static_cast<uint32_t>(u >> 32);
  lo ^= v >= 0 ? hi : ~hi;
  return static_cast<int32_t>(hash_uint32(lo));
}

int32_t hash_int4(int32_t v) noexcept { return static_cast<int32_t>(hash_uint32(static_cast<uint32_t>(v))); }

int32_t hash_int2(int16_t v) noexcept {
  return static_cast<int32_t>(hash_uint32(static_cast<uint32_t>(static_cast<int32_t>(v))));
}

int32_t hash_text(std::string_view bytes) noexcept {
  return static_cast<int32_t>(hash_bytes(bytes.data(), bytes.size()));
}

int32_t hash_bpchar(std::string_view bytes) noexcept {
  // bcTruelen: only ' ' counts as padding (not tabs or other whitespace).
  size_t len = bytes.size();
  while (len > 0 && bytes[len - 1] == ' ') --len;
  return static_cast<int32_t>(hash_bytes(bytes.data(), len));
}

int32_t hash_uuid(const uint8_t (&uuid)[16]) noexcept { return static_cast<int32_t>(hash_bytes(uuid, 16)); }

int32_t hash_float8(double v) noexcept {
  if (v == 0.0) return 0;  // +0 and -0 compare equal, so they must hash alike
  if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
  const auto bits = std::bit_cast<uint64_t>(v);
  unsigned char bytes[8];
  for (int k = 0; k < 8; ++k) bytes[k] = static_cast<unsigned char>(bits >> (8 * k));  // the server's LE layout
  return static_cast<int32_t>(hash_bytes(bytes, 8));
}

int32_t hash_float4(float v) noexcept { return hash_float8(static_cast<double>(v)); }

int32_t hash_oid(uint32_t oid) noexcept { return static_cast<int32_t>(hash_uint32(oid)); }

std::optional<DistKind> dist_kind_for_type(uint32_t type_oid) noexcept {
  switch (type_oid) {
    case 21:
      return DistKind::Int2;
    case 23:
      return DistKind::Int4;
    case 20:
      return DistKind::Int8;
    case 25:    // text
    case 1043:  // varchar
      return DistKind::Text;
    case 1042:  // bpchar
      return DistKind::Bpchar;
    case 2950:
      return DistKind::Uuid;
    case 1082:
      return DistKind::Date;
    case 1083:
      return DistKind::Time;
    case 1114:
      return DistKind::Timestamp;
    case 1184:
      return DistKind::Timestamptz;
    case 1700:
      return DistKind::Numeric;
    case 16:
      return DistKind::Bool;
    case 700:
      return DistKind::Float4;
    case 701:
      return DistKind::Float8;
    case 26:
      return DistKind::Oid;
    case 17:
      return DistKind::Bytea;
    case 3802:
      return DistKind::Jsonb;
    case 869:
      return DistKind::Inet;
    case 650:
      return DistKind::Cidr;
    default:
      return std::nullopt;
  }
}

const char* dist_kind_name(DistKind kind) noexcept {
  switch (kind) {
    case DistKind::Int2:
      return "smallint";
    case DistKind::Int4:
      return "integer";
    case DistKind::Int8:
      return "bigint";
    case DistKind::Text:
      return "text";
    case DistKind::Bpchar:
      return "character";
    case DistKind::Uuid:
      return "uuid";
    case DistKind::Date:
      return "date";
    case DistKind::Time:
      return "time without time zone";
    case DistKind::Timestamp:
      return "timestamp without time zone";
    case DistKind::Timestamptz:
      return "timestamp with time zone";
    case DistKind::Numeric:
      return "numeric";
    case DistKind::Bool:
      return "boolean";
    case DistKind::Float4:
      return "real";
    case DistKind::Float8:
      return "double precision";
    case DistKind::Oid:
      return "oid";
    case DistKind::Enum:
      return "enum";
    case DistKind::Bytea:
      return "bytea";
    case DistKind::Jsonb:
      return "jsonb";
    case DistKind::Inet:
      return "inet";
    case DistKind::Cidr:
      return "cidr";
  }
  return "?";
}

bool parse_pg_int8(std::string_view text, int64_t& out) noexcept {
  return parse_decimal(text, std::numeric_limits<int64_t>::max(), out);
}

bool parse_pg_int4(std::string_view text, int32_t& out) noexcept {
  int64_t v = 0;
  if (!parse_decimal(text, std::numeric_limits<int32_t>::max(), v)) return false;
  out = static_cast<int32_t>(v);
  return true;
}

bool parse_pg_int2(std::string_view text, int16_t& out) noexcept {
  int64_t v = 0;
  if (!parse_decimal(text, std::numeric_limits<int16_t>::max(), v)) return false;
  out = static_cast<int16_t>(v);
  return true;
}

bool parse_pg_uuid(std::string_view text, uint8_t (&out)[16]) noexcept {
  // string_to_uuid (src/backend/utils/adt/uuid.c): optional '{', 16 hex pairs, after every second pair except the
  // last an optional single '-', then '}' iff '{' opened, then the end. No whitespace anywhere.
  uint8_t bytes[16];
  size_t i = 0;
  const size_t n = text.size();
  const bool braces = n > 0 && text[0] == '{';
  if (braces) ++i;
  for (int byte = 0; byte < 16; ++byte) {
    if (i + 1 >= n) return false;
    const int hi = hex_value(text[i]);
    const int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes[byte] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
    if (i < n && text[i] == '-' && byte % 2 == 1 && byte < 15) ++i;
  }
  if (braces) {
    if (i >= n || text[i] != '}') return false;
    ++i;
  }
  if (i != n) return false;
  for (int byte = 0; byte < 16; ++byte) out[byte] = bytes[byte];
  return true;
}

namespace {

std::string_view trim_space(std::string_view s) noexcept {
  while (!s.empty() && is_pg_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_pg_space(s.back())) s.remove_suffix(1);
  return s;
}

// pg_strncasecmp(value, word, n) == 0 for a value of n bytes: value is a case-insensitive prefix of word.
bool prefix_of(std::string_view value, std::string_view word, size_t min_len = 1) noexcept {
  if (value.size() < min_len || value.size() > word.size()) return false;
  for (size_t i = 0; i < value.size(); ++i) {
    const char ch = value[i] >= 'A' && value[i] <= 'Z' ? static_cast<char>(value[i] - 'A' + 'a') : value[i];
    if (ch != word[i]) return false;
  }
  return true;
}

// float4in/float8in: [ws][+|-](decimal | inf | infinity | nan)[ws], correctly rounded; out of range (overflow,
// or underflow to zero) refused as the server refuses it. Hex floats (which strtod takes) are left to the server.
template <typename F>
bool parse_float(std::string_view text, F& out) noexcept {
  std::string_view t = trim_space(text);
  if (t.empty()) return false;
  if (t[0] == '+') {  // from_chars takes no '+'
    t.remove_prefix(1);
    if (t.empty() || t[0] == '-' || t[0] == '+') return false;
  }
  if (t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) return false;
  if (t.size() >= 3 && t[0] == '-' && t[1] == '0' && (t[2] == 'x' || t[2] == 'X')) return false;
  F v{};
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return false;
  out = v;
  return true;
}

// uint32in_subr of oidin: strtoul's [ws][+|-]digits, trailing whitespace; a negative value wraps if >= -2^31.
bool parse_oid(std::string_view text, uint32_t& out) noexcept {
  std::string_view t = trim_space(text);
  bool negative = false;
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
    negative = t[0] == '-';
    t.remove_prefix(1);
  }
  if (t.empty()) return false;
  uint64_t v = 0;
  for (char ch : t) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + static_cast<uint64_t>(ch - '0');
    if (v > 0xFFFFFFFFull) return false;
  }
  if (negative) {
    if (v > 0x80000000ull) return false;
    out = static_cast<uint32_t>(0u - static_cast<uint32_t>(v));
  } else {
    out = static_cast<uint32_t>(v);
  }
  return true;
}

}  // namespace

bool parse_pg_bool(std::string_view text, bool& out) noexcept {
  const std::string_view t = trim_space(text);
  if (t.empty()) return false;
  switch (t[0]) {
    case 't':
    case 'T':
      if (!prefix_of(t, "true")) return false;
      out = true;
      return true;
    case 'f':
    case 'F':
      if (!prefix_of(t, "false")) return false;
      out = false;
      return true;
    case 'y':
    case 'Y':
      if (!prefix_of(t, "yes")) return false;
      out = true;
      return true;
    case 'n':
    case 'N':
      if (!prefix_of(t, "no")) return false;
      out = false;
      return true;
    case 'o':
    case 'O':
      // 'o' alone is ambiguous: on/off need two letters.
      if (prefix_of(t, "on", 2)) {
        out = true;
        return true;
      }
      if (prefix_of(t, "off", 2)) {
        out = false;
        return true;
      }
      return false;
    case '1':
    case '0':
      if (t.size() != 1) return false;
      out = t[0] == '1';
      return true;
    default:
      return false;
  }
}

bool parse_pg_float8(std::string_view text, double& out) noexcept { return parse_float(text, out); }
bool parse_pg_float4(std::string_view text, float& out) noexcept { return parse_float(text, out); }

bool parse_pg_bytea(std::string_view text, std::string& out) {
  out.clear();
  if (text.find('\0') != std::string_view::npos) return false;
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    // hex_decode: pairs of hex digits, whitespace allowed between pairs only.
    for (size_t i = 2; i < text.size();) {
      const char ch = text[i];
      if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
        ++i;
        continue;
      }
      if (i + 1 >= text.size()) return false;
      const int hi = hex_value(ch);
      const int lo = hex_value(text[i + 1]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    }
    return true;
  }
  // The escape format: \\ for a backslash, \ooo (first digit 0-3) for any byte, other bytes as they are.
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '\\') {
      out.push_back(text[i++]);
    } else if (i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' && text[i + 2] >= '0' &&
               text[i + 2] <= '7' && text[i + 3] >= '0' && text[i + 3] <= '7') {
      out.push_back(static_cast<char>((text[i + 1] - '0') << 6 | (text[i + 2] - '0') << 3 | (text[i + 3] - '0')));
      i += 4;
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      out.push_back('\\');
      i += 2;
    } else {
      return false;
    }
  }
  return true;
}

bool hash_text_value(DistKind kind, std::string_view text, int32_t& hash_out) noexcept {
  DistType t;
  t.kind = kind;
  return hash_text_value(t, text, hash_out);
}

HashRefusal hash_refusal(const DistType& type, std::string_view text) noexcept {
  int32_t days = 0;
  int64_t usecs = 0;
  switch (type.kind) {
    case DistKind::Date:
      return parse_pg_date(text, days) == DtParse::UnknownForm ? HashRefusal::UnknownForm : HashRefusal::Invalid;
    case DistKind::Time:
      return parse_pg_time(text, usecs) == DtParse::UnknownForm ? HashRefusal::UnknownForm : HashRefusal::Invalid;
    case DistKind::Timestamp:
    case DistKind::Timestamptz:
      return parse_pg_timestamp(text, type.kind == DistKind::Timestamptz, type.default_offset_secs, usecs) ==
                     DtParse::UnknownForm
                 ? HashRefusal::UnknownForm
                 : HashRefusal::Invalid;
    default:
      return HashRefusal::Invalid;
  }
}

bool hash_text_value(const DistType& type, std::string_view text, int32_t& hash_out) noexcept {
  const DistKind kind = type.kind;
  switch (kind) {
    case DistKind::Int2: {
      int16_t v = 0;
      if (!parse_pg_int2(text, v)) return false;
      hash_out = hash_int2(v);
      return true;
    }
    case DistKind::Int4: {
      int32_t v = 0;
      if (!parse_pg_int4(text, v)) return false;
      hash_out = hash_int4(v);
      return true;
    }
    case DistKind::Int8: {
      int64_t v = 0;
      if (!parse_pg_int8(text, v)) return false;
      hash_out = hash_int8(v);
      return true;
    }
    case DistKind::Text:
    case DistKind::Bpchar:
      // The server rejects NUL bytes in any text value ("invalid byte sequence ... 0x00").
      if (text.find('\0') != std::string_view::npos) return false;
      hash_out = kind == DistKind::Text ? hash_text(text) : hash_bpchar(text);
      return true;
    case DistKind::Uuid: {
      uint8_t uuid[16];
      if (!parse_pg_uuid(text, uuid)) return false;
      hash_out = hash_uuid(uuid);
      return true;
    }
    case DistKind::Date: {
      int32_t days = 0;
      if (parse_pg_date(text, days) != DtParse::Ok) return false;
      hash_out = hash_int4(days);
      return true;
    }
    case DistKind::Time: {
      int64_t usecs = 0;
      if (parse_pg_time(text, usecs) != DtParse::Ok) return false;
      hash_out = hash_int8(usecs);
      return true;
    }
    case DistKind::Timestamp:
    case DistKind::Timestamptz: {
      int64_t usecs = 0;
      if (parse_pg_timestamp(text, kind == DistKind::Timestamptz, type.default_offset_secs, usecs) != DtParse::Ok)
        return false;
      hash_out = hash_int8(usecs);
      return true;
    }
    case DistKind::Numeric:
      return hash_pg_numeric_text(text, type.typmod, hash_out);
    case DistKind::Bool: {
      bool b = false;
      if (!parse_pg_bool(text, b)) return false;
      hash_out = hash_oid(b ? 1u : 0u);
      return true;
    }
    case DistKind::Float4: {
      float f = 0;
      if (!parse_pg_float4(text, f)) return false;
      hash_out = hash_float4(f);
      return true;
    }
    case DistKind::Float8: {
      double d = 0;
      if (!parse_pg_float8(text, d)) return false;
      hash_out = hash_float8(d);
      return true;
    }
    case DistKind::Oid: {
      uint32_t oid = 0;
      if (!parse_oid(text, oid)) return false;
      hash_out = hash_oid(oid);
      return true;
    }
    case DistKind::Enum: {
      const auto it = std::lower_bound(type.enum_labels.begin(), type.enum_labels.end(), text,
                                       [](const EnumLabel& l, std::string_view v) { return l.label < v; });
      if (it == type.enum_labels.end() || it->label != text) return false;
      hash_out = hash_oid(it->oid);
      return true;
    }
    case DistKind::Bytea:
      try {
        thread_local std::string bytes;
        if (!parse_pg_bytea(text, bytes)) return false;
        hash_out = hash_text(bytes);
        return true;
      } catch (...) {
        return false;  // out of memory: the row takes the error path
      }
    case DistKind::Jsonb:
      if (text.find('\0') != std::string_view::npos) return false;
      return hash_jsonb_text(text, hash_out);
    case DistKind::Inet:
    case DistKind::Cidr:
      return hash_inet_text(text, kind == DistKind::Cidr, hash_out);
  }
  return false;
}

}  // namespace pgload
