// CSV tokenizer for PostgreSQL COPY (FORMAT csv) semantics: a generic 64-byte-block SIMD kernel (quote parity by
// prefix XOR, then iteration over structural bits) instantiated for AVX2 and SSE2, and the scalar oracle. The
// scalar code follows copyfromparse.c (CopyReadLineText for record ends, CopyReadAttributesCSV for fields).
#include "loader/csv_tokenizer.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "loader/simd_bytes.h"

namespace pgload {

namespace {

constexpr unsigned char kBom[3] = {0xEF, 0xBB, 0xBF};

size_t bom_length(const char* data, size_t len, bool at_stream_start) noexcept {
  if (at_stream_start && len >= 3 && std::memcmp(data, kBom, 3) == 0) return 3;
  return 0;
}

// The server's line reader ends COPY at a line starting with `\.` followed by CR, LF (or, for pgload's forwarded
// record + '\n', the record's end), even inside a quoted section (QUOTE '\\' or '.').
bool is_end_of_data_marker(const char* data, size_t begin, size_t end) noexcept {
  return end - begin >= 2 && data[begin] == '\\' && data[begin + 1] == '.' &&
         (end - begin == 2 || data[begin + 2] == '\n' || data[begin + 2] == '\r');
}

// Records are appended through this so the scalar and SIMD paths finish records identically.
void finish_record(const char* data, CsvChunk& out, size_t begin, size_t end, uint32_t first_field, uint32_t newlines,
                   CsvRecordError error, size_t error_offset) noexcept {
  if (error == CsvRecordError::None && is_end_of_data_marker(data, begin, end)) {
    error = CsvRecordError::EndOfDataMarker;
    error_offset = begin;
  }
  out.records.push_back(CsvRecord{static_cast<uint32_t>(begin), static_cast<uint32_t>(end), first_field,
                                  static_cast<uint32_t>(out.fields.size()) - first_field, newlines,
                                  static_cast<uint32_t>(error_offset), error});
}

// The SIMD kernel handles the common dialect only: ESCAPE = QUOTE (so quote parity decides "inside quotes") and no
// option equal to '\n' or '\r'. Everything else takes the scalar path.
bool simd_dialect(const CsvDialect& d) noexcept { return d.escape == d.quote && csv_dialect_error(d) == nullptr; }

#if PGLOAD_SIMD_X86

// One 64-byte block, one bit per byte.
struct BlockMasks {
  uint64_t quote, delimiter, newline, carriage_return;
};

struct Sse2 {
  static void classify(const char* p, const CsvDialect& d, BlockMasks& m) noexcept {
    __m128i v[4];
    for (ptrdiff_t i = 0; i < 4; ++i) v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    m.quote = simd::eq16x4(v, d.quote);
    m.delimiter = simd::eq16x4(v, d.delimiter);
    m.newline = simd::eq16x4(v, '\n');
    m.carriage_return = simd::eq16x4(v, '\r');
  }
  // Bit i = XOR of bits 0..i: 1 where the byte is inside a quoted section (opening quote included).
  static uint64_t prefix_xor(uint64_t x) noexcept {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
  }
};

struct Avx2 {
  __attribute__((target("avx2"))) static void classify(const char* p, const CsvDialect& d, BlockMasks& m) noexcept {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    m.quote = simd::eq32x2(lo, hi, d.quote);
    m.delimiter = simd::eq32x2(lo, hi, d.delimiter);
    m.newline = simd::eq32x2(lo, hi, '\n');
    m.carriage_return = simd::eq32x2(lo, hi, '\r');
  }
  // Carry-less multiply by all ones = prefix XOR.
  __attribute__((target("pclmul"))) static uint64_t prefix_xor(uint64_t x) noexcept {
    const __m128i r = _mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<long long>(x)), _mm_set1_epi8(char(0xFF)), 0);
    return static_cast<uint64_t>(_mm_cvtsi128_si64(r));
  }
};

