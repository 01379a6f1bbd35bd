// Cost of routing one row: hashing the distribution value (int8, text, text parsed as int8) and finding its shard,
// for the uniform layout Citus creates (arithmetic) and a non-uniform one (binary search).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "common/citus_hash.h"
#include "common/shard_map.h"

namespace {

constexpr size_t kKeys = 4096;  // power of two: the loop index is masked, not divided

std::vector<int64_t> random_int64s() {
  std::mt19937_64 rng(1);
  std::vector<int64_t> v(kKeys);
  for (auto& x : v) x = static_cast<int64_t>(rng() >> (rng() % 64));
  return v;
}

std::vector<std::string> random_strings(size_t len) {
  std::mt19937_64 rng(2);
  std::vector<std::string> v(kKeys);
  for (auto& s : v) {
    s.resize(len);
    for (auto& ch : s) ch = static_cast<char>('a' + rng() % 26);
  }
  return v;
}

// NOLINTBEGIN(readability-identifier-naming): Google Benchmark names benchmarks BM_*
void BM_HashInt8(benchmark::State& state) {
  const auto keys = random_int64s();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pgload::hash_int8(keys[i++ & (kKeys - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HashInt8);

void BM_HashText(benchmark::State& state) {
  const auto keys = random_strings(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pgload::hash_text(keys[i++ & (kKeys - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_HashText)->Arg(8)->Arg(36)->Arg(300);

void BM_HashTextValueInt8(benchmark::State& state) {
  const auto ints = random_int64s();
  std::vector<std::string> keys;
  for (int64_t v : ints) keys.push_back(std::to_string(v));
  size_t i = 0;
  for (auto _ : state) {
    int32_t h = 0;
    benchmark::DoNotOptimize(pgload::hash_text_value(pgload::DistKind::Int8, keys[i++ & (kKeys - 1)], h));
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HashTextValueInt8);

std::vector<int32_t> random_hashes() {
  std::mt19937 rng(3);
  std::vector<int32_t> v(kKeys);
  for (auto& x : v) x = static_cast<int32_t>(rng());
  return v;
}

void BM_IndexOfUniform(benchmark::State& state) {
  const pgload::ShardMap map(pgload::ShardMap::uniform_ranges(static_cast<int>(state.range(0)), 102008));
  const auto hashes = random_hashes();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(map.index_of(hashes[i++ & (kKeys - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexOfUniform)->Arg(32)->Arg(7);

void BM_IndexOfBinarySearch(benchmark::State& state) {
  // The uniform ranges with one bound moved: same shape, but Citus (and we) fall back to binary search.
  auto ranges = pgload::ShardMap::uniform_ranges(static_cast<int>(state.range(0)), 102008);
  ranges[0].max_value -= 1;
  ranges[1].min_value -= 1;
  const pgload::ShardMap map(ranges);
  const auto hashes = random_hashes();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(map.index_of(hashes[i++ & (kKeys - 1)]));
  }
  // NOLINTEND(readability-identifier-naming)
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexOfBinarySearch)->Arg(32)->Arg(1024);

}  // namespace

BENCHMARK_MAIN();
