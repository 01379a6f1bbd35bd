// The move engine: the one place that picks a run's backend (the local cluster, or on real Citus pgmove's own copy
// or Citus's move) and hands it to the scheduler (move/executor.h) and to recovery (move/move_recovery.h).
#pragma once

#include <vector>

#include "common/catalog.h"
#include "mover/move/move_types.h"

namespace pgload {

// Runs the moves (each request = a colocation unit: every shard with the same colocation id and shard index moves
// with it). Prints `NOTICE:  Moving shard 102008 from 127.0.0.1:9701 to 127.0.0.1:9703 ...` to stdout when a move
// starts. Throws (PgError or std::runtime_error naming shard and node) if a move fails, after cleaning that move;
// moves already switched stay switched. Requests are validated before any move starts.
MoveSummary execute_moves(Catalog& catalog, const std::vector<MoveRequest>& moves, const ExecutorOptions& opts);

// Cleans or finishes moves a crashed run left in the journal (pgload.moves); returns how many entries were resolved.
// Moves owned by a live pgmove (its advisory lock is held) are left alone.
int recover_moves(Catalog& catalog);
// recover_moves, saying on stderr how many it resolved (when any): what every move command does first.
int recover_moves_reporting(Catalog& catalog);

}  // namespace pgload
