// The rebalance planner. It mirrors Citus's greedy algorithm in shard_rebalancer.c (RebalancePlacementUpdates,
// InitRebalanceState, MoveShardsAwayFromDisallowedNodes, FindAndMoveShardCost, MoveShardCost and the
// CompareNodeFillState / CompareShardCost orderings) so that pgmove plans what get_rebalance_table_shards_plan()
// plans. Citus computes in float4; so does this file, on purpose, so ties and bounds fall the same way.
#include "mover/plan/planner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

namespace pgload {

namespace {

// A colocated unit: the shards of every table of a colocation group that share a shard index. Citus balances the
// first table of each colocation group and moves the colocated shards with it (GetColocatedRebalanceSteps).
struct Unit {
  int64_t shard_id = 0;  // representative: the unit's smallest shard id (the first-created table's shard)
  std::string table_name;
  std::vector<const PlannerShard*> members;  // ordered by shard id
  float cost = 0;
  int fill = -1;  // index into Balancer::fills of the node holding it
};

struct Fill {
  const PlannerNode* node = nullptr;
  int32_t node_id = 0;
  bool allowed = true;
  float capacity = 0;
  float total_cost = 0;
  float utilization = 0;
  std::vector<int> units;  // shardCostListDesc: cost descending, then shard id ascending
};

// CalculateUtilization: INFINITY when the node may hold nothing.
float utilization_of(float total_cost, float capacity) {
  if (capacity <= 0) return std::numeric_limits<float>::infinity();
  return total_cost / capacity;
}

constexpr int kMaxShardMoves = 1000000;    // get_rebalance_table_shards_plan's max_shard_moves default
constexpr int kMaxLoggedIgnoredMoves = 5;  // citus.max_rebalancer_logged_ignored_moves default

// One colocation group's RebalanceState.
class Balancer {
 public:
  Balancer(const std::vector<PlannerNode>& nodes, std::vector<Unit> units, std::vector<PlacementUpdate>* moves,
           std::vector<std::string>* notices)
      : units_(std::move(units)), moves_(moves), notices_(notices) {
    for (const auto& n : nodes) {
      Fill f;
      f.node = &n;
      f.node_id = n.node_id != 0 ? n.node_id : n.group_id;
      f.allowed = n.should_have_shards;
      f.capacity = n.should_have_shards ? static_cast<float>(n.capacity) : 0.0f;  // NodeCapacity
      f.utilization = utilization_of(0, f.capacity);
      total_capacity_ += f.capacity;
      fills_.push_back(std::move(f));
    }
    for (int u = 0; u < static_cast<int>(units_.size()); ++u) {
      Fill& f = fills_[units_[u].fill];
      f.total_cost += units_[u].cost;
      f.utilization = utilization_of(f.total_cost, f.capacity);
      f.units.push_back(u);
      total_cost_ += units_[u].cost;
      if (!f.allowed) disallowed_.push_back(u);
    }
    for (auto& f : fills_) sort_units(f.units);
    resort();
  }

  // MoveShardsAwayFromDisallowedNodes: costliest first, each to the emptiest node that may hold it.
  void move_away_from_disallowed() {
    sort_units(disallowed_);
    for (int u : disallowed_) {
      int source = units_[u].fill;
      int target = -1;
      for (int f : asc_) {
        if (f != units_[u].fill && fills_[f].allowed) {
          target = f;
          break;
        }
      }
      if (target < 0) {
        notices_->push_back("WARNING:  not allowed to move shard " + std::to_string(units_[u].shard_id) +
                            " anywhere from " + endpoint(source));
        continue;
      }
      move(source, target, u);
    }
  }

  // The balancing loop of RebalancePlacementUpdates for this group.
  void balance(double threshold, float improvement_threshold) {
    if (total_capacity_ <= 0) {
      if (!units_.empty()) notices_->push_back("WARNING:  no node may hold shards (all have shouldhaveshards=false)");
      return;
    }
    float average = total_cost_ / total_capacity_;
    auto lower = static_cast<float>((1.0 - threshold) * average);
    auto upper = static_cast<float>((1.0 + threshold) * average);
    bool more = true;
    while (static_cast<int>(moves_->size()) < kMaxShardMoves && more)
      more = find_and_move(lower, upper, improvement_threshold);
    if (more)
      notices_->push_back(
          "NOTICE:  stopped searching before running out of moves; rerun the rebalancer after this one finishes");
  }

