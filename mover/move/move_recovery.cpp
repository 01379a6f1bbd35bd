// Recovery works from the journal alone (shard relations, groups, mode, move id), so it needs nothing from the
// run that crashed; each entry is claimed by its owner lock, so two recovering runs never resolve the same move.
#include "mover/move/executor.h"

#include <cstdio>
#include <exception>
#include <string>

#include "mover/citus/citus_direct_move.h"
#include "mover/move/move_context.h"
#include "mover/move/move_journal.h"
#include "mover/move/replication.h"

namespace pgload {

namespace {

// Cleans one orphaned journal entry; returns true if it is resolved.
bool resolve(const Catalog& catalog, MoveJournal& journal, const JournalEntry& e) {
  const Node* src = catalog.node_for_group(e.source_group);
  const Node* dst = catalog.node_for_group(e.target_group);
  const std::string repl = replication_name(e.move_id);
  const bool logical = e.mode == "logical";
  std::string state = e.state;
  if (state == "started") {
    if (dst) {
      PgConn t = PgConn::connect(catalog.node_conninfo(*dst), "pgmove-recovery");
      drop_subscription(t, repl);
      for (const auto& rel : e.shard_relations) t.run("DROP TABLE IF EXISTS " + rel + " CASCADE");
    }
    if (logical && src)
      drop_slot_and_publication(PgConn::connect(catalog.node_conninfo(*src), "pgmove-recovery"), repl);
    journal.set_state(e.move_id, "aborted", "cleaned by recovery: partial target dropped");
    return true;
  }
  if (state == "switched") {
    if (!src) return false;
    PgConn s = PgConn::connect(catalog.node_conninfo(*src), "pgmove-recovery");
    for (const auto& rel : e.shard_relations) s.run("DROP TABLE IF EXISTS " + rel + " CASCADE");
    if (logical) drop_slot_and_publication(s, repl);
    if (dst && logical) drop_subscription(PgConn::connect(catalog.node_conninfo(*dst), "pgmove-recovery"), repl);
    journal.set_state(e.move_id, "done", "finished by recovery: source shard dropped");
    return true;
  }
  return false;
}

}  // namespace

int recover_moves(Catalog& catalog) {
  auto exists = catalog.coordinator().scalar("SELECT to_regclass('pgload.moves') IS NOT NULL");
  if (!exists || *exists != "t") return 0;
  // Its own session: the owner locks it takes must not linger on the catalog's connection.
  MoveJournal journal(PgConn::connect(coordinator_conninfo(catalog), "pgmove-recovery"));
  int resolved = 0;
  for (const auto& e : journal.claim_orphans()) {
    try {
      bool done = catalog.backend() == Backend::Citus ? resolve_citus_orphan(catalog, journal, e)
                                                      : resolve(catalog, journal, e);
      if (done) ++resolved;
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

int recover_moves_reporting(Catalog& catalog) {
  int n = recover_moves(catalog);
  if (n > 0)
    std::fprintf(stderr, "pgmove: resolved %d unfinished %s of an earlier run\n", n, n == 1 ? "move" : "moves");
  return n;
}

}  // namespace pgload
