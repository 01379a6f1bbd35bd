// --on-conflict: a batch goes by COPY into a staging table of its connection and from there into the shard with
// INSERT … ON CONFLICT, in the same worker transaction. Planning (which columns, which SQL) is pure; the key comes from
// the shard's indexes (loader/shard_indexes.h).
#pragma once

#include <string>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"
#include "loader/options.h"

namespace pgload {

// pgload's schema on every worker for the staging tables. A temporary table would be simpler, but PostgreSQL refuses
// PREPARE TRANSACTION for a transaction that touched one; an UNLOGGED table created and dropped inside the prepared
// transaction is never seen by another session and never written to the WAL.
inline constexpr const char* kStagingSchema = "pgload_staging";

struct UpsertPlan {
  OnConflict action = OnConflict::None;
  std::vector<std::string> columns;  // the loaded columns, in COPY order
  std::vector<std::string> key;      // the conflict target
  std::vector<std::string> update;   // OnConflict::Update: the columns it sets
};

// Checks the options against the table: the key must be loaded, update columns must be loaded and outside the key
// and the distribution column (an update there would move a row to another shard). `input_columns` are those the
// input gives (the rest of `columns` come from defaults, which an update leaves as they are). `key` is already
// resolved (--conflict-key or the primary key). Throws LoadError (usage) naming the column.
UpsertPlan plan_upsert(const Table& table, OnConflict action, const std::vector<std::string>& columns,
                       const std::vector<std::string>& input_columns, const std::vector<std::string>& key,
                       const std::vector<std::string>& update_option);

// Creates pgload_staging on a worker unless it exists (outside the load's transaction, so concurrent loads do not
// queue behind its catalog row). Throws LoadError saying which grant is missing.
void ensure_staging_schema(const PgConn& worker);

// The staging table of one connection (unique per run, sink, node and connection, so concurrent loads, and a
// --checkpoint step next to the one still committing, never wait on each other's catalog rows).
std::string staging_relation(const std::string& run_id, int sink, int32_t node_id, int connection);
// Creates it with the types (and collations) of the shard's loaded columns and no constraint of its own.
std::string create_staging_sql(const std::string& staging, const std::string& shard_relation,
                               const std::vector<std::string>& columns);
// Moves the staged rows into the shard. The result's first statement reports the inserted rows: its command tag
// (nothing) or its one value (update). Update keeps the last row of a key repeated in the batch (ctid order is
// COPY order: the staging table is emptied by TRUNCATE before each batch, so COPY only appends); `keys_distinct`
// (the batch cannot repeat a key) skips that sort.
std::string apply_sql(const UpsertPlan& plan, const std::string& shard_relation, const std::string& staging,
                      bool keys_distinct = false);

}  // namespace pgload
