// Fuzzes NdjsonReader::convert (and check_value on what it produces): no crash, and every CSV record it emits
// re-parses into exactly one field per column whose text and NULL-ness match values().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loader/ndjson_reader.h"
#include "loader/value_check.h"

namespace {

// Minimal CSV record parser (',' '"', quotes doubled): fields with NULL (unquoted empty) as nullopt.
std::vector<std::optional<std::string>> parse_csv_record(std::string_view record) {
  std::vector<std::optional<std::string>> fields;
  size_t i = 0;
  while (true) {
    if (i < record.size() && record[i] == '"') {
      std::string text;
      ++i;
      while (true) {
        if (i >= record.size()) abort();  // unterminated quote
        if (record[i] == '"') {
          if (i + 1 < record.size() && record[i + 1] == '"') {
            text.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        text.push_back(record[i++]);
      }
      fields.emplace_back(std::move(text));
    } else {
      size_t start = i;
      while (i < record.size() && record[i] != ',') {
        if (record[i] == '"' || record[i] == '\n' || record[i] == '\r') abort();  // must have been quoted
        ++i;
      }
      if (i == start) {
        fields.emplace_back(std::nullopt);
      } else {
        fields.emplace_back(std::string(record.substr(start, i - start)));
      }
    }
    if (i == record.size()) break;
    if (record[i] != ',') abort();  // junk after a closing quote
    ++i;
  }
  return fields;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static pgload::NdjsonReader reader({"id", "name", "v", "meta"}, 0);
  std::string_view line(reinterpret_cast<const char*>(data), size);
  std::string out = "x";  // convert appends: the prefix must survive
  std::optional<std::string_view> key;
  pgload::NdjsonError error = reader.convert(line, out, key);
  if (out.empty() || out[0] != 'x') abort();
  if (error) {
    if (error.byte_in_line > size) abort();
    if (error.column < -1 || error.column >= 4) abort();
    return 0;
  }
  auto fields = parse_csv_record(std::string_view(out).substr(1));
  const auto& values = reader.values();
  if (fields.size() != values.size()) abort();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].has_value() != values[i].has_value()) abort();
    if (fields[i] && *fields[i] != *values[i]) abort();
  }
  if (key.has_value() != values[0].has_value() || (key && *key != *values[0])) abort();
  // Feed the produced values to the validator too: it must not crash on anything.
  for (const auto& v : values) {
    if (!v) continue;
    for (uint8_t t = 0; t <= static_cast<uint8_t>(pgload::PgType::Other); ++t)
      (void)pgload::check_value(pgload::ColumnType{static_cast<pgload::PgType>(t), 3}, *v);
  }
  for (uint8_t t = 0; t <= static_cast<uint8_t>(pgload::PgType::Other); ++t)
    (void)pgload::check_value(pgload::ColumnType{static_cast<pgload::PgType>(t), 5}, line);
  return 0;
}
