// The catalog switch of a move on real Citus, done the way Citus's own TransferShards does it, as one distributed
// transaction: on the coordinator new pg_dist_placement rows for the target group (placement ids from Citus's
// sequence), the source rows deleted and the old shards handed to Citus's deferred cleanup (pg_dist_cleanup); on
// every metadata-synced worker citus_internal_update_placement_metadata per shard. The workers' parts are
// prepared (two-phase commit) before the coordinator commits, and the move journal's state commits with the
// coordinator's part, so the journal is the decision a recovering run follows.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"
#include "common/shard_lock.h"
#include "mover/citus/citus_sessions.h"
#include "mover/move/move_unit.h"

namespace pgload {

// Global transaction id of move `move_id`'s prepared part on worker group `group_id`: pgmove_<move>_<group>, a
// namespace of pgmove's own (pgload's recovery never resolves it).
std::string citus_switch_gid(int64_t move_id, int32_t group_id);

// One session per metadata-synced worker, each in a transaction that holds Citus's shard metadata lock, as
// BlockWritesToShardList takes it (LockShardListMetadataOnWorkers); sessions are named the way the coordinator
// names its own (application_name "citus_internal gpid=..."), which is what citus_internal_update_placement_metadata
// requires of a caller (its safety belt, citus.enable_manual_metadata_changes_for_user, is a PGC_SIGHUP setting a
// session cannot set).
class CitusMetadataWorkers {
 public:
  // The groups of every active primary worker with hasmetadata and metadatasynced, in order, as an int[] (a
  // subquery the caller reads over its own coordinator session: the catalog's is not shared between parallel moves).
  static const char* const kGroupsSql;
  // Connects to the workers of `groups` (kGroupsSql's); coordinator_gpid ties the sessions to the coordinator's
  // backend in citus_stat_activity.
  CitusMetadataWorkers(const Catalog& catalog, const std::vector<int32_t>& groups, const std::string& coordinator_gpid,
                       SessionPool& pool);
  // Opens at once the sessions a later CitusMetadataWorkers of the coordinator backend `coordinator_gpid` takes
  // from `pool`, one per metadata worker in `nodes` (each with its conninfo), and builds their Citus metadata cache
  // for `shard_ids` by a lock nothing of Citus conflicts with (AccessShareLock), rolled back. Never throws.
  static void warm(const std::vector<std::pair<Node, std::string>>& nodes, const std::string& coordinator_gpid,
                   const std::vector<int64_t>& shard_ids, SessionPool& pool) noexcept;
  CitusMetadataWorkers(CitusMetadataWorkers&&) = default;
  CitusMetadataWorkers& operator=(CitusMetadataWorkers&&) = default;
  ~CitusMetadataWorkers();

  // BEGIN and lock_shard_metadata(mode, ids) on every worker at once (after the coordinator); the first failure
  // is thrown once all are done.
  void lock(const std::vector<int64_t>& shard_ids, const ShardLockOptions& options);
  // Sends each worker the update of the unit's placements from source to target group and the PREPARE of its
  // transaction, all at once; await_prepare() waits for them and throws the first failure (every worker that
  // prepared is then known by its gid, so rollback() undoes it). The coordinator's part runs in between.
  void send_prepare(const MoveUnit& u, int64_t move_id);
  void await_prepare();
  // COMMIT PREPARED on each worker at once (after the coordinator committed); throws the first failure after all
  // were tried (a part that did not commit keeps its gid: recovery commits it).
  void commit_prepared();
  // Rolls back what is open or prepared; never throws (a prepared part it cannot reach is left to recovery).
  void rollback() noexcept;
  // Hands the (idle) sessions back to the pool.
  void release(SessionPool& pool);
  size_t size() const noexcept { return workers_.size(); }

 private:
  struct Worker {
    Node node;
    PgConn conn;
    std::string gid;                       // set once prepared
    std::string key;                       // in the session pool
    std::string pending_sql, pending_gid;  // the switch sent and not yet awaited (sent = true)
    bool sent = false;
  };
  std::vector<Worker> workers_;
};

// On the coordinator's open transaction (holding the shard locks): the placement rows and cleanup records of the
// switch. Throws if the source placements are not exactly the unit's shards (the catalog changed meanwhile).
void switch_coordinator_placements(const PgConn& coord, const MoveUnit& u);

// Finishes (commit = true) or rolls back the prepared parts of move `move_id` left on any node of the catalog, in
// the current form and in the pgload_move_<move>_<group> form of earlier versions; returns how many it resolved.
int resolve_citus_switch(const Catalog& catalog, int64_t move_id, bool commit);

}  // namespace pgload
