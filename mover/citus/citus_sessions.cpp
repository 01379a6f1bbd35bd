// Citus's settings for a session that reads and writes shard tables directly.
#include "mover/citus/citus_sessions.h"

namespace pgload {

PgConn connect_citus_worker(const std::string& conninfo, const std::string& application_name) {
  PgConn c = PgConn::connect(conninfo, application_name);
  c.run("SET citus.show_shards_for_app_name_prefixes = '*'");
  c.run("SET citus.enable_manual_changes_to_shards = on");
  c.run("SET citus.enable_ddl_propagation = off");
  return c;
}

}  // namespace pgload
