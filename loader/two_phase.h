// Two-phase commit across shard connections, with the decision recorded on the coordinator first (as Citus
// records its own in pg_dist_transaction), so a crash at any point resolves to all rows or none.
//
// Protocol: every worker transaction is PREPAREd as pgload_<run>_<node>_<n>; then one coordinator INSERT into
// pgload.commit_decisions is the commit point; then COMMIT PREPARED everywhere; then the record is deleted.
// A run holds a session advisory lock on its run id for its whole life, so `recover` never touches a live run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"

namespace pgload {

class TwoPhaseRun {
 public:
  // Creates pgload's own schema/table if needed and takes the run's advisory lock on `coordinator`, the caller's
  // session, which the run shares (the lock lives there) and which must outlive it.
  explicit TwoPhaseRun(const PgConn& coordinator);
  explicit TwoPhaseRun(PgConn&&) = delete;  // a temporary session would be gone before the run
  const std::string& run_id() const noexcept { return run_id_; }
  // Global transaction id for connection `n` of node `node_id`.
  std::string gid(int32_t node_id, int n) const;
  // The commit point: durably records that every gid in `gids` must commit.
  void record_decision(const std::vector<std::string>& gids) const;
  // Removes the decision after every COMMIT PREPARED succeeded.
  void forget_decision() const;

 private:
  const PgConn& coordinator_;
  std::string run_id_;
};

struct RecoveryResult {
  int committed = 0;
  int rolled_back = 0;
  int skipped_live = 0;  // belonged to a run that is still running
};

// Finishes or rolls back whatever prepared transactions dead pgload runs left on the workers.
RecoveryResult recover_prepared(const Catalog& catalog);

// Test hook: when PGLOAD_FAULT names `point` (optionally `point:N` for the Nth time), the process kills itself
// with SIGKILL there, exactly like a crash. Points: after_batch (a batch handed to the COPY sink), before_prepare,
// after_prepare, after_decision, after_commit.
void fault_point(const char* point);

}  // namespace pgload
