// pgmove's command line: the commands, their options (declared once, CLI11) and the exit codes. Parsing only;
// main.cpp runs the commands. The value parsers (endpoints, rates, durations, integers) are common/'s.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/catalog.h"
#include "common/connection_options.h"
#include "common/endpoint.h"
#include "common/exit_code.h"

namespace pgload {

// The connection options (coordinator, backend, node_conninfo) are the ones pgload takes.
struct CliOptions : ConnectionOptions {
  std::string command;            // status, plan, add-node, rebalance, move, drain, recover, ui
  std::vector<std::string> args;  // positional arguments after the command
  bool json = false;
  bool help = false;
  bool version = false;
  bool verbose = false;                    // log each step on stderr
  bool debug = false;                      // also the SQL, endpoint and SQLSTATE of a failing statement
  std::optional<int64_t> lock_timeout_ms;  // wait for a conflicting shard lock; unset = forever
  bool dry_run = false;
  bool progress = false;
  std::optional<std::string> strategy;
  std::optional<double> threshold;
  std::optional<Endpoint> drain;  // plan --drain
  std::optional<Endpoint> to;     // move --to
  int parallel = 1;
  int64_t max_rate_bytes_per_s = 0;  // 0 = unlimited
  std::optional<std::string> mode;   // block_writes | logical; unset = decide from wal_level
  std::string spool_dir;
  std::optional<Endpoint> listen;          // ui --listen; unset = 127.0.0.1:8080 (loopback only)
  std::string token;                       // ui --token; "" = a random one, printed once at start
  std::vector<std::string> allowed_hosts;  // ui --allowed-host: more names the page may be reached by
  bool citus_native = false;               // real Citus: move with citus_move_shard_placement() even as superuser
};

// Parses argv (options may come before or after the command). Throws UsageError with a precise message.
CliOptions parse_cli(int argc, const char* const* argv);

// The --help text.
std::string usage_text();

}  // namespace pgload
