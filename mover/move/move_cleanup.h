// What a failed move leaves behind and how it is undone, the same for the local and the direct Citus move: before
// the switch the source stays authoritative, so the target's tables and the replication objects go, and the journal
// says aborted; a switch in doubt is left to the next run, which resolves it from the journal.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/pg.h"
#include "mover/move/move_context.h"
#include "mover/move/move_journal.h"
#include "mover/move/move_unit.h"

namespace pgload {

struct FailedMove {
  const MoveUnit& unit;
  int64_t move_id;
  std::string replication_name;  // publication, slot and subscription of a logical move
  std::string error;             // what failed, for the journal
  bool target_tables = false;    // the target may hold the unit's tables (or a subscription)
  bool replication = false;      // the source may hold the publication and slot
  bool switch_in_doubt = false;  // the switch's COMMIT was sent and its outcome is unknown
};

// Cleans up after a failed move (or says why it cannot), records the outcome in the journal and releases the
// journal entry; warns on stderr (through the run's progress) instead of throwing.
void clean_up_failed_move(MoveContext& run, MoveJournal& journal, const FailedMove& failed,
                          const std::function<PgConn()>& connect_target, const std::function<PgConn()>& connect_source);

}  // namespace pgload
