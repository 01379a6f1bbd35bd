// What the planner needs, read from a live cluster: nodes, shards of distributed tables with their colocation and
// size on their worker, and the rebalance strategies. The only place pgmove turns the catalog into planner input.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "mover/plan/planner.h"

namespace pgload {

// The user asked for something this cluster does not have (unknown strategy, no distributed tables ...).
// pgmove reports it and exits 2 before anything moves.
class PlanInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ShardStats {
  int64_t bytes = 0;          // pg_total_relation_size of the shard table on its worker
  int64_t rows_estimate = 0;  // live tuples there (statistics system), else pg_class.reltuples
};

struct ClusterState {
  std::vector<PlannerNode> nodes;    // active primaries that may hold shards: workers, plus the coordinator if it
                                     // should have shards or holds some
  std::vector<PlannerShard> shards;  // every shard of every distributed (non-reference) table
  std::vector<Table> tables;         // distributed (non-reference) tables, by colocation id then oid
  std::vector<Table> reference_tables;
  std::map<int64_t, ShardStats> stats;  // by shard id; empty when sizes were not read
};

// Reads nodes and tables from the coordinator and, when with_sizes, the size of each shard from its worker (one
// connection per worker, Catalog::node_conninfo). Throws PgError when a worker cannot be reached.
ClusterState load_cluster_state(const Catalog& catalog, bool with_sizes = true);

// The rows of pg_dist_rebalance_strategy (Citus's two built-ins if the table does not exist), by name.
// Throws PlanInputError for a strategy whose shard cost function pgmove cannot evaluate.
std::vector<Strategy> load_strategies(const PgConn& coordinator);
// The named strategy, or the default_strategy one; PlanInputError listing the valid names when unknown.
Strategy choose_strategy(const PgConn& coordinator, const std::optional<std::string>& name);

// How a table is named in plans: like regclass output (schema only outside public, quoted when needed).
std::string display_name(const Table& table);

}  // namespace pgload
