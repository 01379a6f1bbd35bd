// PQconninfoParse reads the string exactly as PQconnectdb would, without connecting or reading the environment.
#include "common/conninfo.h"

#include <libpq-fe.h>

#include <array>
#include <memory>

#include "common/catalog.h"

namespace pgload {

std::optional<std::string> conninfo_error(const std::string& conninfo) {
  // libpq's own rule (expand_dbname): a string without "=" that is not a URI is just a database name.
  const bool is_uri = conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
  if (!is_uri && conninfo.find('=') == std::string::npos) return std::nullopt;
  char* raw_error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(conninfo.c_str(), &raw_error),
                                                                       &PQconninfoFree);
  std::unique_ptr<char, decltype(&PQfreemem)> error(raw_error, &PQfreemem);
  if (options) return std::nullopt;
  std::string reason = error ? error.get() : "out of memory";
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
  return redact_conninfo(reason);  // libpq quotes parts of a malformed URI, password included
}

std::string conninfo_value(std::string_view v) {
  std::string out = "'";
  for (char ch : v) {
    if (ch == '\\' || ch == '\'') out.push_back('\\');
    out.push_back(ch);
  }
  return out + "'";
}

std::string conninfo_without_secrets(const std::string& conninfo) {
  static constexpr std::array<std::string_view, 8> kKept{"host", "hostaddr", "port",    "dbname",
                                                         "user", "options",  "sslmode", "connect_timeout"};
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(conninfo.c_str(), nullptr),
                                                                       &PQconninfoFree);
  std::string out;
  for (PQconninfoOption* o = options.get(); o && o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    for (std::string_view k : kKept)
      if (k == o->keyword) out += (out.empty() ? "" : " ") + std::string(k) + "=" + conninfo_value(o->val);
  }
  return out;
}

}  // namespace pgload
