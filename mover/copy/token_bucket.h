// A byte-rate limiter shared by every parallel move so that --max-rate caps their total, not each one.
// Debt model: a caller takes its bytes at once and then sleeps off the debt, so big and small chunks are fair.
// Copies draw from it inside a Copying scope: one that starts while nothing copies starts from an empty bucket (time
// nobody copied earns no burst), and the scopes' wall time is the copy time the rate is measured over.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace pgload {

class TokenBucket {
 public:
  using Clock = std::function<std::chrono::nanoseconds()>;        // monotonic "now"
  using Sleeper = std::function<void(std::chrono::nanoseconds)>;  // blocks the calling thread

  // rate_bytes_per_s <= 0 means unlimited (acquire never waits). burst_bytes is what may pass at once after an
  // idle spell (default: a tenth of a second's worth, at least 64 KiB). clock/sleep default to steady_clock and
  // this_thread::sleep_for; tests pass fakes.
  explicit TokenBucket(int64_t rate_bytes_per_s, int64_t burst_bytes = 0, Clock clock = {}, Sleeper sleep = {});

  // Takes `bytes` and returns how long the caller must wait before using them (zero if within budget).
  // Thread-safe; never blocks.
  std::chrono::nanoseconds reserve(int64_t bytes);
  // reserve() then sleep for the returned time. Thread-safe.
  void acquire(int64_t bytes);

  // Changes the rate of a running bucket (<= 0: unlimited). Bytes already taken keep their debt, which is then paid
  // off at the new rate; a burst given at construction stays, the default one follows the rate. Thread-safe.
  void set_rate(int64_t rate_bytes_per_s);

  // While alive, a copy draws from `bucket` (null: none). The first of overlapping copies empties the bucket's
  // tokens and starts the copy clock; the last stops it.
  class Copying {
   public:
    explicit Copying(TokenBucket* bucket);
    ~Copying();
    Copying(const Copying&) = delete;
    Copying& operator=(const Copying&) = delete;

   private:
    TokenBucket* bucket_;
  };
  // Wall seconds during which at least one Copying scope was alive (a running one counts up to now). Thread-safe.
  double copy_seconds();

  bool unlimited() const noexcept { return rate_bytes_per_s() <= 0; }
  int64_t rate_bytes_per_s() const noexcept { return rate_bytes_per_s_.load(std::memory_order_relaxed); }
  int64_t burst_bytes() const noexcept { return burst_bytes_.load(std::memory_order_relaxed); }

 private:
  // Brings tokens_ up to `now` at the current rate. Caller holds mu_.
  void refill(std::chrono::nanoseconds now);

  // Written under mu_, read lock-free by unlimited() and the accessors.
  std::atomic<int64_t> rate_bytes_per_s_;
  std::atomic<int64_t> burst_bytes_;
  const bool fixed_burst_;
  Clock clock_;
  Sleeper sleep_;
  std::mutex mu_;
  // Invariant (under mu_): available bytes = tokens_ + elapsed * rate, capped at burst; negative = debt.
  double tokens_;
  std::chrono::nanoseconds last_ns_{0};
  // Copying scopes alive, when the current stretch of copying began, and the stretches before it (under mu_).
  int copies_ = 0;
  std::chrono::nanoseconds copy_start_ns_{0};
  std::chrono::nanoseconds copy_ns_{0};
};

}  // namespace pgload
