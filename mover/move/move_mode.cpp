// choose_mode: asks each source for wal_level and each table's first shard for a replica identity; for a logical
// run, each target for how soon it starts a subscription's worker.
#include "mover/move/move_mode.h"

#include <iostream>
#include <set>
#include <utility>

#include "common/pg.h"

namespace pgload {

namespace {

TransferMode detect_mode(const Catalog& cat, const std::vector<MoveRequest>& moves) {
  std::set<std::pair<std::string, int>> sources;
  for (const auto& m : moves) sources.insert({m.source_host, m.source_port});
  if (sources.empty()) return TransferMode::BlockWrites;
  for (const auto& [host, port] : sources) {
    const Node* n = cat.find_node(host, port);
    if (!n) return TransferMode::BlockWrites;
    PgConn c = PgConn::connect(cat.node_conninfo(*n), "pgmove");
    if (c.scalar("SHOW wal_level").value_or("") != "logical") return TransferMode::BlockWrites;
  }
  // Logical replication of UPDATE/DELETE needs a replica identity: a table without one moves in block_writes.
  for (const Table& t : cat.tables()) {
    if (t.is_reference() || t.shards.empty() || t.shards[0].groups.empty()) continue;
    const Node* n = cat.node_for_group(t.shards[0].groups[0]);
    if (!n) continue;
    PgConn c = PgConn::connect(cat.node_conninfo(*n), "pgmove");
    auto ok = c.scalar(
        "SELECT relreplident IN ('f', 'i') OR EXISTS (SELECT 1 FROM pg_index WHERE indrelid = c.oid AND indisprimary) "
        "FROM pg_class c WHERE c.oid = to_regclass($1)",
        {t.shard_relation(t.shards[0].shard_id)});
    if (ok && *ok != "t") {
      std::cerr << "pgmove: " << t.qualified() << " has no primary key or replica identity: using block_writes\n";
      return TransferMode::BlockWrites;
    }
  }
  return TransferMode::Logical;
}

// PostgreSQL 15's launcher starts subscription workers at most once per wal_retrieve_retry_interval: a move's
// subscription made within it of another's waits for its worker, and while the source is written to, the catch-up
// waits for that worker (a 10-move rebalance onto one Citus worker beside a writer: 50 s at 5 s, 4.6 s at 100 ms).
void note_subscription_start(const Catalog& cat, const std::vector<MoveRequest>& moves) {
  std::set<std::pair<std::string, int>> targets;
  for (const auto& m : moves) targets.insert({m.target_host, m.target_port});
  for (const auto& [host, port] : targets) {
    const Node* n = cat.find_node(host, port);
    if (!n) continue;
    try {
      PgConn c = PgConn::connect(cat.node_conninfo(*n), "pgmove");
      auto r = c.exec(
          "SELECT setting::bigint >= 1000 AND current_setting('server_version_num')::int < 160000, "
          "current_setting('wal_retrieve_retry_interval') FROM pg_settings WHERE name = 'wal_retrieve_retry_interval'");
      if (r.rows() == 1 && r.str(0, 0) == "t")
        std::cerr << "pgmove: note: " << n->endpoint() << " has wal_retrieve_retry_interval = " << r.str(0, 1)
                  << ": while the sources are written to, each logical move onto it can wait that long for its "
                     "subscription's worker (PostgreSQL 15); ALTER SYSTEM SET wal_retrieve_retry_interval = '100ms' "
                     "and SELECT pg_reload_conf() there take the wait away\n";
    } catch (const PgError&) {
      // A hint only: a node that cannot be asked here fails the move itself, with its own message.
    }
  }
}

}  // namespace

TransferMode choose_mode(const std::optional<std::string>& mode, const Catalog& cat,
                         const std::vector<MoveRequest>& moves) {
  const TransferMode m =
      mode ? (*mode == "logical" ? TransferMode::Logical : TransferMode::BlockWrites) : detect_mode(cat, moves);
  if (m == TransferMode::Logical) note_subscription_start(cat, moves);
  return m;
}

}  // namespace pgload
