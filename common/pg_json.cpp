// The value check's walk: no sink work, so only the grammar is left.
#include "common/pg_json.h"

namespace pgload {
namespace {

struct Grammar {
  static constexpr bool kDecodeStrings = false;
  bool begin_object() noexcept { return true; }
  bool end_object() noexcept { return true; }
  bool begin_array() noexcept { return true; }
  bool end_array() noexcept { return true; }
  bool key(std::string_view) noexcept { return true; }
  bool string(std::string_view) noexcept { return true; }
  bool number(std::string_view) noexcept { return true; }
  bool literal(JsonLiteral) noexcept { return true; }
};

}  // namespace

const char *check_json(std::string_view text, bool jsonb) noexcept {
  Grammar grammar;
  switch (walk_json(text, jsonb, grammar)) {
    case JsonEnd::Syntax:
      return kJsonSyntaxError;
    case JsonEnd::NulEscape:
      return kJsonNulEscapeError;
    default:
      return nullptr;
  }
}

}  // namespace pgload
