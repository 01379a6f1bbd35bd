// How many logical moves each source can serve at once. A logical move holds two of its source's WAL senders (the
// replication session that makes the slot, and the subscription's) and one replication slot; a move that finds
// none free fails halfway (rolled back, but the run stops). So a logical run asks each source first and runs no
// more moves from it at a time than it has room for.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "mover/move/move_unit.h"

namespace pgload {

// Per source endpoint of `units`: the logical moves that may run from it at once (at least 1), asked over SQL now:
// half its free WAL senders, and no more than its free replication slots. Throws, before anything moves, when a
// source cannot take even one logical move, saying what it has and what to change. Notes on stderr each source that
// holds the run below `parallel` moves at a time.
std::map<std::string, int> logical_moves_per_source(const Catalog& catalog, const std::vector<MoveUnit>& units,
                                                    int parallel);

}  // namespace pgload