// Loads the block at data+base; a final partial block is copied into a padded buffer and its masks cut to n bytes.
template <class Isa>
inline void load_block(const char* data, size_t len, size_t base, const CsvDialect& d, BlockMasks& m) noexcept {
  const uint64_t valid = simd::classify_block(data, len, base, [&](const char* p) { Isa::classify(p, d, m); });
  m.quote &= valid;
  m.delimiter &= valid;
  m.newline &= valid;
  m.carriage_return &= valid;
}

// Generic tokenizer kernel. Per block: structural = (delimiter | '\n' | '\r') outside quotes; walking their bits in
// order emits fields and records. A field is `quoted` iff a quote byte lies in it (its first quote always opens a
// section, so this equals PostgreSQL's saw_quote). '\n' bytes inside quotes are counted per record.
template <class Isa>
void tokenize_kernel(const char* data, size_t len, const CsvDialect& d, bool at_eof, CsvChunk& out,
                     size_t start) noexcept {
  uint64_t inquote_carry = 0;
  size_t record_begin = start, field_begin = start;
  uint32_t record_first_field = 0, record_newlines = 0;
  bool field_quote_before_block = false;  // a quote of the current field lies in an earlier block
  CsvRecordError error = CsvRecordError::None;
  size_t error_offset = 0;

  for (size_t base = start; base < len; base += 64) {
    BlockMasks m;
    load_block<Isa>(data, len, base, d, m);
    const uint64_t inquote = Isa::prefix_xor(m.quote) ^ inquote_carry;
    inquote_carry = static_cast<uint64_t>(static_cast<int64_t>(inquote) >> 63);
    uint64_t structural = (m.delimiter | m.newline | m.carriage_return) & ~inquote;
    const uint64_t quoted_newlines = m.newline & inquote;
    // Bit indexes (0..64) in this block where the current field / record started; 0 if in an earlier block.
    unsigned field_start_bit = field_begin > base ? static_cast<unsigned>(field_begin - base) : 0;
    unsigned record_start_bit = record_begin > base ? static_cast<unsigned>(record_begin - base) : 0;

    while (structural) {
      const auto bit = static_cast<unsigned>(__builtin_ctzll(structural));
      structural &= structural - 1;
      const size_t pos = base + bit;
      const char c = data[pos];
      if (c == '\r') {
        if ((pos + 1 >= len || data[pos + 1] != '\n') && error == CsvRecordError::None) {
          error = CsvRecordError::CarriageReturn;
          error_offset = pos;
        }
        continue;
      }
      // Most blocks hold no quote: then no field in them is quoted unless an earlier block opened it.
      const bool quoted =
          field_quote_before_block || (m.quote != 0 && (m.quote & simd::bit_range(field_start_bit, bit)) != 0);
      if (c == d.delimiter) {
        out.fields.push_back(CsvField{static_cast<uint32_t>(field_begin), static_cast<uint32_t>(pos), quoted});
      } else {  // '\n' outside quotes: end of record; a CR right before it is part of the terminator
        const size_t end = (pos > record_begin && data[pos - 1] == '\r') ? pos - 1 : pos;
        out.fields.push_back(CsvField{static_cast<uint32_t>(field_begin), static_cast<uint32_t>(end), quoted});
        if (quoted_newlines)
          record_newlines +=
              static_cast<uint32_t>(__builtin_popcountll(quoted_newlines & simd::bit_range(record_start_bit, bit)));
        finish_record(data, out, record_begin, end, record_first_field, record_newlines, error, error_offset);
        record_begin = pos + 1;
        record_start_bit = bit + 1;
        record_first_field = static_cast<uint32_t>(out.fields.size());
        record_newlines = 0;
        error = CsvRecordError::None;
      }
      field_begin = pos + 1;
      field_start_bit = bit + 1;
      field_quote_before_block = false;
    }
    if (m.quote & simd::bit_range(field_start_bit, 64)) field_quote_before_block = true;
    if (quoted_newlines)
      record_newlines +=
          static_cast<uint32_t>(__builtin_popcountll(quoted_newlines & simd::bit_range(record_start_bit, 64)));
  }

  if (record_begin >= len) {
    out.consumed = len;
    return;
  }
  if (!at_eof) {  // contract breach: the tail is not a whole record; leave it to the caller
    out.fields.resize(record_first_field);
    out.consumed = record_begin;
    return;
  }
  out.fields.push_back(
      CsvField{static_cast<uint32_t>(field_begin), static_cast<uint32_t>(len), field_quote_before_block});
  if (inquote_carry && error == CsvRecordError::None) {
    // Find the quote that opened the unterminated section (parity walk over this record only, once per stream).
    bool inside = false;
    for (size_t i = record_begin; i < len; ++i) {
      if (data[i] == d.quote) {
        inside = !inside;
        if (inside) error_offset = i;
      }
    }
    error = CsvRecordError::UnterminatedQuote;
  }
  finish_record(data, out, record_begin, len, record_first_field, record_newlines, error, error_offset);
  out.consumed = len;
}

