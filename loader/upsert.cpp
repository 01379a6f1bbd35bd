// SQL of the staged apply; see loader/upsert.h.
#include "loader/upsert.h"

#include <algorithm>

#include "loader/load_error.h"

namespace pgload {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string list(const std::vector<std::string>& names, const std::string& prefix = "") {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + prefix + quote_ident(names[i]);
  return s;
}

std::string plain_list(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i ? "," : "") + names[i];
  return s;
}

}  // namespace

UpsertPlan plan_upsert(const Table& table, OnConflict action, const std::vector<std::string>& columns,
                       const std::vector<std::string>& input_columns, const std::vector<std::string>& key,
                       const std::vector<std::string>& update_option) {
  UpsertPlan p;
  p.action = action;
  p.columns = columns;
  p.key = key;
  if (key.empty())
    throw LoadError(kExitUsage,
                    table.qualified() + " has no primary key: name the columns of a unique index with --conflict-key");
  for (const std::string& k : key)
    if (!contains(columns, k))
      throw LoadError(kExitUsage, "--conflict-key column \"" + k + "\" is not among the loaded columns (" +
                                      plain_list(columns) + ")");
  if (!table.is_reference() && !contains(key, table.dist_column))
    throw LoadError(kExitUsage, "--conflict-key (" + plain_list(key) + ") must include the distribution column \"" +
                                    table.dist_column + "\": a unique index of a distributed table always does");
  if (action != OnConflict::Update) return p;
  if (update_option.empty()) {
    for (const std::string& c : input_columns)
      if (!contains(key, c)) p.update.push_back(c);
    if (p.update.empty())
      throw LoadError(kExitUsage, "--on-conflict update has nothing to set: every input column (" +
                                      plain_list(input_columns) +
                                      ") is in the conflict key; use --on-conflict nothing");
    return p;
  }
  for (const std::string& c : update_option) {
    if (!contains(columns, c))
      throw LoadError(kExitUsage, "--update-columns column \"" + c + "\" is not among the loaded columns (" +
                                      plain_list(columns) + ")");
    if (contains(key, c))
      throw LoadError(kExitUsage, "--update-columns column \"" + c + "\" is in the conflict key (" + plain_list(key) +
                                      "), which an update never changes");
    if (!table.is_reference() && c == table.dist_column)
      throw LoadError(kExitUsage, "--update-columns cannot set the distribution column \"" + c + "\"");
    if (!contains(p.update, c)) p.update.push_back(c);
  }
  return p;
}

void ensure_staging_schema(const PgConn& worker) {
  try {
    if (worker.scalar("SELECT 1 FROM pg_namespace WHERE nspname = $1", {std::string(kStagingSchema)})) return;
    worker.run(std::string("CREATE SCHEMA IF NOT EXISTS ") + kStagingSchema);
  } catch (const PgError& e) {
    if (e.sqlstate() == "23505" || e.sqlstate() == "42P06") return;  // a concurrent load created it first
    throw LoadError(kExitCluster, "--on-conflict needs the schema " + std::string(kStagingSchema) + " on worker " +
                                      worker.endpoint() +
                                      " for its staging tables, and creating it failed: " + e.server_message() +
                                      "; create it once as a superuser (CREATE SCHEMA " + kStagingSchema +
                                      ") and GRANT CREATE, USAGE ON SCHEMA " + kStagingSchema + " to the loading role");
  }
}

std::string staging_relation(const std::string& run_id, int sink, int32_t node_id, int connection) {
  return quote_qualified(kStagingSchema, "s_" + run_id + "_" + std::to_string(sink) + "_" + std::to_string(node_id) +
                                             "_" + std::to_string(connection));
}

std::string create_staging_sql(const std::string& staging, const std::string& shard_relation,
                               const std::vector<std::string>& columns) {
  return "CREATE UNLOGGED TABLE " + staging + " AS SELECT " + list(columns) + " FROM " + shard_relation +
         " WITH NO DATA";
}

std::string apply_sql(const UpsertPlan& plan, const std::string& shard_relation, const std::string& staging,
                      bool keys_distinct) {
  const std::string cols = list(plan.columns);
  const std::string key = list(plan.key);
  if (plan.action == OnConflict::Nothing)
    return "INSERT INTO " + shard_relation + " (" + cols + ") SELECT " + cols + " FROM " + staging + " ON CONFLICT (" +
           key + ") DO NOTHING";
  std::string set;
  for (size_t i = 0; i < plan.update.size(); ++i)
    set += (i ? ", " : "") + quote_ident(plan.update[i]) + " = EXCLUDED." + quote_ident(plan.update[i]);
  // A row that already holds the loaded values is left as it is (still locked, which logs the lock): no new row
  // version or index entries for a re-loaded export. The record image operator compares bytes, so 1.0 vs 1.00, -0 vs 0
  // or an equal-by-collation text still update, and it works for types without equality (json).
  const std::string changed =
      "ROW(" + list(plan.update, "t.") + ")::record *<> ROW(" + list(plan.update, "EXCLUDED.") + ")::record";
  const std::string rows = keys_distinct ? "SELECT " + cols + " FROM " + staging
                                         : "SELECT DISTINCT ON (" + key + ") " + cols + " FROM " + staging +
                                               " ORDER BY " + key + ", ctid DESC";
  return "WITH applied AS (INSERT INTO " + shard_relation + " AS t (" + cols + ") " + rows + " ON CONFLICT (" + key +
         ") DO UPDATE SET " + set + " WHERE " + changed +
         // A row version that an ON CONFLICT update made carries the updater's lock in xmax; a fresh insert has none.
         " RETURNING t.xmax = 0 AS inserted) SELECT count(*) FILTER (WHERE inserted) FROM applied";
}

}  // namespace pgload
