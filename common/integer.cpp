// std::from_chars does the digits and reports overflow; this adds the sign and whitespace rules around it.
#include "common/integer.h"

#include <charconv>

#include "common/text_trim.h"

namespace pgload {

std::optional<int64_t> parse_int64(std::string_view text) {
  std::string_view s = trim_space(text);
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);  // from_chars takes '-' only
    if (!s.empty() && s.front() == '-') return std::nullopt;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace pgload
