// The rebalance, written once: `pgmove rebalance` and the page's Rebalance button both call rebalance(); `pgmove
// move` and `pgmove drain` plan their own units and hand them to move_planned(), the same last step.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"
#include "mover/cluster/cluster_state.h"
#include "mover/move/move_types.h"
#include "mover/plan/planner.h"

namespace pgload {

// A move of the run failed (after it was cleaned up): pgmove exits 1. Planning errors are not this.
class MoveFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RebalanceOptions {
  std::optional<std::string> strategy;  // unset: the default strategy (pg_dist_rebalance_strategy)
  std::optional<double> threshold;      // unset: the strategy's
  std::optional<std::string> mode;      // block_writes | logical; unset: decided from the sources (move_mode)
  bool dry_run = false;                 // plan only
  ExecutorOptions executor;             // how the units move; its mode is the one decided here
};

struct RebalanceResult {
  Strategy strategy;
  ClusterState state;
  RebalancePlan plan;
  std::vector<MoveRequest> requests;  // one per planned unit
  TransferMode mode = TransferMode::BlockWrites;
  MoveSummary summary;
};

// Plans with the strategy (PlanInputError without distributed tables); unless dry_run, picks the mode, calls
// `on_planned` (the page shows the units from there, the CLI its notices) and moves the units (MoveFailed).
RebalanceResult rebalance(const PgConn& coordinator, Catalog& catalog, const RebalanceOptions& options,
                          const std::function<void(const RebalanceResult&)>& on_planned = {});

// One request per planned unit: its first shard, from its source to its target.
std::vector<MoveRequest> move_requests(const std::vector<PlacementUpdate>& moves);

// Moves the units with `executor` (its mode already decided), saying on the log what moves; with nothing to move it
// finishes what a crashed run left. A failed move is rethrown as MoveFailed.
MoveSummary move_planned(Catalog& catalog, const std::vector<MoveRequest>& requests, const ExecutorOptions& executor);

}  // namespace pgload
