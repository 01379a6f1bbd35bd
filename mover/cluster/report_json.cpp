#include "mover/cluster/report_json.h"

#include <cmath>
#include <string>

namespace pgload {

using nlohmann::ordered_json;

ordered_json plan_json(const RebalancePlan& plan, const Strategy& strategy) {
  ordered_json moves = ordered_json::array();
  for (const auto& m : plan.moves)
    moves.push_back({{"shard_id", m.shard_id},
                     {"table_name", m.table_name},
                     {"bytes", m.shard_size},
                     {"source", m.source_host + ":" + std::to_string(m.source_port)},
                     {"target", m.target_host + ":" + std::to_string(m.target_port)}});
  ordered_json rows = ordered_json::array();
  for (const auto& r : plan.rows)
    rows.push_back({{"table_name", r.table_name},
                    {"shardid", r.shard_id},
                    {"shard_size", r.shard_size},
                    {"sourcename", r.source_host},
                    {"sourceport", r.source_port},
                    {"targetname", r.target_host},
                    {"targetport", r.target_port}});
  return {{"strategy", strategy.name},
          {"threshold", std::round(plan.threshold_used * 1e6) / 1e6},  // a float: 0.1, not 0.10000000149
          {"moves", std::move(moves)},
          {"rows", std::move(rows)},
          {"notices", plan.notices}};
}

ordered_json status_json(const StatusReport& r) {
  ordered_json nodes = ordered_json::array();
  for (const auto& n : r.nodes)
    nodes.push_back({{"node", n.endpoint()},
                     {"host", n.host},
                     {"port", n.port},
                     {"nodeid", n.node_id},
                     {"groupid", n.group_id},
                     {"role", n.role},
                     {"shouldhaveshards", n.should_have_shards},
                     {"shards", n.shards},
                     {"bytes", n.bytes},
                     {"rows_estimate", n.rows_estimate}});
  ordered_json tables = ordered_json::array();
  for (const auto& t : r.tables)
    tables.push_back({{"table_name", t.name},
                      {"type", t.reference ? "reference" : "distributed"},
                      {"colocation_id", t.colocation_id},
                      {"shards", t.shards},
                      {"bytes", t.bytes}});
  return {{"backend", backend_name(r.backend)}, {"coordinator", r.coordinator_endpoint},
          {"strategy", r.strategy.name},        {"nodes", std::move(nodes)},
          {"tables", std::move(tables)},        {"plan", plan_json(r.plan, r.strategy)},
          {"recommended", r.recommended},       {"rebalance_recommended", r.recommended},
          {"cluster_verdict", r.verdict},       {"verdict", r.verdict}};
}

}  // namespace pgload
