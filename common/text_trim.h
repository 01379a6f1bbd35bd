// The whitespace rule the option parsers share: what PostgreSQL skips around a setting's value.
#pragma once

#include <string_view>

namespace pgload {

inline bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// `text` without leading and trailing whitespace.
inline std::string_view trim_space(std::string_view text) noexcept {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace pgload
