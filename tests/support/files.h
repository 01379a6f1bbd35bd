// Small helpers the tests share for building shell commands and reading/writing fixture files.
#pragma once

#include <string>
#include <string_view>

namespace pgload::test {

// `s` single-quoted for /bin/sh.
std::string sh(std::string_view s);
void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);

}  // namespace pgload::test
