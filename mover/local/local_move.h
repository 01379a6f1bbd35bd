// The local backend's move: journal -> create target tables -> copy (block_writes: under the shard lock and a write
// lock; logical: under an exported snapshot) -> indexes, foreign keys -> verify -> (logical: subscription, catch-up,
// then the shard lock and a write lock for the final catch-up only) -> switch pg_dist_placement and the journal in
// one coordinator transaction -> drop the source.
#pragma once

#include "mover/move/move_context.h"
#include "mover/move/move_unit.h"

namespace pgload {

// Moves one unit; on failure cleans what it can, records the move as aborted, and throws the error named after
// the move (rethrow_named). Moves switched stay switched.
void move_local(MoveContext& run, const MoveUnit& u);

}  // namespace pgload
