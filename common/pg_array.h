// array_in's text form of PostgreSQL 15, split into its elements: the braces give the dimensions, each element is
// the text array_in would hand to the element type's input function (quotes and backslashes removed), or NULL.
// Only the forms whose split is certain are taken; any other text (a `[1:3]=` decoration, a backslash or quote
// inside an unquoted element, ragged or empty sub-arrays, junk) is left to the server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgload {

// An array value split by parse_pg_array. Its element texts live in thread-local scratch: valid until the next
// parse_pg_array on this thread.
struct PgArray {
  static constexpr int kMaxDims = 6;  // PostgreSQL's MAXDIM
  int ndim = 0;                       // 0: the empty array '{}'
  int32_t dims[kMaxDims] = {};        // elements per dimension, outermost first (lower bounds are all 1)
  bool has_nulls = false;
  size_t count() const noexcept { return elements_.size(); }
  // Element i in storage order (last dimension fastest); nullopt for NULL.
  std::optional<std::string_view> element(size_t i) const noexcept {
    const Element& e = elements_[i];
    if (e.length < 0) return std::nullopt;
    return std::string_view(*bytes_).substr(e.offset, static_cast<size_t>(e.length));
  }

 private:
  friend bool parse_pg_array(std::string_view text, const PgArray*& out) noexcept;
  struct Element {
    uint32_t offset = 0;
    int32_t length = -1;  // -1: NULL
  };
  std::vector<Element> elements_;
  const std::string* bytes_ = nullptr;
};

// Splits `text` (elements delimited by ',', the delimiter of every element type pgload parses) into `out`, which
// points to thread-local storage. False when the form is not one taken here (the server then decides, and may
// refuse it). Never throws.
bool parse_pg_array(std::string_view text, const PgArray*& out) noexcept;

}  // namespace pgload
