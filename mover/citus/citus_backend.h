// Real Citus, with pgmove copying the units itself (the "direct" path): the local engine's copy with Citus's locks
// on the coordinator and every metadata worker, and Citus's own catalog switch (citus_switch) done as one
// two-phase transaction, so that Citus afterwards sees a move of its own; the old placement is handed to Citus's
// deferred cleanup (pg_dist_cleanup), as Citus's own move does. Needs superuser on every node (citus_path.h).
#pragma once

#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "common/catalog.h"
#include "mover/citus/citus_sessions.h"
#include "mover/move/move_backend.h"

namespace pgload {

class CitusBackend : public MoveBackend {
 public:
  explicit CitusBackend(const Catalog& catalog) : catalog_(catalog) {}
  const char* path() const noexcept override { return "citus_direct"; }
  // The units' shards' pg_total_relation_size on their sources (what citus_shards' shard_size is), read over the
  // run's worker sessions, which the moves then reuse (citus_shards would size every shard on every worker).
  std::vector<uint64_t> unit_sizes(const std::vector<MoveUnit>& units) override;
  // Opens the first move's coordinator and metadata-worker sessions in the background, and has Citus open its own
  // connections from that coordinator session to the workers (the first move's costliest part, ~0.1-0.4 s).
  void warm_up(const std::vector<MoveRequest>& moves) override;
  std::unique_ptr<UnitMove> begin(MoveContext& run, const MoveUnit& u) override;
  // 'started': prepared worker parts roll back and the partial target goes; 'switched': they commit.
  bool resolve_orphan(MoveJournal& journal, const JournalEntry& e) override;

  // Sessions kept between the run's moves (a Citus backend's first statements are its costliest).
  SessionPool& sessions() noexcept { return sessions_; }

 protected:
  const Catalog& catalog_;

 private:
  SessionPool sessions_;
  // The warm-up, waited for by the first begin(); declared after the pool it fills, so it ends first.
  std::mutex warm_mu_;
  std::future<void> warm_;
};

}  // namespace pgload
