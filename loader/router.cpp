// Builds the shard map from pg_dist_shard's ranges (in the catalog's min_value order = Table::shards order).
#include "loader/router.h"

#include <algorithm>

#include "common/pg_datetime.h"
#include "loader/load_error.h"
#include "loader/value_check.h"

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
  kind_ = col.is_enum() ? std::optional<DistKind>(DistKind::Enum) : dist_kind_for_type(col.type_oid);
  if (!kind_)
    throw LoadError(kExitUsage, "distribution column \"" + col.name + "\" has type " + col.type_sql +
                                    ", which pgload cannot hash yet (supported: smallint, integer, bigint, text, "
                                    "varchar, char, uuid, date, time, timestamp, timestamptz, numeric, boolean, "
                                    "real, double precision, oid, enum, bytea, jsonb, inet, cidr)");
  type_.kind = *kind_;
  type_.typmod = col.typmod;
  type_.default_offset_secs = fixed_offset_of_time_zone(table.time_zone);
  if (col.is_enum()) {
    enum_ = col.enum_type;
    type_.enum_labels = enum_->labels;
  }
  const PgType checked = column_type_for(col.type_oid, col.typmod).type;
  const std::optional<PgType> hashed = pg_input_type_of(*kind_);
  value_hashable_ = hashed && (checked == *hashed || (*hashed == PgType::Text && checked == PgType::Varchar));
  type_name_ = checked != PgType::Other ? pg_type_name(checked) : dist_kind_name(*kind_);
  // Shard order in Table::shards is by min_value; the map must agree so an index means the same shard.
  for (size_t i = 0; i < table.shards.size(); ++i)
    if (map_.ranges()[i].shard_id != table.shards[i].shard_id)
      throw LoadError(kExitCluster, "internal: shard order mismatch for " + table.qualified());
}

std::string Router::refusal(std::string_view value, std::string_view excerpt) const {
  const DistKind kind = kind_.value_or(DistKind::Text);
  const std::string shown(excerpt);
  if (hash_refusal(type_, value) == HashRefusal::UnknownForm) {
    const bool tz = kind == DistKind::Timestamptz;
    return std::string(tz ? "timestamptz" : dist_kind_name(kind)) + " value \"" + shown +
           "\" is in a form pgload cannot hash (use ISO 8601" + (tz ? " with an offset" : "") + ")";
  }
  if (kind == DistKind::Enum) return "invalid input value for enum distribution column: \"" + shown + "\"";
  return "invalid " + type_name_ + " distribution value \"" + shown + "\"";
}

}  // namespace pgload
