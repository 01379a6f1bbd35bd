#include "mover/cli/commands.h"

#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "common/json_text.h"
#include "mover/cli/table.h"
#include "mover/cluster/add_node.h"
#include "mover/cluster/cluster_state.h"
#include "mover/cluster/report_json.h"
#include "mover/cluster/session.h"
#include "mover/cluster/status_report.h"
#include "mover/engine.h"
#include "mover/move/move_mode.h"
#include "mover/plan/colocation_unit.h"
#include "mover/plan/planner.h"
#include "mover/rebalance.h"

namespace pgload {

namespace {

std::string fixed(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void print_plan(const RebalancePlan& plan, const Strategy& strategy, bool json) {
  if (json) {
    std::cout << plan_json(plan, strategy).dump() << "\n";
    return;
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : plan.rows)
    cells.push_back({r.table_name, std::to_string(r.shard_id), std::to_string(r.shard_size), r.source_host,
                     std::to_string(r.source_port), r.target_host, std::to_string(r.target_port)});
  print_table(std::cout,
              {"table_name", "shardid", "shard_size", "sourcename", "sourceport", "targetname", "targetport"},
              {false, true, true, false, true, false, true}, cells);
}

void print_notices(const std::vector<std::string>& notices) {
  for (const auto& n : notices) std::cerr << n << "\n";
}

void print_summary(const MoveSummary& sum, bool json) {
  double mb = static_cast<double>(sum.bytes) / 1e6;
  double mb_per_s = sum.seconds > 0 ? mb / sum.seconds : 0;
  if (json)
    std::cout << "{\"moves\":" << sum.moves << ",\"bytes\":" << sum.bytes << ",\"seconds\":" << fixed(sum.seconds, 3)
              << ",\"mb_per_s\":" << fixed(mb_per_s, 3)
              << ",\"copy_seconds\":" << (sum.copy_seconds > 0 ? fixed(sum.copy_seconds, 3) : std::string("null"))
              << (sum.path.empty() ? std::string() : ",\"path\":" + json_quote(sum.path)) << "}\n";
  else
    std::cout << "moved " << sum.moves << (sum.moves == 1 ? " shard, " : " shards, ") << fixed(mb) << " MB in "
              << fixed(sum.seconds) << " s (" << fixed(mb_per_s) << " MB/s)\n";
}

void require_tables(const ClusterState& st) {
  if (st.tables.empty())
    throw PlanInputError(
        "no distributed tables in the cluster (only reference or none); create one with "
        "create_distributed_table() first");
}

const Node& registered_node(const Catalog& cat, const Endpoint& ep, const char* what) {
  const Node* n = cat.find_node(ep.first, ep.second);
  if (!n)
    throw PlanInputError(std::string(what) + " " + ep.first + ":" + std::to_string(ep.second) +
                         " is not a registered node (pg_dist_node); register it with `pgmove add-node " + ep.first +
                         ":" + std::to_string(ep.second) + "`");
  return *n;
}

// How the command line's move options become the executor's (the mode is decided per run).
ExecutorOptions executor_options(const CliOptions& o) {
  ExecutorOptions eo;
  eo.parallel = o.parallel;
  eo.max_rate_bytes_per_s = o.max_rate_bytes_per_s;
  eo.spool_dir = o.spool_dir;
  eo.progress = o.progress;
  eo.json = o.json;
  eo.lock_timeout_ms = o.lock_timeout_ms;
  eo.citus_native = o.citus_native;
  return eo;
}

// `pgmove move` and `pgmove drain`: the units they planned themselves, moved like a rebalance's.
int move_units(const CliOptions& o, Catalog& catalog, const std::vector<PlacementUpdate>& moves) {
  const auto requests = move_requests(moves);
  ExecutorOptions eo = executor_options(o);
  if (!requests.empty()) eo.mode = choose_mode(o.mode, catalog, requests);
  print_summary(move_planned(catalog, requests, eo), o.json);
  return kExitOk;
}

}  // namespace

int cmd_status(const CliOptions& o) {
  Session s(o);
  const StatusReport r = build_status_report(s.coordinator, s.catalog);
  if (o.json) {
    std::cout << status_json(r).dump() << "\n";
    return kExitOk;
  }
  std::cout << "backend: " << backend_name(r.backend) << ", coordinator " << r.coordinator_endpoint
            << ", default strategy " << r.strategy.name << "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : r.nodes)
    rows.push_back({n.endpoint(), n.role, n.should_have_shards ? "t" : "f", std::to_string(n.shards),
                    std::to_string(n.bytes), std::to_string(n.rows_estimate)});
  print_table(std::cout, {"node", "role", "shouldhaveshards", "shards", "bytes", "rows_estimate"},
              {false, false, false, true, true, true}, rows);
  std::cout << "\n";
  rows.clear();
  for (const auto& t : r.tables)
    rows.push_back({t.name, t.reference ? "reference" : "distributed", std::to_string(t.colocation_id),
                    std::to_string(t.shards), std::to_string(t.bytes)});
  print_table(std::cout, {"table_name", "type", "colocation_id", "shards", "bytes"}, {false, false, true, true, true},
              rows);
  std::cout << "\n" << r.verdict << "\n";
  return kExitOk;
}

int cmd_plan(const CliOptions& o) {
  Session s(o);
  Strategy strategy = choose_strategy(s.coordinator, o.strategy);
  if (o.drain) registered_node(s.catalog, *o.drain, "--drain node");
  ClusterState st = load_cluster_state(s.catalog, strategy.by_disk_size);
  require_tables(st);
  RebalancePlan plan = compute_rebalance(st.nodes, st.shards, strategy, o.threshold, o.drain);
  print_notices(plan.notices);
  print_plan(plan, strategy, o.json);
  return kExitOk;
}

int cmd_rebalance(const CliOptions& o) {
  Session s(o);
  RebalanceOptions ro;
  ro.strategy = o.strategy;
  ro.threshold = o.threshold;
  ro.mode = o.mode;
  ro.dry_run = o.dry_run;
  ro.executor = executor_options(o);
  const RebalanceResult r = rebalance(s.coordinator, s.catalog, ro,
                                      [](const RebalanceResult& planned) { print_notices(planned.plan.notices); });
  if (o.dry_run) {
    print_notices(r.plan.notices);
    print_plan(r.plan, r.strategy, o.json);
    return kExitOk;
  }
  print_summary(r.summary, o.json);
  return kExitOk;
}

int cmd_move(const CliOptions& o) {
  Session s(o);
  const int64_t shard_id = std::stoll(o.args[0]);  // validated by parse_cli
  ClusterState st = load_cluster_state(s.catalog);
  const PlannerShard* shard = nullptr;
  for (const auto& sh : st.shards)
    if (sh.shard_id == shard_id) shard = &sh;
  if (!shard) {
    for (const auto& t : st.reference_tables)
      for (const auto& sh : t.shards)
        if (sh.shard_id == shard_id)
          throw PlanInputError("shard " + o.args[0] + " belongs to reference table " + display_name(t) +
                               ", which is on every node and is never moved");
    require_tables(st);
    throw PlanInputError("unknown shard id " + o.args[0] + ": no distributed table has it (see pg_dist_shard)");
  }
  const Node* source = s.catalog.node_for_group(shard->group_id);
  if (!source)
    throw PlanInputError("shard " + o.args[0] + " is on group " + std::to_string(shard->group_id) +
                         ", which has no active primary node");
  const Node& target = registered_node(s.catalog, *o.to, "target");
  if (target.host == source->host && target.port == source->port)
    throw PlanInputError("target equals source: shard " + o.args[0] + " is already on " + source->endpoint());
  if (!target.is_active || target.role != "primary")
    throw PlanInputError("target " + target.endpoint() + " is not an active primary node");
  if (!target.should_have_shards)
    throw PlanInputError("target " + target.endpoint() +
                         " has shouldhaveshards = false; moving shards to it is not allowed");

  // The shard and everything colocated with it move together.
  RebalancePlan plan;
  PlacementUpdate move{shard->table_name, shard->shard_id, 0, source->host, source->port, target.host, target.port};
  for (const PlannerShard* sh : unit_members(st.shards, shard->shard_id)) {
    PlacementUpdate r = move;
    r.table_name = sh->table_name;
    r.shard_id = sh->shard_id;
    r.shard_size = sh->cost_bytes;
    move.shard_size += sh->cost_bytes;
    plan.rows.push_back(r);
  }
  plan.moves.push_back(move);
  if (o.dry_run) {
    print_plan(plan, Strategy{"manual", false, 0, 0, 0}, o.json);
    return kExitOk;
  }
  return move_units(o, s.catalog, plan.moves);
}

int cmd_drain(const CliOptions& o) {
  Session s(o);
  auto ep = parse_endpoint(o.args[0]);
  if (!ep) throw UsageError("pgmove drain takes HOST:PORT, not \"" + o.args[0] + "\"");
  const Node& node = registered_node(s.catalog, *ep, "node");
  Strategy strategy = choose_strategy(s.coordinator, o.strategy);
  ClusterState st = load_cluster_state(s.catalog);
  require_tables(st);
  RebalancePlan plan = compute_rebalance(st.nodes, st.shards, strategy, o.threshold, ep);
  print_notices(plan.notices);
  // Every unit on the node must have somewhere to go, or the drain would stop half-way.
  std::set<ColocationUnit> units_on_node;
  for (const auto& sh : st.shards)
    if (sh.group_id == node.group_id) units_on_node.insert(colocation_unit(sh));
  if (plan.moves.size() < units_on_node.size())
    throw PlanInputError("cannot drain " + node.endpoint() + ": no other node may hold " +
                         std::to_string(units_on_node.size() - plan.moves.size()) +
                         " of its shards (add a worker with `pgmove add-node`, or set shouldhaveshards on another)");
  if (o.dry_run) {
    print_plan(plan, strategy, o.json);
    return kExitOk;
  }
  int rc = move_units(o, s.catalog, plan.moves);
  if (s.catalog.backend() == Backend::Citus)
    s.coordinator.exec("SELECT citus_set_node_property($1, $2::int, 'shouldhaveshards', false)",
                       {node.host, std::to_string(node.port)});
  else
    s.coordinator.exec(
        "UPDATE pg_catalog.pg_dist_node SET shouldhaveshards = false WHERE nodename = $1 AND nodeport = $2::int",
        {node.host, std::to_string(node.port)});
  if (!o.json) std::cout << "node " << node.endpoint() << " drained: shouldhaveshards = false\n";
  return rc;
}

int cmd_add_node(const CliOptions& o) {
  auto ep = parse_endpoint(o.args[0]);
  if (!ep) throw UsageError("pgmove add-node takes HOST:PORT, not \"" + o.args[0] + "\"");
  Session s(o);
  auto id = add_node(s.coordinator, s.catalog, *ep);
  const std::string endpoint = ep->first + ":" + std::to_string(ep->second);
  if (o.json)
    std::cout << "{\"node\":" << json_quote(endpoint) << ",\"nodeid\":" << id.value_or("null") << "}\n";
  else
    std::cout << "node " << endpoint << " registered (nodeid " << id.value_or("?") << ")\n";
  return kExitOk;
}

int cmd_recover(const CliOptions& o) {
  Session s(o);
  int resolved = recover_moves(s.catalog);
  if (o.json)
    std::cout << "{\"resolved\":" << resolved << "}\n";
  else
    std::cout << "resolved " << resolved << " interrupted move" << (resolved == 1 ? "" : "s") << "\n";
  return kExitOk;
}

}  // namespace pgload
