// PostgreSQL 15's JSON grammar as json_in and jsonb_in read it (the tokens of src/common/jsonapi.c's lexer, the
// grammar of its parser), walked without recursion. One walk serves the value check (which only asks whether the
// server would accept the text) and jsonb_hash (which builds the value). The text's UTF-8 is the record's check,
// made before any value is parsed.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/byte_words.h"
#include "common/hex.h"
#include "common/utf8.h"

namespace pgload {

inline constexpr const char *kJsonSyntaxError = "invalid input syntax for type json";
inline constexpr const char *kJsonNulEscapeError = "unsupported Unicode escape sequence";  // jsonb's \u0000

// Nesting the walk follows; deeper documents are the server's to accept or refuse (its limit is the stack depth).
inline constexpr int kJsonMaxDepth = 1024;

// What json_in (jsonb false) or jsonb_in (jsonb true) would say of `text`: nullptr when it accepts it, else its
// message. Left to the server: nesting beyond kJsonMaxDepth, and for jsonb the numbers numeric_in refuses and
// strings over jsonb's length limit.
const char *check_json(std::string_view text, bool jsonb) noexcept;

enum class JsonLiteral : uint8_t { Null, True, False };

// Where a walk ended.
enum class JsonEnd : uint8_t {
  Document,   // the text is one JSON document
  Syntax,     // kJsonSyntaxError
  NulEscape,  // jsonb only: kJsonNulEscapeError
  TooDeep,    // nested beyond kJsonMaxDepth
  Refused,    // the sink returned false
};

namespace json_detail {

enum : uint8_t { kPlain = 1, kWord = 2, kSpace = 4, kDigit = 8 };

// kPlain: a string byte without meaning (not '"', '\\' or a control character); kWord: json_lex's
// JSON_ALPHANUMERIC_CHAR (letters, digits, '_', any byte of a multibyte character), which a token runs on over.
inline constexpr std::array<uint8_t, 256> kClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if (c >= 0x20 && c != '"' && c != '\\') t[c] |= kPlain;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80)
      t[c] |= kWord;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') t[c] |= kSpace;
    if (c >= '0' && c <= '9') t[c] |= kDigit;
  }
  return t;
}();

// The byte a one-character escape stands for, by the character after the backslash ('n': a newline); 0 for the
// rest (\\u is read apart).
inline constexpr std::array<char, 256> kEscaped = [] {
  std::array<char, 256> t{};
  t['"'] = '"';
  t['\\'] = '\\';
  t['/'] = '/';
  t['b'] = '\b';
  t['f'] = '\f';
  t['n'] = '\n';
  t['r'] = '\r';
  t['t'] = '\t';
  return t;
}();

using Byte = const unsigned char *;

inline Byte skip_space(Byte p, Byte end) noexcept {
  // Most tokens follow the last without a space, or after one (", " and ": ").
  if (p != end && *p > ' ') [[likely]]
    return p;
  if (end - p >= 2 && *p == ' ' && p[1] > ' ') return p + 1;
  while (p < end && (kClass[*p] & kSpace)) ++p;
  return p;
}

// The first byte at or after p that is not a digit, 8 at a time where there are 8: the lowest byte bytes_above_9
// flags is the first non-digit (a carry only comes from a byte that is flagged itself).
inline Byte skip_digits(Byte p, Byte end) noexcept {
  while (end - p >= 8) {
    if (const uint64_t above = bytes_above_9(load_le64(p) ^ 0x3030303030303030)) return p + std::countr_zero(above) / 8;
    p += 8;
  }
  while (p < end && (kClass[*p] & kDigit)) ++p;
  return p;
}

// The first byte at or after p that ends a string's plain run, 16 at a time where there are 16.
inline Byte skip_plain(Byte p, Byte end) noexcept {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1F);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    const __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                      _mm_cmpeq_epi8(_mm_min_epu8(v, control), v));
    if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stop))) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p < end && (kClass[*p] & kPlain)) ++p;
  return p;
}

