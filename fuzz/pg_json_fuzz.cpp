// Fuzz target: the JSON walk (common/pg_json) must stay in bounds, find jsonb no more lenient than json, and be
// stable: a jsonb document written back from its events (strings decoded, then re-escaped) walks to the same events.
// Input: byte 0's low bit picks jsonb, the rest is the text.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/pg_json.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "pg_json_fuzz: %s\n", what);
  std::abort();
}

// Writes the events back as JSON text; `trace` records them, one line each.
struct Writer {
  static constexpr bool kDecodeStrings = true;
  std::string text, trace;
  bool comma = false;  // the next value or key follows another in its container

  void separate() {
    if (comma) text.push_back(',');
    comma = true;
  }
  void quoted(std::string_view s) {
    text.push_back('"');
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        text.push_back('\\');
        text.push_back(static_cast<char>(c));
      } else if (c < 0x20) {
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\u%04x", c);
        text += esc;
      } else {
        text.push_back(static_cast<char>(c));
      }
    }
    text.push_back('"');
  }
  bool open(char c) {
    separate();
    text.push_back(c);
    trace.push_back(c);
    trace.push_back('\n');
    comma = false;
    return true;
  }
  bool close(char c) {
    text.push_back(c);
    trace.push_back(c);
    trace.push_back('\n');
    comma = true;
    return true;
  }
  bool begin_object() { return open('{'); }
  bool begin_array() { return open('['); }
  bool end_object() { return close('}'); }
  bool end_array() { return close(']'); }
  bool key(std::string_view k) {
    separate();
    quoted(k);
    text.push_back(':');
    comma = false;
    trace += "k " + std::string(k) + "\n";
    return true;
  }
  bool string(std::string_view s) {
    separate();
    quoted(s);
    trace += "s " + std::string(s) + "\n";
    return true;
  }
  bool number(std::string_view token) {
    separate();
    text += token;
    trace += "n " + std::string(token) + "\n";
    return true;
  }
  bool literal(pgload::JsonLiteral l) {
    separate();
    text += l == pgload::JsonLiteral::Null ? "null" : l == pgload::JsonLiteral::True ? "true" : "false";
    trace += "l " + std::to_string(static_cast<int>(l)) + "\n";
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool jsonb = data[0] & 1;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const char* verdict = pgload::check_json(text, jsonb);
  if (!verdict && pgload::check_json(text, false)) fail("jsonb accepts what json refuses");
  if (!jsonb) return 0;
  Writer first;
  const pgload::JsonEnd end = pgload::walk_json(text, true, first);
  if ((end == pgload::JsonEnd::Document || end == pgload::JsonEnd::TooDeep) != (verdict == nullptr))
    fail("the walk and the check disagree");
  if (end != pgload::JsonEnd::Document) return 0;
  Writer again;
  if (pgload::walk_json(first.text, true, again) != pgload::JsonEnd::Document) fail("the written-back text is refused");
  if (again.trace != first.trace || again.text != first.text) fail("the written-back text walks differently");
  return 0;
}
