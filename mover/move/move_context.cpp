// Construction of the shared move state; the moves themselves are in move_steps (and Citus's own, citus_native).
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

void MoveContext::count_moved(const ShardCopyStats& copied) {
  std::lock_guard lock(stats_mu);
  summary.moves += 1;
  summary.bytes += copied.bytes;
  summary.source_reads += copied.source_reads;
  summary.target_attempts += copied.target_attempts;
}

}  // namespace pgload
