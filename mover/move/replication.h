// Logical replication plumbing of a move in logical mode: a publication and slot on the source, a subscription on
// the target, all named after the journal's move id so that recovery finds what a crashed run left behind.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/pg.h"
#include "mover/move/move_unit.h"

namespace pgload {

// Name of the publication, slot and subscription of journal move `move_id`.
std::string replication_name(int64_t move_id);

// Drops the subscription `name` on the target if it exists, without reaching out to the source.
void drop_subscription(const PgConn& target, const std::string& name);
// The same for a subscription known to exist: one round trip.
void drop_existing_subscription(const PgConn& target, const std::string& name);
// Drops slot `name` on the source if it exists. Waits for a just-disabled walsender to let go; one that holds the
// slot past `patience` is ended. Throws when the slot is still in use after twice `patience`.
void drop_slot(const PgConn& source, const std::string& name,
               std::chrono::milliseconds patience = std::chrono::seconds(10));
// Drops slot and publication `name` on the source (waits briefly for a just-disabled walsender to let go).
void drop_slot_and_publication(const PgConn& source, const std::string& name);

// Whether slot `slot` has confirmed the source's current WAL position (false when it does not exist), in one round
// trip; `lsn` gets that position.
bool slot_caught_up(const PgConn& source, const std::string& slot, std::string* lsn = nullptr);
// Waits until the slot on the source confirmed everything up to the source's current WAL position; throws after
// timeout_s naming the move and the target.
void wait_for_catchup(const MoveUnit& u, const PgConn& source, const std::string& slot, int timeout_s);

}  // namespace pgload
