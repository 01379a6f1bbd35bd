// Construction of the shared move state; the moves themselves are in local_move and citus_move.
#include "mover/move/move_context.h"

namespace pgload {

std::string coordinator_conninfo(const Catalog& catalog) {
  Node n;
  n.host = catalog.coordinator().host();
  n.port = catalog.coordinator().port();
  return catalog.node_conninfo(n);
}

MoveContext::MoveContext(const Catalog& catalog, const ExecutorOptions& opts)
    : catalog(catalog),
      opts(opts),
      coordinator_conninfo(pgload::coordinator_conninfo(catalog)),
      bucket(opts.max_rate_bytes_per_s),
      progress(opts.progress) {}

void MoveContext::step(const MoveUnit& u, std::string_view name) const {
  if (opts.hooks.on_step) opts.hooks.on_step(u.request.shard_id, name);
}

}  // namespace pgload
