#include "tests/support/citus_env.h"

#include <cstdlib>

namespace pgload::test {

std::optional<CitusEnv> CitusEnv::from_env() {
  const char* conninfo = std::getenv("PGLOAD_TEST_CITUS");
  const char* extra = std::getenv("PGLOAD_TEST_CITUS_NEW_WORKER");
  if (!conninfo || !extra) return std::nullopt;
  std::string hp = extra;
  return CitusEnv{conninfo, hp.substr(0, hp.rfind(':')), hp.substr(hp.rfind(':') + 1)};
}

void CitusEnv::add_new_node(const PgConn& coordinator) const {
  if (*coordinator.scalar("SELECT count(*) FROM pg_dist_node WHERE nodename = $1 AND nodeport = $2::int",
                          {new_host, new_port}) == "0")
    coordinator.run("SELECT citus_add_node(" + quote_literal(new_host) + ", " + new_port + ")");
}

void CitusEnv::new_node_takes_shards(const PgConn& coordinator, bool yes) const {
  coordinator.run("SELECT citus_set_node_property(" + quote_literal(new_host) + ", " + new_port +
                  ", 'shouldhaveshards', " + (yes ? "true" : "false") + ")");
}

}  // namespace pgload::test
