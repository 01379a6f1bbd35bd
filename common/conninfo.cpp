// PQconninfoParse reads the string exactly as PQconnectdb would, without connecting or reading the environment.
#include "common/conninfo.h"

#include <libpq-fe.h>

#include "common/catalog.h"

namespace pgload {

std::optional<std::string> conninfo_error(const std::string& conninfo) {
  // libpq's own rule (expand_dbname): a string without "=" that is not a URI is just a database name.
  const bool is_uri = conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
  if (!is_uri && conninfo.find('=') == std::string::npos) return std::nullopt;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options) {
    PQconninfoFree(options);
    return std::nullopt;
  }
  std::string reason = error ? error : "out of memory";
  if (error) PQfreemem(error);
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
  return redact_conninfo(reason);  // libpq quotes parts of a malformed URI, password included
}

}  // namespace pgload
