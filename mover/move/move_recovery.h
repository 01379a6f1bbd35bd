// Recovery of moves a crashed run left in the journal (pgload.moves), whatever the backend: each orphaned entry is
// claimed by its owner lock (a live pgmove's moves are left alone) and resolved by the backend.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "mover/move/move_backend.h"

namespace pgload {

// Returns how many entries were resolved; an entry that cannot be resolved now is warned about and left.
int resolve_orphans(Catalog& catalog, MoveBackend& backend);
// resolve_orphans, saying on stderr how many it resolved (when any).
int resolve_orphans_reporting(Catalog& catalog, MoveBackend& backend);

// The shard tables of `e` that recovery may drop on group `group`: those of shards with no placement there in the
// coordinator's pg_dist_placement. A table whose shard has one is live data placed since the crash (by Citus's
// rebalancer, say): it is kept, and said so on stderr.
std::vector<std::string> droppable_relations(const PgConn& coordinator, const JournalEntry& e, int32_t group);

}  // namespace pgload
