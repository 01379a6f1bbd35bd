// PostgreSQL's hash functions for the distribution-column types Citus supports, bit for bit, so the loader can
// route a row to its shard without asking the server. Hot path: noexcept, no allocation, no locale.
// Assumes a little-endian server (hash_bytes reads words in host order; every supported platform is LE).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/pg_input.h"

namespace pgload {

// PostgreSQL hash_any()/hash_bytes() (Bob Jenkins' lookup3, src/common/hashfn.c) of `len` bytes.
uint32_t hash_bytes(const void* data, size_t len) noexcept;
// PostgreSQL hash_uint32()/hash_bytes_uint32(): equals hash_bytes(&k, 4) on a little-endian machine.
uint32_t hash_uint32(uint32_t k) noexcept;

// hashint8 (src/backend/access/hash/hashfunc.c) read as int32: folds the high half into the low half, so a value
// that fits in int4 hashes as hashint4 would.
int32_t hash_int8(int64_t v) noexcept;
// hashint4.
int32_t hash_int4(int32_t v) noexcept;
// hashint2 (sign-extends to int32 first, so hash_int2(x) == hash_int4(x)).
int32_t hash_int2(int16_t v) noexcept;
// hashtext (src/backend/utils/adt/varlena.c) for deterministic collations: hash_any of the bytes.
// Also what varchar hashes with (varchar has no hash opclass of its own and uses text's).
int32_t hash_text(std::string_view bytes) noexcept;
// hashbpchar (src/backend/utils/adt/varchar.c) for deterministic collations: trailing spaces do not count.
int32_t hash_bpchar(std::string_view bytes) noexcept;
// uuid_hash (src/backend/utils/adt/uuid.c): hash_any of the 16 bytes.
int32_t hash_uuid(const uint8_t (&uuid)[16]) noexcept;

// hashfloat8: 0 for ±0, every NaN as the standard NaN, else hash_any of the 8 bytes.
int32_t hash_float8(double v) noexcept;
// hashfloat4: the float8 hash of the widened value (so 0.5::float4 and 0.5::float8 hash alike).
int32_t hash_float4(float v) noexcept;
// hashoid / hashenum (the enum label's pg_enum oid) / hashchar of bool: hash_uint32 of the value.
int32_t hash_oid(uint32_t oid) noexcept;

// The distribution-column types the loader can hash itself.
enum class DistKind : uint8_t {
  Int2,
  Int4,
  Int8,
  Text,
  Bpchar,
  Uuid,
  Date,         // hashint4 of days since 2000-01-01 (date_ops uses hashint4)
  Time,         // time_hash: hashint8 of microseconds since midnight
  Timestamp,    // timestamp_hash: hashint8 of microseconds since 2000-01-01
  Timestamptz,  // the same, of the UTC instant
  Numeric,      // hash_numeric
  Bool,         // hashchar of 0/1
  Float4,
  Float8,
  Oid,
  Enum,  // hashenum: needs the type's labels (DistType::enum_labels)
  Bytea,
  Jsonb,
  Inet,
  Cidr,
};

// The built-in types above by oid (varchar -> Text; enums have per-database oids: see DistType); nullopt for any
// other type (the caller must then route through the server or refuse).
// Nondeterministic (ICU) collations hash differently; the caller checks the column's collation.
std::optional<DistKind> dist_kind_for_type(uint32_t type_oid) noexcept;

// SQL name of a kind for messages ("timestamp with time zone").
const char* dist_kind_name(DistKind kind) noexcept;

// What hashing a distribution value needs beyond its kind.
struct DistType {
  DistKind kind = DistKind::Int8;
  int32_t typmod = -1;  // numeric(p,s): values are rounded to the scale first, as the column stores them
  // timestamptz text without an offset is read at this many seconds east of UTC (the session TimeZone when it
  // is a fixed offset); nullopt: such text is refused as a form pgload cannot hash.
  std::optional<int32_t> default_offset_secs;
  std::span<const EnumLabel> enum_labels;  // sorted by label, for Enum
};

// Why hash_text_value refused a text, for the message (computed again on the error path only).
enum class HashRefusal : uint8_t {
  Invalid,      // the server would reject it too
  UnknownForm,  // a form pgload does not parse (e.g. 'Jan 8 1999', 'now', a timestamptz without an offset)
};
HashRefusal hash_refusal(const DistType& type, std::string_view text) noexcept;

// Parses `text` exactly as the type's PostgreSQL 15 input function would and hashes the value:
//  - Int2/Int4/Int8: pg_strtoint16/32/64 — optional leading/trailing ASCII whitespace, one optional sign, decimal
//    digits only, range checked. (PostgreSQL 16 also accepts 0x/0o/0b prefixes and '_' separators; those are
//    rejected here, the safe direction: the row goes to the error path instead of a wrong shard.)
//  - Uuid: string_to_uuid — optional {braces}, 32 hex digits of either case, an optional '-' after any group of 4
//    digits, no whitespace.
//  - Text/Bpchar: any bytes without NUL. Encoding validity and varchar(n)/char(n) length limits are not checked
//    here (they need the database encoding and the column typmod).
//  - Date/Time/Timestamp/Timestamptz: the ISO 8601 forms (common/pg_datetime.h), others refused.
//  - Numeric: numeric_in with the typmod's rounding (common/pg_numeric.h).
//  - Bool: boolin (t/true/y/yes/on/1 and the false forms, any case, unique prefixes, surrounding whitespace).
//  - Float4/Float8: float4in/float8in (correctly rounded decimal, nan/inf spellings, denormals; hex floats are
//    refused). The parse of every kind pg_input_type_of names is common/pg_input's. Oid: decimal 0..4294967295. Enum:
//    an exact label. Bytea: byteain's hex (\x..) and escape forms.
//  - Jsonb: jsonb_in (common/jsonb_hash.h). Inet/Cidr: common/pg_inet.h.
// Returns false if the server would reject the text or pgload does not parse its form; hash_out is untouched then.
bool hash_text_value(const DistType& type, std::string_view text, int32_t& hash_out) noexcept;
// The same for kinds that need nothing beyond the kind (not Enum; timestamptz only with an explicit offset).
bool hash_text_value(DistKind kind, std::string_view text, int32_t& hash_out) noexcept;

// The parsed-value type (common/pg_input) whose PgInput hash_pg_input hashes for `kind`; nullopt for kinds hashed
// from their text only (oid, enum).
std::optional<PgType> pg_input_type_of(DistKind kind) noexcept;
// The hash of a value parsed once by parse_pg_input with the column type pg_input_type_of(kind) (varchar: Varchar
// too), the distribution column's typmod and TimeZone offset; false unless its status is Value.
bool hash_pg_input(DistKind kind, const PgInput& in, int32_t& hash_out) noexcept;

}  // namespace pgload
