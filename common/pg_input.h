// One parse per value: PostgreSQL 15's input functions for the column types pgload knows, giving either the typed
// value the server would store, or the error its input function would raise, or "deferred" (a form the server may
// accept that is not decided here). The value check, the binary COPY encoder and the distribution hash all read the
// same PgInput, so a value is parsed once and the three can never disagree. Hot path: noexcept, no locale, no
// allocation beyond thread-local scratch that grows to the largest value seen.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/pg_inet.h"
#include "common/pg_numeric.h"

namespace pgload {

// The column types pgload parses; everything else is Other (accepted unless it contains a NUL byte).
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
  Time,
  Bytea,
  Json,
  Jsonb,
  Timetz,
  Interval,
  Inet,
  Cidr,
  Macaddr,
  Other
};

// A column's type as the parser needs it. max_chars is n of varchar(n)/char(n), -1 when unlimited.
// zone_offset_secs: for timestamptz and timetz, the fixed UTC offset of the workers' session TimeZone when it is known
// exactly (a value without an offset is read at it), else nullopt. typmod: numeric(p,s)'s, applied as numeric_in does.
struct ColumnType {
  PgType type = PgType::Other;
  int32_t max_chars = -1;
  std::optional<int32_t> zone_offset_secs;
  int32_t typmod = -1;
};

// Maps pg_attribute.atttypid / atttypmod to a ColumnType (domains, arrays and unknown OIDs give Other).
ColumnType column_type_for(uint32_t type_oid, int32_t typmod) noexcept;

// SQL spelling of the type without modifiers ("bigint", "character varying"), for messages and tests.
const char* pg_type_name(PgType type) noexcept;

// The result of parsing one text value. Only the member of the column's type is set, and only for Value. Kept
// small (a union; 64 bytes, trivially copyable): it is made for every value of every row.
struct PgInput {
  enum class Status : uint8_t {
    Value,     // parsed: the member below is what the server's input function would store
    Deferred,  // accepted here, but not decided or not converted (PG16 integer forms, zone names, hex floats ...)
    Error,     // the server rejects it: `error` is its message, `error_offset` the byte of `text` it was found at
  };
  Status status = Status::Deferred;
  // float4/float8 only: the value is exact, but the server's strtod would keep a NaN payload or sign that the
  // send format must not guess ("nan(1)", "-nan"): hash it, do not binary-encode it.
  bool send_as_text = false;
  uint32_t error_offset = 0;
  const char* error = nullptr;  // static message, e.g. "invalid input syntax for type integer"
  int64_t i = 0;     // int2/int4/int8; date: days since 2000-01-01; time, timetz: usecs since midnight; timestamp[tz]:
                     // usecs since 2000-01-01 (UTC for timestamptz); infinities as INT32/INT64 min and max; interval:
                     // its microseconds
  int32_t zone = 0;  // timetz: seconds west of UTC
  int32_t days = 0;  // interval
  int32_t months = 0;  // interval
  union {
    double f8;
    float f4;
    bool b;
    uint8_t uuid[16];
    PgNumeric numeric;       // digits in thread-local scratch: valid until the next numeric parse on this thread
    PgInet inet;             // inet, cidr; macaddr: the 6 bytes in inet.addr
    std::string_view bytes;  // text types, json, jsonb: the text; bytea: the decoded bytes (thread-local scratch,
                             // valid until the next bytea parse on this thread)
  };
  PgInput() noexcept : f8(0) {}
};

// Parses `text` as the input function of `t` would. Never throws. `nul_free`: the caller has checked that `text`
// holds no NUL byte (which no input function accepts), for a whole chunk at once.
PgInput parse_pg_input(const ColumnType& t, std::string_view text, bool nul_free = false) noexcept;

}  // namespace pgload
