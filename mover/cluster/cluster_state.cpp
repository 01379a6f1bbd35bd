// Builds planner input from the catalog (same SQL on both backends) and measures shards on their workers the way
// Citus's citus_shard_cost_by_disk_size does: pg_total_relation_size of the shard table, indexes and TOAST included.
#include "mover/cluster/cluster_state.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/at_once.h"

namespace pgload {

namespace {

bool needs_quotes(const std::string& ident) {
  if (ident.empty() || !(std::islower(static_cast<unsigned char>(ident[0])) || ident[0] == '_')) return true;
  for (char c : ident)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return true;
  return false;
}

std::string maybe_quote(const std::string& ident) { return needs_quotes(ident) ? quote_ident(ident) : ident; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct StrategyRow {
  Strategy strategy;
  bool is_default = false;
  std::string cost_function;
};

std::vector<StrategyRow> read_strategy_rows(const PgConn& c) {
  std::vector<StrategyRow> rows;
  auto exists = c.scalar("SELECT to_regclass('pg_catalog.pg_dist_rebalance_strategy') IS NOT NULL");
  if (!exists || *exists != "t") {
    // No strategy table: Citus's built-ins, by_shard_count as default (what the local cluster ships).
    rows.push_back({by_shard_count_strategy(), true, "citus_shard_cost_1"});
    rows.push_back({by_disk_size_strategy(), false, "citus_shard_cost_by_disk_size"});
    return rows;
  }
  auto r = c.exec(
      "SELECT name::text, default_strategy, shard_cost_function::text, default_threshold::float8, "
      "       minimum_threshold::float8, improvement_threshold::float8 "
      "FROM pg_catalog.pg_dist_rebalance_strategy ORDER BY name");
  for (int i = 0; i < r.rows(); ++i) {
    StrategyRow row;
    row.strategy.name = r.str(i, 0);
    row.is_default = r.boolean(i, 1);
    row.cost_function = r.str(i, 2);
    row.strategy.by_disk_size = ends_with(row.cost_function, "citus_shard_cost_by_disk_size");
    row.strategy.default_threshold = std::stod(r.str(i, 3));
    row.strategy.minimum_threshold = std::stod(r.str(i, 4));
    row.strategy.improvement_threshold = std::stod(r.str(i, 5));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string names_of(const std::vector<StrategyRow>& rows) {
  std::string out;
  for (const auto& r : rows) out += (out.empty() ? "" : ", ") + r.strategy.name;
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::string display_name(const Table& table) {
  if (table.schema == "public") return maybe_quote(table.name);
  return maybe_quote(table.schema) + "." + maybe_quote(table.name);
}

std::vector<Strategy> load_strategies(const PgConn& coordinator) {
  std::vector<Strategy> out;
  for (auto& r : read_strategy_rows(coordinator)) out.push_back(r.strategy);
  return out;
}

Strategy choose_strategy(const PgConn& coordinator, const std::optional<std::string>& name) {
  auto rows = read_strategy_rows(coordinator);
  const StrategyRow* chosen = nullptr;
  for (const auto& r : rows)
    if (name ? r.strategy.name == *name : r.is_default) chosen = &r;
  if (!chosen) {
    if (name)
      throw PlanInputError("unknown rebalance strategy \"" + *name +
                           "\" (not in pg_dist_rebalance_strategy); valid: " + names_of(rows));
    throw PlanInputError(
        "no rebalance strategy given and none is marked default_strategy in "
        "pg_dist_rebalance_strategy; pass --strategy (valid: " +
        names_of(rows) + ")");
  }
  // Citus's GetShardCost calls any function; pgmove knows the two built-in cost functions only.
  if (!chosen->strategy.by_disk_size && !ends_with(chosen->cost_function, "citus_shard_cost_1"))
    throw PlanInputError("rebalance strategy \"" + chosen->strategy.name + "\" uses shard cost function " +
                         chosen->cost_function + ", which pgmove cannot evaluate; use by_shard_count or by_disk_size");
  Strategy strategy = chosen->strategy;
  if (strategy.by_disk_size) {
    // Citus's GUC (a plain placeholder setting on the local cluster, where it can be set the same way).
    auto base = coordinator.scalar(
        "SELECT pg_size_bytes(coalesce(nullif(current_setting('citus.rebalancer_by_disk_size_base_cost', true), ''), "
        "$1))",
        {std::to_string(kCitusDiskSizeBaseCostBytes)});
    strategy.base_cost_bytes = base ? std::stoll(*base) : kCitusDiskSizeBaseCostBytes;
  }
  return strategy;
}

ClusterState load_cluster_state(const Catalog& catalog, bool with_sizes) {
  ClusterState st;
  std::set<int32_t> groups_with_shards;
  for (auto& t : catalog.tables()) {
    if (t.is_reference()) {
      st.reference_tables.push_back(std::move(t));
      continue;
    }
    // Hash tables are colocated by (colocation id, shard index); append/range shards only with themselves.
    int32_t colocation = t.method == 'h' ? t.colocation_id : 0;
    std::string name = display_name(t);
    for (size_t i = 0; i < t.shards.size(); ++i) {
      const Shard& s = t.shards[i];
      if (s.groups.empty()) continue;  // no active placement: nothing to move
      PlannerShard ps;
      ps.shard_id = s.shard_id;
      ps.table_name = name;
      ps.group_id = s.groups.front();
      ps.colocation_id = colocation;
      ps.shard_index = static_cast<int>(i);
      groups_with_shards.insert(ps.group_id);
      st.shards.push_back(std::move(ps));
    }
    st.tables.push_back(std::move(t));
  }

  // Citus plans over ActiveReadableNodeList: active primaries. The coordinator (group 0) only matters when it may
  // hold shards or does.
  for (const auto& n : catalog.nodes()) {
    if (!n.is_active || n.role != "primary") continue;
    if (n.is_coordinator() && !n.should_have_shards && !groups_with_shards.count(n.group_id)) continue;
    st.nodes.push_back({n.group_id, n.host, n.port, n.should_have_shards, 1.0, n.node_id});
  }

  // What Citus's plan prints as shard_size (ShardLength: the first active placement's shardlength).
  auto lengths = catalog.coordinator().exec(
      "SELECT shardid, max(shardlength) FROM pg_catalog.pg_dist_placement WHERE shardstate = 1 GROUP BY shardid");
  std::map<int64_t, int64_t> length_of;
  for (int row = 0; row < lengths.rows(); ++row) length_of[lengths.i64(row, 0)] = lengths.i64(row, 1);
  for (auto& ps : st.shards)
    if (auto it = length_of.find(ps.shard_id); it != length_of.end()) ps.shard_length = it->second;

  if (!with_sizes) return st;
  // One query per node holding shards: size and row estimate of each of its shard tables. A reference table's
  // shard is measured on the first node holding a placement (every placement is a full copy): one copy's size
  // (Citus 13's citus_total_relation_size() adds up every copy).
  std::map<int32_t, std::vector<std::pair<int64_t, std::string>>> by_group;  // shard id, relation
  std::map<int64_t, const Table*> table_of;
  for (const auto& t : st.tables)
    for (const auto& s : t.shards) table_of[s.shard_id] = &t;
  for (const PlannerShard& ps : st.shards)
    by_group[ps.group_id].emplace_back(ps.shard_id, table_of.at(ps.shard_id)->shard_relation(ps.shard_id));
  for (const Table& t : st.reference_tables)
    for (const Shard& s : t.shards) {
      auto g = std::find_if(s.groups.begin(), s.groups.end(),
                            [&catalog](int32_t group) { return catalog.node_for_group(group) != nullptr; });
      if (g != s.groups.end()) by_group[*g].emplace_back(s.shard_id, t.shard_relation(s.shard_id));
    }
  // The nodes are asked at the same time (each is a new session, the costliest part of a small plan).
  std::vector<std::pair<std::string, std::string>> asks;  // conninfo, VALUES list
  for (const auto& [group, shards] : by_group) {
    const Node* node = catalog.node_for_group(group);
    if (!node) continue;
    std::string values;
    for (const auto& [shard_id, relation] : shards)
      values +=
          (values.empty() ? "(" : ", (") + std::to_string(shard_id) + "::bigint, " + quote_literal(relation) + ")";
    asks.emplace_back(catalog.node_conninfo(*node), values);
  }
  const auto answers = at_once(asks, [](const std::pair<std::string, std::string>& ask) {
    return PgConn::connect(ask.first, "pgmove")
        .exec(
            // Rows: the live-tuple count of the statistics system (right after a load), else the planner's
            // reltuples (-1 until the shard is first analyzed).
            "SELECT v.id, coalesce(pg_total_relation_size(to_regclass(v.rel)), 0), "
            "       coalesce((SELECT CASE WHEN pg_stat_get_live_tuples(c.oid) > 0 THEN pg_stat_get_live_tuples(c.oid) "
            "                             ELSE greatest(c.reltuples, 0)::bigint END "
            "                 FROM pg_class c WHERE c.oid = to_regclass(v.rel)), 0) "
            "FROM (VALUES " +
            ask.second + ") AS v(id, rel)");
  });
  for (const PgResult& r : answers)
    for (int row = 0; row < r.rows(); ++row) st.stats[r.i64(row, 0)] = {r.i64(row, 1), r.i64(row, 2)};
  for (auto& ps : st.shards) {
    auto it = st.stats.find(ps.shard_id);
    if (it != st.stats.end()) ps.cost_bytes = it->second.bytes;
  }
  return st;
}

}  // namespace pgload
