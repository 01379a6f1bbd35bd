// The local backend's move: journal -> create target tables -> copy (under a write lock, or under an exported
// snapshot plus a subscription) -> indexes -> verify -> switch pg_dist_placement and the journal in one
// coordinator transaction -> drop the source.
#pragma once

#include "mover/move_context.h"
#include "mover/move_unit.h"

namespace pgload {

// Moves one unit; on failure cleans what it can, records the move as aborted, and throws the error named after
// the move (rethrow_named). Moves switched stay switched.
void move_local(MoveContext& run, const MoveUnit& u);

}  // namespace pgload
