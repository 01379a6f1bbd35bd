// One unit table (guc.c's memory units, in bytes) for sizes and rates; rates also match it case-insensitively and
// with pgmove's older spellings, so that a command line that worked keeps working (with 1024-based values).
#include "common/byte_size.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "common/text_trim.h"

namespace pgload {

namespace {

struct Unit {
  std::string_view name;
  int shift;  // bytes = number << shift
};

// PostgreSQL's memory units, exactly as postgresql.conf takes them.
constexpr std::array<Unit, 6> kPostgresUnits{{{"", 0}, {"B", 0}, {"kB", 10}, {"MB", 20}, {"GB", 30}, {"TB", 40}}};
// What rates take besides (compared in lower case).
constexpr std::array<Unit, 8> kRateAliases{
    {{"k", 10}, {"m", 20}, {"g", 30}, {"t", 40}, {"kib", 10}, {"mib", 20}, {"gib", 30}, {"tib", 40}}};

// 2^63 as a double: the first value that no longer fits in int64_t.
constexpr double kInt64Limit = 9223372036854775808.0;

std::optional<int> postgres_shift(std::string_view unit) {
  for (const Unit& u : kPostgresUnits)
    if (unit == u.name) return u.shift;
  return std::nullopt;
}

std::optional<int> rate_shift(std::string_view unit) {
  std::string lower(unit);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const Unit& u : kPostgresUnits) {
    std::string name(u.name);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == name) return u.shift;
  }
  for (const Unit& u : kRateAliases)
    if (lower == u.name) return u.shift;
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> parse_size_bytes(std::string_view text) {
  const std::string_view s = trim_space(text);
  int64_t number = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (ec != std::errc() || end == s.data() || number < 0) return std::nullopt;
  const std::string_view unit = trim_space(s.substr(static_cast<size_t>(end - s.data())));
  auto shift = postgres_shift(unit);
  if (!shift || number > (INT64_MAX >> *shift)) return std::nullopt;
  return number << *shift;
}

std::optional<double> parse_rate_bytes_per_s(std::string_view text) {
  std::string_view s = trim_space(text);
  if (s.size() >= 2 && s[s.size() - 2] == '/' && (s.back() == 's' || s.back() == 'S')) s.remove_suffix(2);
  // The number is what strtod reads, minus what strtod reads beyond plain decimals (hex, inf, nan).
  const std::string str(trim_space(s));
  if (str.empty() ||
      !(std::isdigit(static_cast<unsigned char>(str[0])) || str[0] == '.' || str[0] == '-' || str[0] == '+'))
    return std::nullopt;
  if (str.find_first_of("xX") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double number = std::strtod(str.c_str(), &end);
  if (end == str.c_str() || !std::isfinite(number)) return std::nullopt;
  auto shift = rate_shift(trim_space(std::string_view(end)));
  if (!shift) return std::nullopt;
  const double bytes = std::ldexp(number, *shift);
  if (!std::isfinite(bytes) || std::fabs(bytes) >= kInt64Limit) return std::nullopt;
  return bytes;
}

std::string format_size_bytes(uint64_t bytes) {
  // TB, GB, MB, kB: the first that keeps 10 or more of it; else bytes.
  for (size_t i = kPostgresUnits.size() - 1; i >= 2; --i) {
    const Unit& u = kPostgresUnits[i];
    if ((bytes >> u.shift) >= 10) {
      const uint64_t unit = uint64_t{1} << u.shift;
      return std::to_string((bytes + unit - 1) / unit) + std::string(u.name);
    }
  }
  return std::to_string(bytes) + "B";
}

}  // namespace pgload
