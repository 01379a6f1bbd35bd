// Moves of one colocation group are serialized here because Citus locks the group per move; the summary's bytes
// are citus_shards' sizes, as Citus copies without telling us.
#include "mover/citus_move.h"

#include <mutex>
#include <string>

namespace pgload {

void move_citus(MoveContext& run, const MoveUnit& u) {
  std::mutex* group_lock;
  {
    std::lock_guard lock(run.citus_mu);
    group_lock = &run.citus_group_locks[u.colocation_id];
  }
  std::lock_guard serial(*group_lock);
  PgConn coord = PgConn::connect(run.coordinator_conninfo, "pgmove");
  run.progress.notice_moving(u);
  try {
    coord.exec(
        "SELECT pg_catalog.citus_move_shard_placement($1::bigint, $2::text, $3::int, $4::text, $5::int, "
        "shard_transfer_mode := $6::citus.shard_transfer_mode)",
        {std::to_string(u.request.shard_id), u.source.host, std::to_string(u.source.port), u.target.host,
         std::to_string(u.target.port), std::string(transfer_mode_name(run.opts.mode))});
  } catch (...) {
    rethrow_named(u);
  }
  std::string ids = "{";
  for (int64_t id : u.shard_ids()) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
  auto bytes = coord.scalar("SELECT coalesce(sum(shard_size), 0) FROM pg_catalog.citus_shards WHERE shardid = ANY($1::bigint[])",
                            {ids + "}"});
  std::lock_guard lock(run.stats_mu);
  run.summary.moves += 1;
  run.summary.bytes += bytes ? std::stoull(*bytes) : 0;
}

}  // namespace pgload
