// The verdict of common/pg_input's parse.
#include "loader/value_check.h"

namespace pgload {

const char *check_value(const ColumnType &t, std::string_view text) noexcept { return parse_pg_input(t, text).error; }

}  // namespace pgload
