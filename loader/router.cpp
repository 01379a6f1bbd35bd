// Builds the shard map from pg_dist_shard's ranges (in the catalog's min_value order = Table::shards order).
#include "loader/router.h"

#include "loader/load_error.h"

namespace pgload {

static std::vector<ShardRange> ranges_of(const Table& t) {
  std::vector<ShardRange> out;
  if (t.is_reference()) return out;
  for (const auto& s : t.shards) {
    if (!s.min_value || !s.max_value)
      throw LoadError(kExitCluster, "shard " + std::to_string(s.shard_id) + " of " + t.qualified() +
                                        " has no hash range in pg_dist_shard");
    out.push_back({s.shard_id, *s.min_value, *s.max_value});
  }
  return out;
}

Router::Router(const Table& table) : map_(ranges_of(table)) {
  if (table.is_reference()) return;
  if (table.method != 'h')
    throw LoadError(kExitUsage, "table " + table.qualified() + " uses partition method '" +
                                    std::string(1, table.method) +
                                    "'; pgload loads hash-distributed and reference tables");
  if (table.dist_column_index < 0)
    throw LoadError(kExitCluster, "distribution column \"" + table.dist_column + "\" of " + table.qualified() +
                                      " is not among its columns");
  const Column& col = table.columns[table.dist_column_index];
  kind_ = dist_kind_for_type(col.type_oid);
  if (!kind_)
    throw LoadError(kExitUsage, "distribution column \"" + col.name + "\" has type " + col.type_sql +
                                    ", which pgload cannot hash yet (supported: smallint, integer, bigint, text, "
                                    "varchar, char, uuid)");
  // Shard order in Table::shards is by min_value; the map must agree so an index means the same shard.
  for (size_t i = 0; i < table.shards.size(); ++i)
    if (map_.ranges()[i].shard_id != table.shards[i].shard_id)
      throw LoadError(kExitCluster, "internal: shard order mismatch for " + table.qualified());
}

}  // namespace pgload
