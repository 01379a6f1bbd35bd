// PQconninfoParse reads the string exactly as PQconnectdb would, without connecting or reading the environment.
#include "common/conninfo.h"

#include <libpq-fe.h>

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

}  // namespace pgload
