// The rebalance planner: the same moves, in the same order, as Citus's get_rebalance_table_shards_plan() for the
// same layout. Pure (values in, values out, no I/O) so it is unit-tested without a database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mover/plan/colocation_unit.h"

namespace pgload {

// One shard of a distributed (non-reference) table as the planner sees it.
struct PlannerShard {
  int64_t shard_id = 0;
  std::string table_name;
  int64_t cost_bytes = 0;  // pg_total_relation_size of this shard (by_disk_size sums it over the colocated unit)
  int32_t group_id = 0;    // current node group
  int32_t colocation_id = 0;
  int shard_index = 0;       // position in the table's shard list ordered by hash range; same index = colocated
  int64_t shard_length = 0;  // pg_dist_placement.shardlength: what Citus's plan prints as shard_size
};

// The unit a shard moves with (colocation_unit.h).
inline ColocationUnit colocation_unit(const PlannerShard& s) {
  return colocation_unit(s.colocation_id, s.table_name, s.shard_index);
}
// The shards of `shards` in the unit of shard `shard_id`, by shard id; empty when `shard_id` is not among them.
std::vector<const PlannerShard*> unit_members(const std::vector<PlannerShard>& shards, int64_t shard_id);

// One node that could hold shards (active primaries).
struct PlannerNode {
  int32_t group_id = 0;
  std::string host;
  int32_t port = 0;
  bool should_have_shards = true;
  double capacity = 1.0;
  int32_t node_id = 0;  // pg_dist_node.nodeid: Citus's last tie-break between equally full nodes (0: use group_id)
};

// A row of pg_dist_rebalance_strategy reduced to what the planner needs.
struct Strategy {
  std::string name;
  bool by_disk_size = false;
  double default_threshold = 0, minimum_threshold = 0, improvement_threshold = 0;
  // citus.rebalancer_by_disk_size_base_cost: added to every colocated unit's size under by_disk_size, so that
  // small or empty shards still weigh something (Citus's default: 100 MiB).
  int64_t base_cost_bytes = 0;
};

// One row of the plan, the columns of get_rebalance_table_shards_plan().
struct PlacementUpdate {
  std::string table_name;
  int64_t shard_id = 0;
  // Plan rows: pg_dist_placement.shardlength, as Citus prints it (ShardLength; 0 for hash tables). Moves: the bytes
  // of the whole colocated unit on its worker, for progress and disk checks.
  int64_t shard_size = 0;
  std::string source_host;
  int32_t source_port = 0;
  std::string target_host;
  int32_t target_port = 0;
  bool operator==(const PlacementUpdate&) const = default;
};

// Everything the planner decided: the executable moves and the rows Citus's plan function would print.
struct RebalancePlan {
  // One move per colocated unit, named by the unit's first shard (what rebalance_table_shards executes and
  // announces with "Moving shard ..."); moving it moves every colocated shard with it.
  std::vector<PlacementUpdate> moves;
  // get_rebalance_table_shards_plan() rows: each move expanded to all colocated shards, ordered by shard id.
  std::vector<PlacementUpdate> rows;
  // Human-readable notices Citus would raise (threshold clamped, ignored moves, shard that cannot move anywhere).
  std::vector<std::string> notices;
  double threshold_used = 0;
};

// Full planner. drain_node: that node is treated as not allowed to hold shards and only moves off it are planned
// (Citus's citus_drain_node: shouldhaveshards=false + drain_only).
RebalancePlan compute_rebalance(const std::vector<PlannerNode>& nodes, const std::vector<PlannerShard>& shards,
                                const Strategy& strategy, std::optional<double> threshold,
                                std::optional<std::pair<std::string, int>> drain_node);

// The get_rebalance_table_shards_plan() rows (compute_rebalance(...).rows).
std::vector<PlacementUpdate> plan_rebalance(const std::vector<PlannerNode>& nodes,
                                            const std::vector<PlannerShard>& shards, const Strategy& strategy,
                                            std::optional<double> threshold,
                                            std::optional<std::pair<std::string, int>> drain_node);

// True when the plan is not empty.
bool rebalance_recommended(const std::vector<PlannerNode>& nodes, const std::vector<PlannerShard>& shards,
                           const Strategy& strategy, std::optional<double> threshold,
                           std::optional<std::pair<std::string, int>> drain_node);

// citus.rebalancer_by_disk_size_base_cost's default in Citus 13.
inline constexpr int64_t kCitusDiskSizeBaseCostBytes = int64_t{100} * 1024 * 1024;

// Citus's two built-in strategies as pg_dist_rebalance_strategy ships them (for tests and as a fallback); by_disk_size
// with the default base cost.
Strategy by_shard_count_strategy();
Strategy by_disk_size_strategy();

}  // namespace pgload
