// One LOCK TABLE over all of the unit's distributed tables, so they are taken together in one statement.
#include "mover/local/coordinator_lock.h"

#include <string>
#include <vector>

namespace pgload {

void lock_coordinator_tables(const PgConn& coord, const MoveUnit& u, const ShardLockOptions& lock) {
  std::vector<std::string> names;
  for (const auto& s : u.shards) names.push_back("ONLY " + s.logical_relation);
  lock_waiting(coord, "LOCK TABLE " + join_sql_list(names, ", ") + " IN EXCLUSIVE MODE", u.shard_ids(), lock);
}

}  // namespace pgload
