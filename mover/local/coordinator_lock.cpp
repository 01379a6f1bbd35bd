// One LOCK TABLE over all of the unit's distributed tables, so they are taken together in one statement.
#include "mover/local/coordinator_lock.h"

#include <string>
#include <vector>

namespace pgload {

void lock_coordinator_tables(const PgConn& coord, const MoveUnit& u, const ShardLockOptions& lock) {
  std::vector<std::string> names, oids;
  for (const auto& s : u.shards) {
    names.push_back("ONLY " + s.logical_relation);
    oids.push_back(quote_literal(s.logical_relation) + "::regclass");
  }
  // A writer that holds one of the tables and waits for this transaction: a load between its table lock and the
  // shard lock this move holds.
  const std::string cycle =
      "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks h WHERE h.granted AND h.locktype = 'relation' "
      "AND h.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) "
      "AND h.relation = ANY(ARRAY[" +
      join_sql_list(oids, ", ") +
      "]::oid[]) AND h.mode <> 'AccessShareLock' AND h.pid <> $1::int "
      "AND $1::int = ANY(pg_catalog.pg_blocking_pids(h.pid)))";
  ShardLockOptions opts = lock;
  opts.give_way = [cycle](const PgConn& session, int pid) {
    return session.scalar(cycle, {std::to_string(pid)}) == "t";
  };
  lock_waiting(coord, "LOCK TABLE " + join_sql_list(names, ", ") + " IN EXCLUSIVE MODE", u.shard_ids(), opts);
}

}  // namespace pgload
