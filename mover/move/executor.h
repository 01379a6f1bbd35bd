// Scheduling of shard moves over a chosen backend: each request moves a colocation unit (every shard with the same
// colocation id and shard index) from one worker to another, journaled on the coordinator so that a crashed run can
// be cleaned or finished. mover/engine.h picks the backend; this file knows none.
#pragma once

#include <vector>

#include "common/catalog.h"
#include "mover/move/move_backend.h"
#include "mover/move/move_types.h"

namespace pgload {

// Resolves what crashed runs left, validates every request, checks disk space, then runs the units on `parallel`
// threads with `backend`, stopping at the first failure (rethrown, naming the move; moves switched stay switched).
MoveSummary schedule_moves(Catalog& catalog, MoveBackend& backend, const std::vector<MoveRequest>& moves,
                           const ExecutorOptions& opts);

}  // namespace pgload
