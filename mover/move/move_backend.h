// What differs between moving on the local cluster and on real Citus, as the one move script (move_steps) sees it:
// how sessions are opened (connect), how writes are blocked, how the placements switch, how a switched move
// finishes, how a crashed move is resolved, and how big the units are. Chosen once per run (mover/engine.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/pg.h"
#include "common/shard_lock.h"
#include "mover/move/move_context.h"
#include "mover/move/move_journal.h"
#include "mover/move/move_unit.h"

namespace pgload {

// One unit's move as a backend carries it out: its sessions and the steps that differ per backend.
class UnitMove {
 public:
  virtual ~UnitMove() = default;

  // ---- connect ----
  // The coordinator session whose transaction ends with the switch (the journal shares it).
  virtual PgConn connect_coordinator() = 0;
  // Sessions on the source and the target; `purpose` names them ("source", "target", "cleanup").
  virtual PgConn connect_source(const std::string& purpose) = 0;
  virtual PgConn connect_target(const std::string& purpose) = 0;
  // A replication connection to the source (it makes the slot), and back once the slot's snapshot is imported:
  // kept for the next move from the same source, which then opens no walsender of its own.
  virtual PgConn connect_replication() = 0;
  virtual void release_replication(PgConn replication) = 0;
  // What the target's subscription is created with: its CONNECTION (stored in pg_subscription, so without any
  // password: the target authenticates on its own) and the options added to its WITH list ("" for none).
  virtual std::string publisher_conninfo() const = 0;
  virtual std::string subscription_options() const = 0;
  // After a move that succeeded: the sessions, idle, for the next move (or closed).
  virtual void release(PgConn coordinator, PgConn source, PgConn target) = 0;

  // ---- steps ----
  // Whether every write through the coordinator takes the shard lock (Citus's metadata lock), not only loads.
  virtual bool writes_take_shard_lock() const noexcept = 0;
  // Before the journal entry, on the coordinator session.
  virtual void start(const PgConn& coordinator) = 0;
  // Checks a source shard table before anything is created; returns the owner its target table gets ("": the
  // session's role).
  virtual std::string check_source_table(const PgConn& source, const UnitShard& shard) = 0;
  // Before the table definitions are read, on the coordinator session: keeps out DDL that would change them before
  // the switch (Citus: its move's locks, held in the coordinator's transaction until the switch commits).
  virtual void lock_definitions(const PgConn& coordinator, const ShardLockOptions& lock) = 0;
  // Blocks writes to the unit, on top of the shard lock the coordinator's transaction holds (the source's own table
  // lock follows in the script).
  virtual void block_writes(const PgConn& coordinator, const ShardLockOptions& lock) = 0;
  // The catalog switch, in the coordinator's transaction (the script commits it with the journal's 'switched').
  virtual void switch_placements(const PgConn& coordinator, int64_t move_id) = 0;
  // After the coordinator committed, in the source's transaction that still holds the table locks.
  virtual void finish(const PgConn& source) = 0;
  // Before the switch, when the move fails: undo what the backend holds open. Never throws.
  virtual void abort() noexcept = 0;
};

class MoveBackend {
 public:
  virtual ~MoveBackend() = default;

  // How units move: "local", "citus_direct" (pgmove copies) or "citus_native" (MoveSummary::path).
  virtual const char* path() const noexcept = 0;
  // Called first, with the run's moves: may open (in the background) the sessions the first move will take, so
  // that their start-up overlaps the run's recovery, validation and sizing. Failures there are the move's to find.
  virtual void warm_up(const std::vector<MoveRequest>& moves) { (void)moves; }
  // Each unit's bytes on its source (tables, indexes, TOAST): the run's ETA and the disk check.
  virtual std::vector<uint64_t> unit_sizes(const std::vector<MoveUnit>& units) = 0;
  // Moves one unit: the step script (move_steps.cpp) over begin(); Citus's own move replaces it.
  virtual void move(MoveContext& run, const MoveUnit& u);
  // Opens one unit's move.
  virtual std::unique_ptr<UnitMove> begin(MoveContext& run, const MoveUnit& u) = 0;
  // Resolves an orphaned journal entry (claimed by the caller); true when resolved.
  virtual bool resolve_orphan(MoveJournal& journal, const JournalEntry& e) = 0;
};

}  // namespace pgload
