// The one-shot commands of pgmove (status, plan, rebalance, move, drain, add-node, recover): each reads what it
// needs, runs it, and prints text or --json on stdout. main.cpp picks one and maps its errors to exit codes.
#pragma once

#include "mover/cli/cli.h"

namespace pgload {

int cmd_status(const CliOptions& o);
int cmd_plan(const CliOptions& o);
int cmd_rebalance(const CliOptions& o);
int cmd_move(const CliOptions& o);
int cmd_drain(const CliOptions& o);
int cmd_add_node(const CliOptions& o);
int cmd_recover(const CliOptions& o);

}  // namespace pgload
