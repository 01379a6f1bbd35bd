// The coordinator-side write lock a move holds from the final catch-up (or the copy) to the catalog switch.
#pragma once

#include "common/pg.h"
#include "common/shard_lock.h"
#include "mover/move/move_unit.h"

namespace pgload {

// On the coordinator's open transaction: blocks writes through the coordinator to the unit's tables, so that a
// writer waits there (where PostgreSQL sees and breaks deadlocks) and never inside a worker on the locked source
// shard while holding the coordinator table, which the switch's re-pointing of the foreign partition (DETACH)
// needs exclusively: that cross-server wait would be a deadlock nobody detects. Foreign partitions cannot be
// locked, so this is the partitioned table itself (ONLY: not its partitions); reads go on.
// Taken after the shard lock, so that only the last catch-up and the switch hold writes; a load takes the table
// first and then the shard lock, so one that waits for this move's shard lock while holding the table is given way
// to (ShardLockError Kind::GaveWay: the caller releases the shard lock and takes both again).
// Waits as for the shard lock (lock_waiting): bounded by --lock-timeout, naming whom it waits for.
void lock_coordinator_tables(const PgConn& coord, const MoveUnit& u, const ShardLockOptions& lock);

}  // namespace pgload
