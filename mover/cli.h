// pgmove's command line: the commands, their options (declared once, CLI11), the exit codes, and the parsers for
// rates and host:port endpoints. Parsing only; main.cpp runs the commands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/catalog.h"
#include "common/exit_code.h"

namespace pgload {

using Endpoint = std::pair<std::string, int>;

struct CliOptions {
  std::string command;            // status, plan, add-node, rebalance, move, drain, recover, ui
  std::vector<std::string> args;  // positional arguments after the command
  std::string coordinator;        // conninfo or URI; "" = libpq defaults (PG* env, service file, .pgpass)
  std::optional<Backend> backend;
  std::vector<std::string> node_conninfo;  // "host:port=CONNINFO" overrides
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
  std::optional<Endpoint> listen;  // ui --listen; unset = 127.0.0.1:8080 (loopback only)
  std::string token;               // ui --token; "" = a random one, printed once at start
  bool citus_native = false;       // real Citus: move with citus_move_shard_placement() even as superuser
};

// Parses argv (options may come before or after the command). Throws UsageError with a precise message.
CliOptions parse_cli(int argc, const char* const* argv);

// "50MB/s", "20MiB/s", "500kB/s", "1.5GB", "1048576": bytes per second; nullopt when malformed.
// SI prefixes are powers of 1000, IEC (KiB, MiB, GiB) powers of 1024; the "/s" is optional.
std::optional<double> parse_rate(std::string_view text);

// "host:port" (the last colon splits, so "[::1]:5432" and "::1:5432" work); nullopt when malformed.
std::optional<Endpoint> parse_endpoint(std::string_view text);

// The --help text.
std::string usage_text();

}  // namespace pgload
