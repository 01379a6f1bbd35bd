// NDJSON line -> CSV record with simdjson On-Demand. On-Demand only checks what
// it visits, so every value is visited: strings are unescaped, numbers checked
// against the JSON grammar, nested objects/arrays re-validated with the DOM
// parser, and the document must end after the object.
#include "loader/ndjson_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

namespace pgload {

struct NdjsonReader::Parser {
  simdjson::ondemand::parser on_demand;
  simdjson::dom::parser nested;  // validates object/array values that On-Demand skips over
};

namespace {

constexpr bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::string_view trim_json_space(std::string_view s) noexcept {
  while (!s.empty() && is_json_space(s.back())) s.remove_suffix(1);
  while (!s.empty() && is_json_space(s.front())) s.remove_prefix(1);
  return s;
}

// RFC 8259 number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) noexcept {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n || !is_digit(s[i])) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < n && is_digit(s[i])) ++i;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) ++i;
  }
  return i == n;
}

bool needs_csv_quotes(std::string_view v) noexcept {
  if (v.empty() || v == "\\.") return true;
  for (char c : v)
    if (c == ',' || c == '"' || c == '\n' || c == '\r') return true;
  return false;
}

void append_csv_field(std::string &out, std::string_view v) {
  if (!needs_csv_quotes(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '"') {
      out.append(v.substr(start, i + 1 - start));
      out.push_back('"');
      start = i + 1;
    }
  }
  out.append(v.substr(start));
  out.push_back('"');
}

const char *reason_for(simdjson::error_code e) noexcept {
  switch (e) {
    case simdjson::UTF8_ERROR:
      return "invalid UTF-8";
    case simdjson::STRING_ERROR:
    case simdjson::UNCLOSED_STRING:
    case simdjson::UNESCAPED_CHARS:
      return "invalid JSON string";
    case simdjson::NUMBER_ERROR:
      return "invalid JSON number";
    case simdjson::DEPTH_ERROR:
      return "JSON nested too deeply";
    case simdjson::EMPTY:
      return "empty line";
    case simdjson::CAPACITY:
    case simdjson::MEMALLOC:
      return "line too long for the JSON parser";
    default:
      return "invalid JSON";
  }
}

}  // namespace

NdjsonReader::NdjsonReader(std::vector<std::string> column_names, int dist_column_index)
    : parser_(std::make_unique<Parser>()),
      names_(std::move(column_names)),
      dist_column_(dist_column_index),
      values_(names_.size()),
      seen_(names_.size()) {
  by_name_.resize(names_.size());
  for (size_t i = 0; i < names_.size(); ++i) by_name_[i] = static_cast<int>(i);
  std::sort(by_name_.begin(), by_name_.end(), [&](int a, int b) { return names_[a] < names_[b]; });
}

NdjsonReader::~NdjsonReader() = default;
NdjsonReader::NdjsonReader(NdjsonReader &&) noexcept = default;
NdjsonReader &NdjsonReader::operator=(NdjsonReader &&) noexcept = default;

int NdjsonReader::find_column(std::string_view name) const noexcept {
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [&](int idx, std::string_view n) { return std::string_view(names_[idx]) < n; });
  if (it == by_name_.end() || names_[*it] != name) return -1;
  return *it;
}

