// pgmove's own move on real Citus: the local engine's copy (shard_copy, replication, verify, the journal) with
// Citus's locks and Citus's catalog switch (citus_switch), so that Citus afterwards sees a move of its own.
#pragma once

#include "mover/citus/citus_sessions.h"
#include "mover/copy/token_bucket.h"
#include "mover/move/move_context.h"
#include "mover/move/move_journal.h"
#include "mover/move/move_unit.h"

namespace pgload {

// Moves one unit; before the switch any failure drops what exists on the target and the source stays
// authoritative; after it the old placement is Citus's deferred cleanup's (pg_dist_cleanup). Sessions come from
// and go back to `pool` (only after a move that succeeded); `bucket` throttles the copy.
void move_citus_direct(MoveContext& run, SessionPool& pool, TokenBucket& bucket, const MoveUnit& u);

// Resolves an orphaned journal entry of a direct Citus move (claimed by the caller): 'started' rolls back prepared
// parts and drops the partial target, 'switched' commits the prepared parts. Returns true when resolved.
bool resolve_citus_orphan(const Catalog& catalog, MoveJournal& journal, const JournalEntry& e);

}  // namespace pgload
