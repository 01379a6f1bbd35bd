// Checks a conninfo string or URI the way libpq will read it, before anything connects: a typo in an option is a
// usage error, not a connection failure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pgload {

// libpq's reason why `conninfo` cannot be parsed (passwords redacted), or nullopt when it parses. "" parses (libpq's
// defaults), and so does a bare word: PgConn::connect passes it as the database name.
std::optional<std::string> conninfo_error(const std::string& conninfo);

// `v` as a libpq conninfo value: single-quoted with backslash escapes (not SQL's doubled quotes).
std::string conninfo_value(std::string_view v);

// The part of `conninfo` that says where to connect and as whom (host, hostaddr, port, dbname, user, options,
// sslmode, connect_timeout), for a conninfo a server keeps (a subscription's): no password, nor any file or secret of
// this machine. The server authenticates on its own (its ~/.pgpass, or Citus's pg_dist_authinfo).
std::string conninfo_without_secrets(const std::string& conninfo);

}  // namespace pgload
