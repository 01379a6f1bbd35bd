// A validated move request as the move steps see it: the colocation unit's shards and both nodes, plus how an
// error is named after the move it broke.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "mover/move/move_types.h"

namespace pgload {

// One table's shard inside a colocation unit.
struct UnitShard {
  int64_t shard_id = 0;
  std::string schema, table_name;  // shard table name (<table>_<shardid>), unquoted
  std::string relation;            // quoted schema.table
  std::string logical_relation;    // the distributed table on the coordinator, quoted
};

// A validated request: the unit's shards and both nodes.
struct MoveUnit {
  MoveRequest request;
  Node source, target;
  int32_t colocation_id = 0;
  std::vector<UnitShard> shards;
  std::vector<int64_t> shard_ids() const {
    std::vector<int64_t> ids;
    for (auto& s : shards) ids.push_back(s.shard_id);
    return ids;
  }
  std::vector<std::string> relations() const {
    std::vector<std::string> r;
    for (auto& s : shards) r.push_back(s.relation);
    return r;
  }
  std::string what() const {
    return "shard " + std::to_string(request.shard_id) + " from " + source.endpoint() + " to " + target.endpoint();
  }
};

// Re-throws the current exception with the move named in front, keeping PgError's details.
[[noreturn]] void rethrow_named(const MoveUnit& u);

// "a, b, c": SQL lists of relations.
std::string join_sql_list(const std::vector<std::string>& items, const char* sep);

}  // namespace pgload
