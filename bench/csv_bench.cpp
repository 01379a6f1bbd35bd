// CSV tokenizer throughput per kernel (scalar, SSE2, AVX2) on a users.csv-shaped chunk (~108-byte rows, the load
// we care about) and on a quote-heavy chunk (quoted fields with doubled quotes and embedded newlines).
#include "loader/csv_tokenizer.h"

#include <benchmark/benchmark.h>

#include <string>

namespace {

constexpr size_t kChunkBytes = size_t{4} << 20;  // the order of the pipeline's chunk size

std::string users_chunk() {
  std::string s;
  for (uint64_t id = 10000000; s.size() < kChunkBytes; id += 7919) {
    const std::string login = "user" + std::to_string(id % 1000003);
    s += std::to_string(id) + ",https://api.github.com/users/" + login + "," + login +
         ",https://avatars.githubusercontent.com/u/" + std::to_string(id) + "?v=4\n";
  }
  return s;
}

std::string quoted_chunk() {
  std::string s;
  for (uint64_t id = 1; s.size() < kChunkBytes; ++id) {
    s += std::to_string(id) + ",\"Smith, John \"\"JJ\"\"\",\"line one\nline two, with comma\",\"\",\"" +
         std::to_string(id * 31) + "\"\r\n";
  }
  return s;
}

void tokenize(benchmark::State& state, const std::string& data, pgload::CsvKernel k) {
  if (!pgload::csv_kernel_supported(k)) {
    state.SkipWithError("kernel not supported on this CPU");
    return;
  }
  pgload::CsvChunk chunk;
  for (auto _ : state) {
    pgload::tokenize_csv_with(k, data.data(), data.size(), pgload::CsvDialect{}, true, chunk);
    benchmark::DoNotOptimize(chunk.records.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.counters["rows"] = static_cast<double>(chunk.records.size());
}

const std::string& users() {
  static const std::string s = users_chunk();
  return s;
}
const std::string& quoted() {
  static const std::string s = quoted_chunk();
  return s;
}

// NOLINTBEGIN(readability-identifier-naming): Google Benchmark names benchmarks BM_*
void BM_TokenizeUsers(benchmark::State& st) { tokenize(st, users(), static_cast<pgload::CsvKernel>(st.range(0))); }
void BM_TokenizeQuoted(benchmark::State& st) { tokenize(st, quoted(), static_cast<pgload::CsvKernel>(st.range(0))); }
// NOLINTEND(readability-identifier-naming)

// Arg: 0 scalar, 1 SSE2, 2 AVX2 (pgload::CsvKernel).
BENCHMARK(BM_TokenizeUsers)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TokenizeQuoted)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
