// The JSON of a status report and of a plan: the one writer behind `pgmove status --json`, `pgmove plan --json` and
// the page's /api/status and /api/plan, so their keys cannot drift apart. Keys keep the order written here.
#pragma once

#include <nlohmann/json.hpp>

#include "mover/cluster/status_report.h"
#include "mover/plan/planner.h"

namespace pgload {

// {"strategy", "threshold", "moves": [one per unit: shard_id, table_name, bytes, source, target],
//  "rows": [get_rebalance_table_shards_plan()'s columns], "notices"}
nlohmann::ordered_json plan_json(const RebalancePlan& plan, const Strategy& strategy);

// {"backend", "coordinator", "strategy", "nodes", "tables", "plan", "recommended", "rebalance_recommended",
//  "cluster_verdict", "verdict"}; both spellings of the verdict and the recommendation are kept (older readers).
nlohmann::ordered_json status_json(const StatusReport& report);

}  // namespace pgload
