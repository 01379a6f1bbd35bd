// How a load shares out its memory (--memory): the fixed parts (the process, the input read ahead, the parser's
// chunks, the bytes in flight to the workers) come first, and the per-shard batches that are still filling take the
// rest. Batches only get smaller, so the peak stays within the budget at any shard count and any file size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

namespace pgload {

struct MemoryNeeds {
  uint64_t budget_bytes = 0;      // --memory
  size_t shards = 0;              // the table's shards (every one may hold an open batch)
  size_t chunk_bytes = 0;         // the parser's read size
  int threads = 1;                // parser threads (the pipeline holds 2 chunks per thread, plus one)
  size_t max_batch_bytes = 0;     // --batch-bytes: the batch size when memory allows it
  uint64_t read_ahead_bytes = 0;  // the input files read ahead at a time (loader/input_reader.h)
};

struct MemoryPlan {
  size_t batch_bytes = 0;     // per shard batch: sealed and sent at this size
  size_t inflight_bytes = 0;  // sealed batches not yet acknowledged by the workers
  uint64_t fixed_bytes = 0;   // what the batches cannot use (process, chunks, in flight, spare buffers)
};

// The smallest batch worth a COPY statement: below it the statement's own cost dominates (bench/run memory.*).
inline constexpr size_t kMinBatchBytes = size_t{64} << 10;
// --memory's default: fits a small VM and leaves 4 MiB batches up to about 80 shards.
inline constexpr uint64_t kDefaultMemoryBytes = uint64_t{512} << 20;

// Pure. The plan, or a message saying what --memory would be needed when even kMinBatchBytes per shard does not fit.
std::variant<MemoryPlan, std::string> plan_memory(const MemoryNeeds& needs);

}  // namespace pgload
