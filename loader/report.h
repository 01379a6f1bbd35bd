// What a load tells its user: a progress bar on a TTY while it runs, then a human summary or one JSON object.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace pgload {

struct LoadCounters;

// Redraws one stderr line every 250 ms until stopped; does nothing unless enabled (TTY and not --quiet).
class ProgressBar {
 public:
  ProgressBar(bool enabled, const LoadCounters& counters, std::function<uint64_t()> bytes_in,
              std::optional<uint64_t> total_bytes);
  ~ProgressBar();
  void stop();

 private:
  std::atomic<bool> running_{false};
  std::thread thread_;
};

struct LoadReport {
  std::string outcome;  // committed | dry_run | failed
  std::string table;
  uint64_t rows = 0, bytes = 0, rejected = 0;
  double seconds = 0;
  std::vector<std::pair<int64_t, uint64_t>> shard_rows;      // shard id -> rows, in shard order
  std::vector<std::pair<std::string, uint64_t>> node_rows;   // host:port -> rows
  std::string error;
  int exit_code = 0;
};

std::string report_json(const LoadReport& r);
std::string report_text(const LoadReport& r, bool per_shard);

}  // namespace pgload
