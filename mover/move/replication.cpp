// Replication SQL. Dropping tolerates objects that are already gone, so cleanup and recovery can run it twice.
#include "mover/move/replication.h"

#include <chrono>
#include <stdexcept>
#include <thread>

namespace pgload {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

std::string replication_name(int64_t move_id) { return "pgload_move_" + std::to_string(move_id); }

void drop_subscription(const PgConn& target, const std::string& name) {
  auto exists = target.scalar("SELECT 1 FROM pg_subscription WHERE subname = $1", {name});
  if (!exists) return;
  // Detach the slot first so DROP SUBSCRIPTION does not reach out to the source; the slot is dropped there.
  target.run("ALTER SUBSCRIPTION " + quote_ident(name) + " DISABLE");
  target.run("ALTER SUBSCRIPTION " + quote_ident(name) + " SET (slot_name = NONE)");
  target.run("DROP SUBSCRIPTION " + quote_ident(name));
}

void drop_slot_and_publication(const PgConn& source, const std::string& name) {
  for (int i = 0; i < 200; ++i) {  // the walsender of a just-disabled subscription may take a moment to exit
    auto active = source.scalar("SELECT active FROM pg_replication_slots WHERE slot_name = $1", {name});
    if (!active) break;
    if (*active == "f") {
      source.exec("SELECT pg_drop_replication_slot($1)", {name});
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  source.run("DROP PUBLICATION IF EXISTS " + quote_ident(name));
}

void wait_for_catchup(const MoveUnit& u, const PgConn& source, const std::string& slot, int timeout_s) {
  auto lsn = source.scalar("SELECT pg_current_wal_lsn()::text");
  auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  while (true) {
    auto done = source.scalar("SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2",
                              {*lsn, slot});
    if (done && *done == "t") return;
    if (Clock::now() > deadline)
      throw std::runtime_error(u.what() + ": subscription " + slot + " on " + u.target.endpoint() +
                               " did not catch up to " + *lsn + " within " + std::to_string(timeout_s) +
                               " s (see the target's server log)");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace pgload
