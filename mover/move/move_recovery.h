// Recovery of moves a crashed run left in the journal (pgload.moves), whatever the backend: each orphaned entry is
// claimed by its owner lock (a live pgmove's moves are left alone) and resolved by the backend.
#pragma once

#include "common/catalog.h"
#include "mover/move/move_backend.h"

namespace pgload {

// Returns how many entries were resolved; an entry that cannot be resolved now is warned about and left.
int resolve_orphans(Catalog& catalog, MoveBackend& backend);
// resolve_orphans, saying on stderr how many it resolved (when any).
int resolve_orphans_reporting(Catalog& catalog, MoveBackend& backend);

}  // namespace pgload
