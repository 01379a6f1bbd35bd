// The move of one colocation unit, step by step, written once for every backend that copies (the local cluster and
// pgmove's own move on Citus); what differs per backend is behind UnitMove (move_backend.h).
#pragma once

#include "mover/move/move_backend.h"
#include "mover/move/move_context.h"
#include "mover/move/move_unit.h"

namespace pgload {

// journal -> target tables (DDL and owner read off the source) -> copy (block_writes: under the write block from
// the start; logical: under an exported snapshot and checked against it, then a subscription, writes blocked only
// for the last catch-up) -> indexes, foreign keys -> verify -> the switch (the backend's, with the journal's
// 'switched', in one coordinator transaction) -> finish (the backend's) -> replication objects dropped. Until the
// switch commits, any failure undoes what exists on the target and the source stays authoritative; the error
// thrown names the move.
void run_move_steps(MoveContext& run, MoveBackend& backend, const MoveUnit& u);

}  // namespace pgload
