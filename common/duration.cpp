// The unit table is PostgreSQL's for time GUCs (guc.c memory/time unit tables) minus "us": a lock wait below a
// millisecond cannot be set.
#include "common/duration.h"

#include <cctype>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>

namespace pgload {

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  std::string s(text);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  s.erase(0, start);
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.') ||
      s.find_first_of("xX") != std::string::npos)  // no hexadecimal
    return std::nullopt;
  char* end = nullptr;
  const double number = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || !std::isfinite(number)) return std::nullopt;
  std::string_view unit(end);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  double ms_per_unit = 0;
  if (unit.empty() || unit == "ms")
    ms_per_unit = 1;
  else if (unit == "s")
    ms_per_unit = 1000;
  else if (unit == "min")
    ms_per_unit = 60.0 * 1000;
  else if (unit == "h")
    ms_per_unit = 3600.0 * 1000;
  else if (unit == "d")
    ms_per_unit = 86400.0 * 1000;
  else
    return std::nullopt;
  const double ms = std::round(number * ms_per_unit);
  if (ms < 0 || ms > INT_MAX) return std::nullopt;
  return static_cast<int64_t>(ms);
}

}  // namespace pgload
