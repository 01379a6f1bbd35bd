// Byte sizes (--checkpoint) and byte rates (--max-rate, the page's max_rate) with PostgreSQL's memory units, as in
// postgresql.conf: kB, MB, GB, TB are powers of 1024 (16MB = 16 MiB = 16777216 bytes) in both tools.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgload {

// "16MB", "256 MB", "1GB", "8B", "4096" (a bare number is bytes). A whole number >= 0 and a unit spelt exactly as
// postgresql.conf spells it (B, kB, MB, GB, TB: "16mb" is refused, as the server refuses it); whitespace around the
// value and between number and unit is ignored. nullopt when malformed, negative or beyond INT64_MAX bytes.
std::optional<int64_t> parse_size_bytes(std::string_view text);

// A rate in bytes per second: a size with an optional "/s" ("50MB/s", "500kB", "1048576"), plus what pgmove
// always took: decimals ("1.5MB/s"), units in any case, k/m/g/t for kB/MB/GB/TB, and KiB/MiB/GiB/TiB (the same
// values). A sign is read so that callers can say "must be positive"; nullopt when malformed, not finite, or
// beyond INT64_MAX bytes per second.
std::optional<double> parse_rate_bytes_per_s(std::string_view text);

// A size in the largest of PostgreSQL's units that keeps it at 10 or more, rounded up ("163MB", "64kB", "900B"):
// what a message may suggest for a size option, and parse_size_bytes() takes back.
std::string format_size_bytes(uint64_t bytes);

}  // namespace pgload
