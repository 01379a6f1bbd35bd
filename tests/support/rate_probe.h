// The copy rate of a running move, measured from its chunks (MoveHooks::after_target_chunk) over a window of time:
// what the re-rate tests use to check that a rate set while a move runs is the rate the move then keeps.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "mover/move/move_control.h"

namespace pgload::test {

class RateProbe {
 public:
  using Clock = std::chrono::steady_clock;

  // The hook: `bytes_so_far` of one shard table (a retried copy starts again at 0).
  void chunk(int64_t shard_id, uint64_t bytes_so_far) {
    std::lock_guard lock(mu_);
    auto& seen = by_shard_[shard_id];
    total_ += bytes_so_far >= seen ? bytes_so_far - seen : bytes_so_far;
    seen = bytes_so_far;
    samples_.emplace_back(Clock::now(), total_);
    cv_.notify_all();
  }

  // Waits until the move has copied `bytes` in all; false after `timeout`.
  bool wait_bytes(uint64_t bytes, std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return total_ >= bytes; });
  }

  // Bytes per second between the first chunk at or after `from` and the last one at or before `to`; 0 when the
  // window holds fewer than two chunks.
  double rate_between(Clock::time_point from, Clock::time_point to) const {
    std::lock_guard lock(mu_);
    const std::pair<Clock::time_point, uint64_t>* first = nullptr;
    const std::pair<Clock::time_point, uint64_t>* last = nullptr;
    for (const auto& s : samples_) {
      if (s.first < from || s.first > to) continue;
      if (!first) first = &s;
      last = &s;
    }
    if (!first || first == last) return 0;
    return static_cast<double>(last->second - first->second) /
           std::chrono::duration<double>(last->first - first->first).count();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, uint64_t> by_shard_;
  uint64_t total_ = 0;
  std::vector<std::pair<Clock::time_point, uint64_t>> samples_;
};

// The re-rate the tests make of a running move (started slower, its first `started_bytes` copied): sets
// `rate_bytes_per_s` through `control`, as the page does, and returns the rate measured over `window` after a
// settling second (0 when the move never copied that far); then lifts the limit so that the rest goes at full speed.
inline double rate_after_rerate(MoveControl& control, RateProbe& probe, uint64_t started_bytes,
                                int64_t rate_bytes_per_s, std::chrono::seconds window) {
  if (!probe.wait_bytes(started_bytes, std::chrono::seconds(60))) return 0;
  control.set_rate(rate_bytes_per_s);
  const auto from = RateProbe::Clock::now() + std::chrono::seconds(1);
  const auto to = from + window;
  std::this_thread::sleep_until(to);
  control.set_rate(0);
  return probe.rate_between(from, to);
}

}  // namespace pgload::test
