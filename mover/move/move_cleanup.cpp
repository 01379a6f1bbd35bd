#include "mover/move/move_cleanup.h"

#include <exception>

#include "mover/move/replication.h"

namespace pgload {

void clean_up_failed_move(MoveContext& run, MoveJournal& journal, const FailedMove& failed,
                          const std::function<PgConn()>& connect_target,
                          const std::function<PgConn()>& connect_source) {
  const MoveUnit& u = failed.unit;
  if (failed.switch_in_doubt) {
    run.progress.warn("the catalog switch of " + u.what() + " is in doubt (coordinator connection lost at COMMIT); " +
                      "the next pgmove run resolves it from the journal (move " + std::to_string(failed.move_id) + ")");
    return;
  }
  bool clean = true;
  try {
    if (failed.target_tables) {
      PgConn t = connect_target();
      drop_subscription(t, failed.replication_name);
      for (const auto& s : u.shards) t.run("DROP TABLE IF EXISTS " + s.relation + " CASCADE");
    }
    if (failed.replication) drop_slot_and_publication(connect_source(), failed.replication_name);
  } catch (const std::exception& e) {
    clean = false;
    run.progress.warn("could not clean up after " + u.what() + ": " + e.what() + "; the next pgmove run will retry");
  }
  try {
    if (clean) journal.set_state(failed.move_id, "aborted", failed.error);
    journal.release(failed.move_id);
  } catch (const std::exception&) {
    // The journal entry stays 'running' with its owner gone: the next run's recovery cleans it.
  }
}

}  // namespace pgload
