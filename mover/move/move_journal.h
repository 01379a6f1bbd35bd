// The move journal: one row per shard move in pgload.moves on the coordinator, written before a move touches
// anything and at every state change, so a later run can clean a partial target or finish a switched move.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/pg.h"
#include "common/pgload_schema.h"

namespace pgload {

// started  -> the target may hold partial shard tables; the source is authoritative.
// switched -> pg_dist_placement points at the target (set in the same transaction); the source may still hold
//             its shard tables.
// done / aborted -> nothing left to do.
struct JournalEntry {
  int64_t move_id = 0;
  std::vector<int64_t> shard_ids;
  std::vector<std::string> shard_relations;  // quoted, schema-qualified shard tables, same order as shard_ids
  int32_t source_group = 0, target_group = 0;
  std::string mode;  // block_writes / logical
  std::string state;
};

class MoveJournal {
 public:
  // Session-level advisory lock class: key (kLockClass, move_id) is held by the run that owns a move.
  static constexpr int32_t kLockClass = kMoveOwnerLockClass;

  // Creates schema pgload and table pgload.moves if missing (serialized by an advisory lock); owns the session.
  explicit MoveJournal(PgConn coordinator);
  // The same on the caller's coordinator session, which must outlive the journal: set_state() then joins the
  // caller's open transaction, which is how a move's catalog switch and its journal state commit together.
  // `ensure_schema` false: the caller knows the schema is current (an earlier move of its run ensured it).
  static MoveJournal sharing(const PgConn& coordinator, bool ensure_schema = true);
  static MoveJournal sharing(PgConn&&, bool = true) = delete;  // a temporary session would be gone first

  // Records a new move as 'started' and takes its owner lock on this connection; returns its move_id.
  // Throws if any of the shards is already in an unfinished move.
  int64_t begin(const std::vector<int64_t>& shard_ids, const std::vector<std::string>& shard_relations,
                int32_t source_group, int32_t target_group, std::string_view mode);
  // Sets the state (and error text) of a move, in the caller's current transaction if one is open.
  void set_state(int64_t move_id, std::string_view state, std::string_view error = {});
  // Releases the owner lock of a finished move.
  void release(int64_t move_id);
  // set_state(move_id, state) and COMMIT of the session's open transaction in one round trip: the COMMIT runs only
  // when the update did.
  void set_state_and_commit(int64_t move_id, std::string_view state);
  // set_state(move_id, "done") and release(move_id) in one round trip, outside a transaction. When the update
  // fails, the unlock does not run: the caller release()s.
  void finish(int64_t move_id);
  // Unfinished moves whose owner is gone (their lock is free); the caller owns their locks until release().
  std::vector<JournalEntry> claim_orphans();

  const PgConn& conn() const noexcept { return *conn_; }

 private:
  explicit MoveJournal(const PgConn* coordinator);
  void create_table();
  std::unique_ptr<PgConn> owned_;  // on the heap so that conn_ survives moving the journal
  const PgConn* conn_;
};

}  // namespace pgload
