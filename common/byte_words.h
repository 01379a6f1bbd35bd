// Bytes read as little-endian words (byte 0 in the low bits, on any host and at any alignment), and the
// word-at-a-time test of ASCII digits that the integer and timestamp parsers share.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace pgload {

inline uint32_t load_le32(const void* p) noexcept {
  uint32_t w;
  std::memcpy(&w, p, sizeof w);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap32(w);
  return w;
}

inline uint64_t load_le64(const void* p) noexcept {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

// After XOR with '0' in every digit place (a digit becomes its value, any other byte a value above 9): nonzero when
// some byte of `w` is above 9. +118 sets bit 7 of a byte from 10 to 127; a byte with bit 7 already set may carry
// into the next, which only adds to the refusal.
inline uint64_t bytes_above_9(uint64_t w) noexcept { return (w | (w + 0x7676767676767676)) & 0x8080808080808080; }

}  // namespace pgload
