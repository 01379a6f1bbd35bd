// Verification before the switch: the target must hold exactly the source's rows (count and checksum per shard
// table), or the move aborts with the source still authoritative. block_writes compares while writes are blocked;
// logical compares the bulk copy with the exported snapshot it was read from (the source side inside the snapshot
// transaction, the target before the subscription applies anything), so no full checksum runs under the block.
#pragma once

#include <functional>

#include "common/pg.h"
#include "mover/move/move_unit.h"

namespace pgload {

// Throws std::runtime_error naming the shard, both nodes, their row counts and checksums on the first mismatch.
// The source's checksums run on a thread of their own (the source session is that thread's until this returns)
// while `meanwhile` (the target's index builds, which the source need not wait for) and then the target's
// checksums run here: the two nodes read at the same time instead of one after the other.
void verify_copy(const MoveUnit& u, const PgConn& source, const PgConn& target,
                 const std::function<void()>& meanwhile = {});

}  // namespace pgload
