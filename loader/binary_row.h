// Rows in PostgreSQL's binary COPY format, encoded from the text values the tokenizer and the validator already
// produced: the workers then skip the text input functions. Only forms whose binary value is certain to equal
// what the type's input function would give are encoded; any other value sends its row as CSV instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loader/value_check.h"

namespace pgload {

// True when every column type has a binary encoder (types the validator does not know have none): only then may a
// table's rows go as binary COPY.
bool binary_encodable(const std::vector<ColumnType>& types) noexcept;

// The 19-byte file header that starts every binary COPY stream, and the 2-byte trailer that ends it.
void append_binary_header(std::string& out);
void append_binary_trailer(std::string& out);
inline constexpr size_t kBinaryHeaderBytes = 19;

// The 16-bit field count that starts a row.
void append_binary_row_start(std::string& out, uint16_t fields);

// Appends one field (32-bit length, then the type's send format; length -1 for NULL) for a value check_value()
// accepted. Returns false, leaving `out` partly written, when the text is in a form this encoder does not convert
// (e.g. "NaN", "0x1f", a decimal integer with '_'): the caller sends that row as CSV.
bool append_binary_field(std::string& out, const ColumnType& t, std::optional<std::string_view> value);

// A key whose unsigned order follows the B-tree order of the distribution column (integers by value, other types
// by their first 8 bytes): batches sorted by it insert into neighbouring index pages.
uint64_t sort_key(PgType t, std::string_view value) noexcept;
// Whether every value of type t that equals another (as the server compares them) has the same sort_key: integers
// (parsed) and text/varchar (bytes, under a deterministic collation). Not numeric ("1.0" = "1.00"), char(n)
// (trailing blanks), uuid (case) or times.
bool sort_key_is_exact(PgType t) noexcept;

// pg_strtoint64's accepted form ([ws][+-]digits[ws]) within [min, max]; false for anything else.
bool parse_pg_int(std::string_view text, int64_t min, int64_t max, int64_t& out) noexcept;

}  // namespace pgload
