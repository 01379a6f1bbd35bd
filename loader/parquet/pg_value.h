// Parquet values into PostgreSQL's binary COPY fields, from their typed form: integers, floats, decimals, dates
// and times are converted arithmetically (never through text), checked against the column type, and refused with
// a reason when they cannot go into it exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "loader/parquet/metadata.h"
#include "loader/value_check.h"

namespace pgload::parquet {

// The column type (common/pg_input's) of a column that Parquet values can go into; nullopt for a type they cannot.
std::optional<ColumnType> target_for(uint32_t type_oid, int32_t typmod) noexcept;

// One non-null value of a leaf column, as ColumnValues holds it.
struct RawValue {
  int64_t i = 0;
  double r = 0;
  std::string_view b;
};

// What a converted value gives beyond its field: the text that routes a distribution value whose hash is not taken
// from the typed form (numeric), the typed integer for those that are, and a sort key.
struct Converted {
  int64_t integer = 0;     // Int2/4/8, Date (days since 2000), Time/Timestamp[tz] (microseconds)
  std::string_view bytes;  // Text, Json, Jsonb, Bytea, Uuid (16 bytes): the payload
  double real = 0;         // Float4/Float8
  bool boolean = false;
  std::string numeric_text;  // Numeric: the decimal as text (rounded to the column's scale)
};

// Appends the binary COPY field (length, then the type's send format) of `v` from `leaf` into a column of
// `target`. Returns nullptr, or why the value cannot go into the column (out leaves `out` partly written).
const char* append_pg_field(std::string& out, const LeafColumn& leaf, const ColumnType& target, const RawValue& v,
                            Converted& conv);

// Appends `v` of `leaf` as a JSON value, as PostgreSQL's to_jsonb shows the value of the type it maps to (numbers
// for integers, floats and decimals; strings for text, dates and times in ISO 8601, "\\x..." for binary; NaN and
// infinities as strings). Returns nullptr, or why it cannot.
const char* append_json_value(std::string& out, const LeafColumn& leaf, const RawValue& v);

// A JSON string literal of s (which must be valid UTF-8) appended to out.
void append_json_string(std::string& out, std::string_view s);

// The element type of a PostgreSQL array type a Parquet LIST can go into (bool[] .. timestamptz[]: the elements
// target_for knows), by their fixed oids; 0 for any other type.
uint32_t array_element_oid(uint32_t array_oid) noexcept;

// The name of a leaf's Parquet type for messages ("INT64", "STRING", "DECIMAL(10,2)", "TIMESTAMP(MICROS,UTC)").
std::string parquet_type_name(const LeafColumn& leaf);

}  // namespace pgload::parquet
