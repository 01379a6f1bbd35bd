// The settings an open connection effectively used (PG* environment, service file and .pgpass included), so a
// second session to the same server gets the same user, password, database and TLS settings.
#pragma once

#include <string>

#include "common/pg.h"

namespace pgload {

// Conninfo for another session to the server `conn` is connected to. Never print it: it may hold a password.
std::string session_conninfo(const PgConn& conn);

}  // namespace pgload
