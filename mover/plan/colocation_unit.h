// Which shards move together, the one rule pgmove has for it: the shards of a colocation group that share a shard
// index (Citus's colocated shards); a table in no group (colocation id 0) is a group of its own.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "mover/plan/planner.h"

namespace pgload {

struct ColocationUnit {
  int32_t colocation_id = 0;
  std::string table;  // set only for colocation id 0: the table is its own group
  int shard_index = 0;
  auto operator<=>(const ColocationUnit&) const = default;
};

ColocationUnit colocation_unit(int32_t colocation_id, const std::string& table, int shard_index);
inline ColocationUnit colocation_unit(const PlannerShard& s) {
  return colocation_unit(s.colocation_id, s.table_name, s.shard_index);
}

// The shards of `shards` in the unit of shard `shard_id`, by shard id; empty when `shard_id` is not among them.
std::vector<const PlannerShard*> unit_members(const std::vector<PlannerShard>& shards, int64_t shard_id);

}  // namespace pgload
