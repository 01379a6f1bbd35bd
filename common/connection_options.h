// How both tools reach the cluster: --coordinator, --node-conninfo and --backend, declared once (CLI11), checked
// once before anything connects, and the per-worker overrides applied to the catalog once.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/catalog.h"

namespace pgload {

struct ConnectionOptions {
  std::string coordinator;                 // conninfo or URI; "" = libpq defaults (PG* env, service file, .pgpass)
  std::optional<Backend> backend;          // unset = detected
  std::vector<std::string> node_conninfo;  // "host:port=CONNINFO" overrides, in command-line order
};

// Adds the three options to `app` in `group`. Values are checked as they are stored (UsageError naming the option).
void declare_connection_options(CLI::App& app, ConnectionOptions& options, const std::string& group);

// A conninfo libpq cannot parse (coordinator or override) is a UsageError with libpq's reason, passwords masked.
void check_connection_options(const ConnectionOptions& options);

// Points each --node-conninfo worker at its conninfo (logged redacted).
void apply_node_conninfo(Catalog& catalog, const ConnectionOptions& options);

}  // namespace pgload
