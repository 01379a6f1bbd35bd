// PostgreSQL-compatible hashing and input parsing for distribution columns; see citus_hash.h for what each mirrors.
// Written from the published algorithms (lookup3 as adopted by PostgreSQL's src/common/hashfn.c, the folding rule of
// hashint8 in src/backend/access/hash/hashfunc.c, uuid_in's accepted spellings) and checked against a real server.
#include "common/citus_hash.h"

#include <limits>

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
    default:
      return std::nullopt;
  }
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

bool hash_text_value(DistKind kind, std::string_view text, int32_t& hash_out) noexcept {
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
  }
  return false;
}

}  // namespace pgload
