// pgload's command line: every option declared once (CLI11), which drives parsing, --help and, through
// scripts/gen-cli-docs, the usage block of docs/pgload.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/connection_options.h"
#include "common/exit_code.h"

namespace pgload {

enum class InputFormat { Csv, Ndjson, Text, Parquet };  // Text: PostgreSQL's COPY text format
// What a row whose key is already in the table does: None = a plain COPY (the key's unique index refuses it).
enum class OnConflict { None, Nothing, Update };

// The connection options (coordinator, backend, node_conninfo) are the ones pgmove takes.
struct LoadOptions : ConnectionOptions {
  std::string command = "load";   // load | recover | status | help | version
  std::vector<std::string> urls;  // --url, in order (each may be a glob or a directory)
  std::string table;
  InputFormat format = InputFormat::Csv;
  bool header = false;
  char delimiter = ',';     // after parsing: ',' for csv, TAB for text unless given
  char quote = '"';         // csv only
  char escape = '\0';       // '\0' until parsed: then defaults to the quote character
  std::string null_string;  // after parsing: COPY's default, the unquoted empty string (csv) or \N (text)
  std::vector<std::string> columns;
  std::string encoding = "utf8";
  int threads = 0;         // 0 = all cores
  int parallel_files = 4;  // input files opened and read ahead at a time
  int64_t max_errors = 0;
  OnConflict on_conflict = OnConflict::None;
  std::vector<std::string> conflict_key;    // empty: the primary key
  std::vector<std::string> update_columns;  // empty: every loaded column outside the key
  std::string reject_file;
  bool json = false;
  bool dry_run = false;
  bool quiet = false;
  bool insecure = false;
  std::string s3_endpoint;    // s3:// (empty: found as the AWS CLI finds it, see loader/aws_config.h)
  std::string s3_region;      // s3://
  std::string s3_addressing;  // s3://: "path", "virtual", or "" (path with a custom endpoint, virtual on AWS)
  bool verbose = false;       // log each step on stderr
  bool debug = false;         // also the SQL, endpoint and SQLSTATE of a failing statement
  std::optional<int64_t> lock_timeout_ms;  // wait for a conflicting shard lock; unset = forever
  int connections_per_worker = 4;
  int64_t batch_bytes = 4 << 20;  // bench/run on Citus: 11-24% less total CPU per row than 1 MiB batches
  int64_t chunk_bytes = 1 << 20;
  int64_t memory_bytes = int64_t{512} << 20;  // --memory: batches shrink to keep the load within it
  int64_t checkpoint_bytes = 0;               // commit every step of at least this many input bytes; 0 = all-or-nothing
  bool resume = false;  // continue the unfinished checkpointed run of the same --url list and table
};

// Parses argv without side effects; throws UsageError whose message names the option. --help and --version
// come back as command "help" / "version" for main to print.
LoadOptions parse_load_options(int argc, const char* const* argv);
// The --help text.
std::string load_usage();

}  // namespace pgload
