// add_node: probe, then citus_add_node (real Citus, or cluster/catalog.sql's version on the local backend).
#include "mover/cluster/add_node.h"

namespace pgload {

std::optional<std::string> add_node(const PgConn& coordinator, const Catalog& catalog, const Endpoint& endpoint) {
  Node probe;
  probe.host = endpoint.first;
  probe.port = endpoint.second;
  (void)PgConn::connect(catalog.node_conninfo(probe), "pgmove");  // must be running before it is registered
  return coordinator.scalar("SELECT citus_add_node($1, $2::int)", {endpoint.first, std::to_string(endpoint.second)});
}

}  // namespace pgload