NdjsonError NdjsonReader::convert(std::string_view line, std::string &out, std::optional<std::string_view> &key) {
  using namespace simdjson;
  key.reset();
  std::fill(values_.begin(), values_.end(), std::nullopt);
  std::fill(seen_.begin(), seen_.end(), 0);

  // simdjson reads up to SIMDJSON_PADDING bytes past the end: keep a private
  // padded copy.
  const size_t padded_size = line.size() + SIMDJSON_PADDING;
  if (padded_.size() < padded_size) padded_.resize(padded_size);
  std::memcpy(padded_.data(), line.data(), line.size());
  std::memset(padded_.data() + line.size(), 0, SIMDJSON_PADDING);
  const char *base = padded_.data();

  auto offset = [&](const char *p) -> size_t {
    if (p < base) return 0;
    return std::min(static_cast<size_t>(p - base), line.size());
  };
  NdjsonError error;
  size_t last_pos = 0;  // start of the last token looked at, for errors that
                        // simdjson does not locate
  auto fail = [&](const char *reason, size_t pos, int column = -1, std::string_view k = {}) {
    error.reason = reason;
    error.byte_in_line = pos;
    error.column = column;
    error.key.assign(k);
    return error;
  };

  if (trim_json_space(line).empty()) return fail("empty line", 0);
  const auto first_pos = static_cast<size_t>(
      std::find_if(line.begin(), line.end(), [](char c) { return !is_json_space(c); }) - line.begin());
  if (line[first_pos] != '{') return fail("not a JSON object", first_pos);

  ondemand::document doc;
  if (auto e = parser_->on_demand.iterate(padded_string_view(base, line.size(), padded_.size())).get(doc))
    return fail(reason_for(e), 0);
  ondemand::object object;
  if (auto e = doc.get_object().get(object)) {
    // On-Demand checks up front that the last token closes the root object.
    size_t last = line.size() - 1;
    while (last > 0 && is_json_space(line[last])) --last;
    if (e == INCOMPLETE_ARRAY_OR_OBJECT || e == TAPE_ERROR)
      return fail("JSON object not closed, or trailing content after it", last);
    return fail(reason_for(e), first_pos);
  }
  last_pos = first_pos;

  for (auto field_result : object) {
    ondemand::field field;
    if (auto e = std::move(field_result).get(field)) {
      const char *where = nullptr;
      size_t pos = doc.current_location().get(where) ? last_pos : offset(where);
      return fail(reason_for(e), pos);
    }
    const size_t key_pos = offset(field.key().raw()) - (field.key().raw() > base ? 1 : 0);
    last_pos = key_pos;
    std::string_view name;
    if (auto e = field.unescaped_key().get(name)) return fail(reason_for(e), key_pos);
    const int column = find_column(name);
    if (column < 0) return fail("unknown key", key_pos, -1, name);
    if (seen_[column]) return fail("duplicate key", key_pos, column, name);
    seen_[column] = 1;

    ondemand::value &value = field.value();
    const std::string_view token = value.raw_json_token();
    const size_t value_pos = offset(token.data());
    last_pos = value_pos;
    ondemand::json_type type;
    if (auto e = value.type().get(type)) return fail(reason_for(e), value_pos, column, name);
    switch (type) {
      case ondemand::json_type::string: {
        std::string_view text;
        if (auto e = value.get_string().get(text)) return fail(reason_for(e), value_pos, column, name);
        values_[column] = text;
        break;
      }
      case ondemand::json_type::number: {
        std::string_view text = trim_json_space(token);
        if (!is_json_number(text)) return fail("invalid JSON number", value_pos, column, name);
        values_[column] = text;
        break;
      }
      case ondemand::json_type::boolean: {
        bool b = false;
        if (auto e = value.get_bool().get(b)) return fail(reason_for(e), value_pos, column, name);
        values_[column] = b ? std::string_view("t") : std::string_view("f");
        break;
      }
      case ondemand::json_type::null: {
        bool is_null = false;
        if (value.is_null().get(is_null) || !is_null) return fail("invalid JSON", value_pos, column, name);
        break;
      }
      case ondemand::json_type::object:
      case ondemand::json_type::array: {
        std::string_view raw;
        error_code e;
        if (type == ondemand::json_type::object) {
          ondemand::object nested;
          e = value.get_object().get(nested);
          if (!e) e = nested.raw_json().get(raw);
        } else {
          ondemand::array nested;
          e = value.get_array().get(nested);
          if (!e) e = nested.raw_json().get(raw);
        }
        if (e) return fail(reason_for(e), value_pos, column, name);
        raw = trim_json_space(raw);
        dom::element ignored;
        if (auto ve = parser_->nested.parse(raw.data(), raw.size(), true).get(ignored))
          return fail(reason_for(ve), value_pos, column, name);
        values_[column] = raw;
        break;
      }
    }
  }
  // Past the closing brace the document has no current location unless
  // something follows it.
  if (const char *where = nullptr; !doc.current_location().get(where)) {
    return fail("trailing content after the JSON object", offset(where));
  }

  for (size_t i = 0; i < values_.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (values_[i]) append_csv_field(out, *values_[i]);
  }
  if (dist_column_ >= 0 && static_cast<size_t>(dist_column_) < values_.size()) key = values_[dist_column_];
  return error;
}

}  // namespace pgload
