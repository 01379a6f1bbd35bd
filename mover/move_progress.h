// What a move run shows while it works: a status line per running move on a TTY (common/progress), and the
// NOTICE and warning lines, printed through the same lock so they never garble the status.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/progress.h"
#include "mover/move_unit.h"

namespace pgload {

class MoveProgress {
 public:
  // One running move's line; copy code bumps `bytes` with relaxed atomics.
  struct Entry {
    std::string label;
    std::string status;  // e.g. what the move waits for; guarded by the progress lock (set_status)
    std::atomic<uint64_t> bytes{0};
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  };

  // Draws only when `enabled` (--progress) and stderr is a TTY; NOTICE and warning lines print either way.
  explicit MoveProgress(bool enabled);

  std::shared_ptr<Entry> add(std::string label);
  void remove(const std::shared_ptr<Entry>& e);

  // `NOTICE:  Moving shard 102008 from 127.0.0.1:9701 to 127.0.0.1:9703 ...` on stdout, like Citus prints it.
  void notice_moving(const MoveUnit& u);
  // `pgmove: warning: ...` on stderr.
  void warn(const std::string& msg);
  // `pgmove: ...` on stderr (e.g. what a move waits for), shown in the entry's status line too until cleared.
  void note(const std::shared_ptr<Entry>& e, const std::string& msg);
  void set_status(const std::shared_ptr<Entry>& e, std::string status);

 private:
  std::string render();

  std::mutex entries_mu_;
  std::vector<std::shared_ptr<Entry>> entries_;
  Progress progress_;  // last: its drawing thread reads entries_, so it stops before they go
};

}  // namespace pgload
