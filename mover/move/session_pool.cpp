// A session goes back only when it is idle and alive, so whatever a move left half done never reaches the next one.
#include "mover/move/session_pool.h"

#include <utility>

namespace pgload {

PgConn SessionPool::take(const std::string& key, const std::function<PgConn()>& make) {
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(key);
    if (it != idle_.end()) {
      PgConn c = std::move(it->second);
      idle_.erase(it);
      return c;
    }
  }
  return make();
}

void SessionPool::give(const std::string& key, PgConn conn) {
  if (!conn || PQstatus(conn.raw()) != CONNECTION_OK || PQtransactionStatus(conn.raw()) != PQTRANS_IDLE) return;
  std::lock_guard lock(mu_);
  idle_.emplace(key, std::move(conn));
}

PgConn SessionPool::take_replication(const std::string& endpoint, const std::string& conninfo) {
  return take("replication " + endpoint,
              [&] { return PgConn::connect(conninfo + " replication=database", "pgmove-slot"); });
}

void SessionPool::give_replication(const std::string& endpoint, PgConn conn) {
  give("replication " + endpoint, std::move(conn));
}

}  // namespace pgload
