// Replication SQL. Dropping tolerates objects that are already gone, so cleanup and recovery can run it twice.
#include "mover/move/replication.h"

#include <algorithm>
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
  if (exists) drop_existing_subscription(target, name);
}

void drop_existing_subscription(const PgConn& target, const std::string& name) {
  // Detach the slot first so DROP SUBSCRIPTION does not reach out to the source; the slot is dropped there. One
  // simple query, one transaction: DROP SUBSCRIPTION of a subscription without a slot may run in one.
  const std::string sub = quote_ident(name);
  target.run("ALTER SUBSCRIPTION " + sub + " DISABLE; ALTER SUBSCRIPTION " + sub +
             " SET (slot_name = NONE); DROP SUBSCRIPTION " + sub);
}

void drop_slot(const PgConn& source, const std::string& name, std::chrono::milliseconds patience) {
  // The walsender of a just-dropped subscription may take a moment to exit: an active slot is tried again. One
  // still active after `patience` serves no subscription of ours (the move's own is gone): its walsender is ended,
  // as it would keep the source's WAL. Still active as long again, the slot is left to the next run (the caller
  // says so).
  const auto start = Clock::now();
  bool terminated = false;
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    auto active = source.scalar(
        "SELECT active, CASE WHEN NOT active THEN pg_drop_replication_slot(slot_name) END "
        "FROM pg_replication_slots WHERE slot_name = $1",
        {name});
    if (!active || *active != "t") return;
    const auto waited = Clock::now() - start;
    if (!terminated && waited > patience) {
      source.scalar("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active",
                    {name});
      terminated = true;
    } else if (terminated && waited > 2 * patience) {
      throw std::runtime_error("replication slot " + name + " on " + source.endpoint() + " is still in use after " +
                               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(waited).count()) +
                               " s (its walsender did not exit when ended)");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

void drop_slot_and_publication(const PgConn& source, const std::string& name) {
  drop_slot(source, name);
  source.run("DROP PUBLICATION IF EXISTS " + quote_ident(name));
}

bool slot_caught_up(const PgConn& source, const std::string& slot, std::string* lsn) {
  auto r = source.exec(
      "SELECT w.lsn::text, coalesce(s.confirmed_flush_lsn >= w.lsn, false) FROM (SELECT pg_current_wal_lsn() AS lsn) w "
      "LEFT JOIN pg_replication_slots s ON s.slot_name = $1",
      {slot});
  if (lsn) *lsn = r.str(0, 0);
  return r.boolean(0, 1);
}

void wait_for_catchup(const MoveUnit& u, const PgConn& source, const std::string& slot, int timeout_s) {
  // The first check reads the position to reach in the same statement (a slot already there costs one round
  // trip); then polls start at 1 ms and back off to 20 ms, so that a caught-up slot is seen within a few ms.
  std::string lsn;
  if (slot_caught_up(source, slot, &lsn)) return;
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
    auto done = source.scalar("SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2",
                              {lsn, slot});
    if (done && *done == "t") return;
    if (Clock::now() > deadline)
      throw std::runtime_error(u.what() + ": subscription " + slot + " on " + u.target.endpoint() +
                               " did not catch up to " + lsn + " within " + std::to_string(timeout_s) +
                               " s (see the target's server log)");
  }
}

}  // namespace pgload