// Per-ISA entry points: flatten pulls the generic kernel and the ISA helpers into one function compiled for the ISA.
__attribute__((flatten)) void tokenize_sse2(const char* data, size_t len, const CsvDialect& d, bool at_eof,
                                            CsvChunk& out, size_t start) noexcept {
  tokenize_kernel<Sse2>(data, len, d, at_eof, out, start);
}
__attribute__((target("avx2,pclmul,bmi,popcnt"), flatten)) void tokenize_avx2(const char* data, size_t len,
                                                                              const CsvDialect& d, bool at_eof,
                                                                              CsvChunk& out, size_t start) noexcept {
  tokenize_kernel<Avx2>(data, len, d, at_eof, out, start);
}
bool cpu_has_avx2() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("bmi") &&
         __builtin_cpu_supports("popcnt");
}

#endif  // PGLOAD_SIMD_X86

}  // namespace

const char* csv_dialect_error(const CsvDialect& d) noexcept {
  auto special = [](char c) { return c == '\n' || c == '\r' || c == '\0'; };
  if (special(d.delimiter)) return "CSV delimiter cannot be newline, carriage return or NUL";
  if (special(d.quote)) return "CSV quote cannot be newline, carriage return or NUL";
  if (special(d.escape)) return "CSV escape cannot be newline, carriage return or NUL";
  if (d.delimiter == d.quote) return "CSV delimiter and quote must be different";
  return nullptr;
}

void tokenize_csv_scalar(const char* data, size_t len, const CsvDialect& d, bool at_eof, CsvChunk& out,
                         bool at_stream_start) noexcept {
  out.records.clear();
  out.fields.clear();
  const bool distinct_escape = d.escape != d.quote;
  size_t pos = bom_length(data, len, at_stream_start);
  out.consumed = pos;
  enum class State : uint8_t { Unquoted, Quoted, QuotedAfterEscape };

  while (pos < len) {
    const size_t record_begin = pos;
    const auto first_field = static_cast<uint32_t>(out.fields.size());
    size_t field_begin = pos, open_quote = 0, error_offset = 0, record_end = len, next = len;
    bool field_quoted = false, terminated = false;
    uint32_t newlines = 0;
    CsvRecordError error = CsvRecordError::None;
    State state = State::Unquoted;

    for (size_t i = pos; i < len; ++i) {
      const char c = data[i];
      if (state == State::Unquoted) {
        if (c == d.delimiter) {
          out.fields.push_back(CsvField{static_cast<uint32_t>(field_begin), static_cast<uint32_t>(i), field_quoted});
          field_begin = i + 1;
          field_quoted = false;
        } else if (c == d.quote) {
          state = State::Quoted;
          field_quoted = true;
          open_quote = i;
        } else if (c == '\n') {
          record_end = (i > record_begin && data[i - 1] == '\r') ? i - 1 : i;
          next = i + 1;
          terminated = true;
          break;
        } else if (c == '\r') {
          if ((i + 1 >= len || data[i + 1] != '\n') && error == CsvRecordError::None) {
            error = CsvRecordError::CarriageReturn;
            error_offset = i;
          }
        }
      } else if (state == State::Quoted) {
        if (distinct_escape && c == d.escape)
          state = State::QuotedAfterEscape;
        else if (c == d.quote)
          state = State::Unquoted;
        else if (c == '\n')
          ++newlines;
      } else {  // QuotedAfterEscape: an escaped quote/escape stays data; anything else is plain quoted data
        state = State::Quoted;
        if (c == '\n') ++newlines;
      }
    }

    if (!terminated && !at_eof) {  // contract breach: leave the partial record to the caller
      out.fields.resize(first_field);
      out.consumed = record_begin;
      return;
    }
    out.fields.push_back(CsvField{static_cast<uint32_t>(field_begin), static_cast<uint32_t>(record_end), field_quoted});
    if (!terminated && state != State::Unquoted && error == CsvRecordError::None) {
      error = CsvRecordError::UnterminatedQuote;
      error_offset = open_quote;
    }
    finish_record(data, out, record_begin, record_end, first_field, newlines, error, error_offset);
    pos = next;
    out.consumed = next;
  }
}

