// Checksums come from shard_copy (the same SQL on both sides); this compares them per shard of the unit.
#include "mover/move/verify.h"

#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mover/copy/shard_copy.h"

namespace pgload {

void verify_copy(const MoveUnit& u, const PgConn& source, const PgConn& target,
                 const std::function<void()>& meanwhile) {
  std::unique_ptr<PGcancel, decltype(&PQfreeCancel)> cancel(PQgetCancel(source.raw()), &PQfreeCancel);
  std::future<std::vector<ShardChecksum>> source_sums = std::async(std::launch::async, [&] {
    std::vector<ShardChecksum> sums;
    for (const auto& s : u.shards) sums.push_back(shard_checksum(source, s.relation));
    return sums;
  });
  std::vector<ShardChecksum> target_sums;
  try {
    if (meanwhile) meanwhile();
    for (const auto& s : u.shards) target_sums.push_back(shard_checksum(target, s.relation));
  } catch (...) {
    // The move fails anyway: the source's checksum is cancelled rather than waited for (a stop acts at once).
    char err[256];
    if (cancel) (void)PQcancel(cancel.get(), err, sizeof err);
    source_sums.wait();
    throw;
  }
  const std::vector<ShardChecksum> sums = source_sums.get();
  for (size_t i = 0; i < u.shards.size(); ++i) {
    const auto& s = u.shards[i];
    const ShardChecksum& a = sums[i];
    const ShardChecksum& b = target_sums[i];
    if (!(a == b))
      throw std::runtime_error("verification of shard " + std::to_string(s.shard_id) + " (" + s.relation +
                               ") failed: source " + u.source.endpoint() + " has " + std::to_string(a.rows) +
                               " rows (checksum " + a.sum + "), target " + u.target.endpoint() + " has " +
                               std::to_string(b.rows) + " rows (checksum " + b.sum + "); the move was aborted");
  }
}

}  // namespace pgload
