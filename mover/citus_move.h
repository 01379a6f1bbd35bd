// The Citus backend's move: one citus_move_shard_placement call per unit, since only Citus may switch its own
// placements (see citus_move.cpp).
#pragma once

#include "mover/move_context.h"
#include "mover/move_unit.h"

namespace pgload {

// Real Citus moves shards itself: switching placements from outside Citus is unsafe with metadata sync (workers
// cache the metadata and Citus must also move the shard's dependent objects and cleanup records), so we only call
// citus_move_shard_placement, in parallel, and announce each move like rebalance_table_shards does.
void move_citus(MoveContext& run, const MoveUnit& u);

}  // namespace pgload
