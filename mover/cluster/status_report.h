// What `pgmove status` prints and the `pgmove ui` page draws: nodes with their shards, bytes and rows, tables with
// their colocation group, the default strategy's plan and the verdict line, read once from a live cluster.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"
#include "mover/cluster/cluster_state.h"
#include "mover/plan/planner.h"

namespace pgload {

// The verdict lines, exactly as the page and `pgmove status` print them.
inline constexpr const char* kVerdictRecommended = "Rebalancing is recommended";
inline constexpr const char* kVerdictNotRecommended = "Rebalancing is not recommended at this time";
inline constexpr const char* kVerdictUnderway = "Rebalancing is underway";

struct NodeStatus {
  std::string host;
  int32_t port = 0;
  int32_t node_id = 0, group_id = 0;
  std::string role;  // "coordinator" / "worker", with " (secondary)" or " (inactive)" when so
  bool is_coordinator = false;
  bool should_have_shards = true;
  int shards = 0;
  int64_t bytes = 0, rows_estimate = 0;
  std::string endpoint() const { return host + ":" + std::to_string(port); }
};

struct TableStatus {
  std::string name;  // display_name()
  bool reference = false;
  int32_t colocation_id = 0;
  int shards = 0;
  int64_t bytes = 0;
};

struct StatusReport {
  Backend backend = Backend::Local;
  std::string coordinator_endpoint;  // host:port only, never the conninfo
  Strategy strategy;                 // the default strategy
  std::vector<NodeStatus> nodes;     // every row of pg_dist_node
  std::vector<TableStatus> tables;   // distributed tables, then reference tables
  ClusterState state;
  RebalancePlan plan;  // the default strategy's plan with its own threshold (empty without distributed tables)
  bool recommended = false;
  const char* verdict = kVerdictNotRecommended;
};

// Reads the cluster (sizes from every worker) and plans with the default strategy, as `pgmove status` does.
StatusReport build_status_report(const PgConn& coordinator, const Catalog& catalog);

// Bytes of all of a table's shards, from the sizes cluster_state measured.
int64_t table_bytes(const ClusterState& state, const Table& table);

}  // namespace pgload
