// Turns one NDJSON line (one JSON object) into one CSV record for COPY ... WITH
// (FORMAT csv), columns in table order, so the rest of the pipeline (validate,
// hash, route, COPY) is the same for CSV and NDJSON input.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgload {

// Why and where a line could not be converted. byte_in_line is a 0-based offset
// into the line; column is the table column involved (-1 if none); key is the
// JSON key involved (unescaped; empty if none).
struct NdjsonError {
  size_t byte_in_line = 0;
  int column = -1;
  const char *reason = nullptr;
  std::string key;
  explicit operator bool() const { return reason != nullptr; }
};

// Mapping of JSON objects onto a table's columns by exact (case-sensitive) key
// name:
// - missing key or JSON null -> NULL (unquoted empty field);
// - string -> its unescaped text (quoted in CSV when empty or containing , " \n
// \r, or equal to \.);
// - number -> its JSON text verbatim; true/false -> t/f; object/array -> its
// JSON text (for json/jsonb columns);
// - a key that is not a column is an error ("unknown key"), as is a key given
// twice ("duplicate key"). Not thread-safe: one reader per pipeline thread.
// Allocates only when a line is longer than any before.
class NdjsonReader {
 public:
  NdjsonReader(std::vector<std::string> column_names, int dist_column_index);
  ~NdjsonReader();
  NdjsonReader(NdjsonReader &&) noexcept;
  NdjsonReader &operator=(NdjsonReader &&) noexcept;

  // Converts one line (no terminator) into a CSV record appended to `out` (no
  // terminator). `key` receives the distribution column's text value (nullopt
  // for NULL, or when dist_column_index < 0) for hashing; it and values() stay
  // valid until the next convert. On error `out` may hold a partial record: the
  // caller truncates.
  NdjsonError convert(std::string_view line, std::string &out, std::optional<std::string_view> &key);

  // Per-column text values of the last converted line (views valid until the
  // next convert), std::nullopt = NULL.
  const std::vector<std::optional<std::string_view>> &values() const { return values_; }

  size_t column_count() const { return values_.size(); }

 private:
  struct Parser;
  std::unique_ptr<Parser> parser_;
  std::vector<std::string> names_;
  std::vector<int> by_name_;  // column indexes sorted by name, for binary search
  int dist_column_ = -1;
  std::vector<std::optional<std::string_view>> values_;
  std::vector<unsigned char> seen_;
  std::string padded_;  // the line plus simdjson's padding

  int find_column(std::string_view name) const noexcept;
};

}  // namespace pgload
