#include "mover/citus/citus_native.h"

#include <map>
#include <string>
#include <thread>
#include <utility>

namespace pgload {

namespace {

uint64_t unit_bytes(const PgConn& coord, const MoveUnit& u) {
  auto b = coord.scalar(
      "SELECT coalesce(sum(shard_size), 0) FROM pg_catalog.citus_shards WHERE shardid = ANY($1::bigint[]) "
      "AND nodename = $2 AND nodeport = $3::int",
      {array_literal(u.shard_ids()), u.source.host, std::to_string(u.source.port)});
  return b ? std::stoull(*b) : 0;
}

}  // namespace

std::vector<uint64_t> CitusNativeBackend::unit_sizes(const std::vector<MoveUnit>& units) {
  if (units.empty()) return {};
  auto r = catalog_.coordinator().exec(
      "SELECT shardid, nodename || ':' || nodeport, shard_size FROM pg_catalog.citus_shards");
  std::map<std::pair<int64_t, std::string>, uint64_t> size;
  for (int i = 0; i < r.rows(); ++i) size[{r.i64(i, 0), r.str(i, 1)}] = static_cast<uint64_t>(r.i64(i, 2));
  std::vector<uint64_t> sizes;
  for (const auto& u : units) {
    uint64_t total = 0;
    for (int64_t id : u.shard_ids()) total += size[{id, u.source.endpoint()}];
    sizes.push_back(total);
  }
  return sizes;
}

void CitusNativeBackend::start(MoveContext& run, const MoveUnit& u, uint64_t bytes) {
  std::unique_lock lock(mu_);
  const std::string a = u.source.endpoint(), b = u.target.endpoint();
  cv_.wait(lock, [&] { return !busy_nodes_.count(a) && !busy_nodes_.count(b); });
  busy_nodes_.insert(a);
  busy_nodes_.insert(b);
  // The mean rate over the run stays at the bucket's rate (re-rated or not): each start waits off the bytes the
  // previous one moved.
  const auto wait = run.bucket.reserve(static_cast<int64_t>(booked_bytes_));
  booked_bytes_ = bytes;
  lock.unlock();
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

void CitusNativeBackend::done(const MoveUnit& u) {
  {
    std::lock_guard lock(mu_);
    busy_nodes_.erase(u.source.endpoint());
    busy_nodes_.erase(u.target.endpoint());
  }
  cv_.notify_all();
}

void CitusNativeBackend::move(MoveContext& run, const MoveUnit& u) {
  std::mutex* group_lock;
  {
    std::lock_guard lock(mu_);
    group_lock = &group_locks_[u.colocation_id];
  }
  std::lock_guard serial(*group_lock);
  PgConn coord = PgConn::connect(run.coordinator_conninfo, "pgmove");
  const uint64_t bytes = unit_bytes(coord, u);
  start(run, u, bytes);
  run.progress.notice_moving(u);
  auto progress = run.progress.add(u.what());
  progress->total_bytes = bytes;
  progress->set_phase("copying (Citus)");
  try {
    // The mode goes as an untyped literal that the function's own argument type takes: naming the type
    // (citus.shard_transfer_mode) would need USAGE on schema citus, which a managed service's user lacks.
    coord.exec(
        "SELECT pg_catalog.citus_move_shard_placement($1::bigint, $2::text, $3::int, $4::text, $5::int, "
        "shard_transfer_mode := " +
            quote_literal(transfer_mode_name(run.opts.mode)) + ")",
        {std::to_string(u.request.shard_id), u.source.host, std::to_string(u.source.port), u.target.host,
         std::to_string(u.target.port)});
  } catch (...) {
    done(u);
    run.progress.remove(progress);
    rethrow_named(u);
  }
  progress->bytes = bytes;
  done(u);
  run.progress.finish(progress);
  run.count_moved({bytes, 0, 0});
}

}  // namespace pgload