  int64_t ignored_moves() const { return ignored_moves_; }
  const std::vector<Unit>& units() const { return units_; }
  const PlannerNode& node_of_fill(int f) const { return *fills_[f].node; }

 private:
  // CompareShardCostDesc: higher cost first, equal costs by ascending shard id.
  void sort_units(std::vector<int>& list) const {
    std::sort(list.begin(), list.end(), [&](int a, int b) {
      if (units_[a].cost != units_[b].cost) return units_[a].cost > units_[b].cost;
      return units_[a].shard_id < units_[b].shard_id;
    });
  }

  // CompareNodeFillStateAsc: emptier first; equally full -> more capacity first; then lower node id.
  // fillStateListDesc is exactly the reverse (CompareNodeFillStateDesc negates the same total order).
  void resort() {
    asc_.clear();
    for (int i = 0; i < static_cast<int>(fills_.size()); ++i) asc_.push_back(i);
    std::sort(asc_.begin(), asc_.end(), [&](int a, int b) {
      const Fill& x = fills_[a];
      const Fill& y = fills_[b];
      if (x.utilization != y.utilization) return x.utilization < y.utilization;
      if (x.capacity != y.capacity) return x.capacity > y.capacity;
      return x.node_id < y.node_id;
    });
    desc_.assign(asc_.rbegin(), asc_.rend());
  }

  std::string endpoint(int f) const { return fills_[f].node->host + ":" + std::to_string(fills_[f].node->port); }

  // MoveShardCost: record the move, update both fill states, resort.
  void move(int source, int target, int u) {
    Unit& unit = units_[u];
    PlacementUpdate up;
    up.table_name = unit.table_name;
    up.shard_id = unit.shard_id;
    up.source_host = fills_[source].node->host;
    up.source_port = fills_[source].node->port;
    up.target_host = fills_[target].node->host;
    up.target_port = fills_[target].node->port;
    moves_->push_back(std::move(up));

    Fill& s = fills_[source];
    s.total_cost -= unit.cost;
    s.utilization = utilization_of(s.total_cost, s.capacity);
    s.units.erase(std::find(s.units.begin(), s.units.end(), u));
    Fill& t = fills_[target];
    t.total_cost += unit.cost;
    t.utilization = utilization_of(t.total_cost, t.capacity);
    t.units.push_back(u);
    sort_units(t.units);
    unit.fill = target;
    resort();
  }

  // FindAndMoveShardCost: from the fullest node to the emptiest, the first move that improves the balance.
  bool find_and_move(float lower, float upper, float improvement_threshold) {
    const std::vector<int> desc = desc_;  // move() resorts; we return right after it anyway
    const std::vector<int> asc = asc_;
    for (int source : desc) {
      const Fill& src = fills_[source];
      if (src.utilization <= lower) return false;  // every remaining source is already empty enough
      for (int target : asc) {
        const Fill& tgt = fills_[target];
        if (tgt.utilization >= upper) break;                              // later targets are fuller still
        if (tgt.utilization >= lower && src.utilization <= upper) break;  // both within bounds
        for (int u : src.units) {
          const Unit& unit = units_[u];
          if (unit.fill == target) continue;  // target already has it
          if (!tgt.allowed) continue;         // shard_allowed_on_node
          float new_target_util = utilization_of(tgt.total_cost + unit.cost, tgt.capacity);
          float new_source_util = utilization_of(src.total_cost - unit.cost, src.capacity);
          if (new_target_util <= new_source_util) {  // target stays emptier (or equal): clearly good
            move(source, target, u);
            return true;
          }
          if (new_target_util > src.utilization) continue;  // would overshoot the old maximum
          if (new_target_util == src.utilization && new_source_util <= tgt.utilization) continue;  // no gain
          // Relative gain: skip big shards that only shave a little off the imbalance (improvement_threshold).
          float improvement = std::fmax(src.utilization - new_target_util, new_source_util - tgt.utilization);
          float added = std::fmin(new_target_util - tgt.utilization, src.utilization - new_source_util);
          float normalized = improvement / added;
          if (normalized < improvement_threshold) {
            ++ignored_moves_;
            if (ignored_moves_ <= kMaxLoggedIgnoredMoves)
              notices_->push_back("NOTICE:  ignoring move of shard " + std::to_string(unit.shard_id) + " from " +
                                  endpoint(source) + " to " + endpoint(target) + ": balance improvement " +
                                  std::to_string(normalized) + " is below improvement_threshold " +
                                  std::to_string(improvement_threshold));
            continue;
          }
          move(source, target, u);
          return true;
        }
      }
    }
    return false;
  }

