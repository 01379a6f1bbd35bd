// Client-side validation of one text value against its PostgreSQL column type,
// so a bad row is reported with its line and column instead of aborting a whole
// COPY on the server. Mirrors PostgreSQL 15 input functions; where a form is
// too exotic to decide here it is accepted (the server still checks): never
// rejects what PG accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pgload {

// The column types the validator knows; everything else is Other (accepted
// unless it contains a NUL byte).
enum class PgType : uint8_t {
  Int2,
  Int4,
  Int8,
  Float4,
  Float8,
  Numeric,
  Bool,
  Text,
  Varchar,
  Bpchar,
  Uuid,
  Date,
  Timestamp,
  Timestamptz,
  Json,
  Jsonb,
  Other
};

// A column's type as the validator and the binary encoder need it. max_chars is
// n of varchar(n)/char(n), -1 when unlimited. zone_offset_secs: for
// timestamptz, the fixed UTC offset of the workers' session TimeZone when it is
// known exactly (a value without an offset is read at it), else nullopt.
struct ColumnType {
  PgType type = PgType::Other;
  int32_t max_chars = -1;
  std::optional<int32_t> zone_offset_secs;
};

// Maps pg_attribute.atttypid / atttypmod to a ColumnType (domains, arrays and
// unknown OIDs give Other).
ColumnType column_type_for(uint32_t type_oid, int32_t typmod) noexcept;

// nullptr if PostgreSQL would accept `text` as input for the type, else a short
// static reason such as "value out of range for type bigint" or "invalid input
// syntax for type integer". Lengths are not part of the static reason ("value
// too long for type character varying"): the caller knows the column's
// max_chars. Allocation-free; json/jsonb use a thread_local simdjson parser
// whose buffer grows to the largest value seen.
const char *check_value(const ColumnType &t, std::string_view text) noexcept;

// SQL spelling of the type without modifiers ("bigint", "character varying"),
// for messages and tests.
const char *pg_type_name(PgType type) noexcept;

}  // namespace pgload
