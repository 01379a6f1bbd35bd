// Small helpers the tests share for building shell commands and reading/writing fixture files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pgload::test {

// `s` single-quoted for /bin/sh.
std::string sh(std::string_view s);
void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);
// Data rows of a psql-style table with `columns` columns (header and separator lines skipped), cells trimmed.
std::vector<std::vector<std::string>> psql_table_rows(const std::string& output, int columns);

}  // namespace pgload::test
