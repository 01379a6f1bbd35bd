// What a load tells its user when it is over: a human summary or one JSON object (the bar while it runs is
// loader/load_progress).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pgload {

struct LoadReport {
  std::string outcome;  // committed | dry_run | failed
  std::string table;
  uint64_t rows = 0, bytes = 0, rejected = 0;
  bool on_conflict = false;                         // --on-conflict: the summary splits the rows
  uint64_t inserted = 0, updated = 0, skipped = 0;  // of rows; a plain load inserts every row
  uint64_t refused = 0;                             // of rejected: the rows a worker refused
  double seconds = 0;
  std::vector<std::pair<int64_t, uint64_t>> shard_rows;     // shard id -> rows, in shard order
  std::vector<std::pair<std::string, uint64_t>> node_rows;  // host:port -> rows
  struct FileRows {
    std::string url;  // as messages show it
    uint64_t rows = 0, bytes = 0;
  };
  std::vector<FileRows> files;  // per input file, in load order: this run's rows and (decompressed) input bytes
  std::string error;
  std::string warning;  // the load stands, but something after its commit did not finish (e.g. the bookkeeping)
  int exit_code = 0;
};

std::string report_json(const LoadReport& r);
std::string report_text(const LoadReport& r, bool per_shard);

}  // namespace pgload
