// array_in's grammar as PostgreSQL 15 reads it (arrayfuncs.c: ArrayCount, then ReadArrayStr), for the forms taken
// here: whitespace (array_isspace) around braces and elements; an unquoted element ends at ',' or '}' and loses its
// trailing whitespace, and is NULL when it spells NULL in any case; a quoted element keeps everything between its
// quotes, a backslash taking the next byte literally; every sub-array of a level has the same length.
// Checked against a real server by tests/integration/binary_recv_test (ArraysSplitAsArrayIn).
#include "common/pg_array.h"

#include <string>

namespace pgload {
namespace {

constexpr bool is_array_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_null_word(std::string_view s) noexcept {
  if (s.size() != 4) return false;
  static constexpr char kNull[] = "null";
  for (size_t k = 0; k < 4; ++k)
    if ((s[k] | 0x20) != kNull[k]) return false;
  return true;
}

}  // namespace

bool parse_pg_array(std::string_view text, const PgArray*& out) noexcept {
  thread_local PgArray array;
  thread_local std::string bytes;
  out = nullptr;
  try {
    array.elements_.clear();
    bytes.clear();
    array.ndim = 0;
    array.has_nulls = false;
    const size_t n = text.size();
    size_t i = 0;
    auto skip_space = [&] {
      while (i < n && is_array_space(text[i])) ++i;
    };
    skip_space();
    if (i >= n || text[i] != '{') return false;  // no array, or a `[lo:hi]=` decoration: the server decides
    int depth = 0;                               // braces open
    int ndim = -1;                               // the depth elements are found at, once one is seen
    int32_t items[PgArray::kMaxDims + 1] =
        {};  // items (elements or sub-arrays) so far inside the open brace at depth d
    int32_t dims[PgArray::kMaxDims + 1] =
        {};  // items per brace at depth d, once a brace there has closed (0: none yet)
    enum class Expect { ItemOrClose, Item, DelimiterOrClose } expect = Expect::ItemOrClose;
    for (;;) {
      skip_space();
      if (i >= n) return false;
      const char c = text[i];
      if (expect == Expect::DelimiterOrClose) {
        if (c == ',') {
          expect = Expect::Item;
          ++i;
          continue;
        }
        if (c != '}') return false;
      }
      if (c == '}') {
        if (expect == Expect::Item) return false;  // "{1,}"
        if (items[depth] == 0) {                   // "{}": only as the whole array
          if (depth != 1) return false;
          ++i;
          skip_space();
          if (i != n) return false;
          array.ndim = 0;
          array.bytes_ = &bytes;
          out = &array;
          return true;
        }
        if (dims[depth] == 0)
          dims[depth] = items[depth];
        else if (dims[depth] != items[depth])
          return false;  // sub-arrays of different lengths
        --depth;
        ++i;
        if (depth == 0) break;
        expect = Expect::DelimiterOrClose;
        continue;
      }
      if (c == '{') {
        if (depth == PgArray::kMaxDims || (ndim >= 0 && depth >= ndim)) return false;
        if (depth > 0) ++items[depth];
        ++depth;
        items[depth] = 0;
        ++i;
        expect = Expect::ItemOrClose;
        continue;
      }
      if (c == ',') return false;  // an empty element
      if (ndim < 0) ndim = depth;
      if (depth != ndim) return false;  // elements and sub-arrays mixed
      ++items[depth];
      PgArray::Element e;
      e.offset = static_cast<uint32_t>(bytes.size());
      if (c == '"') {
        for (++i;; ++i) {
          if (i >= n) return false;
          if (text[i] == '"') break;
          if (text[i] == '\\' && ++i >= n) return false;
          bytes.push_back(text[i]);
        }
        ++i;
        e.length = static_cast<int32_t>(bytes.size() - e.offset);
      } else {
        const size_t start = i;
        size_t end = i;  // past the last non-space byte
        for (; i < n && text[i] != ',' && text[i] != '}'; ++i) {
          const char b = text[i];
          if (b == '{' || b == '"' || b == '\\') return false;  // escapes and quotes inside a bare element: server
          if (!is_array_space(b)) end = i + 1;
        }
        const std::string_view word = text.substr(start, end - start);
        if (is_null_word(word)) {
          array.has_nulls = true;
        } else {
          bytes.append(word);
          e.length = static_cast<int32_t>(word.size());
        }
      }
      array.elements_.push_back(e);
      expect = Expect::DelimiterOrClose;
    }
    skip_space();
    if (i != n) return false;  // junk after the closing brace
    array.ndim = ndim;
    for (int d = 0; d < ndim; ++d) array.dims[d] = dims[d + 1];
    array.bytes_ = &bytes;
    out = &array;
    return true;
  } catch (...) {
    return false;  // out of memory: the server splits it
  }
}

}  // namespace pgload