// A string token after its opening quote; p ends past the closing quote. jsonb pairs surrogates and refuses
// \u0000 as json_lex_string does when it keeps the string; Decode appends the string as jsonb stores it to `out`.
template <bool Decode>
[[gnu::noinline]] JsonEnd lex_escaped_string(Byte &p, Byte end, bool jsonb, std::string &out) {
  int32_t high = -1;  // jsonb: a high surrogate waiting for its low half
  for (;;) {
    const Byte run = p;
    p = skip_plain(p, end);
    if (p != run) {
      if (high >= 0) return JsonEnd::Syntax;
      if constexpr (Decode) out.append(reinterpret_cast<const char *>(run), static_cast<size_t>(p - run));
    }
    if (p == end) return JsonEnd::Syntax;
    const unsigned char c = *p++;
    if (c == '"') return high >= 0 ? JsonEnd::Syntax : JsonEnd::Document;
    if (c != '\\' || p == end) return JsonEnd::Syntax;  // a control character must be escaped
    const unsigned char e = *p++;
    if (e == 'u') {
      if (end - p < 4) return JsonEnd::Syntax;
      int32_t cp = 0;
      for (int k = 0; k < 4; ++k) {
        const int h = hex_value(static_cast<char>(p[k]));
        if (h < 0) return JsonEnd::Syntax;
        cp = cp << 4 | h;
      }
      p += 4;
      if (!jsonb) continue;  // json_in keeps the escape as written
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (high >= 0) return JsonEnd::Syntax;
        high = cp;
        continue;
      }
      if (cp >= 0xDC00 && cp <= 0xDFFF) {
        if (high < 0) return JsonEnd::Syntax;
        cp = 0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00);
        high = -1;
      } else if (high >= 0) {
        return JsonEnd::Syntax;
      }
      if (cp == 0) return JsonEnd::NulEscape;
      if constexpr (Decode) append_utf8(out, static_cast<uint32_t>(cp));
      continue;
    }
    if (high >= 0 || kEscaped[e] == 0) return JsonEnd::Syntax;
    if constexpr (Decode) out.push_back(kEscaped[e]);
  }
}

// lex_escaped_string, inline for the common string: plain runs and one-character escapes up to its closing quote.
// Anything else (\\u, a control character, the text's end) goes on in lex_escaped_string from where it is.
template <bool Decode>
inline JsonEnd lex_string(Byte &p, Byte end, bool jsonb, std::string &out) {
  for (;;) {
    const Byte run_end = skip_plain(p, end);
    if (run_end == end) break;
    if constexpr (Decode) out.append(reinterpret_cast<const char *>(p), static_cast<size_t>(run_end - p));
    p = run_end;
    if (*p == '"') [[likely]] {
      ++p;
      return JsonEnd::Document;
    }
    if (*p != '\\' || end - p < 2 || kEscaped[p[1]] == 0) break;
    if constexpr (Decode) out.push_back(kEscaped[p[1]]);
    p += 2;
  }
  return lex_escaped_string<Decode>(p, end, jsonb, out);
}

// json_lex_number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, with no word byte glued on ("01", "1x").
inline bool lex_number(Byte &p, Byte end) noexcept {
  if (*p == '-') ++p;
  if (p == end || !(kClass[*p] & kDigit)) return false;
  p = *p == '0' ? p + 1 : skip_digits(p, end);
  if (p < end && *p == '.') {
    const Byte fraction = ++p;
    if ((p = skip_digits(p, end)) == fraction) return false;
  }
  if (p < end && (*p | 0x20) == 'e') {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    const Byte exponent = p;
    if ((p = skip_digits(p, end)) == exponent) return false;
  }
  return p == end || !(kClass[*p] & kWord);
}

}  // namespace json_detail

