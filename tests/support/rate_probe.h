// The copy rate of a running move, measured from its chunks (MoveHooks::after_target_chunk) over a window of time:
// what the re-rate tests use to check that a rate set while a move runs is the rate the move then keeps.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

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

}  // namespace pgload::test
