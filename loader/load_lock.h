// What Citus's own COPY holds on the coordinator (commands/multi_copy.c), held by pgload for as long: a
// RowExclusiveLock on the table, the shard metadata lock in Share mode and the shard resource locks in RowExclusive
// mode (SerializeNonCommutativeWrites) on every shard it writes, from before it reads placements until its last
// COMMIT PREPARED. So a move never switches a placement under a load, and Citus operations that rewrite or replace a
// table's shards (alter_distributed_table, undistribute_table, splits, DDL) wait for a load as for a Citus COPY.
// For a reference table (a replica on every node) Citus's SerializeNonCommutativeWrites also takes the shard
// resource lock on the "first worker" first, so that writes started on metadata workers serialize too: pgload does
// the same, in a transaction on that worker opened before the coordinator's, in Citus's order (first worker, then
// coordinator), so it cannot deadlock with a Citus UPDATE that locks in that order.
// Before the commit decision the lock transactions are PREPAREd (`pgload_<run>_lock_<n>`): their locks then
// outlive the client, so after a crash in doubt every move waits until `pgload recover` has finished the run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/catalog.h"
#include "common/pg.h"

namespace pgload {

class LoadLock {
 public:
  // Opens the lock transaction on a coordinator session of its own, takes the locks on `table` and every shard,
  // then re-reads the nodes and `table` (its placements) as they are once the locks are granted. Throws LoadError
  // (exit 3, nothing loaded) on a lock timeout, when the user may not take the lock (not the table's owner), or on
  // any failure.
  LoadLock(Catalog& catalog, Table& table, std::optional<int64_t> lock_timeout_ms,
           std::function<void(const std::string&)> on_wait);
  ~LoadLock();
  LoadLock(const LoadLock&) = delete;
  LoadLock& operator=(const LoadLock&) = delete;

  // Before the commit decision: PREPAREs the lock transaction as `gid`, so the locks stay until release() (or
  // `pgload recover`) even if this process dies. Throws LoadError unless the session holding the locks is still
  // there (they end with it) or when the PREPARE fails; nothing is decided then.
  void prepare(const std::string& gid);
  // The outcome is in doubt (decided, not every COMMIT PREPARED done): the prepared locks stay for `pgload recover`.
  void keep_for_recovery() noexcept { keep_ = true; }
  // Ends the lock transaction (prepared or not): after the last COMMIT PREPARED, or after the load was rolled back.
  // Returns a warning when a prepared lock could not be released (the next `pgload recover` or load releases it).
  std::optional<std::string> release() noexcept;

 private:
  // One lock transaction: the coordinator's, or the first worker's of a reference table.
  struct Txn {
    PgConn conn;
    bool open = false;
    std::string gid;  // set once prepared
  };
  static std::optional<std::string> end(Txn& t) noexcept;

  Txn first_worker_;  // a reference table's lock on Citus's first worker (none on the local cluster)
  Txn coordinator_;
  bool keep_ = false;
};

}  // namespace pgload
