// 64-byte blocks as bit masks, one bit per byte: the byte-equality kernels and bit ranges that the CSV and the
// text tokenizer both classify their blocks with; and a byte count for the reader's line numbers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define PGLOAD_SIMD_X86 1
#else
#define PGLOAD_SIMD_X86 0
#endif

namespace pgload::simd {

// Bits [0, b) and [a, b) of a 64-bit mask, 0 <= a, b <= 64.
inline uint64_t bits_below(unsigned b) noexcept { return b >= 64 ? ~uint64_t{0} : (uint64_t{1} << b) - 1; }
inline uint64_t bit_range(unsigned a, unsigned b) noexcept { return bits_below(b) & ~bits_below(a); }

// Runs classify(p) on the 64 bytes at data + base (a final partial block from a zero-padded copy) and returns the
// mask of the bytes that exist, for the caller to cut its own masks with.
template <class Classify>
inline uint64_t classify_block(const char* data, size_t len, size_t base, Classify classify) noexcept {
  const size_t n = len - base;
  if (n >= 64) {
    classify(data + base);
    return ~uint64_t{0};
  }
  alignas(64) char buf[64] = {};
  std::memcpy(buf, data + base, n);
  classify(static_cast<const char*>(buf));
  return bits_below(static_cast<unsigned>(n));
}

#if PGLOAD_SIMD_X86
// Bit i set where byte i of the four 16-byte lanes equals c.
inline uint64_t eq16x4(const __m128i v[4], char c) noexcept {
  const __m128i s = _mm_set1_epi8(c);
  uint64_t r = 0;
  for (int i = 0; i < 4; ++i) r |= uint64_t(uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi8(v[i], s))) & 0xFFFFu) << (16 * i);
  return r;
}

// The same for two 32-byte halves (AVX2 callers only).
__attribute__((target("avx2"))) inline uint64_t eq32x2(__m256i lo, __m256i hi, char c) noexcept {
  const __m256i s = _mm256_set1_epi8(c);
  const auto l = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, s)));
  const auto h = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, s)));
  return uint64_t(l) | (uint64_t(h) << 32);
}
#endif

// How many bytes of [p, p + n) equal c: 16 at a time in byte counters (SSE2, every x86-64), which beat a memchr per
// hit (the reader counted each chunk's line ends that way: a call per line).
inline uint64_t count_byte(const char* p, size_t n, char c) noexcept {
  uint64_t count = 0;
  size_t i = 0;
#if PGLOAD_SIMD_X86
  const __m128i s = _mm_set1_epi8(c), zero = _mm_setzero_si128();
  while (n - i >= 16) {
    // A byte counter takes at most 255 blocks before it is summed into the total.
    const size_t blocks = std::min<size_t>((n - i) / 16, 255);
    __m128i counters = zero;
    for (size_t b = 0; b < blocks; ++b, i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      counters = _mm_sub_epi8(counters, _mm_cmpeq_epi8(v, s));  // a match is -1
    }
    const __m128i sums = _mm_sad_epu8(counters, zero);
    count += static_cast<uint64_t>(_mm_cvtsi128_si64(sums)) +
             static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
#endif
  for (; i < n; ++i) count += p[i] == c;
  return count;
}

}  // namespace pgload::simd
