// The rebalance the page starts: one at a time, on its own thread, with a MoveControl the page uses to re-rate and
// stop it; its progress as JSON (per move, per node "N of M moved in/out", per table, rate and ETA).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/connection_options.h"
#include "mover/move/move_control.h"

namespace pgload {

struct UiRunRequest {
  std::optional<std::string> strategy;  // unset: the default strategy
  std::optional<std::string> mode;      // block_writes | logical; unset: as `pgmove rebalance` decides
  int parallel = 1;
  int64_t max_rate_bytes_per_s = 0;  // 0 = unlimited
};

class UiRun {
 public:
  // `base` carries the connection options; `on_end` runs on the run's thread after its last move, before the run
  // reports itself ended (the page refreshes the cluster state there, so it never shows a stale verdict).
  UiRun(ConnectionOptions base, std::function<void()> on_end);
  ~UiRun();  // stops a running rebalance and waits for it
  UiRun(const UiRun&) = delete;
  UiRun& operator=(const UiRun&) = delete;

  // Starts a rebalance; false (with `why`) when one is running already.
  bool start(const UiRunRequest& request, std::string& why);
  // Re-rates / stops the running one; false when none runs.
  bool set_rate(int64_t rate_bytes_per_s);
  bool stop();
  bool running() const noexcept { return running_.load(); }

  // {"state": idle|planning|running|finished|failed|stopped, "stopping", "moves": [...], "nodes": [...], ...}
  nlohmann::ordered_json to_json();

 private:
  // One planned unit: which shards (table, bytes) move from where to where.
  struct UnitPlan {
    int64_t shard_id = 0;
    std::string source, target;
    std::vector<std::pair<std::string, int64_t>> table_shards;  // (table, bytes) of every shard in the unit
  };
  void run(UiRunRequest request, std::shared_ptr<MoveControl> control);

  const ConnectionOptions base_;
  std::function<void()> on_end_;
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::thread thread_;                     // under mu_
  std::shared_ptr<MoveControl> control_;   // under mu_: the latest run's
  std::string state_ = "idle";             // under mu_
  std::string error_;                      // under mu_, redacted
  UiRunRequest request_;                   // under mu_
  std::string strategy_name_, mode_name_;  // under mu_
  std::vector<UnitPlan> units_;            // under mu_
  std::chrono::steady_clock::time_point started_{}, ended_{};
  std::deque<std::pair<double, uint64_t>> samples_;  // (seconds since start, bytes done), for the recent rate
};

}  // namespace pgload
