// pgload's side of Citus's shard metadata lock: Share mode on every shard it writes, held on the coordinator from
// before it reads placements until its last COMMIT PREPARED, so a move never switches a placement under a load
// (rows committed into a source shard after the switch would be lost) and a load never writes into a switched one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/catalog.h"

namespace pgload {

class LoadLock {
 public:
  // Opens the lock transaction on the catalog's coordinator connection, locks every shard of `table`, then re-reads
  // the nodes and `table` (its placements) inside it. Throws LoadError (exit 3, nothing loaded) on a lock timeout,
  // when the user may not take the lock (not the table's owner), or on any failure.
  LoadLock(Catalog& catalog, Table& table, std::optional<int64_t> lock_timeout_ms,
           std::function<void(const std::string&)> on_wait);
  ~LoadLock();
  LoadLock(const LoadLock&) = delete;
  LoadLock& operator=(const LoadLock&) = delete;

  // Throws LoadError unless the session holding the lock is still there: the lock ends with it.
  void check_held() const;
  // Ends the lock transaction: after the last COMMIT PREPARED, or after the load was rolled back.
  void release() noexcept;

 private:
  const PgConn& conn_;  // the catalog's coordinator session, borrowed: the catalog outlives the lock
  bool open_ = false;
};

}  // namespace pgload
