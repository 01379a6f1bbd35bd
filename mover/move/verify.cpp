// Checksums come from shard_copy (the same SQL on both sides); this compares them per shard of the unit.
#include "mover/move/verify.h"

#include <stdexcept>
#include <string>

#include "mover/copy/shard_copy.h"

namespace pgload {

void verify_copy(const MoveUnit& u, const PgConn& source, const PgConn& target) {
  for (const auto& s : u.shards) {
    auto a = shard_checksum(source, s.relation);
    auto b = shard_checksum(target, s.relation);
    if (!(a == b))
      throw std::runtime_error("verification of shard " + std::to_string(s.shard_id) + " (" + s.relation +
                               ") failed: source " + u.source.endpoint() + " has " + std::to_string(a.rows) +
                               " rows (checksum " + a.sum + "), target " + u.target.endpoint() + " has " +
                               std::to_string(b.rows) + " rows (checksum " + b.sum + "); the move was aborted");
  }
}

}  // namespace pgload
