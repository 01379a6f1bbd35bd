// pgmove: shard mover / rebalancer. Reads the cluster (cluster_state), plans (planner), hands moves to the executor,
// and maps every failure to one exit code: 0 ok, 1 move failed, 2 usage/validation, 3 cluster/connection.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "common/conninfo.h"
#include "common/json_text.h"
#include "common/log.h"
#include "common/pg.h"
#include "common/version.h"
#include "mover/add_node.h"
#include "mover/cli.h"
#include "mover/cluster_state.h"
#include "mover/executor.h"
#include "mover/move_mode.h"
#include "mover/planner.h"
#include "mover/session.h"
#include "mover/status_report.h"
#include "mover/ui_server.h"

namespace pgload {
namespace {

// A move failed inside the executor: exit 1.
class MoveFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string fixed(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// psql's aligned format: centered headers, numbers right-aligned, "(N rows)".
void print_table(std::ostream& out, const std::vector<std::string>& headers, const std::vector<bool>& right,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headers.size());
  for (size_t c = 0; c < headers.size(); ++c) {
    width[c] = headers[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  std::string line;
  for (size_t c = 0; c < headers.size(); ++c) {
    size_t pad = width[c] - headers[c].size();
    line += (c ? "|" : "") + std::string(" ") + std::string(pad / 2, ' ') + headers[c] +
            std::string(pad - pad / 2, ' ') + " ";
  }
  out << line << "\n";
  line.clear();
  for (size_t c = 0; c < headers.size(); ++c) line += (c ? "+" : "") + std::string(width[c] + 2, '-');
  out << line << "\n";
  for (const auto& r : rows) {
    line.clear();
    for (size_t c = 0; c < headers.size(); ++c) {
      size_t pad = width[c] - r[c].size();
      bool last = c + 1 == headers.size();
      line += (c ? "|" : "") + std::string(" ");
      if (right[c])
        line += std::string(pad, ' ') + r[c];
      else
        line += r[c] + (last ? "" : std::string(pad, ' '));
      if (!last) line += " ";
    }
    out << line << "\n";
  }
  out << "(" << rows.size() << (rows.size() == 1 ? " row)" : " rows)") << "\n";
}

void print_plan(const std::vector<PlacementUpdate>& rows, const Strategy& strategy, double threshold, bool json) {
  if (json) {
    std::cout << "{\"strategy\":" << json_quote(strategy.name) << ",\"threshold\":" << threshold << ",\"moves\":[";
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      std::cout << (i ? "," : "") << "{\"table_name\":" << json_quote(r.table_name) << ",\"shardid\":" << r.shard_id
                << ",\"shard_size\":" << r.shard_size << ",\"sourcename\":" << json_quote(r.source_host)
                << ",\"sourceport\":" << r.source_port << ",\"targetname\":" << json_quote(r.target_host)
                << ",\"targetport\":" << r.target_port << "}";
    }
    std::cout << "]}\n";
    return;
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows)
    cells.push_back({r.table_name, std::to_string(r.shard_id), std::to_string(r.shard_size), r.source_host,
                     std::to_string(r.source_port), r.target_host, std::to_string(r.target_port)});
  print_table(std::cout,
              {"table_name", "shardid", "shard_size", "sourcename", "sourceport", "targetname", "targetport"},
              {false, true, true, false, true, false, true}, cells);
}

void print_notices(const std::vector<std::string>& notices) {
  for (const auto& n : notices) std::cerr << n << "\n";
}

Session open_session(const CliOptions& o) { return Session(o); }

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

// ---- status ----------------------------------------------------------------------------------------------------

int cmd_status(const CliOptions& o) {
  Session s = open_session(o);
  const StatusReport r = build_status_report(s.coordinator, s.catalog);
  if (o.json) {
    std::cout << "{\"backend\":" << json_quote(backend_name(r.backend)) << ",\"nodes\":[";
    bool first = true;
    for (const auto& n : r.nodes) {
      std::cout << (first ? "" : ",") << "{\"node\":" << json_quote(n.endpoint()) << ",\"nodeid\":" << n.node_id
                << ",\"groupid\":" << n.group_id << ",\"role\":" << json_quote(n.role)
                << ",\"shouldhaveshards\":" << (n.should_have_shards ? "true" : "false") << ",\"shards\":" << n.shards
                << ",\"bytes\":" << n.bytes << ",\"rows_estimate\":" << n.rows_estimate << "}";
      first = false;
    }
    std::cout << "],\"tables\":[";
    first = true;
    for (const auto& t : r.tables) {
      std::cout << (first ? "" : ",") << "{\"table_name\":" << json_quote(t.name)
                << ",\"type\":" << json_quote(t.reference ? "reference" : "distributed")
                << ",\"colocation_id\":" << t.colocation_id << ",\"shards\":" << t.shards << ",\"bytes\":" << t.bytes
                << "}";
      first = false;
    }
    std::cout << "],\"strategy\":" << json_quote(r.strategy.name)
              << ",\"rebalance_recommended\":" << (r.recommended ? "true" : "false")
              << ",\"verdict\":" << json_quote(r.verdict) << "}\n";
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

// ---- plan / rebalance / move / drain ---------------------------------------------------------------------------

int cmd_plan(const CliOptions& o) {
  Session s = open_session(o);
  Strategy strategy = choose_strategy(s.coordinator, o.strategy);
  if (o.drain) registered_node(s.catalog, *o.drain, "--drain node");
  ClusterState st = load_cluster_state(s.catalog, strategy.by_disk_size);
  require_tables(st);
  RebalancePlan plan = compute_rebalance(st.nodes, st.shards, strategy, o.threshold, o.drain);
  print_notices(plan.notices);
  print_plan(plan.rows, strategy, plan.threshold_used, o.json);
  return kExitOk;
}

int execute(const CliOptions& o, Catalog& cat, const std::vector<PlacementUpdate>& moves) {
  std::vector<MoveRequest> requests;
  for (const auto& m : moves)
    requests.push_back({m.shard_id, m.source_host, m.source_port, m.target_host, m.target_port});
  ExecutorOptions eo;
  eo.mode = choose_mode(o.mode, cat, requests);
  eo.parallel = o.parallel;
  eo.max_rate_bytes_per_s = o.max_rate_bytes_per_s;
  eo.spool_dir = o.spool_dir;
  eo.progress = o.progress;
  eo.json = o.json;
  eo.lock_timeout_ms = o.lock_timeout_ms;
  eo.citus_native = o.citus_native;
  MoveSummary sum;
  if (requests.empty()) {
    // Nothing to move, but a crashed run may have left a move half done: finish or clean it now.
    (void)recover_moves_reporting(cat);
  }
  if (!requests.empty()) {
    log::info("{} {} in {} mode, {} at once{}", requests.size(), requests.size() == 1 ? "move" : "moves",
              eo.mode == TransferMode::Logical ? "logical" : "block_writes", eo.parallel,
              o.lock_timeout_ms ? ", lock timeout " + std::to_string(*o.lock_timeout_ms) + " ms" : "");
    for (const auto& m : requests)
      log::info("move shard {}: {}:{} -> {}:{}", m.shard_id, m.source_host, m.source_port, m.target_host,
                m.target_port);
    try {
      sum = execute_moves(cat, requests, eo);
    } catch (const PgError& e) {
      log::failed_statement(e);
      throw MoveFailed(e.what());
    } catch (const std::exception& e) {
      throw MoveFailed(e.what());
    }
  }
  double mb = static_cast<double>(sum.bytes) / 1e6;
  double mb_per_s = sum.seconds > 0 ? mb / sum.seconds : 0;
  if (o.json)
    std::cout << "{\"moves\":" << sum.moves << ",\"bytes\":" << sum.bytes << ",\"seconds\":" << fixed(sum.seconds, 3)
              << ",\"mb_per_s\":" << fixed(mb_per_s, 3)
              << (sum.path.empty() ? std::string() : ",\"path\":" + json_quote(sum.path)) << "}\n";
  else
    std::cout << "moved " << sum.moves << (sum.moves == 1 ? " shard, " : " shards, ") << fixed(mb) << " MB in "
              << fixed(sum.seconds) << " s (" << fixed(mb_per_s) << " MB/s)\n";
  return kExitOk;
}

int cmd_rebalance(const CliOptions& o) {
  Session s = open_session(o);
  Strategy strategy = choose_strategy(s.coordinator, o.strategy);
  ClusterState st = load_cluster_state(s.catalog);
  require_tables(st);
  RebalancePlan plan = compute_rebalance(st.nodes, st.shards, strategy, o.threshold, std::nullopt);
  print_notices(plan.notices);
  if (o.dry_run) {
    print_plan(plan.rows, strategy, plan.threshold_used, o.json);
    return kExitOk;
  }
  return execute(o, s.catalog, plan.moves);
}

int cmd_move(const CliOptions& o) {
  Session s = open_session(o);
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

  // The shard and everything colocated with it (same colocation id and shard index) move together.
  PlacementUpdate move{shard->table_name, shard->shard_id, 0, source->host, source->port, target.host, target.port};
  std::vector<PlacementUpdate> rows;
  for (const auto& sh : st.shards)
    if (sh.shard_id == shard->shard_id || (shard->colocation_id != 0 && sh.colocation_id == shard->colocation_id &&
                                           sh.shard_index == shard->shard_index)) {
      PlacementUpdate r = move;
      r.table_name = sh.table_name;
      r.shard_id = sh.shard_id;
      r.shard_size = sh.cost_bytes;
      move.shard_size += sh.cost_bytes;
      rows.push_back(r);
    }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.shard_id < b.shard_id; });
  if (o.dry_run) {
    print_plan(rows, Strategy{"manual", false, 0, 0, 0}, 0, o.json);
    return kExitOk;
  }
  return execute(o, s.catalog, {move});
}

int cmd_drain(const CliOptions& o) {
  Session s = open_session(o);
  auto ep = parse_endpoint(o.args[0]);
  if (!ep) throw UsageError("pgmove drain takes HOST:PORT, not \"" + o.args[0] + "\"");
  const Node& node = registered_node(s.catalog, *ep, "node");
  Strategy strategy = choose_strategy(s.coordinator, o.strategy);
  ClusterState st = load_cluster_state(s.catalog);
  require_tables(st);
  RebalancePlan plan = compute_rebalance(st.nodes, st.shards, strategy, o.threshold, ep);
  print_notices(plan.notices);
  // Every unit on the node must have somewhere to go, or the drain would stop half-way.
  std::set<std::pair<int32_t, std::string>> units_on_node;
  for (const auto& sh : st.shards)
    if (sh.group_id == node.group_id)
      units_on_node.insert({sh.colocation_id, sh.colocation_id ? std::to_string(sh.shard_index)
                                                               : sh.table_name + "#" + std::to_string(sh.shard_index)});
  if (plan.moves.size() < units_on_node.size())
    throw PlanInputError("cannot drain " + node.endpoint() + ": no other node may hold " +
                         std::to_string(units_on_node.size() - plan.moves.size()) +
                         " of its shards (add a worker with `pgmove add-node`, or set shouldhaveshards on another)");
  if (o.dry_run) {
    print_plan(plan.rows, strategy, plan.threshold_used, o.json);
    return kExitOk;
  }
  int rc = execute(o, s.catalog, plan.moves);
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
  Session s = open_session(o);
  auto id = add_node(s.coordinator, s.catalog, *ep);
  const std::string endpoint = ep->first + ":" + std::to_string(ep->second);
  if (o.json)
    std::cout << "{\"node\":" << json_quote(endpoint) << ",\"nodeid\":" << id.value_or("null") << "}\n";
  else
    std::cout << "node " << endpoint << " registered (nodeid " << id.value_or("?") << ")\n";
  return kExitOk;
}

int cmd_recover(const CliOptions& o) {
  Session s = open_session(o);
  int resolved = recover_moves(s.catalog);
  if (o.json)
    std::cout << "{\"resolved\":" << resolved << "}\n";
  else
    std::cout << "resolved " << resolved << " interrupted move" << (resolved == 1 ? "" : "s") << "\n";
  return kExitOk;
}

int run(int argc, char** argv) {
  CliOptions o = parse_cli(argc, argv);
  if (o.help) {
    std::cout << usage_text();
    return kExitOk;
  }
  if (o.version) {
    std::cout << "pgmove " << kVersion << "\n";
    return kExitOk;
  }
  log::init("pgmove", o.debug ? log::Verbosity::Debug : o.verbose ? log::Verbosity::Verbose : log::Verbosity::Normal);
  check_connection_options(o);
  if (o.command == "status") return cmd_status(o);
  if (o.command == "plan") return cmd_plan(o);
  if (o.command == "rebalance") return cmd_rebalance(o);
  if (o.command == "move") return cmd_move(o);
  if (o.command == "drain") return cmd_drain(o);
  if (o.command == "add-node") return cmd_add_node(o);
  if (o.command == "ui") return run_ui(o);
  return cmd_recover(o);
}

}  // namespace
}  // namespace pgload

int main(int argc, char** argv) {
  using namespace pgload;
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "pgmove: " << redact_conninfo(e.what()) << "\nTry `pgmove --help`.\n";
    return kExitUsage;
  } catch (const PlanInputError& e) {
    std::cerr << "pgmove: " << e.what() << "\n";
    return kExitUsage;
  } catch (const MoveFailed& e) {
    std::cerr << "pgmove: move failed: " << redact_conninfo(e.what()) << "\n";
    return kExitMoveFailed;
  } catch (const PgError& e) {
    log::failed_statement(e);
    std::cerr << "pgmove: " << redact_conninfo(e.what()) << "\n";
    return kExitCluster;
  } catch (const std::exception& e) {
    std::cerr << "pgmove: " << redact_conninfo(e.what()) << "\n";
    return kExitCluster;
  }
}
