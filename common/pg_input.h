// One parse per value: PostgreSQL 15's input functions for the column types pgload knows, giving either the typed
// value the server would store, or the error its input function would raise, or "deferred" (a form the server may
// accept that is not decided here). The value check, the binary COPY encoder and the distribution hash all read the
// same PgInput, so a value is parsed once and the three can never disagree. Hot path: noexcept, no locale, no
// allocation beyond thread-local scratch that grows to the largest value seen.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/pg_array.h"
#include "common/pg_inet.h"
#include "common/pg_numeric.h"

namespace pgload {

// The column types pgload parses; everything else is Other (accepted unless it contains a NUL byte). A domain is
// parsed as its base type (the server checks its constraints).
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
  Enum,   // its labels in ColumnType::enum_type
  Array,  // array_in's form; the element's type is ColumnType::element
  Other
};

// One enum label and its pg_enum oid (hashenum hashes the oid, not the label).
struct EnumLabel {
  std::string label;
  uint32_t oid = 0;
};

// An enum type's labels, for enum_in's check and hashenum (the catalog reads them from pg_enum).
struct PgEnum {
  std::vector<EnumLabel> labels;  // sorted by the label's bytes
  std::string error;              // enum_in's message: `invalid input value for enum <type>`
  PgEnum(std::string type_name, std::vector<EnumLabel> labels_in_any_order);
  bool has(std::string_view label) const noexcept;
};

// A column's type as the parser needs it. max_chars is n of varchar(n)/char(n), -1 when unlimited.
// zone_offset_secs: for timestamptz and timetz, the fixed UTC offset of the workers' session TimeZone when it is known
// exactly (a value without an offset is read at it), else nullopt. typmod: numeric(p,s)'s, applied as numeric_in does.
// For an array the fields describe its element, as array_in hands the column's typmod to the element's input.
struct ColumnType {
  PgType type = PgType::Other;
  int32_t max_chars = -1;
  std::optional<int32_t> zone_offset_secs;
  int32_t typmod = -1;
  PgType element = PgType::Other;     // Array: the element's type (never Array)
  uint32_t element_oid = 0;           // Array: the element type's OID, which array_recv checks
  const PgEnum* enum_type = nullptr;  // Enum: the labels (owned by the catalog)
  // The element of an Array as a ColumnType of its own.
  ColumnType element_type() const noexcept {
    ColumnType e = *this;
    e.type = element;
    e.element = PgType::Other;
    e.element_oid = 0;
    return e;
  }
};

// Maps pg_attribute.atttypid / atttypmod of a built-in scalar type to a ColumnType (domains, arrays, enums and
// unknown OIDs give Other).
ColumnType column_type_for(uint32_t type_oid, int32_t typmod) noexcept;
// The same for a type the catalog resolved: `base_oid`/`typmod` after domains are followed down to their base;
// `element_oid` that base's element type when it is an array that array_in/array_recv read (else 0); `enum_type`
// the labels when the base is an enum. Other when the base or its element has no parser, and for an array whose
// element is not a built-in type (its OID differs between nodes, and array_recv checks it).
ColumnType column_type_for(uint32_t base_oid, int32_t typmod, uint32_t element_oid, const PgEnum* enum_type) noexcept;

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
    std::string_view bytes;  // text types, json, jsonb, enum: the text; bytea: the decoded bytes (thread-local
                             // scratch, valid until the next bytea parse on this thread)
    const PgArray* array;    // array: its elements' texts, not yet parsed (valid until the next array parse on this
                             // thread); each goes through parse_pg_input of the element type when it is encoded
  };
  PgInput() noexcept : f8(0) {}
};

// parse_pg_input's out-of-line part: every type.
PgInput parse_pg_input_any(const ColumnType& t, std::string_view text, bool nul_free) noexcept;

// Parses `text` as the input function of `t` would. Never throws. `nul_free`: the caller has checked that `text`
// holds no NUL byte (which no input function accepts), for a whole chunk at once. Inline for text without a NUL,
// which textin takes as it is: the commonest column costs no call.
// Inline too: the commonest integer, digits only (no sign or spaces) and too few of them to leave its type's range,
// which cost a call and most of a general parse.
inline PgInput parse_pg_input(const ColumnType& t, std::string_view text, bool nul_free = false) noexcept {
  if (t.type == PgType::Text && nul_free) {
    PgInput r;
    r.status = PgInput::Status::Value;
    r.bytes = text;
    return r;
  }
  if (t.type == PgType::Int2 || t.type == PgType::Int4 || t.type == PgType::Int8) {
    const size_t safe_digits = t.type == PgType::Int8 ? 18 : t.type == PgType::Int4 ? 9 : 4;
    if (!text.empty() && text.size() <= safe_digits) {
      uint64_t v = 0;
      bool digits = true;
      for (const char c : text) {
        const unsigned d = static_cast<unsigned char>(c) - unsigned{'0'};
        digits = digits && d <= 9;
        v = v * 10 + d;
      }
      if (digits) {
        PgInput r;
        r.status = PgInput::Status::Value;
        r.i = static_cast<int64_t>(v);
        return r;
      }
    }
  }
  return parse_pg_input_any(t, text, nul_free);
}

}  // namespace pgload
