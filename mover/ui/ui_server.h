// `pgmove ui`: the Shard rebalancer page and its JSON API (/api/status, /api/plan), and the actions (POST, with
// the token): start, re-rate and stop a rebalance, register a node. Blocks until the process is interrupted.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/connection_options.h"
#include "common/endpoint.h"

namespace pgload {

struct UiOptions {
  ConnectionOptions connection;
  std::optional<Endpoint> listen;          // unset = 127.0.0.1:8080 (loopback only)
  std::string token;                       // "" = a random one, printed once at start
  std::vector<std::string> allowed_hosts;  // more names the page may be reached by
};

// Serves until SIGINT/SIGTERM; returns the exit code.
int run_ui(const UiOptions& options);

}  // namespace pgload
