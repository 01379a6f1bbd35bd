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

#include "common/byte_words.h"
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

namespace pg_input_detail {

// The value of n ASCII digits at p, 1 <= n <= 8, or -1 when a byte is not a digit; reads only those n bytes.
[[gnu::always_inline]] inline int64_t up_to_eight_digits(const char* p, size_t n) noexcept {
  const auto byte = [p](size_t i) { return uint64_t{static_cast<unsigned char>(p[i])}; };
  // Byte i of d is p[i], zero past n: from two 4-byte words that overlap where n < 8 (on equal bytes, which OR
  // keeps), or from single bytes.
  uint64_t d;
  if (n >= 4) {
    d = uint64_t{load_le32(p)} | uint64_t{load_le32(p + n - 4)} << (8 * (n - 4));
  } else {
    d = byte(0) | (n > 1 ? byte(1) << 8 : 0) | (n > 2 ? byte(2) << 16 : 0);
  }
  d ^= 0x3030303030303030 & (~uint64_t{0} >> (8 * (8 - n)));  // '0' in the digits' places
  if (bytes_above_9(d) != 0) return -1;
  d <<= 8 * (8 - n);                               // the last digit in the top byte, zero bytes as leading zeros
  d = (d * 10 + (d >> 8)) & 0x00FF00FF00FF00FF;    // 16-bit lanes of two digits (<= 99)
  d = (d * 100 + (d >> 16)) & 0x0000FFFF0000FFFF;  // 32-bit lanes of four digits (<= 9999)
  return static_cast<int64_t>((d * 10000 + (d >> 32)) & 0xFFFFFFFF);
}

// The value of n ASCII digits at p, 1 <= n <= 18 (below 10^18: no overflow), or -1 when a byte is not a digit.
[[gnu::always_inline]] inline int64_t plain_digits(const char* p, size_t n) noexcept {
  if (n <= 8) return up_to_eight_digits(p, n);
  const size_t first = (n - 1) % 8 + 1;  // the groups after it have 8 digits
  int64_t v = up_to_eight_digits(p, first);
  for (size_t at = first; at < n && v >= 0; at += 8) {
    const int64_t group = up_to_eight_digits(p + at, 8);
    v = group < 0 ? -1 : v * 100000000 + group;
  }
  return v;
}

}  // namespace pg_input_detail

// Parses `text` as the input function of `t` would. Never throws. `nul_free`: the caller has checked that `text`
// holds no NUL byte (which no input function accepts), for a whole chunk at once. Inline for text without a NUL,
// which textin takes as it is: the commonest column costs no call.
// Inline too: the commonest integer, digits only (no sign or spaces) and too few of them to leave its type's range,
// which cost a call and most of a general parse.
[[gnu::always_inline]] inline PgInput parse_pg_input(const ColumnType& t, std::string_view text,
                                                     bool nul_free = false) noexcept {
  if (t.type == PgType::Text && nul_free) {
    PgInput r;
    r.status = PgInput::Status::Value;
    r.bytes = text;
    return r;
  }
  if (t.type == PgType::Int2 || t.type == PgType::Int4 || t.type == PgType::Int8) {
    const size_t safe_digits = t.type == PgType::Int8 ? 18 : t.type == PgType::Int4 ? 9 : 4;
    if (!text.empty() && text.size() <= safe_digits) {
      const int64_t v = pg_input_detail::plain_digits(text.data(), text.size());
      if (v >= 0) {
        PgInput r;
        r.status = PgInput::Status::Value;
        r.i = v;
        return r;
      }
    }
  }
  return parse_pg_input_any(t, text, nul_free);
}

}  // namespace pgload
