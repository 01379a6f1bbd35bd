// What both tools' --help looks like, and the CLI11 settings both parsers share, so the two tools read and print
// their command lines the same way.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace pgload {

// Options keep the last value when repeated (as the hand-written parsers did), and unknown words are collected so
// the caller can name them in its own message instead of CLI11's.
void configure_cli(CLI::App& app, std::string synopsis);

// The first word CLI11 could not place (an unknown option, its "=value" cut off), or "" when there is none.
std::string first_unknown_word(const CLI::App& app);

// Column at which option (and command) descriptions start in --help.
inline constexpr size_t kOptionColumn = 36;

// `text` word-wrapped for --help: the first line continues where the caller is (at column `indent`), the others
// are indented to `indent`.
std::string wrap_help(const std::string& text, size_t indent);

// A CLI11 parse failure as one line without CLI11's exception class prefix.
std::string cli_error_message(const CLI::Error& e);

}  // namespace pgload
