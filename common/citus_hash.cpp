// PostgreSQL-compatible hashing and input parsing for distribution columns; see citus_hash.h for what each mirrors.
// Written from the published algorithms (lookup3 as adopted by PostgreSQL's src/common/hashfn.c, the folding rule of
// hashint8 in src/backend/access/hash/hashfunc.c, uuid_in's accepted spellings) and checked against a real server.
#include "common/citus_hash.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "common/byte_words.h"
#include "common/jsonb_hash.h"
#include "common/pg_datetime.h"
#include "common/pg_inet.h"
#include "common/pg_input.h"
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

// The initial state of hash_bytes: golden ratio + length + PostgreSQL's constant 3923095.
constexpr uint32_t kInitial = 0x9e3779b9u + 3923095u;

inline bool is_pg_space(char ch) noexcept {
  // isspace() of the C/UTF-8 locales PostgreSQL servers run with, for single bytes.
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
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

namespace {

std::string_view trim_space(std::string_view s) noexcept {
  while (!s.empty() && is_pg_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_pg_space(s.back())) s.remove_suffix(1);
  return s;
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

std::optional<PgType> pg_input_type_of(DistKind kind) noexcept {
  switch (kind) {
    case DistKind::Int2:
      return PgType::Int2;
    case DistKind::Int4:
      return PgType::Int4;
    case DistKind::Int8:
      return PgType::Int8;
    case DistKind::Text:
      return PgType::Text;
    case DistKind::Bpchar:
      return PgType::Bpchar;
    case DistKind::Uuid:
      return PgType::Uuid;
    case DistKind::Date:
      return PgType::Date;
    case DistKind::Time:
      return PgType::Time;
    case DistKind::Timestamp:
      return PgType::Timestamp;
    case DistKind::Timestamptz:
      return PgType::Timestamptz;
    case DistKind::Numeric:
      return PgType::Numeric;
    case DistKind::Bool:
      return PgType::Bool;
    case DistKind::Float4:
      return PgType::Float4;
    case DistKind::Float8:
      return PgType::Float8;
    case DistKind::Bytea:
      return PgType::Bytea;
    case DistKind::Jsonb:
      return PgType::Jsonb;
    case DistKind::Inet:
      return PgType::Inet;
    case DistKind::Cidr:
      return PgType::Cidr;
    case DistKind::Oid:
    case DistKind::Enum:
      return std::nullopt;
  }
  return std::nullopt;
}

bool hash_pg_input(DistKind kind, const PgInput& in, int32_t& hash_out) noexcept {
  if (in.status != PgInput::Status::Value) return false;
  switch (kind) {
    case DistKind::Int2:
      hash_out = hash_int2(static_cast<int16_t>(in.i));
      return true;
    case DistKind::Int4:
    case DistKind::Date:  // date_ops hashes with hashint4
      hash_out = hash_int4(static_cast<int32_t>(in.i));
      return true;
    case DistKind::Int8:
    case DistKind::Time:  // time_hash and timestamp_hash are hashint8 of the microseconds
    case DistKind::Timestamp:
    case DistKind::Timestamptz:
      hash_out = hash_int8(in.i);
      return true;
    case DistKind::Text:
    case DistKind::Bytea:  // hashvarlena of the bytes
      hash_out = hash_text(in.bytes);
      return true;
    case DistKind::Bpchar:
      hash_out = hash_bpchar(in.bytes);
      return true;
    case DistKind::Uuid:
      hash_out = hash_uuid(in.uuid);
      return true;
    case DistKind::Numeric:
      hash_out = hash_pg_numeric(in.numeric);
      return true;
    case DistKind::Bool:
      hash_out = hash_oid(in.b ? 1u : 0u);
      return true;
    case DistKind::Float4:
      hash_out = hash_float4(in.f4);
      return true;
    case DistKind::Float8:
      hash_out = hash_float8(in.f8);
      return true;
    case DistKind::Jsonb:  // jsonb's hash needs its structure: a parse of its own (common/jsonb_hash)
      return hash_jsonb_text(in.bytes, hash_out);
    case DistKind::Inet:
    case DistKind::Cidr:
      hash_out = hash_pg_inet(in.inet);
      return true;
    case DistKind::Oid:
    case DistKind::Enum:
      return false;
  }
  return false;
}

bool hash_text_value(const DistType& type, std::string_view text, int32_t& hash_out) noexcept {
  const DistKind kind = type.kind;
  // jsonb's check (pg_input) and its hash parse differ in what they leave to the server: the hash's decides here.
  if (const auto pt = pg_input_type_of(kind); pt && kind != DistKind::Jsonb)
    return hash_pg_input(kind, parse_pg_input(ColumnType{*pt, -1, type.default_offset_secs, type.typmod}, text),
                         hash_out);
  switch (kind) {
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
    case DistKind::Jsonb:
      if (text.find('\0') != std::string_view::npos) return false;
      return hash_jsonb_text(text, hash_out);
    default:
      return false;
  }
}

}  // namespace pgload
