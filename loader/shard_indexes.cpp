#include "loader/shard_indexes.h"

#include <algorithm>

#include "loader/load_error.h"

namespace pgload {

namespace {

const Shard& first_shard(const Table& table) {
  if (table.shards.empty())
    throw LoadError(kExitCluster, table.qualified() + " has no shard in pg_dist_shard; nothing was loaded");
  return table.shards.front();
}

}  // namespace

ShardIndexes::ShardIndexes(const Catalog& catalog, const Table& table)
    : catalog_(catalog), shard_(first_shard(table)), relation_(table.shard_relation(shard_.shard_id)) {}

const PgConn& ShardIndexes::worker() {
  if (!worker_) {
    const Node* node = shard_.groups.empty() ? nullptr : catalog_.node_for_group(shard_.groups.front());
    if (!node) throw LoadError(kExitCluster, "shard " + std::to_string(shard_.shard_id) + " has no active placement");
    worker_.emplace(PgConn::connect(catalog_.node_conninfo(*node), "pgload"));
  }
  return *worker_;
}

std::vector<std::string> ShardIndexes::primary_key_columns() {
  PgResult r = worker().exec(
      "SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.n",
      {relation_});
  std::vector<std::string> key;
  for (int i = 0; i < r.rows(); ++i) key.push_back(r.str(i, 0));
  return key;
}

bool ShardIndexes::has_unique_index_on(const std::vector<std::string>& key) {
  std::vector<std::string> sorted = key;
  std::sort(sorted.begin(), sorted.end());
  auto n = worker().scalar(
      "SELECT count(*) FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL "
      "AND i.indexprs IS NULL AND i.indnkeyatts = cardinality($2::text[]) "
      "AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) FROM unnest(i.indkey[0:i.indnkeyatts - 1]) "
      "k(attnum) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) = "
      "(SELECT array_agg(c ORDER BY c) FROM unnest($2::text[]) c)",
      {relation_, array_literal(sorted)});
  return n && *n != "0";
}

bool ShardIndexes::an_index_leads_with(const std::string& column) {
  auto n = worker().scalar(
      "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
      "WHERE i.indrelid = $1::regclass AND a.attname = $2",
      {relation_, column});
  return n && *n != "0";
}

}  // namespace pgload
