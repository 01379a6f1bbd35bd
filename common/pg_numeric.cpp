// numeric_in's grammar (set_var_from_str of PostgreSQL 15: [ws][sign]digits[.digits][e[sign]digits][ws], NaN,
// [sign]Infinity), apply_typmod's round-and-check and hash_numeric's digit hash.
#include "common/pg_numeric.h"

#include <string>

#include "common/citus_hash.h"

namespace pgload {
namespace {

constexpr int kMaxExponent = 1000;  // NUMERIC_MAX_PRECISION
constexpr int kMaxDscale = 0x3FFF;  // NUMERIC_DSCALE_MASK
constexpr int kMaxWeight = 32767;
constexpr int kMinWeight = -32768;

inline bool is_space(char ch) noexcept {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}
inline bool is_digit(char ch) noexcept { return ch >= '0' && ch <= '9'; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char ch = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (ch != b[i]) return false;
  }
  return true;
}

// Floor division by 4 (base-10000 group of a decimal exponent).
inline int floor_div4(int e) noexcept { return e >= 0 ? e / 4 : -((-e + 3) / 4); }

}  // namespace

bool parse_pg_numeric(std::string_view text, int32_t typmod, PgNumeric& out) noexcept {
  out = PgNumeric{};
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (iequals(text, "nan")) {
    out.kind = PgNumeric::Kind::NaN;
    return true;
  }
  if (iequals(text, "infinity") || iequals(text, "+infinity") || iequals(text, "-infinity")) {
    if (typmod >= 4) return false;  // "numeric field overflow": a typmod'd column cannot hold an infinity
    out.kind = text[0] == '-' ? PgNumeric::Kind::NegInf : PgNumeric::Kind::PosInf;
    return true;
  }
  size_t i = 0;
  const size_t n = text.size();
  if (i < n && (text[i] == '+' || text[i] == '-')) out.negative = text[i++] == '-';
  // Significant digits (leading zeros dropped) into scratch; first_exp = decimal exponent of scratch[0].
  thread_local std::string digits;
  digits.clear();
  int frac_digits = 0;
  int zeros_skipped_after_point = 0;
  bool any_digit = false;
  for (; i < n && is_digit(text[i]); ++i) {
    any_digit = true;
    if (digits.empty() && text[i] == '0') continue;
    digits.push_back(text[i]);
  }
  const int int_significant = static_cast<int>(digits.size());
  if (i < n && text[i] == '.') {
    ++i;
    for (; i < n && is_digit(text[i]); ++i) {
      any_digit = true;
      ++frac_digits;
      if (digits.empty() && text[i] == '0') {
        ++zeros_skipped_after_point;
        continue;
      }
      digits.push_back(text[i]);
    }
  }
  if (!any_digit) return false;
  int exponent = 0;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    if (i >= n || !is_digit(text[i])) return false;
    long e = 0;
    for (; i < n && is_digit(text[i]); ++i) {
      e = e * 10 + (text[i] - '0');
      if (e > kMaxExponent) return false;
    }
    exponent = negative ? static_cast<int>(-e) : static_cast<int>(e);
  }
  if (i != n) return false;
  int dscale = frac_digits - exponent;
  if (dscale < 0) dscale = 0;
  // Exponent of the first significant digit.
  int first_exp = int_significant > 0 ? int_significant - 1 + exponent : -1 - zeros_skipped_after_point + exponent;
  while (!digits.empty() && digits.back() == '0') digits.pop_back();

  if (typmod >= 4) {
    const int precision = ((typmod - 4) >> 16) & 0xffff;
    const int scale = (((typmod - 4) & 0x7ff) ^ 1024) - 1024;
    const int keep = first_exp + scale + 1;  // significant digits at or above 10^-scale
    if (!digits.empty() && keep < static_cast<int>(digits.size())) {
      const bool round_up = keep >= 0 && digits[keep] >= '5';
      digits.resize(keep < 0 ? 0 : keep);
      if (round_up) {
        int k = keep - 1;
        while (k >= 0 && digits[k] == '9') digits[k--] = '0';
        if (k >= 0) {
          ++digits[k];
        } else {
          digits.insert(digits.begin(), '1');
          ++first_exp;
        }
      }
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
    }
    dscale = scale < 0 ? 0 : scale;
    if (!digits.empty() && first_exp + 1 > precision - scale) return false;  // numeric field overflow
  }
  if (dscale > kMaxDscale) return false;
  out.dscale = static_cast<uint16_t>(dscale);
  if (digits.empty()) {
    out.negative = false;  // make_result: zero is never negative
    return true;
  }
  const int weight = floor_div4(first_exp);
  if (weight > kMaxWeight || weight < kMinWeight) return false;
  out.weight = static_cast<int16_t>(weight);
  const int last_exp = first_exp - static_cast<int>(digits.size()) + 1;
  const int groups = weight - floor_div4(last_exp) + 1;
  thread_local std::basic_string<int16_t> base10000;
  base10000.assign(static_cast<size_t>(groups), 0);
  for (size_t k = 0; k < digits.size(); ++k) {
    const int e = first_exp - static_cast<int>(k);
    static constexpr int kPow[4] = {1, 10, 100, 1000};
    int16_t& group = base10000[static_cast<size_t>(weight - floor_div4(e))];
    group = static_cast<int16_t>(group + (digits[k] - '0') * kPow[e - 4 * floor_div4(e)]);
  }
  out.digits = base10000;
  return true;
}

int32_t hash_pg_numeric(const PgNumeric& value) noexcept {
  if (value.kind != PgNumeric::Kind::Finite) return 0;
  if (value.digits.empty()) return -1;
  // hash_any over the NumericDigit array as the server holds it: int16, little-endian.
  thread_local std::string bytes;
  bytes.resize(value.digits.size() * 2);
  for (size_t k = 0; k < value.digits.size(); ++k) {
    bytes[2 * k] = static_cast<char>(value.digits[k] & 0xff);
    bytes[2 * k + 1] = static_cast<char>((value.digits[k] >> 8) & 0xff);
  }
  return static_cast<int32_t>(hash_bytes(bytes.data(), bytes.size()) ^ static_cast<uint32_t>(value.weight));
}

bool hash_pg_numeric_text(std::string_view text, int32_t typmod, int32_t& hash_out) noexcept {
  PgNumeric value;
  if (!parse_pg_numeric(text, typmod, value)) return false;
  hash_out = hash_pg_numeric(value);
  return true;
}

}  // namespace pgload
