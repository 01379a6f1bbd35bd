// The values a move run is described by, shared by the scheduler, the step script, both backends, the planner's
// callers and the page: what to move (MoveRequest), how (ExecutorOptions, MoveHooks) and what it did (MoveSummary).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pgload {

enum class TransferMode { BlockWrites, Logical };
// Citus's shard_transfer_mode spelling: "block_writes" / "force_logical".
inline const char* transfer_mode_name(TransferMode mode) noexcept {
  return mode == TransferMode::Logical ? "force_logical" : "block_writes";
}

struct MoveRequest {
  int64_t shard_id;
  std::string source_host;
  int32_t source_port;
  std::string target_host;
  int32_t target_port;
};

// Test hooks, called on the thread running the move; a hook that throws fails that move like any other error.
struct MoveHooks {
  // After each chunk handed to a target shard table (attempt counts from 1; > 1 only when retried from a spool).
  std::function<void(int64_t shard_id, int attempt, uint64_t bytes_so_far)> after_target_chunk;
  // At step boundaries of a move, named by the request's shard: "blocking" (the shard lock is held and writes to the
  // unit are blocked from here to the switch), "verified" (logical: the bulk copy matches the exported snapshot,
  // before the subscription applies anything), "copied" (rows, indexes and foreign keys on the target; in logical
  // mode the subscription is streaming and writes flow), "switching" (verified, just before the catalog update).
  // block_writes: blocking, copied, switching; logical: verified, copied, blocking, switching. Citus's direct move
  // adds "prepared" (workers' parts prepared, before the coordinator's COMMIT) and "switched" (after it).
  std::function<void(int64_t shard_id, std::string_view step)> on_step;
  // Each time a move has taken the shard lock, before it blocks writes (logical, local cluster: first for the slot).
  std::function<void(int64_t shard_id)> after_shard_lock;
};

class MoveControl;

struct ExecutorOptions {
  TransferMode mode = TransferMode::BlockWrites;
  int parallel = 1;                  // moves running at once (never two on the same shard)
  int64_t max_rate_bytes_per_s = 0;  // total over all parallel moves; 0 = unlimited
  std::string spool_dir;             // non-empty: copy through a spool file there; target failures retry from it
  bool progress = false;             // progress lines on stderr (only if stderr is a TTY)
  bool json = false;                 // reserved for the CLI's output format; the executor prints NOTICE lines only
  bool binary_copy = true;           // COPY (FORMAT binary); false = text
  int max_target_attempts = 3;       // with a spool: target attempts per shard table
  int catchup_timeout_s = 600;       // logical: longest wait for the subscription to catch up
  std::optional<int64_t> lock_timeout_ms;  // longest wait for the shard lock (a running load holds it); unset = forever
  bool citus_native = false;               // Citus: always move with citus_move_shard_placement()
  MoveHooks hooks;
  // Optional: lets another thread stop the run, change its rate and read each move's progress (mover/move_control.h).
  MoveControl* control = nullptr;
};

struct MoveSummary {
  int moves = 0;       // moves switched by this call
  uint64_t bytes = 0;  // COPY bytes written to targets
  double seconds = 0;
  // Wall seconds during which at least one of pgmove's own copies was sending rows (from a COPY's first row to its
  // last: no BEGIN, TRUNCATE, COMMIT, DDL, index, verify or switch);
  // bytes / copy_seconds is the rate --max-rate governs. 0 when no copy of its own ran (citus_native).
  double copy_seconds = 0;
  int source_reads = 0;     // COPY ... TO STDOUT run on sources (one per shard table unless something failed)
  int target_attempts = 0;  // COPY ... FROM STDIN attempts on targets
  std::string path;         // how: "local", "citus_direct" (pgmove copies) or "citus_native"
};

}  // namespace pgload