bool csv_kernel_supported(CsvKernel k) noexcept {
#if PGLOAD_SIMD_X86
  static const bool avx2 = cpu_has_avx2();
  return k != CsvKernel::Avx2 || avx2;
#else
  return k == CsvKernel::Scalar;
#endif
}

CsvKernel csv_best_kernel() noexcept {
  if (csv_kernel_supported(CsvKernel::Avx2)) return CsvKernel::Avx2;
  if (csv_kernel_supported(CsvKernel::Sse2)) return CsvKernel::Sse2;
  return CsvKernel::Scalar;
}

const char* csv_kernel_name(CsvKernel k) noexcept {
  switch (k) {
    case CsvKernel::Scalar:
      return "scalar";
    case CsvKernel::Sse2:
      return "sse2";
    case CsvKernel::Avx2:
      return "avx2";
  }
  return "?";
}

void tokenize_csv_with(CsvKernel k, const char* data, size_t len, const CsvDialect& d, bool at_eof, CsvChunk& out,
                       bool at_stream_start) noexcept {
#if PGLOAD_SIMD_X86
  if (k != CsvKernel::Scalar && simd_dialect(d) && csv_kernel_supported(k)) {
    out.records.clear();
    out.fields.clear();
    const size_t start = bom_length(data, len, at_stream_start);
    if (k == CsvKernel::Avx2)
      tokenize_avx2(data, len, d, at_eof, out, start);
    else
      tokenize_sse2(data, len, d, at_eof, out, start);
    return;
  }
#else
  (void)k;
#endif
  tokenize_csv_scalar(data, len, d, at_eof, out, at_stream_start);
}

void tokenize_csv(const char* data, size_t len, const CsvDialect& d, bool at_eof, CsvChunk& out,
                  bool at_stream_start) noexcept {
  static const CsvKernel kernel = csv_best_kernel();
  tokenize_csv_with(kernel, data, len, d, at_eof, out, at_stream_start);
}

namespace {

// Copies p[i, n) up to the next `quote` to out + o, advancing both; true when it stopped at a quote. 16 bytes at a
// time where SSE2 is there (`out` needs 16 bytes of slack past what it receives): the runs between a JSON field's
// doubled quotes are short, and a memchr + memcpy per run cost more than the copy.
bool copy_to_quote(const char* p, size_t n, size_t& i, char* out, size_t& o, char quote) noexcept {
#if PGLOAD_SIMD_X86
  const __m128i q = _mm_set1_epi8(quote);
  for (; i + 16 <= n; i += 16, o += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + o), v);
    if (const auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, q)))) {
      const auto k = static_cast<size_t>(__builtin_ctz(m));
      i += k;
      o += k;
      return true;
    }
  }
