// One hexadecimal digit's value, for every decoder of hex text (bytea, uuid, macaddr, inet, JSON's \uXXXX, COPY's
// \xHH, %XX in file URLs).
#pragma once

namespace pgload {

// 0-15 for 0-9, a-f, A-F; -1 for any other byte.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace pgload
