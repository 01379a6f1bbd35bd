#include "loader/shard_indexes.h"

#include <algorithm>

namespace pgload {

std::vector<std::string> primary_key_columns(const PgConn& worker, const std::string& shard_relation) {
  PgResult r = worker.exec(
      "SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
      "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.n",
      {shard_relation});
  std::vector<std::string> key;
  for (int i = 0; i < r.rows(); ++i) key.push_back(r.str(i, 0));
  return key;
}

bool has_unique_index_on(const PgConn& worker, const std::string& shard_relation, const std::vector<std::string>& key) {
  std::vector<std::string> sorted = key;
  std::sort(sorted.begin(), sorted.end());
  auto n = worker.scalar(
      "SELECT count(*) FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL "
      "AND i.indexprs IS NULL AND i.indnkeyatts = cardinality($2::text[]) "
      "AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) FROM unnest(i.indkey[0:i.indnkeyatts - 1]) "
      "k(attnum) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) = "
      "(SELECT array_agg(c ORDER BY c) FROM unnest($2::text[]) c)",
      {shard_relation, array_literal(sorted)});
  return n && *n != "0";
}

bool an_index_leads_with(const PgConn& worker, const std::string& shard_relation, const std::string& column) {
  auto n = worker.scalar(
      "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
      "WHERE i.indrelid = $1::regclass AND a.attname = $2",
      {shard_relation, column});
  return n && *n != "0";
}

}  // namespace pgload
