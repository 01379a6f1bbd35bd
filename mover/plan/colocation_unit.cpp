#include "mover/plan/colocation_unit.h"

#include <algorithm>

namespace pgload {

ColocationUnit colocation_unit(int32_t colocation_id, const std::string& table, int shard_index) {
  return {colocation_id, colocation_id == 0 ? table : std::string(), shard_index};
}

std::vector<const PlannerShard*> unit_members(const std::vector<PlannerShard>& shards, int64_t shard_id) {
  auto first =
      std::find_if(shards.begin(), shards.end(), [&](const PlannerShard& s) { return s.shard_id == shard_id; });
  std::vector<const PlannerShard*> members;
  if (first == shards.end()) return members;
  const ColocationUnit unit = colocation_unit(*first);
  for (const auto& s : shards)
    if (colocation_unit(s) == unit) members.push_back(&s);
  std::sort(members.begin(), members.end(),
            [](const PlannerShard* a, const PlannerShard* b) { return a->shard_id < b->shard_id; });
  return members;
}

}  // namespace pgload
