#include "loader/memory_budget.h"

#include <algorithm>

#include "common/byte_size.h"

namespace pgload {
namespace {

// Measured with bench/run (memory.*): pgload's RSS before the first batch (code, TBB, libpq, simdjson, catalog).
constexpr uint64_t kProcessBytes = uint64_t{48} << 20;
// The spare buffers the batcher keeps for reuse (loader/shard_batcher.cpp).
constexpr uint64_t kSpareBytes = uint64_t{16} << 20;
// A chunk holds its input, the same rows cut per shard, and the tokenizer's and encoder's scratch.
constexpr uint64_t kChunkCopies = 3;
constexpr size_t kMaxInflightBytes = size_t{24} << 20;
// An open batch is pieces whose buffers are up to twice their content (string growth): count 3/2 per shard. A sealed
// batch keeps its pieces (counted in flight by their capacity) and gets row lists: two more whole batches.
constexpr uint64_t kOpenBatchNum = 3, kOpenBatchDen = 2, kSealingBatches = 2;

uint64_t batches_bytes(size_t shards, uint64_t batch_bytes) {
  return shards * batch_bytes * kOpenBatchNum / kOpenBatchDen + kSealingBatches * batch_bytes;
}

}  // namespace

std::variant<MemoryPlan, std::string> plan_memory(const MemoryNeeds& n) {
  MemoryPlan plan;
  const uint64_t chunks = static_cast<uint64_t>(2 * std::max(1, n.threads) + 1) * n.chunk_bytes * kChunkCopies;
  plan.inflight_bytes = static_cast<size_t>(std::min<uint64_t>(kMaxInflightBytes, n.budget_bytes / 8));
  plan.inflight_bytes = std::max(plan.inflight_bytes, std::min(n.max_batch_bytes, kMinBatchBytes));
  plan.fixed_bytes = kProcessBytes + kSpareBytes + n.read_ahead_bytes + chunks + plan.inflight_bytes;
  const size_t floor = std::min(n.max_batch_bytes, kMinBatchBytes);
  if (n.budget_bytes < plan.fixed_bytes + batches_bytes(n.shards, floor)) {
    // The smallest budget that fits: its in-flight share (1/8 of it, up to the cap) comes on top.
    const uint64_t rest = plan.fixed_bytes - plan.inflight_bytes + batches_bytes(n.shards, floor);
    const uint64_t need = rest + std::min<uint64_t>(kMaxInflightBytes, (rest + 6) / 7);
    return "--memory " + format_size_bytes(n.budget_bytes) + " is too small for " + std::to_string(n.shards) +
           " shards: batches of " + format_size_bytes(floor) + " per shard need at least --memory " +
           format_size_bytes(need) + " (or fewer --threads)";
  }
  // The largest batch whose open batches fit what the fixed parts leave.
  const uint64_t per_batch = (n.budget_bytes - plan.fixed_bytes) * kOpenBatchDen /
                             (n.shards * kOpenBatchNum + kSealingBatches * kOpenBatchDen);
  plan.batch_bytes = static_cast<size_t>(std::clamp<uint64_t>(per_batch, floor, n.max_batch_bytes));
  return plan;
}

}  // namespace pgload
