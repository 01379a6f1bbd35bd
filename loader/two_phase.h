// Two-phase commit across shard connections, with the decision recorded on the coordinator first (as Citus
// records its own in pg_dist_transaction), so a crash at any point resolves to all rows or none.
//
// Protocol: every worker transaction is PREPAREd as pgload_<run>_<node>_<n>; then one coordinator INSERT into
// pgload.commit_decisions (each gid with the host:port it was prepared on) is the commit point; then COMMIT PREPARED
// everywhere; then the record is deleted. A run holds a session advisory lock on its run id for its whole life, so
// `recover` never touches a live run. Recovery finds a decided gid by its recorded host:port, even on a node that
// is inactive or gone from pg_dist_node, and deletes a decision only when every gid in it is resolved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"

namespace pgload {

// One prepared worker transaction: its gid and the node (host:port) it was prepared on.
struct PreparedTxn {
  std::string gid;
  std::string endpoint;
};

class TwoPhaseRun {
 public:
  // Opens a session of its own to the server of `coordinator` (decisions commit while the caller's transactions
  // there stay open), creates pgload's schema/table if needed and takes the run's advisory lock.
  explicit TwoPhaseRun(const PgConn& coordinator);
  const std::string& run_id() const noexcept { return run_id_; }
  // Global transaction id for connection `n` of node `node_id`.
  std::string gid(int32_t node_id, int n) const;
  // Global transaction id of the coordinator lock transaction of commit `n` (0, or the --checkpoint step): see
  // LoadLock::prepare. Recovery releases it last, once none of the run's worker transactions is still prepared.
  std::string lock_gid(int64_t n) const;
  // When the run started, in microseconds by the coordinator's clock: with the run id, the order of wait-die.
  int64_t started_us() const noexcept { return started_us_; }

  // The commit point: durably records that every transaction in `txns` must commit.
  void record_decision(const std::vector<PreparedTxn>& txns) const;
  // Removes the decision after every COMMIT PREPARED succeeded. The load is committed whatever happens here, so a
  // failure (say the coordinator connection dropped) is returned, not thrown: the next recover deletes the row.
  [[nodiscard]] std::optional<std::string> forget_decision() const;
  // Test hook for the fault point lose_coordinator_after_commit: ends the run's coordinator session.
  void lose_session_for_fault() const noexcept;
  // A statement that commits in the same coordinator transaction as every later decision (a checkpoint's progress
  // row), so the two can never disagree; empty sql = none.
  void set_decision_rider(std::string sql, Params params);
  // The run's own coordinator session: it holds the run's advisory lock (and any lock taken through it) for life.
  const PgConn& session() const noexcept { return coordinator_; }

 private:
  PgConn coordinator_;  // its own session: decisions commit while the caller's transactions stay open
  std::string run_id_;
  int64_t started_us_ = 0;
  std::string rider_sql_;
  Params rider_params_;
};

struct RecoveryResult {
  int committed = 0;
  int rolled_back = 0;
  int skipped_live = 0;    // belonged to a run that is still running
  int locks_released = 0;  // prepared lock transactions of finished runs released on the coordinator
  // Decided runs that could not be finished, one line each naming the node and the gids left there; their
  // decisions stay on the coordinator for the next `pgload recover` (exit 5 while this is not empty).
  std::vector<std::string> unresolved;
};

// Finishes or rolls back whatever prepared transactions dead pgload runs left on the workers: every primary node
// in pg_dist_node (active or not) and every host:port a decision names. Throws PgError when an active node that
// no decision needs is unreachable.
RecoveryResult recover_prepared(const Catalog& catalog);

// Test hook: when PGLOAD_FAULT names `point` (optionally `point:N` for the Nth time), the process kills itself
// with SIGKILL there, exactly like a crash. Points: after_batch (a batch handed to the COPY sink), before_prepare,
// after_prepare, after_decision, after_commit, and with --checkpoint after_step (a step committed, before the next).
void fault_point(const char* point);
// Test hook: true (once, at the Nth time) when PGLOAD_FAULT names `point`, for faults other than a crash. Points:
// lose_coordinator_after_commit (every COMMIT PREPARED done; the coordinator session ends before the decision is
// deleted).
bool fault_requested(const char* point);

}  // namespace pgload
