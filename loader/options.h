// pgload's command line, declared as data: one table drives parsing, --help and the README's option list.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgload {

enum class InputFormat { Csv, Ndjson };

// Exit codes (documented in --help and README).
enum ExitCode : int {
  kExitLoaded = 0,
  kExitInputErrors = 1,    // bad rows past --max-errors, malformed input; nothing loaded
  kExitUsage = 2,          // bad options, unknown table/column, header mismatch
  kExitCluster = 3,        // coordinator or worker unreachable, server rejected the load; nothing loaded
  kExitSource = 4,         // URL could not be read (HTTP error, dropped without Range, truncated gzip)
  kExitInDoubt = 5,        // commit decided but some COMMIT PREPARED failed: run `pgload recover`
};

struct LoadOptions {
  std::string command = "load";  // load | recover
  std::string url;
  std::string table;
  std::string coordinator;  // libpq conninfo; empty = PG* environment, service file, .pgpass
  std::string backend;      // "", "local", "citus"
  std::vector<std::string> node_conninfo;  // "host:port=CONNINFO" overrides
  InputFormat format = InputFormat::Csv;
  bool header = false;
  char delimiter = ',';
  char quote = '"';
  char escape = '\0';  // '\0' until parsed: then defaults to the quote character
  std::string null_string;  // COPY CSV's default NULL is the unquoted empty string
  std::vector<std::string> columns;
  std::string encoding = "utf8";
  int threads = 0;  // 0 = all cores
  int64_t max_errors = 0;
  std::string reject_file;
  bool json = false;
  bool dry_run = false;
  bool quiet = false;
  bool insecure = false;
  int connections_per_worker = 4;
  int64_t batch_bytes = 1 << 20;
  int64_t chunk_bytes = 1 << 20;
  std::optional<int64_t> lock_timeout_ms;  // waiting for the shard lock (a shard move); nullopt = as long as it takes
};

// Parses argv; on error throws UsageError whose message names the option. Handles --help/--version by
// printing and returning nullopt.
std::optional<LoadOptions> parse_load_options(int argc, char** argv);
std::string load_usage();

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace pgload
