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

// What one source has free now: max_wal_senders less its running walsenders, max_replication_slots less its slots.
struct SourceRoom {
  int wal_senders_free = 0;
  int max_wal_senders = 0;
  int slots_free = 0;
  int max_slots = 0;
};

// Pure: the logical moves that may run from a source at once, at least 1; 0 when not even one move fits.
int logical_moves_at_once(const SourceRoom& room);

// Per source endpoint of `units`: logical_moves_at_once of its room, asked over SQL now. Throws, before anything
// moves, when a source cannot take even one logical move, saying what it has and what to change. Notes on stderr
// each source that holds the run below `parallel` moves at a time.
std::map<std::string, int> logical_moves_per_source(const Catalog& catalog, const std::vector<MoveUnit>& units,
                                                    int parallel);

}  // namespace pgload
