// The start of every gated move test on the real Citus cluster: skipped without one, else connected to its
// coordinator with the spare node added, and pgmove run against it bounded in time.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/pg.h"
#include "tests/support/citus_env.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {

class CitusMoveFixture : public ::testing::Test {
 protected:
  // A derived SetUp calls this first and returns when IsSkipped().
  void SetUp() override {
    auto env = CitusEnv::from_env();
    if (!env)
      GTEST_SKIP() << "PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER are not both set: no Citus to move on";
    env_ = *env;
    coord_ = PgConn::connect(env_.conninfo, "pgload-test");
    env_.add_new_node(coord_);
  }

  // `pgmove --coordinator CONNINFO ARGS` with its stderr, at most 300 s (exit code 124 then: a hang). CONNINFO is
  // the cluster's unless given, a shell word (quoted by the caller).
  CommandResult pgmove(const std::string& args, const std::string& conninfo = "") const {
    return run_command("timeout 300 " + std::string(PGMOVE_BIN) + " --coordinator " +
                       (conninfo.empty() ? "'" + env_.conninfo + "'" : conninfo) + " " + args + " 2>&1");
  }

  // How many placements of `table` the spare node holds, as citus_shards says.
  int on_new_node(const std::string& table) const {
    return std::stoi(*coord_.scalar(
        "SELECT count(*) FROM citus_shards WHERE table_name = $1::regclass AND nodename = $2 AND nodeport = $3::int",
        {table, env_.new_host, env_.new_port}));
  }

  CitusEnv env_;
  PgConn coord_;
};

}  // namespace pgload::test
