// Checks a conninfo string or URI the way libpq will read it, before anything connects: a typo in an option is a
// usage error, not a connection failure.
#pragma once

#include <optional>
#include <string>

namespace pgload {

// libpq's reason why `conninfo` cannot be parsed (passwords redacted), or nullopt when it parses. "" parses (libpq's
// defaults), and so does a bare word: PgConn::connect passes it as the database name.
std::optional<std::string> conninfo_error(const std::string& conninfo);

}  // namespace pgload
