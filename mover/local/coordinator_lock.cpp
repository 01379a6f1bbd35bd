// One LOCK TABLE over all of the unit's distributed tables, so they are taken together in one statement.
#include "mover/local/coordinator_lock.h"

#include <string>
#include <vector>

namespace pgload {

void lock_coordinator_tables(const PgConn& coord, const MoveUnit& u) {
  std::vector<std::string> names;
  for (const auto& s : u.shards) names.push_back("ONLY " + s.logical_relation);
  coord.run("LOCK TABLE " + join_sql_list(names, ", ") + " IN EXCLUSIVE MODE");
}

}  // namespace pgload
