// Fuzzes the command-line parser and the conninfo/URL redaction: no crash, usage errors only as UsageError,
// and redaction never leaves a password value behind.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "loader/options.h"
#include "loader/source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);

  // argv: NUL-separated words after the program name; --help/--version would only print.
  std::vector<std::string> words{"pgload"};
  size_t pos = 0;
  while (pos <= input.size() && words.size() < 64) {
    size_t end = input.find('\0', pos);
    if (end == std::string::npos) end = input.size();
    std::string w = input.substr(pos, end - pos);
    if (w != "--help" && w != "-h" && w != "--version") words.push_back(w);
    pos = end + 1;
  }
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  try {
    auto o = pgload::parse_load_options(static_cast<int>(argv.size()), argv.data());
    if (o.command == "load" && (o.urls.empty() || o.table.empty())) std::abort();
    if (o.command != "help" && o.escape == '\0') std::abort();  // the escape character always resolves
  } catch (const pgload::UsageError&) {
  }

  // After redaction every password= is followed by the mask, never by the secret.
  std::string red = pgload::redact_conninfo(input);
  for (size_t at = red.find("password="); at != std::string::npos; at = red.find("password=", at + 1)) {
    size_t v = at + 9;
    while (v < red.size() && std::isspace(static_cast<unsigned char>(red[v]))) ++v;
    if (v < red.size() && red[v] != '*') std::abort();
  }
  if (input.find('\0') == std::string::npos) {
    std::string r = pgload::redact_url(input);
    (void)r;
  }
  return 0;
}
