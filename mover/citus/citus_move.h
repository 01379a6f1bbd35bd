// The Citus backend's moves. Two paths: with superuser on every node pgmove copies the colocation unit itself (the
// local engine's target tables, binary COPY, indexes after data, spool, throttle, checksum, logical catch-up) and
// switches the placements the way Citus's own move does (citus_direct_move); otherwise it drives Citus's
// citus_move_shard_placement(), concurrently on distinct node pairs and paced to --max-rate.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "mover/citus/citus_sessions.h"
#include "mover/copy/token_bucket.h"
#include "mover/move/move_context.h"
#include "mover/move/move_unit.h"

namespace pgload {

enum class CitusPath { Direct, Native };

// What the Citus moves of one execute_moves call share: the path taken and the native path's scheduling.
class CitusRun {
 public:
  // Picks the path (Native when forced, or when a node does not grant superuser or 2PC) and prints which and why.
  CitusRun(const Catalog& catalog, const ExecutorOptions& opts);

  CitusPath path() const noexcept { return path_; }
  const std::string& reason() const noexcept { return reason_; }

  // Native path: waits until no other move uses either node and the --max-rate pacing allows `bytes` to start;
  // done() frees the nodes again.
  void start_native(const MoveUnit& u, uint64_t bytes);
  void done_native(const MoveUnit& u);

  // Sessions shared by the direct path's moves.
  SessionPool& sessions() noexcept { return sessions_; }
  // The direct path's throttle (total over all moves): its burst is a second's worth, so the time a move spends
  // outside its copy (DDL, indexes, the switch) is made up in the next copy and the mean rate over the run is
  // --max-rate, which is what the option promises.
  TokenBucket& bucket() noexcept { return bucket_; }

 private:
  CitusPath path_ = CitusPath::Native;
  std::string reason_;
  int64_t max_rate_bytes_per_s_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> busy_nodes_;
  std::chrono::steady_clock::time_point next_start_ = std::chrono::steady_clock::now();
  SessionPool sessions_;
  TokenBucket bucket_;
};

// Moves one unit on the path `citus` took; throws the error named after the move.
void move_citus(MoveContext& run, CitusRun& citus, const MoveUnit& u);

}  // namespace pgload
