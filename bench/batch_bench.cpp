// Cost per row of what a load does with a shard's batch after parsing: seal it (sort by distribution key) and gather
// its COPY in that order into the 256 KiB parts handed to libpq, and libpq's copy of each part into its buffer. One
// batch as a load of payment_users makes it: 32,768 binary rows of 124 bytes with random bigint keys, from 128
// chunks' pieces (4 MiB). The baseline in the same run is the same rows in input order (what an unsorted load
// sends), where the rows lie one after another and each piece goes as a view of itself: the sorted COPY's extra
// cost is its rows' scattered reads and the gather's copy.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "loader/copy_sink.h"
#include "loader/shard_batcher.h"

namespace {

constexpr size_t kRows = 32768, kPieces = 128, kRowBytes = 124, kPartBytes = size_t{256} << 10;

// The open batch of one shard, rebuilt for every iteration (the batcher takes its pieces).
pgload::OpenBatch open_batch(pgload::ShardBatcher& batcher) {
  std::mt19937_64 rng(1);
  std::vector<pgload::OpenBatch> full;
  pgload::ShardRows out;
  std::string row(kRowBytes, 'x');
  for (size_t p = 0; p < kPieces; ++p) {
    for (size_t i = 0; i < kRows / kPieces; ++i) {
      const uint64_t id = rng() % 20000000;
      std::memcpy(row.data(), &id, sizeof id);
      out.data.append(row);
      const auto line = static_cast<uint32_t>(i + 1);
      out.rows.push_back({id ^ (uint64_t{1} << 63), kRowBytes, 0, line, static_cast<uint32_t>(line * kRowBytes)});
    }
    batcher.add(0, true, out, full);
  }
  std::vector<pgload::OpenBatch> left = batcher.drain();
  return std::move(left.at(0));
}

// The batch's COPY as the sink hands it to libpq, and libpq's copy of each part into its output buffer (`sent`).
size_t gather(const pgload::Batch& b, std::string& part, std::string& sent) {
  pgload::CopyCursor at{.end = b.rows.size()};
  size_t bytes = 0;
  while (!at.done) {
    const std::string_view next = pgload::take_copy_bytes(b, at, part, kPartBytes);
    sent.assign(next);
    bytes += sent.size();
  }
  return bytes;
}

// NOLINTBEGIN(readability-identifier-naming): Google Benchmark names benchmarks BM_*
void BM_SealSorted(benchmark::State& state) {
  pgload::ShardBatcher batcher(1, size_t{1} << 30, true, true);
  for (auto _ : state) {
    state.PauseTiming();
    pgload::OpenBatch open = open_batch(batcher);
    state.ResumeTiming();
    benchmark::DoNotOptimize(batcher.seal(std::move(open)));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_SealSorted)->Unit(benchmark::kMicrosecond);

// state.range(0): 1 = the rows sorted by key (a load), 0 = in input order (the baseline).
void BM_Gather(benchmark::State& state) {
  pgload::ShardBatcher batcher(1, size_t{1} << 30, state.range(0) == 1, true);
  std::string part, sent;
  part.reserve(kPartBytes + kRowBytes);
  sent.reserve(kPartBytes + kRowBytes);
  for (auto _ : state) {
    state.PauseTiming();
    const std::shared_ptr<pgload::Batch> batch = batcher.seal(open_batch(batcher));
    state.ResumeTiming();
    benchmark::DoNotOptimize(gather(*batch, part, sent));
  }
  // NOLINTEND(readability-identifier-naming)
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRows * kRowBytes));
}
BENCHMARK(BM_Gather)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
