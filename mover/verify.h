// Verification before the switch: the target must hold exactly the source's rows (count and checksum per shard
// table), compared while writes are blocked, or the move aborts with the source still authoritative.
#pragma once

#include "common/pg.h"
#include "mover/move_unit.h"

namespace pgload {

// Throws std::runtime_error naming the shard, both nodes, their row counts and checksums on the first mismatch.
void verify_copy(const MoveUnit& u, const PgConn& source, const PgConn& target);

}  // namespace pgload
