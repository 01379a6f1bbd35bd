// A session goes back only when it is idle and alive, so whatever a move left half done never reaches the next one.
#include "mover/citus/citus_sessions.h"

#include <utility>

namespace pgload {

PgConn connect_citus_worker(const std::string& conninfo, const std::string& application_name) {
  PgConn c = PgConn::connect(conninfo, application_name);
  c.run("SET citus.show_shards_for_app_name_prefixes = '*'");
  c.run("SET citus.enable_manual_changes_to_shards = on");
  c.run("SET citus.enable_ddl_propagation = off");
  return c;
}

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

}  // namespace pgload
