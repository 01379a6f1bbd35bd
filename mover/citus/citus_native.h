// Real Citus without superuser everywhere (managed services): Citus moves each unit with
// citus_move_shard_placement() and pgmove schedules. Citus locks a colocation group per move, so moves of one group
// run one after another; a node takes part in one move at a time; and starts are paced by the run's one bucket
// (each start pays for the bytes the previous one moved), since Citus's copy cannot be throttled from outside.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "mover/citus/citus_backend.h"

namespace pgload {

// Recovery is the direct backend's (a native move leaves no journal entry of its own).
class CitusNativeBackend : public CitusBackend {
 public:
  using CitusBackend::CitusBackend;
  const char* path() const noexcept override { return "citus_native"; }
  void move(MoveContext& run, const MoveUnit& u) override;
  void warm_up(const std::vector<MoveRequest>&) override {}  // Citus's own function opens its sessions
  // citus_shards' shard_size of the units' shards on their sources, through the coordinator (one query: it asks
  // every worker), since a native run may not reach the workers itself.
  std::vector<uint64_t> unit_sizes(const std::vector<MoveUnit>& units) override;

 private:
  // Waits until no other move uses either node and the bucket allows the start; done() frees the nodes again.
  void start(MoveContext& run, const MoveUnit& u, uint64_t bytes);
  void done(const MoveUnit& u);

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> busy_nodes_;           // under mu_
  uint64_t booked_bytes_ = 0;                  // under mu_: the last start's bytes, paid by the next start
  std::map<int32_t, std::mutex> group_locks_;  // under mu_ (the map; each mutex serializes one group)
};

}  // namespace pgload
