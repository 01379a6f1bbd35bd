// TokenBucket: the rate over time on a fake clock, the burst cap after idling, copies that start empty and the
// copy time they add up to, and no lost updates under threads.
#include "mover/copy/token_bucket.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using pgload::TokenBucket;

namespace {
// A clock that only moves when the (fake) sleeper sleeps.
struct FakeTime {
  std::atomic<int64_t> now_ns{0};
  TokenBucket::Clock clock() {
    return [this] { return std::chrono::nanoseconds(now_ns.load()); };
  }
  TokenBucket::Sleeper sleeper() {
    return [this](std::chrono::nanoseconds d) { now_ns += d.count(); };
  }
};
}  // namespace

TEST(TokenBucket, RateOverTimeMatchesLimit) {
  FakeTime t;
  TokenBucket bucket(1000, 1000, t.clock(), t.sleeper());
  for (int i = 0; i < 100; ++i) bucket.acquire(100);  // 10,000 bytes, the first 1,000 free (burst)
  EXPECT_NEAR(static_cast<double>(t.now_ns.load()) / 1e9, 9.0, 1e-3);
}

TEST(TokenBucket, LargeChunksPayTheirDebt) {
  FakeTime t;
  TokenBucket bucket(1'000'000, 100'000, t.clock(), t.sleeper());
  bucket.acquire(5'100'000);  // 5 MB over the burst at 1 MB/s
  EXPECT_NEAR(static_cast<double>(t.now_ns.load()) / 1e9, 5.0, 1e-3);
  bucket.acquire(1);  // the debt is paid: the next byte waits only for itself
  EXPECT_NEAR(static_cast<double>(t.now_ns.load()) / 1e9, 5.0, 1e-3);
}

TEST(TokenBucket, IdleTimeRefillsOnlyUpToBurst) {
  FakeTime t;
  TokenBucket bucket(1000, 500, t.clock(), t.sleeper());
  EXPECT_EQ(bucket.reserve(500), 0ns);
  t.now_ns += 100'000'000'000;  // 100 s idle would be 100,000 bytes without the cap
  EXPECT_EQ(bucket.reserve(500), 0ns);
  EXPECT_EQ(bucket.reserve(100), 100ms);
}

TEST(TokenBucket, UnlimitedNeverWaits) {
  FakeTime t;
  TokenBucket bucket(0, 0, t.clock(), t.sleeper());
  EXPECT_TRUE(bucket.unlimited());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(bucket.reserve(1 << 30), 0ns);
}

TEST(TokenBucket, DefaultBurstIsATenthOfASecond) {
  TokenBucket bucket(10'000'000);
  EXPECT_EQ(bucket.burst_bytes(), 1'000'000);
  TokenBucket slow(1000);
  EXPECT_EQ(slow.burst_bytes(), 64 * 1024);
}

// With the clock frozen every reservation deepens the same debt: the waits handed out must be exactly one per
// 100-byte step (a lost update under contention would repeat or skip a step).
TEST(TokenBucket, ConcurrentReservationsShareOneBudget) {
  FakeTime t;
  constexpr int kThreads = 8, kPerThread = 1000;
  TokenBucket bucket(1000, 1000, t.clock(), t.sleeper());
  std::vector<std::vector<int64_t>> waits(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      for (int j = 0; j < kPerThread; ++j) waits[i].push_back(bucket.reserve(100).count());
    });
  for (auto& th : threads) th.join();
  std::vector<int64_t> all;
  for (auto& w : waits) all.insert(all.end(), w.begin(), w.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t k = 0; k < all.size(); ++k) {
    // after the (k+1)-th reservation the debt is (k+1)*100 - 1000 bytes, i.e. that many milliseconds at 1000 B/s
    int64_t debt_bytes = static_cast<int64_t>(k + 1) * 100 - 1000;
    int64_t expected = debt_bytes <= 0 ? 0 : debt_bytes * 1'000'000;
    ASSERT_NEAR(static_cast<double>(all[k]), static_cast<double>(expected), 10.0) << "reservation " << k;
  }
}

// Real clock, real threads: TSan checks the locking; the total must not beat the rate by more than the burst.
TEST(TokenBucket, ThreadsOnRealClockStayUnderRate) {
  TokenBucket bucket(4'000'000, 100'000);
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j) bucket.acquire(2000);  // 4 x 100 KB = 400 KB, 300 KB over the burst
    });
  for (auto& th : threads) th.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(seconds, 0.07);  // 300 KB at 4 MB/s = 75 ms; loose lower bound only
}

