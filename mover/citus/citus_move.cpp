// Path choice and the native path. The direct path needs superuser on every node (pg_dist_* rows, the workers'
// internal metadata UDF, replication slots) and max_prepared_transactions on the metadata workers (its switch is
// two-phase); managed services give neither, so there Citus moves and pgmove schedules: Citus locks a colocation
// group per move, so moves of one group run one after another; a node takes part in one move at a time; and starts
// are spaced by the previous move's size over --max-rate, since Citus's copy cannot be throttled from outside.
#include "mover/citus/citus_move.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>

#include "mover/citus/citus_direct_move.h"

namespace pgload {

namespace {

// Why the direct path cannot run on `catalog`'s nodes, or "" when it can; the sessions it opened on the workers
// go to `pool` for the moves.
std::string direct_path_blocker(const Catalog& catalog, SessionPool& pool) {
  auto su = catalog.coordinator().scalar("SELECT current_setting('is_superuser')");
  if (!su || *su != "on") return "the coordinator's role is not a superuser";
  for (const auto& n : catalog.nodes()) {
    if (n.is_coordinator() || !n.is_active || n.role != "primary") continue;
    try {
      PgConn c = connect_citus_worker(catalog.node_conninfo(n), "pgmove");
      auto r = c.exec("SELECT current_setting('is_superuser'), current_setting('max_prepared_transactions')::int");
      if (r.str(0, 0) != "on") return "the role is not a superuser on " + n.endpoint();
      if (r.i64(0, 1) < 1) return "max_prepared_transactions is 0 on " + n.endpoint();
      pool.give("worker " + n.endpoint(), std::move(c));
    } catch (const PgError& e) {
      return "cannot reach " + n.endpoint() + " directly (" + e.server_message() + ")";
    }
  }
  return "";
}

uint64_t unit_bytes(const PgConn& coord, const MoveUnit& u) {
  auto b = coord.scalar(
      "SELECT coalesce(sum(shard_size), 0) FROM pg_catalog.citus_shards WHERE shardid = ANY($1::bigint[]) "
      "AND nodename = $2 AND nodeport = $3::int",
      {array_literal(u.shard_ids()), u.source.host, std::to_string(u.source.port)});
  return b ? std::stoull(*b) : 0;
}

void move_native(MoveContext& run, CitusRun& citus, const MoveUnit& u) {
  std::mutex* group_lock;
  {
    std::lock_guard lock(run.citus_mu);
    group_lock = &run.citus_group_locks[u.colocation_id];
  }
  std::lock_guard serial(*group_lock);
  PgConn coord = PgConn::connect(run.coordinator_conninfo, "pgmove");
  const uint64_t bytes = unit_bytes(coord, u);
  citus.start_native(u, bytes);
  run.progress.notice_moving(u);
  auto progress = run.progress.add(u.what());
  progress->total_bytes = bytes;
  progress->set_phase("copying (Citus)");
  try {
    coord.exec(
        "SELECT pg_catalog.citus_move_shard_placement($1::bigint, $2::text, $3::int, $4::text, $5::int, "
        "shard_transfer_mode := $6::citus.shard_transfer_mode)",
        {std::to_string(u.request.shard_id), u.source.host, std::to_string(u.source.port), u.target.host,
         std::to_string(u.target.port), std::string(transfer_mode_name(run.opts.mode))});
  } catch (...) {
    citus.done_native(u);
    run.progress.remove(progress);
    rethrow_named(u);
  }
  progress->bytes = bytes;
  citus.done_native(u);
  run.progress.finish(progress);
  std::lock_guard lock(run.stats_mu);
  run.summary.moves += 1;
  run.summary.bytes += bytes;
}

}  // namespace

CitusRun::CitusRun(const Catalog& catalog, const ExecutorOptions& opts)
    : max_rate_bytes_per_s_(opts.max_rate_bytes_per_s),
      bucket_(opts.max_rate_bytes_per_s, std::max<int64_t>(opts.max_rate_bytes_per_s, int64_t{64} * 1024)) {
  if (opts.citus_native) {
    reason_ = "--citus-native";
  } else {
    reason_ = direct_path_blocker(catalog, sessions_);
    if (reason_.empty()) {
      path_ = CitusPath::Direct;
      reason_ = "superuser on every node";
    }
  }
  std::fprintf(stderr, "pgmove: Citus: %s (%s)\n",
               path_ == CitusPath::Direct ? "pgmove copies the shards and switches the placements itself"
                                          : "moving with citus_move_shard_placement()",
               reason_.c_str());
}

void CitusRun::start_native(const MoveUnit& u, uint64_t bytes) {
  std::unique_lock lock(mu_);
  const std::string a = u.source.endpoint(), b = u.target.endpoint();
  cv_.wait(lock, [&] { return !busy_nodes_.count(a) && !busy_nodes_.count(b); });
  busy_nodes_.insert(a);
  busy_nodes_.insert(b);
  if (max_rate_bytes_per_s_ > 0) {
    // The mean rate over the run stays at the limit: each start books its bytes' share of time.
    auto start = std::max(std::chrono::steady_clock::now(), next_start_);
    next_start_ = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(
                              static_cast<double>(bytes) / static_cast<double>(max_rate_bytes_per_s_)));
    lock.unlock();
    std::this_thread::sleep_until(start);
  }
}

void CitusRun::done_native(const MoveUnit& u) {
  {
    std::lock_guard lock(mu_);
    busy_nodes_.erase(u.source.endpoint());
    busy_nodes_.erase(u.target.endpoint());
  }
  cv_.notify_all();
}

void move_citus(MoveContext& run, CitusRun& citus, const MoveUnit& u) {
  if (citus.path() == CitusPath::Direct)
    move_citus_direct(run, citus.sessions(), citus.bucket(), u);
  else
    move_native(run, citus, u);
}

}  // namespace pgload
