// choose_mode: asks each source for wal_level and each table's first shard for a replica identity.
#include "mover/move/move_mode.h"

#include <iostream>
#include <set>
#include <utility>

#include "common/pg.h"

namespace pgload {

TransferMode choose_mode(const std::optional<std::string>& mode, const Catalog& cat,
                         const std::vector<MoveRequest>& moves) {
  if (mode) return *mode == "logical" ? TransferMode::Logical : TransferMode::BlockWrites;
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

}  // namespace pgload