TEST(TokenBucket, SetRateAppliesToTheRunningBucket) {
  FakeTime t;
  TokenBucket bucket(1000, 1000, t.clock(), t.sleeper());
  for (int i = 0; i < 20; ++i) bucket.acquire(100);  // 2,000 bytes, 1,000 over the burst: 1 s
  EXPECT_NEAR(static_cast<double>(t.now_ns.load()) / 1e9, 1.0, 1e-3);
  bucket.set_rate(10'000);
  EXPECT_EQ(bucket.rate_bytes_per_s(), 10'000);
  EXPECT_EQ(bucket.burst_bytes(), 1000) << "a burst given at construction stays";
  for (int i = 0; i < 100; ++i) bucket.acquire(100);  // 10,000 bytes at 10 kB/s
  EXPECT_NEAR(static_cast<double>(t.now_ns.load()) / 1e9, 2.0, 1e-3);
}

TEST(TokenBucket, SetRateBetweenUnlimitedAndLimited) {
  FakeTime t;
  TokenBucket bucket(0, 0, t.clock(), t.sleeper());
  bucket.acquire(1'000'000);
  EXPECT_EQ(t.now_ns.load(), 0);
  bucket.set_rate(1'000'000);
  EXPECT_FALSE(bucket.unlimited());
  EXPECT_EQ(bucket.burst_bytes(), 100'000) << "the default burst follows the rate";
  bucket.acquire(1'100'000);  // starts full: 1 MB over the burst
  EXPECT_NEAR(static_cast<double>(t.now_ns.load()) / 1e9, 1.0, 1e-3);
  bucket.set_rate(0);
  bucket.acquire(50'000'000);
  EXPECT_NEAR(static_cast<double>(t.now_ns.load()) / 1e9, 1.0, 1e-3);
}

TEST(TokenBucket, SetRateWhileThreadsAcquire) {
  TokenBucket bucket(50'000'000);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&] {
      while (!stop.load()) bucket.acquire(4096);
    });
  for (int64_t rate : {100'000'000, 0, 200'000'000, 80'000'000}) {
    bucket.set_rate(rate);
    std::this_thread::sleep_for(5ms);
  }
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(bucket.rate_bytes_per_s(), 80'000'000);
}

// A copy that starts after an idle spell gets no burst: a shard of a few chunks must not pass at once (the rate a
// throttled rebalance of small shards kept was the burst's, not --max-rate's).
TEST(TokenBucket, CopyAfterIdleStartsEmpty) {
  FakeTime t;
  TokenBucket bucket(1000, 1000, t.clock(), t.sleeper());
  t.now_ns += 100'000'000'000;  // idle: the bucket is full
  {
    const TokenBucket::Copying copying(&bucket);
    for (int i = 0; i < 10; ++i) bucket.acquire(100);  // 1,000 bytes, none of them free
  }
  EXPECT_NEAR(static_cast<double>(t.now_ns.load()) / 1e9, 101.0, 1e-3);
  EXPECT_NEAR(bucket.copy_seconds(), 1.0, 1e-3);
}

// Overlapping copies count once, idle time between copies not at all.
TEST(TokenBucket, CopySecondsIsTheUnionOfCopies) {
  FakeTime t;
  TokenBucket bucket(0, 0, t.clock(), t.sleeper());
  {
    auto a = std::make_unique<TokenBucket::Copying>(&bucket);
    t.now_ns += 1'000'000'000;
    auto b = std::make_unique<TokenBucket::Copying>(&bucket);
    t.now_ns += 1'000'000'000;
    a.reset();
    t.now_ns += 1'000'000'000;
    EXPECT_NEAR(bucket.copy_seconds(), 3.0, 1e-9) << "a running copy counts up to now";
  }
  t.now_ns += 5'000'000'000;
  {
    const TokenBucket::Copying c(&bucket);
    t.now_ns += 1'000'000'000;
  }
  EXPECT_NEAR(bucket.copy_seconds(), 4.0, 1e-9);
  const TokenBucket::Copying none(nullptr);  // no bucket: nothing to count
}

// What shard_copy does: reserve a 256 KiB chunk, sleep off its debt, then send it (2 ms on the fake clock). Over the
// copy's own seconds the rate must be --max-rate's within 5%, for a 2 MiB shard after an idle spell too.
TEST(TokenBucket, ThrottledCopyOfASmallShardKeepsTheRate) {
  FakeTime t;
  constexpr int64_t kRate = 20'000'000, kChunk = int64_t{256} * 1024;
  TokenBucket bucket(kRate, 0, t.clock(), t.sleeper());
  for (int shard = 0; shard < 3; ++shard) {
    t.now_ns += 300'000'000;  // between copies: DDL, indexes, verification, the switch
    const double before = bucket.copy_seconds();
    {
      const TokenBucket::Copying copying(&bucket);
      for (int i = 0; i < 8; ++i) {
        bucket.acquire(kChunk);
        t.now_ns += 2'000'000;  // PQputCopyData
      }
    }
    const double rate = 8.0 * kChunk / (bucket.copy_seconds() - before);
    EXPECT_NEAR(rate, static_cast<double>(kRate), 0.05 * kRate) << "shard " << shard;
  }
}
