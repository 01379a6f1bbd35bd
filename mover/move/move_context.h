// What the moves of one execute_moves call share: options, the throttle, the progress display, the summary, and
// the per-colocation-group locks of the Citus backend.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/catalog.h"
#include "mover/copy/token_bucket.h"
#include "mover/move/move_progress.h"
#include "mover/move/move_types.h"
#include "mover/move/move_unit.h"

namespace pgload {

// The coordinator's connection string with its effective settings (for sessions of our own there).
std::string coordinator_conninfo(const Catalog& catalog);

struct MoveContext {
  MoveContext(const Catalog& catalog, const ExecutorOptions& opts);

  // Calls the on_step test hook, if any.
  void step(const MoveUnit& u, std::string_view name) const;

  const Catalog& catalog;
  const ExecutorOptions& opts;
  const std::string coordinator_conninfo;
  TokenBucket bucket;
  MoveProgress progress;
  std::mutex stats_mu;
  MoveSummary summary;
  // Citus takes a colocation-group lock per move ("could not acquire the lock required to move"): moves of one
  // group run one after another, different groups in parallel.
  std::mutex citus_mu;
  std::map<int32_t, std::mutex> citus_group_locks;
};

}  // namespace pgload