  std::vector<Unit> units_;
  std::vector<Fill> fills_;
  std::vector<int> asc_, desc_;
  std::vector<int> disallowed_;
  float total_cost_ = 0, total_capacity_ = 0;
  int64_t ignored_moves_ = 0;
  std::vector<PlacementUpdate>* moves_;
  std::vector<std::string>* notices_;
};

}  // namespace

Strategy by_shard_count_strategy() { return {"by_shard_count", false, 0, 0, 0}; }
Strategy by_disk_size_strategy() { return {"by_disk_size", true, 0.1, 0.01, 0.5, kCitusDiskSizeBaseCostBytes}; }

RebalancePlan compute_rebalance(const std::vector<PlannerNode>& input_nodes, const std::vector<PlannerShard>& shards,
                                const Strategy& strategy, std::optional<double> threshold_opt,
                                std::optional<std::pair<std::string, int>> drain_node) {
  RebalancePlan plan;

  // The drained node may hold nothing (citus_drain_node sets shouldhaveshards=false first).
  std::vector<PlannerNode> nodes = input_nodes;
  bool drain_only = drain_node.has_value();
  if (drain_node)
    for (auto& n : nodes)
      if (n.host == drain_node->first && n.port == drain_node->second) n.should_have_shards = false;

  // Threshold: float4 in Citus; below the strategy's minimum it warns and uses the minimum (GetRebalanceSteps).
  auto threshold = static_cast<float>(threshold_opt.value_or(strategy.default_threshold));
  if (threshold < static_cast<float>(strategy.minimum_threshold)) {
    plan.notices.push_back(
        "WARNING:  the given threshold is lower than the minimum threshold allowed by the "
        "rebalance strategy, using the minimum allowed threshold instead (" +
        std::to_string(strategy.minimum_threshold) + ")");
    threshold = static_cast<float>(strategy.minimum_threshold);
  }
  plan.threshold_used = threshold;

  // Group shards into colocation groups and their units (colocation_unit).
  using GroupKey = std::pair<int32_t, std::string>;
  std::map<GroupKey, std::map<int, std::vector<const PlannerShard*>>> groups;
  for (const auto& s : shards) {
    const ColocationUnit unit = colocation_unit(s);
    groups[{unit.colocation_id, unit.table}][unit.shard_index].push_back(&s);
  }

  struct GroupUnits {
    int64_t first_shard_id;
    std::vector<Unit> units;
  };
  std::vector<GroupUnits> ordered;
  for (auto& [key, by_index] : groups) {
    GroupUnits g{std::numeric_limits<int64_t>::max(), {}};
    for (auto& [index, members] : by_index) {
      std::sort(members.begin(), members.end(),
                [](const PlannerShard* a, const PlannerShard* b) { return a->shard_id < b->shard_id; });
      Unit u;
      u.shard_id = members.front()->shard_id;
      u.table_name = members.front()->table_name;
      u.members = members;
      int64_t bytes = 0;
      for (const auto* m : members) bytes += m->cost_bytes;
      // citus_shard_cost_1, or citus_shard_cost_by_disk_size: the colocated group's size plus the base cost,
      // at least 1.
      int64_t weighted = bytes + strategy.base_cost_bytes;
      u.cost = strategy.by_disk_size ? (weighted <= 0 ? 1.0f : static_cast<float>(weighted)) : 1.0f;
      for (int f = 0; f < static_cast<int>(nodes.size()); ++f)
        if (nodes[f].group_id == members.front()->group_id) u.fill = f;
      if (u.fill < 0) {
        plan.notices.push_back("WARNING:  shard " + std::to_string(u.shard_id) + " is on group " +
                               std::to_string(members.front()->group_id) +
                               " which has no active primary node; it is left out of the plan");
        continue;
      }
      g.first_shard_id = std::min(g.first_shard_id, u.shard_id);
      g.units.push_back(std::move(u));
    }
    if (!g.units.empty()) ordered.push_back(std::move(g));
  }
  // Citus walks colocation groups in pg_dist_partition order (NonColocatedDistRelationIdList), i.e. creation
  // order; shard ids are handed out in creation order, so the group's first shard id reproduces it.
  std::sort(ordered.begin(), ordered.end(),
            [](const GroupUnits& a, const GroupUnits& b) { return a.first_shard_id < b.first_shard_id; });

  std::vector<Balancer> states;
  states.reserve(ordered.size());
  for (auto& g : ordered) states.emplace_back(nodes, std::move(g.units), &plan.moves, &plan.notices);
  for (auto& st : states) st.move_away_from_disallowed();
  if (!drain_only)
    for (auto& st : states) st.balance(threshold, static_cast<float>(strategy.improvement_threshold));

  int64_t ignored = 0;
  for (const auto& st : states) ignored += st.ignored_moves();
  if (ignored > 0)
    plan.notices.push_back("NOTICE:  ignored " + std::to_string(ignored) +
                           " moves that brought only a small improvement relative to the shard size; lower "
                           "improvement_threshold (now " +
                           std::to_string(strategy.improvement_threshold) + ") to allow them");

  // Expand each move to every colocated shard, ordered by shard id (GetColocatedRebalanceSteps +
  // ColocatedShardIntervalList).
  std::map<int64_t, const Unit*> unit_by_id;
  for (const auto& st : states)
    for (const auto& u : st.units()) unit_by_id[u.shard_id] = &u;
  for (const auto& mv : plan.moves) {
    const Unit* u = unit_by_id.at(mv.shard_id);
    for (const auto* m : u->members) {
      PlacementUpdate row = mv;
      row.table_name = m->table_name;
      row.shard_id = m->shard_id;
      row.shard_size = m->shard_length;
      plan.rows.push_back(std::move(row));
    }
  }
  for (auto& mv : plan.moves) {
    const Unit* u = unit_by_id.at(mv.shard_id);
    int64_t bytes = 0;
    for (const auto* m : u->members) bytes += m->cost_bytes;
    mv.shard_size = bytes;
  }
  return plan;
}

std::vector<PlacementUpdate> plan_rebalance(const std::vector<PlannerNode>& nodes,
                                            const std::vector<PlannerShard>& shards, const Strategy& strategy,
                                            std::optional<double> threshold,
                                            std::optional<std::pair<std::string, int>> drain_node) {
  return compute_rebalance(nodes, shards, strategy, threshold, std::move(drain_node)).rows;
}

bool rebalance_recommended(const std::vector<PlannerNode>& nodes, const std::vector<PlannerShard>& shards,
                           const Strategy& strategy, std::optional<double> threshold,
                           std::optional<std::pair<std::string, int>> drain_node) {
  return !compute_rebalance(nodes, shards, strategy, threshold, std::move(drain_node)).moves.empty();
}

std::vector<const PlannerShard*> unit_members(const std::vector<PlannerShard>& shards, int64_t shard_id) {
  auto first =
      std::find_if(shards.begin(), shards.end(), [&](const PlannerShard& s) { return s.shard_id == shard_id; });
  std::vector<const PlannerShard*> members;
  if (first == shards.end()) return members;
  const ColocationUnit unit = colocation_unit(*first);
  for (const auto& s : shards)
    if (colocation_unit(s) == unit) members.push_back(&s);
  std::sort(members.begin(), members.end(),
            [](const PlannerShard* a, const PlannerShard* b) { return a->shard_id < b->shard_id; });
  return members;
}

}  // namespace pgload
