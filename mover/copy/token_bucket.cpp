// Token bucket: refill by elapsed time under one mutex; waiting happens outside the lock.
#include "mover/copy/token_bucket.h"

#include <algorithm>
#include <thread>

namespace pgload {

namespace {
int64_t default_burst(int64_t rate) { return std::max<int64_t>(rate / 10, int64_t{64} * 1024); }
}  // namespace

TokenBucket::TokenBucket(int64_t rate_bytes_per_s, int64_t burst_bytes, Clock clock, Sleeper sleep)
    : rate_bytes_per_s_(rate_bytes_per_s),
      burst_bytes_(burst_bytes > 0 ? burst_bytes : default_burst(rate_bytes_per_s)),
      fixed_burst_(burst_bytes > 0),
      clock_(clock ? std::move(clock) : Clock([] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch());
      })),
      sleep_(sleep ? std::move(sleep) : Sleeper([](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); })),
      tokens_(static_cast<double>(burst_bytes_.load())) {
  last_ns_ = clock_();
}

void TokenBucket::refill(std::chrono::nanoseconds now) {
  if (now <= last_ns_) return;
  const auto rate = static_cast<double>(rate_bytes_per_s_.load(std::memory_order_relaxed));
  if (rate > 0) {
    double refill = static_cast<double>((now - last_ns_).count()) * 1e-9 * rate;
    tokens_ = std::min(tokens_ + refill, static_cast<double>(burst_bytes_.load(std::memory_order_relaxed)));
  }
  last_ns_ = now;
}

std::chrono::nanoseconds TokenBucket::reserve(int64_t bytes) {
  if (unlimited() || bytes <= 0) return std::chrono::nanoseconds(0);
  std::lock_guard lock(mu_);
  refill(clock_());
  const int64_t rate = rate_bytes_per_s_.load(std::memory_order_relaxed);
  if (rate <= 0) return std::chrono::nanoseconds(0);  // made unlimited while we waited for the lock
  tokens_ -= static_cast<double>(bytes);
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<int64_t>(-tokens_ * 1e9 / static_cast<double>(rate)));
}

void TokenBucket::set_rate(int64_t rate_bytes_per_s) {
  std::lock_guard lock(mu_);
  refill(clock_());  // time so far counts at the old rate
  const bool was_unlimited = rate_bytes_per_s_.load(std::memory_order_relaxed) <= 0;
  rate_bytes_per_s_.store(rate_bytes_per_s, std::memory_order_relaxed);
  if (!fixed_burst_) burst_bytes_.store(default_burst(rate_bytes_per_s), std::memory_order_relaxed);
  const auto burst = static_cast<double>(burst_bytes_.load(std::memory_order_relaxed));
  // Unlimited spent nothing from the bucket: a newly limited one starts full, not with stale tokens.
  if (was_unlimited) tokens_ = burst;
  tokens_ = std::min(tokens_, burst);
}

TokenBucket::Copying::Copying(TokenBucket* bucket) : bucket_(bucket) {
  if (!bucket_) return;
  std::lock_guard lock(bucket_->mu_);
  const std::chrono::nanoseconds now = bucket_->clock_();
  if (bucket_->copies_++ > 0) return;
  bucket_->refill(now);
  bucket_->tokens_ = std::min(bucket_->tokens_, 0.0);  // a debt left by the last copy is still owed
  bucket_->copy_start_ns_ = now;
}

TokenBucket::Copying::~Copying() {
  if (!bucket_) return;
  std::lock_guard lock(bucket_->mu_);
  if (--bucket_->copies_ == 0) bucket_->copy_ns_ += bucket_->clock_() - bucket_->copy_start_ns_;
}

double TokenBucket::copy_seconds() {
  std::lock_guard lock(mu_);
  std::chrono::nanoseconds total = copy_ns_;
  if (copies_ > 0) total += clock_() - copy_start_ns_;
  return std::chrono::duration<double>(total).count();
}

void TokenBucket::acquire(int64_t bytes) {
  auto wait = reserve(bytes);
  if (wait.count() > 0) sleep_(wait);
}

}  // namespace pgload
