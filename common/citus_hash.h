// PostgreSQL's hash functions for the distribution-column types Citus supports, bit for bit, so the loader can
// route a row to its shard without asking the server. Hot path: noexcept, no allocation, no locale.
// Assumes a little-endian server (hash_bytes reads words in host order; every supported platform is LE).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

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

// The distribution-column types the loader can hash itself.
enum class DistKind : uint8_t { Int2, Int4, Int8, Text, Bpchar, Uuid };

// int2 (21), int4 (23), int8 (20), text (25), varchar (1043) -> Text, bpchar (1042) -> Bpchar, uuid (2950);
// nullopt for any other type (the caller must then route through the server or refuse).
// Nondeterministic (ICU) collations hash differently; the caller checks the column's collation.
std::optional<DistKind> dist_kind_for_type(uint32_t type_oid) noexcept;

// Parses `text` exactly as the type's PostgreSQL 15 input function would and hashes the value:
//  - Int2/Int4/Int8: pg_strtoint16/32/64 — optional leading/trailing ASCII whitespace, one optional sign, decimal
//    digits only, range checked. (PostgreSQL 16 also accepts 0x/0o/0b prefixes and '_' separators; those are
//    rejected here, the safe direction: the row goes to the error path instead of a wrong shard.)
//  - Uuid: string_to_uuid — optional {braces}, 32 hex digits of either case, an optional '-' after any group of 4
//    digits, no whitespace.
//  - Text/Bpchar: any bytes without NUL. Encoding validity and varchar(n)/char(n) length limits are not checked
//    here (they need the database encoding and the column typmod).
// Returns false if the server would reject the text; hash_out is untouched then.
bool hash_text_value(DistKind kind, std::string_view text, int32_t& hash_out) noexcept;

// The parsers behind hash_text_value, for callers that need the value itself. Same acceptance rules.
bool parse_pg_int8(std::string_view text, int64_t& out) noexcept;
bool parse_pg_int4(std::string_view text, int32_t& out) noexcept;
bool parse_pg_int2(std::string_view text, int16_t& out) noexcept;
bool parse_pg_uuid(std::string_view text, uint8_t (&out)[16]) noexcept;

}  // namespace pgload
