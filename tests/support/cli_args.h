// Calling a tool's command-line parser from a test: argv from a word list, and the UsageError text of a refusal.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/exit_code.h"

namespace pgload::test {

// `parser(argc, argv)` on {program, args...}.
template <class Parser>
auto parse_argv(Parser parser, const char* program, std::vector<const char*> args) {
  args.insert(args.begin(), program);
  return parser(static_cast<int>(args.size()), args.data());
}

// The message of the UsageError the parser throws, or "(no error)".
template <class Parser>
std::string usage_error_of(Parser parser, const char* program, std::vector<const char*> args) {
  try {
    parse_argv(parser, program, std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace pgload::test
