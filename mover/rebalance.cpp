#include "mover/rebalance.h"

#include "common/log.h"
#include "mover/engine.h"
#include "mover/move/move_mode.h"

namespace pgload {

std::vector<MoveRequest> move_requests(const std::vector<PlacementUpdate>& moves) {
  std::vector<MoveRequest> requests;
  for (const auto& m : moves)
    requests.push_back({m.shard_id, m.source_host, m.source_port, m.target_host, m.target_port});
  return requests;
}

MoveSummary move_planned(Catalog& catalog, const std::vector<MoveRequest>& requests, const ExecutorOptions& executor) {
  if (requests.empty()) {
    // Nothing to move, but a crashed run may have left a move half done: finish or clean it now.
    (void)recover_moves_reporting(catalog);
    return {};
  }
  log::info("{} {} in {} mode, {} at once{}", requests.size(), requests.size() == 1 ? "move" : "moves",
            executor.mode == TransferMode::Logical ? "logical" : "block_writes", executor.parallel,
            executor.lock_timeout_ms ? ", lock timeout " + std::to_string(*executor.lock_timeout_ms) + " ms" : "");
  for (const auto& m : requests)
    log::info("move shard {}: {}:{} -> {}:{}", m.shard_id, m.source_host, m.source_port, m.target_host, m.target_port);
  try {
    return execute_moves(catalog, requests, executor);
  } catch (const PgError& e) {
    log::failed_statement(e);
    throw MoveFailed(e.what());
  } catch (const std::exception& e) {
    throw MoveFailed(e.what());
  }
}

RebalanceResult rebalance(const PgConn& coordinator, Catalog& catalog, const RebalanceOptions& options,
                          const std::function<void(const RebalanceResult&)>& on_planned) {
  RebalanceResult r;
  r.strategy = choose_strategy(coordinator, options.strategy);
  r.state = load_cluster_state(catalog);
  if (r.state.tables.empty())
    throw PlanInputError(
        "no distributed tables in the cluster (only reference or none); create one with "
        "create_distributed_table() first");
  r.plan = compute_rebalance(r.state.nodes, r.state.shards, r.strategy, options.threshold, std::nullopt);
  r.requests = move_requests(r.plan.moves);
  if (options.dry_run) return r;
  r.mode = choose_mode(options.mode, catalog, r.requests);
  if (on_planned) on_planned(r);
  ExecutorOptions executor = options.executor;
  executor.mode = r.mode;
  r.summary = move_planned(catalog, r.requests, executor);
  return r;
}

}  // namespace pgload
