// jsonb_hash of PostgreSQL 15 computed from JSON text as jsonb_in would store it: object keys sorted by length
// then bytes, a duplicate key's last value kept, numbers as numeric (so 1.0 and 1 hash alike), strings unescaped.
// The hash rotates left by one and XORs each key, value and element in that order; a container start XORs
// 0x20000000 (object) or 0x40000000 (array); an empty root hashes to 0.
#pragma once

#include <cstdint>
#include <string_view>

namespace pgload {

// false where jsonb_in would reject the text (invalid JSON, \u0000, a lone surrogate, a number numeric_in
// refuses). Thread-local scratch buffers.
bool hash_jsonb_text(std::string_view text, int32_t& hash_out) noexcept;

}  // namespace pgload