#endif
  while (i < n && p[i] != quote) out[o++] = p[i++];
  return i < n;
}

#if PGLOAD_SIMD_X86
// kCompact8[k]: the positions of k's set bits in order, then 0x80 (which pshufb turns into 0): the shuffle that
// packs the bytes k keeps of 8 to the front.
constexpr std::array<std::array<uint8_t, 16>, 256> make_compact8() noexcept {
  std::array<std::array<uint8_t, 16>, 256> t{};
  for (unsigned k = 0; k < 256; ++k) {
    unsigned o = 0;
    for (unsigned b = 0; b < 8; ++b)
      if ((k >> b) & 1) t[k][o++] = static_cast<uint8_t>(b);
    while (o < 16) t[k][o++] = 0x80;
  }
  return t;
}
alignas(16) constexpr std::array<std::array<uint8_t, 16>, 256> kCompact8 = make_compact8();

bool cpu_has_ssse3() noexcept { return __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("popcnt"); }

// Writes the bytes of `bytes` at offset + 0..7 that `k` keeps to `to` (16 bytes writable), packed; returns how many.
__attribute__((target("ssse3,popcnt"), always_inline)) inline size_t pack8(__m128i bytes, unsigned k, __m128i offset,
                                                                           char* to) noexcept {
  const __m128i shuffle = _mm_load_si128(reinterpret_cast<const __m128i*>(kCompact8[k].data()));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(to), _mm_shuffle_epi8(bytes, _mm_add_epi8(shuffle, offset)));
  return static_cast<size_t>(__builtin_popcount(k));
}

// The inside [p, p+n) of a field quoted whole (ESCAPE = QUOTE): when every run of quotes in it has even length,
// the field is one quoted section and its value is these bytes with every second quote of each run dropped.
// Writes that value to `out` (16 bytes of slack) and returns its length; kNotDoubled when a run has odd length
// (a section closes inside the field: the general path decides). 64 bytes at a time: the quotes to drop found by
// bit arithmetic on the block's quote mask, the rest packed 8 bytes per shuffle. A JSON field has a doubled quote
// every few bytes, and a copy per quote cost more than the rest of its de-quoting.
constexpr size_t kNotDoubled = ~size_t{0};
__attribute__((target("ssse3,popcnt"))) size_t undouble_quotes(const char* p, size_t n, char quote,
                                                               char* out) noexcept {
  constexpr uint64_t kEven = 0x5555555555555555, kOdd = ~kEven;
  size_t i = 0, o = 0;
  while (i < n) {
    auto len = static_cast<unsigned>(std::min<size_t>(64, n - i));
    const char* b = p + i;
    // The lanes of the block before `from` are not its bytes. A short last block is read as the field's last 64
    // bytes (the lanes before it are the previous block's, whose last byte is never a quote), or from a zero-padded
    // copy when the whole field is shorter: a copy's narrow stores stall the wide loads that read them back.
    unsigned from = 0;
    alignas(16) char tail[64];
    if (len < 64 && n >= 64) {
      from = 64 - len;
      b -= from;
    } else if (len < 64) {
      std::memset(tail, 0, sizeof tail);
      std::memcpy(tail, b, len);
      b = tail;
    }
    len += from;
    __m128i v[4];
    for (size_t k = 0; k < 4; ++k) v[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * k));
    uint64_t m = simd::eq16x4(v, quote) & simd::bit_range(from, len);
    // A run of quotes that reaches the end of a block which is not the last may go on in the next: stop the block
    // before the run, which the next block then starts with.
    if (i + len < n && (m >> 63) != 0) {
      if (~m == 0) return kNotDoubled;  // 64 quotes in a row: rare enough for the general path
      len = static_cast<unsigned>(64 - __builtin_clzll(~m));
      m &= simd::bits_below(len);
    }
    // Runs starting at an even position are those an add of their first quote clears; each run keeps its 1st,
    // 3rd, ... quotes, and has even length when its last quote is a 2nd, 4th, ...
    const uint64_t starts = m & ~(m << 1);
    const uint64_t even_runs = m & ~(m + (starts & kEven));
    const uint64_t odd_runs = m & ~even_runs;
    const uint64_t ends = m & ~(m >> 1);
    if (((ends & even_runs & kEven) | (ends & odd_runs & kOdd)) != 0) return kNotDoubled;
    const uint64_t keep = ~((even_runs & kOdd) | (odd_runs & kEven)) & simd::bit_range(from, len);
    const __m128i eight = _mm_set1_epi8(8);
    for (unsigned r = from / 16; r < 4 && 16 * r < len; ++r) {
      o += pack8(v[r], (keep >> (16 * r)) & 0xFF, _mm_setzero_si128(), out + o);
      o += pack8(v[r], (keep >> (16 * r + 8)) & 0xFF, eight, out + o);
    }
    i += len - from;
  }
  return o;
}
#endif

}  // namespace

