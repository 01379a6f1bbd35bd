// Durations written as PostgreSQL writes them for its time settings (lock_timeout, statement_timeout).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pgload {

// "500ms", "30s", "5min", "2h", "1d", "1.5s", "250" (a bare number is milliseconds, as for lock_timeout); a space
// may separate number and unit. Milliseconds, rounded to the nearest; nullopt when malformed, negative or larger
// than PostgreSQL's limit for an integer setting (INT_MAX ms, about 24.8 days).
std::optional<int64_t> parse_duration_ms(std::string_view text);

}  // namespace pgload
