// The local cluster's backend (plain PostgreSQL nodes carrying Citus's catalog, cluster/): writes are blocked on the
// coordinator's tables, the switch is one UPDATE of pg_dist_placement (its trigger re-points the foreign
// partitions), and a switched move drops the old shard tables itself.
#pragma once

#include <memory>
#include <vector>

#include "common/catalog.h"
#include "mover/move/move_backend.h"
#include "mover/move/session_pool.h"

namespace pgload {

class LocalBackend : public MoveBackend {
 public:
  explicit LocalBackend(const Catalog& catalog) : catalog_(catalog) {}
  const char* path() const noexcept override { return "local"; }
  std::vector<uint64_t> unit_sizes(const std::vector<MoveUnit>& units) override;
  std::unique_ptr<UnitMove> begin(MoveContext& run, const MoveUnit& u) override;
  // 'started': the partial target and the replication objects go; 'switched': the old shard tables go.
  bool resolve_orphan(MoveJournal& journal, const JournalEntry& e) override;

 private:
  const Catalog& catalog_;
  SessionPool sessions_;  // the moves' sessions, kept between the moves of a run
};

}  // namespace pgload
