// Token bucket: refill by elapsed time under one mutex; waiting happens outside the lock.
#include "mover/token_bucket.h"

#include <algorithm>
#include <thread>

namespace pgload {

namespace {
int64_t default_burst(int64_t rate) { return std::max<int64_t>(rate / 10, int64_t{64} * 1024); }
}  // namespace

TokenBucket::TokenBucket(int64_t rate_bytes_per_s, int64_t burst_bytes, Clock clock, Sleeper sleep)
    : rate_bytes_per_s_(rate_bytes_per_s),
      burst_bytes_(burst_bytes > 0 ? burst_bytes : default_burst(rate_bytes_per_s)),
      clock_(clock ? std::move(clock)
                   : Clock([] {
                       return std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now().time_since_epoch());
                     })),
      sleep_(sleep ? std::move(sleep) : Sleeper([](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); })),
      tokens_(static_cast<double>(burst_bytes_)) {
  last_ns_ = clock_();
}

std::chrono::nanoseconds TokenBucket::reserve(int64_t bytes) {
  if (unlimited() || bytes <= 0) return std::chrono::nanoseconds(0);
  std::lock_guard lock(mu_);
  auto now = clock_();
  if (now > last_ns_) {
    double refill = static_cast<double>((now - last_ns_).count()) * 1e-9 * static_cast<double>(rate_bytes_per_s_);
    tokens_ = std::min(tokens_ + refill, static_cast<double>(burst_bytes_));
    last_ns_ = now;
  }
  tokens_ -= static_cast<double>(bytes);
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<int64_t>(-tokens_ * 1e9 / static_cast<double>(rate_bytes_per_s_)));
}

void TokenBucket::acquire(int64_t bytes) {
  auto wait = reserve(bytes);
  if (wait.count() > 0) sleep_(wait);
}

}  // namespace pgload
