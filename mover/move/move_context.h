// What the moves of one execute_moves call share: options, the run's one throttle (the bucket every copy draws
// from and MoveControl re-rates), the progress display and the summary.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

#include "common/catalog.h"
#include "mover/copy/shard_copy.h"
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
  // A unit switched: its copy's figures join the summary.
  void count_moved(const ShardCopyStats& copied);

  const Catalog& catalog;
  const ExecutorOptions& opts;
  const std::string coordinator_conninfo;
  // --max-rate: the total over all parallel moves, whatever their path (there is no other bucket).
  TokenBucket bucket;
  MoveProgress progress;
  std::mutex stats_mu;
  MoveSummary summary;
  // pgload's schema (the journal's table) was found current by a move of this run: later moves skip the check.
  std::atomic<bool> journal_schema_ready{false};
};

}  // namespace pgload
