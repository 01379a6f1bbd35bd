// --memory: batches shrink with the shard count so that the load's memory stays within the budget.
#include "loader/memory_budget.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <variant>

#include "common/byte_size.h"

namespace pgload {
namespace {

MemoryNeeds needs(uint64_t budget_mb, size_t shards, int threads = 2) {
  return {budget_mb << 20, shards, size_t{1} << 20, threads, size_t{4} << 20};
}

TEST(MemoryBudget, FewShardsKeepTheFullBatch) {
  const auto plan = std::get<MemoryPlan>(plan_memory(needs(512, 32)));
  EXPECT_EQ(plan.batch_bytes, size_t{4} << 20) << "32 shards x 4 MiB fit 512 MiB: unchanged from before --memory";
  EXPECT_EQ(plan.inflight_bytes, size_t{24} << 20);
}

TEST(MemoryBudget, ManyShardsGetSmallerBatchesWithinTheBudget) {
  size_t last = SIZE_MAX;
  for (size_t shards : {64, 256, 1024, 4096}) {
    const auto plan = std::get<MemoryPlan>(plan_memory(needs(512, shards)));
    EXPECT_LT(plan.batch_bytes, last) << shards;
    EXPECT_GE(plan.batch_bytes, kMinBatchBytes) << shards;
    // Everything the plan counts stays within the budget: the open batches (3/2 each) and two being sealed.
    EXPECT_LE(plan.fixed_bytes + shards * plan.batch_bytes * 3 / 2 + 2 * plan.batch_bytes, uint64_t{512} << 20)
        << shards;
    last = plan.batch_bytes;
  }
}

TEST(MemoryBudget, ABudgetTooSmallSaysWhatWouldFit) {
  const auto r = plan_memory(needs(128, 4096));
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  const auto& msg = std::get<std::string>(r);
  EXPECT_NE(msg.find("--memory 128MB is too small for 4096 shards"), std::string::npos) << msg;
  EXPECT_NE(msg.find("batches of 64kB per shard need at least --memory "), std::string::npos) << msg;
  // The suggested minimum is enough.
  const std::string suggested = msg.substr(msg.rfind("--memory ") + 9, msg.find(" (or") - msg.rfind("--memory ") - 9);
  MemoryNeeds n = needs(0, 4096);
  n.budget_bytes = parse_size_bytes(suggested).value_or(0);
  EXPECT_TRUE(std::holds_alternative<MemoryPlan>(plan_memory(n))) << suggested;
}

TEST(MemoryBudget, MoreThreadsLeaveLessForBatches) {
  const auto two = std::get<MemoryPlan>(plan_memory(needs(512, 1024, 2)));
  const auto eight = std::get<MemoryPlan>(plan_memory(needs(512, 1024, 8)));
  EXPECT_LT(eight.batch_bytes, two.batch_bytes);
}

}  // namespace
}  // namespace pgload
