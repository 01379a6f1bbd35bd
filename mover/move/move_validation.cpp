// Validation reads only the coordinator catalog; no worker is contacted, so a bad request costs nothing.
#include "mover/move/move_validation.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "mover/plan/colocation_unit.h"

namespace pgload {

std::vector<MoveUnit> validate(const Catalog& catalog, const std::vector<MoveRequest>& requests) {
  struct Where {
    size_t table;
    size_t index;
  };
  auto tables = catalog.tables();
  std::map<int64_t, Where> by_shard;
  for (size_t t = 0; t < tables.size(); ++t)
    for (size_t i = 0; i < tables[t].shards.size(); ++i) by_shard[tables[t].shards[i].shard_id] = {t, i};

  std::vector<MoveUnit> units;
  std::set<int64_t> taken;
  for (const auto& req : requests) {
    const std::string sid = std::to_string(req.shard_id);
    auto it = by_shard.find(req.shard_id);
    if (it == by_shard.end())
      throw std::runtime_error("cannot move shard " + sid + ": no such shard in pg_dist_shard on the coordinator " +
                               catalog.coordinator().endpoint());
    const Table& table = tables[it->second.table];
    if (table.is_reference())
      throw std::runtime_error("cannot move shard " + sid + " of reference table " + table.qualified() +
                               ": reference tables have a copy on every node");
    const Node* src = catalog.find_node(req.source_host, req.source_port);
    const Node* dst = catalog.find_node(req.target_host, req.target_port);
    std::string src_ep = req.source_host + ":" + std::to_string(req.source_port);
    std::string dst_ep = req.target_host + ":" + std::to_string(req.target_port);
    if (!src)
      throw std::runtime_error("cannot move shard " + sid + ": source node " + src_ep + " is not in pg_dist_node");
    if (!dst)
      throw std::runtime_error("cannot move shard " + sid + ": target node " + dst_ep + " is not in pg_dist_node");
    if (src->group_id == dst->group_id)
      throw std::runtime_error("cannot move shard " + sid + " from " + src_ep + " to " + dst_ep +
                               ": source and target are the same node group");
    if (!dst->is_active || dst->role != "primary")
      throw std::runtime_error("cannot move shard " + sid + ": target node " + dst_ep + " is not an active primary");
    MoveUnit unit;
    unit.request = req;
    unit.source = *src;
    unit.target = *dst;
    unit.colocation_id = table.colocation_id;
    const size_t index = it->second.index;
    const ColocationUnit colocated = colocation_unit(table.colocation_id, table.qualified(), static_cast<int>(index));
    for (const auto& t : tables) {
      if (t.is_reference() || index >= t.shards.size() ||
          colocation_unit(t.colocation_id, t.qualified(), static_cast<int>(index)) != colocated)
        continue;
      const Shard& s = t.shards[index];
      auto has = [&](int32_t g) { return std::find(s.groups.begin(), s.groups.end(), g) != s.groups.end(); };
      if (!has(src->group_id))
        throw std::runtime_error("cannot move shard " + std::to_string(s.shard_id) +
                                 ": it has no active placement on " + src_ep);
      if (has(dst->group_id))
        throw std::runtime_error("cannot move shard " + std::to_string(s.shard_id) + ": target " + dst_ep +
                                 " already holds a placement");
      if (!taken.insert(s.shard_id).second)
        throw std::runtime_error("shard " + std::to_string(s.shard_id) + " appears in more than one move");
      unit.shards.push_back(
          {s.shard_id, t.schema, t.shard_name(s.shard_id), t.shard_relation(s.shard_id), t.qualified()});
    }
    units.push_back(std::move(unit));
  }
  return units;
}

}  // namespace pgload
