// Text tokenizer for PostgreSQL COPY (FORMAT text) semantics: a generic 64-byte-block SIMD kernel (escaped bytes
// from the backslash bits, then iteration over structural bits) instantiated for AVX2 and SSE2, and the scalar
// oracle. The scalar code follows copyfromparse.c: CopyReadLineText for record ends, line terminators and the
// end-of-copy marker, CopyReadAttributesText for fields and de-escaping.
#include "loader/text_tokenizer.h"

#include <cstring>

#include "common/hex.h"
#include "loader/simd_bytes.h"

namespace pgload {

namespace {

// The byte at k, or NUL past the end (the server's input buffer is NUL-padded the same way).
inline char byte_at(const char* data, size_t len, size_t k) noexcept { return k < len ? data[k] : '\0'; }

inline char terminator_of(TextEol eol) noexcept { return eol == TextEol::Cr ? '\r' : '\n'; }

// `\.` at `at` (the backslash): whether what follows ends the data the way the server accepts; `after` receives
// the offset past the marker's terminator. Mirrors the checks in CopyReadLineText.
TextRecordError check_marker(const char* data, size_t len, size_t at, TextEol eol, size_t& after) noexcept {
  size_t k = at + 2;
  if (eol == TextEol::CrLf) {
    const char c = byte_at(data, len, k++);
    if (c == '\n') return TextRecordError::MarkerEolMismatch;
    if (c != '\r') return TextRecordError::MarkerCorrupt;
  }
  const char c = byte_at(data, len, k++);
  if (c != '\r' && c != '\n') return TextRecordError::MarkerCorrupt;
  if ((eol == TextEol::Cr) != (c == '\r')) return TextRecordError::MarkerEolMismatch;
  after = k < len ? k : len;
  return TextRecordError::None;
}

// Whether the record [begin, end) ends in an unpaired backslash (only possible at EOF): the server drops it from
// the last field, also from the bytes compared with the NULL marker.
bool ends_in_lone_backslash(const char* data, size_t begin, size_t end) noexcept {
  size_t run = 0;
  while (end - run > begin && data[end - run - 1] == '\\') ++run;
  return run % 2 == 1;
}

// Records are appended through these so the scalar and SIMD paths finish records identically.
void push_field(TextChunk& out, size_t begin, size_t end) noexcept {
  out.fields.push_back(TextField{static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
}
void push_record(TextChunk& out, size_t begin, size_t end, uint32_t first_field, uint32_t newlines,
                 TextRecordError error, size_t error_offset) noexcept {
  out.records.push_back(TextRecord{static_cast<uint32_t>(begin), static_cast<uint32_t>(end), first_field,
                                   static_cast<uint32_t>(out.fields.size()) - first_field, newlines,
                                   static_cast<uint32_t>(error_offset), error});
}
// The unterminated last record at EOF.
void push_last_record(const char* data, size_t len, TextChunk& out, size_t record_begin, size_t field_begin,
                      uint32_t first_field, uint32_t newlines, TextRecordError error, size_t error_offset) noexcept {
  const size_t field_end = ends_in_lone_backslash(data, field_begin, len) ? len - 1 : len;
  push_field(out, field_begin, field_end);
  push_record(out, record_begin, len, first_field, newlines, error, error_offset);
}
// A valid end-of-copy marker at `at`: the line's text before it, if any, is the last record.
void push_marker_record(TextChunk& out, size_t record_begin, size_t field_begin, size_t at, uint32_t first_field,
                        uint32_t newlines, size_t after) noexcept {
  if (at > record_begin) {
    push_field(out, field_begin, at);
    push_record(out, record_begin, at, first_field, newlines, TextRecordError::None, 0);
  } else {
    out.fields.resize(first_field);
  }
  out.end_of_data = true;
  out.consumed = after;
}

#if PGLOAD_SIMD_X86

// One 64-byte block, one bit per byte.
struct BlockMasks {
  uint64_t delimiter, newline, carriage_return, backslash;
};

struct Sse2 {
  static void classify(const char* p, char delimiter, BlockMasks& m) noexcept {
    __m128i v[4];
    for (ptrdiff_t i = 0; i < 4; ++i) v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    m.delimiter = simd::eq16x4(v, delimiter);
    m.newline = simd::eq16x4(v, '\n');
    m.carriage_return = simd::eq16x4(v, '\r');
    m.backslash = simd::eq16x4(v, '\\');
  }
};

struct Avx2 {
  __attribute__((target("avx2"))) static void classify(const char* p, char delimiter, BlockMasks& m) noexcept {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    m.delimiter = simd::eq32x2(lo, hi, delimiter);
    m.newline = simd::eq32x2(lo, hi, '\n');
    m.carriage_return = simd::eq32x2(lo, hi, '\r');
    m.backslash = simd::eq32x2(lo, hi, '\\');
  }
};

// Loads the block at data+base; a final partial block is copied into a padded buffer and its masks cut to n bytes.
template <class Isa>
inline void load_block(const char* data, size_t len, size_t base, char delimiter, BlockMasks& m) noexcept {
  const uint64_t valid = simd::classify_block(data, len, base, [&](const char* p) { Isa::classify(p, delimiter, m); });
  m.delimiter &= valid;
  m.newline &= valid;
  m.carriage_return &= valid;
  m.backslash &= valid;
}

// Bytes escaped by a backslash in this block (a backslash escapes the next byte unless it is escaped itself).
// `carry` is 1 when the previous block's last byte was an unescaped backslash, and is updated for the next block.
// Backslashes are rare in real data, so a walk over their bits beats a branch-free carry chain here. `markers`
// (optional) receives the unescaped backslashes followed by '.': end-of-copy markers.
inline uint64_t escaped_bytes(const char* data, size_t len, size_t base, uint64_t backslash, uint64_t& carry,
                              uint64_t* markers) noexcept {
  uint64_t escaped = carry;
  carry = 0;
  while (backslash) {
    const auto bit = static_cast<unsigned>(__builtin_ctzll(backslash));
    backslash &= backslash - 1;
    if ((escaped >> bit) & 1) continue;
    if (bit == 63)
      carry = 1;
    else
      escaped |= uint64_t{1} << (bit + 1);
    if (markers && byte_at(data, len, base + bit + 1) == '.') *markers |= uint64_t{1} << bit;
  }
  return escaped;
}

// Generic tokenizer kernel. Per block: structural = (delimiter | LF | CR) not escaped, plus end-of-copy markers;
// walking their bits in order emits fields and records exactly as the scalar loop does byte by byte.
template <class Isa>
void tokenize_kernel(const char* data, size_t len, char delimiter, TextEol eol, bool at_eof, TextChunk& out) noexcept {
  const char term = terminator_of(eol);
  uint64_t carry = 0;
  size_t record_begin = 0, field_begin = 0, error_offset = 0;
  size_t last_cr = SIZE_MAX;  // the last unescaped CR that precedes an LF (CRLF streams)
  uint32_t record_first_field = 0, record_newlines = 0;
  TextRecordError error = TextRecordError::None;

  for (size_t base = 0; base < len; base += 64) {
    BlockMasks m;
    load_block<Isa>(data, len, base, delimiter, m);
    uint64_t markers = 0;
    uint64_t escaped = carry;
    if (m.backslash)
      escaped = escaped_bytes(data, len, base, m.backslash, carry, &markers);
    else
      carry = 0;
    uint64_t structural = ((m.delimiter | m.newline | m.carriage_return) & ~escaped) | markers;
    const uint64_t escaped_terms = (term == '\r' ? m.carriage_return : m.newline) & escaped;
    unsigned record_start_bit = record_begin > base ? static_cast<unsigned>(record_begin - base) : 0;

    while (structural) {
      const auto bit = static_cast<unsigned>(__builtin_ctzll(structural));
      structural &= structural - 1;
      const size_t pos = base + bit;
      const char c = data[pos];
      if ((markers >> bit) & 1) {
        size_t after = 0;
        const TextRecordError e = check_marker(data, len, pos, eol, after);
        if (e == TextRecordError::None) {
          if (escaped_terms)
            record_newlines += __builtin_popcountll(escaped_terms & simd::bit_range(record_start_bit, bit));
          push_marker_record(out, record_begin, field_begin, pos, record_first_field, record_newlines, after);
          return;
        }
        if (error == TextRecordError::None) {
          error = e;
          error_offset = pos;
        }
        continue;
      }
      bool ends_record = false;
      size_t end = pos;
      if (c == '\n') {
        if (eol == TextEol::Cr) {
          if (error == TextRecordError::None) {
            error = TextRecordError::Newline;
            error_offset = pos;
          }
        } else {
          ends_record = true;
          if (eol == TextEol::CrLf) {
            if (last_cr != SIZE_MAX && last_cr + 1 == pos)
              end = pos - 1;
            else if (error == TextRecordError::None) {
              error = TextRecordError::Newline;
              error_offset = pos;
            }
          }
        }
      } else if (c == '\r') {
        if (eol == TextEol::Cr) {
          ends_record = true;
        } else if (eol == TextEol::CrLf && byte_at(data, len, pos + 1) == '\n') {
          last_cr = pos;
        } else if (error == TextRecordError::None) {
          error = TextRecordError::CarriageReturn;
          error_offset = pos;
        }
      } else {  // delimiter
        push_field(out, field_begin, pos);
        field_begin = pos + 1;
      }
      if (!ends_record) continue;
      push_field(out, field_begin, end);
      if (escaped_terms)
        record_newlines +=
            static_cast<uint32_t>(__builtin_popcountll(escaped_terms & simd::bit_range(record_start_bit, bit)));
      push_record(out, record_begin, end, record_first_field, record_newlines, error, error_offset);
      record_begin = field_begin = pos + 1;
      record_start_bit = bit + 1;
      record_first_field = static_cast<uint32_t>(out.fields.size());
      record_newlines = 0;
      error = TextRecordError::None;
    }
    if (escaped_terms)
      record_newlines +=
          static_cast<uint32_t>(__builtin_popcountll(escaped_terms & simd::bit_range(record_start_bit, 64)));
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
  push_last_record(data, len, out, record_begin, field_begin, record_first_field, record_newlines, error, error_offset);
  out.consumed = len;
}

__attribute__((flatten)) void tokenize_sse2(const char* data, size_t len, char delimiter, TextEol eol, bool at_eof,
                                            TextChunk& out) noexcept {
  tokenize_kernel<Sse2>(data, len, delimiter, eol, at_eof, out);
}
__attribute__((target("avx2,bmi,popcnt"), flatten)) void tokenize_avx2(const char* data, size_t len, char delimiter,
                                                                       TextEol eol, bool at_eof,
                                                                       TextChunk& out) noexcept {
  tokenize_kernel<Avx2>(data, len, delimiter, eol, at_eof, out);
}
#endif  // PGLOAD_SIMD_X86

inline bool is_octal(char c) noexcept { return c >= '0' && c <= '7'; }

}  // namespace

const char* text_delimiter_error(char delimiter) noexcept {
  if (delimiter == '\n' || delimiter == '\r') return "COPY delimiter cannot be newline or carriage return";
  if (delimiter == '\0') return "COPY delimiter cannot be NUL";
  // As the server: backslash would be ambiguous; letters, digits and '.' take part in backslash sequences.
  if (std::strchr("\\.abcdefghijklmnopqrstuvwxyz0123456789", delimiter) != nullptr)
    return "COPY delimiter cannot be a backslash, '.', a lower-case letter or a digit in text format";
  return nullptr;
}

TextEol detect_text_eol(const char* data, size_t len, bool at_eof) noexcept {
  for (size_t i = 0; i < len; ++i) {
    const char c = data[i];
    if (c == '\\') {
      ++i;
    } else if (c == '\n') {
      return TextEol::Lf;
    } else if (c == '\r') {
      if (i + 1 < len) return data[i + 1] == '\n' ? TextEol::CrLf : TextEol::Cr;
      return at_eof ? TextEol::Cr : TextEol::Unknown;
    }
  }
  return TextEol::Unknown;
}

void tokenize_text_scalar(const char* data, size_t len, char delimiter, TextEol eol, bool at_eof,
                          TextChunk& out) noexcept {
  out.records.clear();
  out.fields.clear();
  out.consumed = 0;
  out.end_of_data = false;
  if (eol == TextEol::Unknown) eol = TextEol::Lf;
  const char term = terminator_of(eol);
  size_t pos = 0;
  while (pos < len) {
    const size_t record_begin = pos;
    const auto first_field = static_cast<uint32_t>(out.fields.size());
    size_t field_begin = pos, error_offset = 0, record_end = len, next = len, last_cr = SIZE_MAX;
    uint32_t newlines = 0;
    bool terminated = false;
    TextRecordError error = TextRecordError::None;
    auto fail = [&](TextRecordError e, size_t at) {
      if (error != TextRecordError::None) return;
      error = e;
      error_offset = at;
    };

    for (size_t i = pos; i < len; ++i) {
      const char c = data[i];
      if (c == '\\') {
        if (i + 1 >= len) break;  // a lone backslash at EOF stays in the record
        const char c2 = data[i + 1];
        if (c2 == '.') {
          size_t after = 0;
          const TextRecordError e = check_marker(data, len, i, eol, after);
          if (e == TextRecordError::None) {
            push_marker_record(out, record_begin, field_begin, i, first_field, newlines, after);
            return;
          }
          fail(e, i);
        } else if (c2 == term) {
          ++newlines;
        }
        ++i;  // the escaped byte is data whatever it is
      } else if (c == '\n') {
        if (eol == TextEol::Cr) {
          fail(TextRecordError::Newline, i);
          continue;
        }
        record_end = i;
        if (eol == TextEol::CrLf) {
          if (last_cr != SIZE_MAX && last_cr + 1 == i)
            record_end = i - 1;
          else
            fail(TextRecordError::Newline, i);
        }
        next = i + 1;
        terminated = true;
        break;
      } else if (c == '\r') {
        if (eol == TextEol::Cr) {
          record_end = i;
          next = i + 1;
          terminated = true;
          break;
        }
        if (eol == TextEol::CrLf && byte_at(data, len, i + 1) == '\n')
          last_cr = i;
        else
          fail(TextRecordError::CarriageReturn, i);
      } else if (c == delimiter) {
        push_field(out, field_begin, i);
        field_begin = i + 1;
      }
    }

    if (!terminated) {
      if (!at_eof) {  // contract breach: leave the partial record to the caller
        out.fields.resize(first_field);
        out.consumed = record_begin;
        return;
      }
      push_last_record(data, len, out, record_begin, field_begin, first_field, newlines, error, error_offset);
      out.consumed = len;
      return;
    }
    push_field(out, field_begin, record_end);
    push_record(out, record_begin, record_end, first_field, newlines, error, error_offset);
    pos = next;
    out.consumed = next;
  }
}

void tokenize_text_with(CsvKernel k, const char* data, size_t len, char delimiter, TextEol eol, bool at_eof,
                        TextChunk& out) noexcept {
#if PGLOAD_SIMD_X86
  if (k != CsvKernel::Scalar && csv_kernel_supported(k)) {
    out.records.clear();
    out.fields.clear();
    out.consumed = 0;
    out.end_of_data = false;
    if (eol == TextEol::Unknown) eol = TextEol::Lf;
    if (k == CsvKernel::Avx2)
      tokenize_avx2(data, len, delimiter, eol, at_eof, out);
    else
      tokenize_sse2(data, len, delimiter, eol, at_eof, out);
    return;
  }
#else
  (void)k;
#endif
  tokenize_text_scalar(data, len, delimiter, eol, at_eof, out);
}

void tokenize_text(const char* data, size_t len, char delimiter, TextEol eol, bool at_eof, TextChunk& out) noexcept {
  static const CsvKernel kernel = csv_best_kernel();
  tokenize_text_with(kernel, data, len, delimiter, eol, at_eof, out);
}

std::string_view text_field_value(const char* data, const TextField& f, std::string& scratch,
                                  bool& needs_check) noexcept {
  const char* p = data + f.begin;
  const size_t n = f.end - f.begin;
  needs_check = false;
  if (std::memchr(p, '\\', n) == nullptr) return {p, n};
  // As CopyReadAttributesText: \b \f \n \r \t \v, octal \d \dd \ddd, hex \xh \xhh, anything else literally.
  scratch.clear();
  scratch.reserve(n);
  size_t i = 0;
  while (i < n) {
    char c = p[i++];
    if (c == '\\' && i < n) {
      c = p[i++];
      if (is_octal(c)) {
        int v = c - '0';
        for (int more = 0; more < 2 && i < n && is_octal(p[i]); ++more) v = (v << 3) + (p[i++] - '0');
        c = static_cast<char>(v & 0xFF);
        needs_check |= c == '\0' || static_cast<unsigned char>(c) >= 0x80;
      } else if (c == 'x') {
        if (i < n && hex_value(p[i]) >= 0) {
          int v = hex_value(p[i++]);
          if (i < n && hex_value(p[i]) >= 0) v = (v << 4) + hex_value(p[i++]);
          c = static_cast<char>(v);
          needs_check |= c == '\0' || static_cast<unsigned char>(c) >= 0x80;
        }
      } else {
        switch (c) {
          case 'b':
            c = '\b';
            break;
          case 'f':
            c = '\f';
            break;
          case 'n':
            c = '\n';
            break;
          case 'r':
            c = '\r';
            break;
          case 't':
            c = '\t';
            break;
          case 'v':
            c = '\v';
            break;
          default:
            break;
        }
      }
    } else if (c == '\\') {
      break;  // a lone trailing backslash is dropped (the tokenizer already cut it off the field)
    }
    scratch.push_back(c);
  }
  return scratch;
}

void append_text_escaped(std::string& out, std::string_view value) noexcept {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
}

}  // namespace pgload
