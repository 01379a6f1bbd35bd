// Status report: per-group sums of shards, bytes and rows, then the planner's verdict with the default strategy.
#include "mover/cluster/status_report.h"

#include <map>

namespace pgload {

int64_t table_bytes(const ClusterState& state, const Table& table) {
  int64_t bytes = 0;
  for (const auto& sh : table.shards) {
    auto it = state.stats.find(sh.shard_id);
    if (it != state.stats.end()) bytes += it->second.bytes;
  }
  return bytes;
}

StatusReport build_status_report(const PgConn& coordinator, const Catalog& catalog) {
  StatusReport r;
  r.backend = catalog.backend();
  r.coordinator_endpoint = coordinator.endpoint();
  r.state = load_cluster_state(catalog);
  r.strategy = choose_strategy(coordinator, std::nullopt);
  if (!r.state.tables.empty()) {
    r.plan = compute_rebalance(r.state.nodes, r.state.shards, r.strategy, std::nullopt, std::nullopt);
    r.recommended = !r.plan.moves.empty();
  }
  r.verdict = r.recommended ? kVerdictRecommended : kVerdictNotRecommended;

  std::map<int32_t, int> shards_per_group;
  std::map<int32_t, int64_t> bytes_per_group, rows_per_group;
  for (const auto& sh : r.state.shards) {
    shards_per_group[sh.group_id]++;
    auto it = r.state.stats.find(sh.shard_id);
    if (it != r.state.stats.end()) {
      bytes_per_group[sh.group_id] += it->second.bytes;
      rows_per_group[sh.group_id] += it->second.rows_estimate;
    }
  }
  for (const auto& n : catalog.nodes()) {
    NodeStatus s;
    s.host = n.host;
    s.port = n.port;
    s.node_id = n.node_id;
    s.group_id = n.group_id;
    s.is_coordinator = n.is_coordinator();
    s.role = s.is_coordinator ? "coordinator" : "worker";
    if (n.role != "primary") s.role += " (" + n.role + ")";
    if (!n.is_active) s.role += " (inactive)";
    s.should_have_shards = n.should_have_shards;
    s.shards = shards_per_group[n.group_id];
    s.bytes = bytes_per_group[n.group_id];
    s.rows_estimate = rows_per_group[n.group_id];
    r.nodes.push_back(std::move(s));
  }
  for (const auto* list : {&r.state.tables, &r.state.reference_tables})
    for (const auto& t : *list)
      r.tables.push_back({display_name(t), t.is_reference(), t.colocation_id, static_cast<int>(t.shards.size()),
                          table_bytes(r.state, t)});
  return r;
}

}  // namespace pgload
