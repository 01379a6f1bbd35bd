// psql's aligned table format, which pgmove's text output uses so that it reads like Citus's own functions.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace pgload {

// Centered headers, columns marked in `right` right-aligned, then "(N rows)".
void print_table(std::ostream& out, const std::vector<std::string>& headers, const std::vector<bool>& right,
                 const std::vector<std::vector<std::string>>& rows);

}  // namespace pgload
