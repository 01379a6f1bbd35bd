// pgload's bookkeeping schema on the coordinator (pgload.commit_decisions, pgload.resumable_runs, pgload.moves),
// created and upgraded in one place for pgload and pgmove. Any role may use it: every row carries the role that
// wrote it, and forced row-level security shows a role only its own rows (superusers see all of them).
#pragma once

#include <cstdint>

#include "common/pg.h"

namespace pgload {

// pgload.moves' owner lock: the session that runs move M holds the session-level advisory lock
// (kMoveOwnerLockClass, M's low 32 bits as a signed int) until the move ends, so a move's row names its session.
inline constexpr int32_t kMoveOwnerLockClass = 0x70676d76;  // 'pgmv'

// Makes pgload's schema and tables current on the coordinator session `conn`: creates them when missing (with
// create_missing; needs CREATE on the database), upgrades an older layout (needs the schema's owner or a superuser:
// anyone else gets an error naming the owner), and does nothing when they are current. Concurrent callers are
// serialized by an advisory lock. Throws PgError (or std::runtime_error with a clear message).
void ensure_pgload_schema(const PgConn& conn, bool create_missing = true);

}  // namespace pgload
