// `pgmove ui`: the Shard rebalancer page and its JSON API (/api/status, /api/plan), and the actions (POST, with
// the token): start, re-rate and stop a rebalance, register a node. Blocks until the process is interrupted.
#pragma once

#include "mover/cli.h"

namespace pgload {

int run_ui(const CliOptions& options);

}  // namespace pgload
