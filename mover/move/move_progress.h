// What a move run shows while it works: a status line per running move on a TTY (common/progress) with its phase,
// bytes done / total, MB/s and a line with the ETA of the whole run; with --json the same as one JSON line per
// phase change on stderr; and the NOTICE and warning lines, printed through the same lock so they never garble
// the status.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/progress.h"
#include "mover/move/move_unit.h"

namespace pgload {

class MoveProgress {
 public:
  // One running move's line; copy code bumps `bytes` with relaxed atomics.
  struct Entry {
    std::string label;
    std::string status;  // e.g. what the move waits for; guarded by the progress lock (set_status)
    std::atomic<uint64_t> bytes{0};
    std::atomic<uint64_t> total_bytes{0};  // estimate (source heap size); 0 = unknown
    std::atomic<const char*> phase{"starting"};
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::string started_at = utc_timestamp();
    // copying, building indexes, catching up, switching; reported as a JSON line with --json.
    void set_phase(const char* name);
    class MoveProgress* owner = nullptr;
  };

  // Draws only when `enabled` (--progress) and stderr is a TTY; NOTICE and warning lines print either way.
  explicit MoveProgress(bool enabled);

  // --json phase lines on stderr, and the run's total bytes (estimate) for its ETA.
  void configure(bool json, uint64_t run_total_bytes);

  std::shared_ptr<Entry> add(std::string label);
  void remove(const std::shared_ptr<Entry>& e);
  // A move that completed: its bytes count as done for the run's ETA; with --json its "done" line.
  void finish(const std::shared_ptr<Entry>& e);

  // `NOTICE:  Moving shard 102008 from 127.0.0.1:9701 to 127.0.0.1:9703 ...` on stdout, like Citus prints it.
  void notice_moving(const MoveUnit& u);
  // `pgmove: warning: ...` on stderr.
  void warn(const std::string& msg);
  // `pgmove: ...` on stderr (e.g. what a move waits for), shown in the entry's status line too until cleared.
  void note(const std::shared_ptr<Entry>& e, const std::string& msg);
  void set_status(const std::shared_ptr<Entry>& e, std::string status);

 private:
  std::string render();
  void json_line(const Entry& e, const char* phase, bool ended);
  double run_eta_seconds();

  std::mutex entries_mu_;
  std::vector<std::shared_ptr<Entry>> entries_;
  bool json_ = false;
  std::atomic<uint64_t> run_total_bytes_{0};
  std::atomic<uint64_t> finished_bytes_{0};
  const std::chrono::steady_clock::time_point run_start_ = std::chrono::steady_clock::now();
  Progress progress_;  // last: its drawing thread reads entries_, so it stops before they go
};

}  // namespace pgload
