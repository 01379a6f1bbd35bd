// Recovery works from the journal alone (shard relations, groups, mode, move id), so it needs nothing from the run
// that crashed; each entry is claimed by its owner lock, so two recovering runs never resolve the same move.
#include "mover/move/move_recovery.h"

#include <cstdio>
#include <exception>
#include <set>

#include "mover/move/move_context.h"
#include "mover/move/move_journal.h"

namespace pgload {

int resolve_orphans(Catalog& catalog, MoveBackend& backend) {
  auto exists = catalog.coordinator().scalar("SELECT to_regclass('pgload.moves') IS NOT NULL");
  if (!exists || *exists != "t") return 0;
  // Nothing unfinished (the usual case): no recovery session is opened.
  auto unfinished =
      catalog.coordinator().scalar("SELECT EXISTS (SELECT 1 FROM pgload.moves WHERE state IN ('started', 'switched'))");
  if (!unfinished || *unfinished != "t") return 0;
  // Its own session: the owner locks it takes must not linger on the catalog's connection.
  MoveJournal journal(PgConn::connect(coordinator_conninfo(catalog), "pgmove-recovery"));
  int resolved = 0;
  for (const auto& e : journal.claim_orphans()) {
    try {
      if (backend.resolve_orphan(journal, e)) ++resolved;
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "pgmove: warning: could not resolve journal move %lld (state %s): %s\n",
                   static_cast<long long>(e.move_id), e.state.c_str(), ex.what());
    }
    try {
      journal.release(e.move_id);
    } catch (const std::exception&) {
    }
  }
  return resolved;
}

std::vector<std::string> droppable_relations(const PgConn& coordinator, const JournalEntry& e, int32_t group) {
  auto placed = coordinator.exec(
      "SELECT DISTINCT shardid FROM pg_catalog.pg_dist_placement WHERE shardid = ANY($1::bigint[]) AND groupid = $2",
      {array_literal(e.shard_ids), std::to_string(group)});
  std::set<int64_t> live;
  for (int i = 0; i < placed.rows(); ++i) live.insert(placed.i64(i, 0));
  std::vector<std::string> out;
  for (size_t i = 0; i < e.shard_ids.size() && i < e.shard_relations.size(); ++i) {
    if (!live.count(e.shard_ids[i])) {
      out.push_back(e.shard_relations[i]);
      continue;
    }
    std::fprintf(stderr,
                 "pgmove: warning: journal move %lld: shard %lld has a placement on group %d now (placed since the "
                 "move stopped): its table %s there is kept\n",
                 static_cast<long long>(e.move_id), static_cast<long long>(e.shard_ids[i]), group,
                 e.shard_relations[i].c_str());
  }
  return out;
}

int resolve_orphans_reporting(Catalog& catalog, MoveBackend& backend) {
  int n = resolve_orphans(catalog, backend);
  if (n > 0)
    std::fprintf(stderr, "pgmove: resolved %d unfinished %s of an earlier run\n", n, n == 1 ? "move" : "moves");
  return n;
}

}  // namespace pgload
