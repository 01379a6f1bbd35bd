// JSON string literals for the tools' --json output (both tools print JSON; one escaper serves both).
#pragma once

#include <string>
#include <string_view>

namespace pgload {

// `s` as a quoted JSON string: "a\"b".
std::string json_quote(std::string_view s);

}  // namespace pgload