std::string_view csv_quoted_field_value_scalar(const char* data, const CsvField& f, const CsvDialect& d,
                                               std::string& scratch) noexcept {
  const char* p = data + f.begin;
  const size_t n = f.end - f.begin;
  // Common case "...": one quoted section spanning the field with nothing escaped inside.
  if (n >= 2 && p[0] == d.quote && p[n - 1] == d.quote) {
    const char* inner = p + 1;
    const size_t inner_len = n - 2;
    if (std::memchr(inner, d.quote, inner_len) == nullptr && std::memchr(inner, d.escape, inner_len) == nullptr)
      return {inner, inner_len};
  }
  // General case, as CopyReadAttributesCSV: quoted sections may start anywhere; inside one, ESCAPE followed by
  // ESCAPE or QUOTE yields that character, and QUOTE ends the section. Written through a raw pointer, runs without a
  // quote copied whole.
  // Only grown, never shrunk: the value is a view of its first o bytes (a resize per value zero-filled the tail).
  if (scratch.size() < n + 16) scratch.resize(n + 16);
  char* out = scratch.data();
  size_t o = 0;
  bool in_quote = false;
  for (size_t i = 0; i < n;) {
    if (!in_quote || d.escape == d.quote) {
      // Up to the next quote, which opens a section, or (inside one) is an escape or its end.
      if (!copy_to_quote(p, n, i, out, o, d.quote)) break;
      ++i;  // the quote
      if (!in_quote) {
        in_quote = true;
      } else if (i < n && p[i] == d.quote) {
        out[o++] = p[i++];  // a doubled quote
      } else {
        in_quote = false;
      }
      continue;
    }
    const char c = p[i++];
    if (c == d.escape && i < n && (p[i] == d.escape || p[i] == d.quote)) {
      out[o++] = p[i++];
    } else if (c == d.quote) {
      in_quote = false;
    } else {
      out[o++] = c;
    }
  }
  return {out, o};
}

std::string_view csv_quoted_field_value(const char* data, const CsvField& f, const CsvDialect& d,
                                        std::string& scratch) noexcept {
#if PGLOAD_SIMD_X86
  const char* p = data + f.begin;
  const size_t n = f.end - f.begin;
  static const bool ssse3 = cpu_has_ssse3();
  if (ssse3 && d.escape == d.quote && n >= 2 && p[0] == d.quote && p[n - 1] == d.quote) {
    if (scratch.size() < n + 16) scratch.resize(n + 16);
    const size_t o = undouble_quotes(p + 1, n - 2, d.quote, scratch.data());
    // Nothing dropped: the inside itself is the value, no copy needed by the caller.
    if (o == n - 2) return {p + 1, o};
    if (o != kNotDoubled) return {scratch.data(), o};
  }
#endif
  return csv_quoted_field_value_scalar(data, f, d, scratch);
}

}  // namespace pgload
