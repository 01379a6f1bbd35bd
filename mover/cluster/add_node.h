// Registering a running PostgreSQL server as a worker (citus_add_node), for `pgmove add-node` and the page.
#pragma once

#include <optional>
#include <string>

#include "common/catalog.h"
#include "common/endpoint.h"
#include "common/pg.h"

namespace pgload {

// Connects to the server first (it must be running), then registers it; returns the new nodeid as text (nullopt when
// the coordinator returned none). Throws PgError when either step fails.
std::optional<std::string> add_node(const PgConn& coordinator, const Catalog& catalog, const Endpoint& endpoint);

}  // namespace pgload
