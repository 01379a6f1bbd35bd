// Which shards move together, the one rule pgmove has for it: the shards of a colocation group that share a shard
// index (Citus's colocated shards); a table in no group (colocation id 0) is a group of its own.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>

namespace pgload {

struct ColocationUnit {
  int32_t colocation_id = 0;
  std::string table;  // set only for colocation id 0: the table is its own group
  int shard_index = 0;
  bool operator==(const ColocationUnit&) const = default;
  bool operator<(const ColocationUnit& o) const {
    return std::tie(colocation_id, table, shard_index) < std::tie(o.colocation_id, o.table, o.shard_index);
  }
};

// `table` names the table (any stable spelling); it counts only when colocation_id is 0.
ColocationUnit colocation_unit(int32_t colocation_id, const std::string& table, int shard_index);
}  // namespace pgload
