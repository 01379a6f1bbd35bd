// Client-side validation of one text value against its PostgreSQL column type,
// so a bad row is reported with its line and column instead of aborting a whole
// COPY on the server. The parse itself is common/pg_input's (one parse per
// value, shared with the binary encoder and the hash); where a form is too
// exotic to decide here it is accepted (the server still checks): never
// rejects what PG accepts.
#pragma once

#include <string_view>

#include "common/pg_input.h"

namespace pgload {

// nullptr if PostgreSQL would accept `text` as input for the type, else a short
// static reason such as "value out of range for type bigint" or "invalid input
// syntax for type integer". For callers that need only the verdict; the load
// pipeline keeps the whole PgInput instead.
const char *check_value(const ColumnType &t, std::string_view text) noexcept;

}  // namespace pgload