// Walks `text` as jsonb_in (jsonb) or json_in would, left to right, ending at the first fault. The sink hears the
// document in order: begin_object(), key(k), ..., end_object(); begin_array(), ..., end_array(); string(s),
// number(token), literal(l). Each returns false to stop the walk. Sink::kDecodeStrings (jsonb only): key and string
// get the text as jsonb stores it, else an empty view: nothing is copied.
template <class Sink>
JsonEnd walk_json(std::string_view text, bool jsonb, Sink &sink) {
  using namespace json_detail;
  constexpr bool kDecode = Sink::kDecodeStrings;
  Byte p = reinterpret_cast<Byte>(text.data());
  const Byte end = p + text.size();
  uint64_t is_object[kJsonMaxDepth / 64];  // bit d: the open container at depth d is an object (set as it opens)
  int depth = 0;
  std::string decoded;
  auto string_token = [&](bool key) {
    ++p;
    if constexpr (kDecode) decoded.clear();
    const JsonEnd e = lex_string<kDecode>(p, end, jsonb, decoded);
    if (e != JsonEnd::Document) return e;
    const std::string_view s = kDecode ? std::string_view(decoded) : std::string_view();
    const bool ok = key ? sink.key(s) : sink.string(s);
    return ok ? JsonEnd::Document : JsonEnd::Refused;
  };
  bool in_object = false;  // the innermost open container is an object
  auto open = [&](bool object) {
    ++p;
    if (depth == kJsonMaxDepth) return JsonEnd::TooDeep;
    if (object) {
      is_object[depth / 64] |= uint64_t{1} << (depth % 64);
    } else {
      is_object[depth / 64] &= ~(uint64_t{1} << (depth % 64));
    }
    ++depth;
    in_object = object;
    return (object ? sink.begin_object() : sink.begin_array()) ? JsonEnd::Document : JsonEnd::Refused;
  };
  auto close = [&] {  // at the innermost container's closing bracket
    ++p;
    --depth;
    const bool ok = in_object ? sink.end_object() : sink.end_array();
    in_object = depth > 0 && (is_object[(depth - 1) / 64] >> ((depth - 1) % 64) & 1);
    return ok;
  };
  bool key_next = false;  // the next value is an object member's: its key and ':' come first
  for (;;) {
    if (key_next) {
      p = skip_space(p, end);
      if (p == end || *p != '"') return JsonEnd::Syntax;
      if (const JsonEnd e = string_token(true); e != JsonEnd::Document) return e;
      p = skip_space(p, end);
      if (p == end || *p != ':') return JsonEnd::Syntax;
      ++p;
    }
    p = skip_space(p, end);
    if (p == end) return JsonEnd::Syntax;
    switch (*p) {
      case '{':
      case '[': {
        const bool object = *p == '{';
        if (const JsonEnd e = open(object); e != JsonEnd::Document) return e;
        p = skip_space(p, end);
        if (p == end || *p != static_cast<unsigned char>(object ? '}' : ']')) {
          key_next = object;
          continue;
        }
        if (!close()) return JsonEnd::Refused;
        break;
      }
      case '"':
        if (const JsonEnd e = string_token(false); e != JsonEnd::Document) return e;
        break;
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9': {
        const Byte start = p;
        if (!lex_number(p, end)) return JsonEnd::Syntax;
        if (!sink.number(std::string_view(reinterpret_cast<const char *>(start), static_cast<size_t>(p - start))))
          return JsonEnd::Refused;
        break;
      }
      default: {
        const Byte start = p;
        while (p < end && (kClass[*p] & kWord)) ++p;
        const std::string_view word(reinterpret_cast<const char *>(start), static_cast<size_t>(p - start));
        JsonLiteral literal;
        if (word == "null") {
          literal = JsonLiteral::Null;
        } else if (word == "true") {
          literal = JsonLiteral::True;
        } else if (word == "false") {
          literal = JsonLiteral::False;
        } else {
          return JsonEnd::Syntax;
        }
        if (!sink.literal(literal)) return JsonEnd::Refused;
      }
    }
    // After a value: the document's end, or the innermost container's ',' or its close (which ends a value too).
    for (;;) {
      p = skip_space(p, end);
      if (depth == 0) return p == end ? JsonEnd::Document : JsonEnd::Syntax;
      if (p == end) return JsonEnd::Syntax;
      if (*p == ',') {
        ++p;
        key_next = in_object;
        break;
      }
      if (*p != static_cast<unsigned char>(in_object ? '}' : ']')) return JsonEnd::Syntax;
      if (!close()) return JsonEnd::Refused;
    }
  }
}

}  // namespace pgload
