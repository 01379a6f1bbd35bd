// Recovery works from the journal alone (shard relations, groups, mode, move id), so it needs nothing from the run
// that crashed; each entry is claimed by its owner lock, so two recovering runs never resolve the same move.
#include "mover/move/move_recovery.h"

#include <cstdio>
#include <exception>

#include "mover/move/move_context.h"
#include "mover/move/move_journal.h"

namespace pgload {

int resolve_orphans(Catalog& catalog, MoveBackend& backend) {
  auto exists = catalog.coordinator().scalar("SELECT to_regclass('pgload.moves') IS NOT NULL");
  if (!exists || *exists != "t") return 0;
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

int resolve_orphans_reporting(Catalog& catalog, MoveBackend& backend) {
  int n = resolve_orphans(catalog, backend);
  if (n > 0)
    std::fprintf(stderr, "pgmove: resolved %d unfinished %s of an earlier run\n", n, n == 1 ? "move" : "moves");
  return n;
}

}  // namespace pgload
