// The real Citus cluster the gated tests run against (CI has none: Citus is not in Debian): the coordinator from
// PGLOAD_TEST_CITUS and a spare Citus node from PGLOAD_TEST_CITUS_NEW_WORKER that tests add and fill.
#pragma once

#include <optional>
#include <string>

#include "common/pg.h"

namespace pgload::test {

struct CitusEnv {
  std::string conninfo;  // the coordinator
  std::string new_host;  // the spare node
  std::string new_port;

  // Both variables set, or nullopt (the caller skips).
  static std::optional<CitusEnv> from_env();
  // Adds the spare node unless an earlier run did, and sets whether it may take shards: false before creating a
  // table puts the table on the other workers only, true afterwards gives a rebalance something to do.
  void add_new_node(const PgConn& coordinator) const;
  void new_node_takes_shards(const PgConn& coordinator, bool yes) const;
};

}  // namespace pgload::test
