// PostgreSQL 15's numeric_in (with the column's typmod applied as apply_typmod does) and hash_numeric, bit for
// bit: the hash covers the base-10000 digits without leading/trailing zeros, XORed with the first digit's weight,
// so 1.50 and 1.5 hash alike; zero hashes to -1 and NaN/±Infinity to 0.
#pragma once

#include <cstdint>
#include <string_view>

namespace pgload {

// Parses `text` as numeric_in would for a column with `typmod` (-1: no precision/scale), rounding half away from
// zero to the scale; false where the server would reject it (syntax, exponent beyond ±1000, precision overflow,
// an infinity in a column with a typmod, int16 weight/scale overflow). Thread-local scratch, otherwise no allocation.
bool hash_pg_numeric_text(std::string_view text, int32_t typmod, int32_t& hash_out) noexcept;

}  // namespace pgload
