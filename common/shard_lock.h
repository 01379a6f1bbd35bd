// Citus's shard metadata lock, taken with lock_shard_metadata(mode, shard ids) on the coordinator (the same SQL on
// Citus and on the local cluster). Moves hold it in Exclusive mode while they block writes and switch a placement;
// a loader holds it in Share mode for its whole load, so a move waits for the load and the load for the move.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/pg.h"

namespace pgload {

// PostgreSQL's lock-mode numbers, the four Citus's lock_shard_metadata accepts.
enum class ShardLockMode : int { AccessShare = 1, RowExclusive = 3, Share = 5, Exclusive = 7 };

struct ShardLockOptions {
  ShardLockMode mode = ShardLockMode::Share;
  std::optional<int64_t> lock_timeout_ms;  // nullopt = wait as long as it takes
  // Told once, e.g. "waiting for the move of shard 102008 (127.0.0.1:9701 -> 127.0.0.1:9703)", when the lock is
  // not granted at once.
  std::function<void(const std::string&)> on_wait;
};

class ShardLockError : public std::runtime_error {
 public:
  enum class Kind { Timeout, NotOwner, Failed };
  ShardLockError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

// Takes the lock on `shard_ids` (sorted ascending here, so every caller locks in one order) on `coordinator`, which
// must be inside an open transaction; the lock lasts until that transaction ends. Throws ShardLockError; after a
// timeout the transaction is aborted.
void lock_shards(const PgConn& coordinator, std::vector<int64_t> shard_ids, const ShardLockOptions& options);
// Runs `lock_statement` (another lock a writer of `shard_ids` takes, e.g. a LOCK TABLE) the way lock_shards takes
// its lock: inside the caller's transaction, bounded by options.lock_timeout_ms, telling options.on_wait whom it
// waits for, ShardLockError on a timeout.
void lock_waiting(const PgConn& coordinator, const std::string& lock_statement, const std::vector<int64_t>& shard_ids,
                  const ShardLockOptions& options);

// Who holds a lock that backend `waiting_pid` waits for, in words: a load's prepared lock transaction ("a crashed
// load in doubt (run …): run `pgload recover`", or a load that is committing), the move (shard, source -> target) a
// holder runs, from pgmove's journal (pgload.moves, by the owner lock the move's session holds) or Citus's
// get_rebalance_progress(), else the holder's pid and application_name.
// Empty when nobody blocks it.
std::string describe_lock_holders(const PgConn& observer, int waiting_pid, const std::vector<int64_t>& shard_ids);

}  // namespace pgload
