// The one diagnostic logger of both tools: spdlog on stderr, silent unless --verbose (steps) or --debug (also the
// SQL, endpoint and SQLSTATE of a failing statement). Normal output (results, errors) never goes through it.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

namespace pgload {

class PgError;

namespace log {

enum class Verbosity { Normal, Verbose, Debug };

// Installs the logger named after the tool ("pgload: info: ..."); call once from main.
void init(const char* tool, Verbosity verbosity);
// Whether init() asked for --verbose or --debug: what is only worth assembling for the log (a library used without
// init(), as in the tests, logs nothing of it: spdlog's own default logger would print info lines on stdout).
bool verbose() noexcept;

template <typename... Args>
void info(spdlog::format_string_t<Args...> format, Args&&... args) {
  spdlog::info(format, std::forward<Args>(args)...);
}

template <typename... Args>
void debug(spdlog::format_string_t<Args...> format, Args&&... args) {
  spdlog::debug(format, std::forward<Args>(args)...);
}

// At --debug: the failing statement, where it ran and its SQLSTATE, passwords redacted. Call it once, where the
// tool reports the error.
void failed_statement(const PgError& e);

// A conninfo or URI safe to log: the password is masked, an empty one reads as libpq's defaults.
std::string printable_conninfo(const std::string& conninfo);

}  // namespace log
}  // namespace pgload
