// Session: connect, read the catalog, apply the per-worker conninfo overrides; conninfos are logged redacted.
#include "mover/cluster/session.h"

#include <string>

#include "common/log.h"

namespace pgload {

namespace {
PgConn connect_coordinator(const ConnectionOptions& o) {
  log::info("connecting to the coordinator: {}", log::printable_conninfo(o.coordinator));
  return PgConn::connect(o.coordinator, "pgmove");
}
}  // namespace

Session::Session(const ConnectionOptions& o)
    : coordinator(connect_coordinator(o)), catalog(Catalog::load(coordinator, o.backend)) {
  log::info("catalog read from {}: backend {}, {} node(s)", coordinator.endpoint(), backend_name(catalog.backend()),
            catalog.nodes().size());
  apply_node_conninfo(catalog, o);
}

}  // namespace pgload
