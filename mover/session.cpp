// Session: connect, read the catalog, apply the per-worker conninfo overrides; conninfos are logged redacted.
#include "mover/session.h"

#include <string>

#include "common/conninfo.h"
#include "common/log.h"

namespace pgload {

namespace {
PgConn connect_coordinator(const CliOptions& o) {
  log::info("connecting to the coordinator: {}", log::printable_conninfo(o.coordinator));
  return PgConn::connect(o.coordinator, "pgmove");
}
}  // namespace

Session::Session(const CliOptions& o)
    : coordinator(connect_coordinator(o)), catalog(Catalog::load(coordinator, o.backend)) {
  log::info("catalog read from {}: backend {}, {} node(s)", coordinator.endpoint(), backend_name(catalog.backend()),
            catalog.nodes().size());
  for (const auto& spec : o.node_conninfo) {
    auto [endpoint, conninfo] = parse_node_conninfo(spec);
    catalog.set_node_conninfo(endpoint, conninfo);
    log::info("worker {} is reached with {}", endpoint, log::printable_conninfo(conninfo));
  }
}

void check_conninfo(const CliOptions& o) {
  if (auto error = conninfo_error(o.coordinator)) throw UsageError("--coordinator: " + *error);
  for (const auto& spec : o.node_conninfo) {
    auto [endpoint, conninfo] = parse_node_conninfo(spec);
    if (auto error = conninfo_error(conninfo)) throw UsageError("--node-conninfo " + endpoint + ": " + *error);
  }
}

}  // namespace pgload
