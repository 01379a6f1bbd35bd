// Whole numbers as both tools take them in options and form fields (--threads, --parallel, --max-errors ...).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pgload {

// Decimal digits with an optional sign; whitespace around them is ignored, as PostgreSQL's parse_int does for
// integer settings. nullopt when empty, malformed ("1e3", "0x10", "1.0", "12abc") or outside int64_t. Callers check
// the range they need.
std::optional<int64_t> parse_int64(std::string_view text);

}  // namespace pgload
