// Copying one shard table between workers: its DDL read off the source shard (columns first, constraints and
// indexes after the data, which is faster), the rows streamed with COPY (binary) directly or through a spool
// file, and the count + checksum that must agree before a move may switch.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/pg.h"
#include "mover/copy/token_bucket.h"

namespace pgload {

// What it takes to recreate a shard table elsewhere, as statements for the target: what Citus's own move recreates
// (its GetPreLoadTableCreationCommands / GetPostLoadTableCreationCommands), read off the source shard.
struct ShardDdl {
  std::string relation;      // quoted schema.table of the shard
  std::string schema;        // unquoted schema name
  std::string create_table;  // CREATE TABLE with columns, defaults, NOT NULL, generated columns, compression
  std::string copy_columns;  // quoted column list for COPY (generated columns excluded)
  // After CREATE TABLE and its owner, before the rows: storage parameters, column storage, statistics targets and
  // options (n_distinct...), table and column privileges.
  std::vector<std::string> pre_data;
  // Primary/unique/check/exclusion constraints, indexes, CLUSTER ON, replica identity, extended statistics,
  // triggers, and row level security with its policies (after the rows: a policy cannot filter the copy).
  std::vector<std::string> post_data;
  std::vector<std::string> foreign_keys;  // after every table of the colocation unit exists
  bool has_replica_identity = false;      // a primary key or REPLICA IDENTITY index/full (needed for logical)
};

// Reads the DDL of `relation` (quoted, qualified) from the node that holds it. Names in expressions come out
// schema-qualified (read with an empty search_path), so they mean the same on the target.
ShardDdl read_shard_ddl(const PgConn& source, const std::string& schema, const std::string& table_name);

// Row count and an order-independent checksum of a shard's rows.
struct ShardChecksum {
  int64_t rows = 0;
  std::string sum;  // numeric text of sum(hashtext(row::text))
  bool operator==(const ShardChecksum&) const = default;
};
ShardChecksum shard_checksum(const PgConn& conn, const std::string& relation);

struct ShardCopyOptions {
  bool binary = true;             // COPY (FORMAT binary); text is the fallback for exotic types
  std::string spool_dir;          // non-empty: bytes go through a spool file there and target failures retry
  int max_target_attempts = 3;    // with a spool: attempts of the target side before giving up
  TokenBucket* bucket = nullptr;  // shared throttle (bytes written to targets), may be null
  std::atomic<uint64_t>* progress_bytes = nullptr;  // bumped per chunk for the progress reporter
  // Test hook, called on the copying thread after each chunk handed to the target.
  std::function<void(int attempt, uint64_t bytes_so_far)> after_target_chunk;
};

struct ShardCopyStats {
  uint64_t bytes = 0;       // COPY bytes that reached the target in the successful attempt
  int source_reads = 0;     // COPY ... TO STDOUT statements run on the source
  int target_attempts = 0;  // COPY ... FROM STDIN attempts on the target
};

// Copies every row of ddl.relation visible to `source`'s current transaction into the same (existing, empty)
// relation on `target`, each target attempt in its own committed transaction (TRUNCATE + COPY FREEZE).
// With a spool, a failed target attempt reconnects via `reconnect_target` (assigned to `target`) and replays the
// spool; the source is read exactly once. Throws PgError naming the failing endpoint.
ShardCopyStats copy_shard_rows(const PgConn& source, PgConn& target, const std::function<PgConn()>& reconnect_target,
                               const ShardDdl& ddl, const ShardCopyOptions& opts);

}  // namespace pgload
