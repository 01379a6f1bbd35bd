// PostgreSQL 15's numeric_in (with the column's typmod applied as apply_typmod does), parsed once into the
// server's own form (base-10000 digits, weight, sign, display scale), from which hash_numeric's hash and
// numeric_send's bytes both come. The hash covers the digits without leading/trailing zeros, XORed with the first
// digit's weight, so 1.50 and 1.5 hash alike; zero hashes to -1 and NaN/±Infinity to 0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pgload {

struct PgNumeric {
  enum class Kind : uint8_t { Finite, NaN, PosInf, NegInf };
  Kind kind = Kind::Finite;
  bool negative = false;
  int16_t weight = 0;   // of digits[0], in base-10000 groups
  uint16_t dscale = 0;  // decimal digits shown after the point
  // Base-10000 digits, most significant first, without leading or trailing zero groups (empty for zero). Points
  // into thread-local scratch: valid until the next parse on this thread.
  std::basic_string_view<int16_t> digits;
};

// Parses `text` as numeric_in would for a column with `typmod` (-1: none); false where the server would reject it.
bool parse_pg_numeric(std::string_view text, int32_t typmod, PgNumeric& out) noexcept;

// hash_numeric of a parsed value.
int32_t hash_pg_numeric(const PgNumeric& value) noexcept;

// parse_pg_numeric + hash_pg_numeric.
bool hash_pg_numeric_text(std::string_view text, int32_t typmod, int32_t& hash_out) noexcept;

}  // namespace pgload
