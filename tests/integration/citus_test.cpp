// Real Citus: the same binaries against a Citus 13 coordinator. Runs only when PGLOAD_TEST_CITUS holds the
// coordinator's conninfo; PGLOAD_TEST_CITUS_NEW_WORKER=host:port (a running Citus node not yet added) enables the
// rebalance test. Skipped with a message otherwise (CI has no Citus: it is not in Debian).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <regex>

#include "common/catalog.h"
#include "tests/support/citus_env.h"
#include "tests/support/citus_fixture.h"
#include "tests/support/test_cluster.h"

using namespace pgload;
using pgload::test::run_command;
using pgload::test::run_pgload;

namespace {

using CitusTest = test::CitusCoordinatorTest;

// Generates a users.csv of `rows` rows and returns its path.
std::string make_users(int rows, const std::string& dir) {
  std::string path = dir + "/users.csv";
  auto r = run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(rows) + " --shuffle --out " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return path;
}

}  // namespace

TEST_F(CitusTest, LoadCountAndPlacement) {
  coord_.run("DROP TABLE IF EXISTS pgload_citus_users");
  coord_.run("CREATE TABLE pgload_citus_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  coord_.run("SELECT create_distributed_table('pgload_citus_users', 'user_id')");
  std::string dir = pgload::test::temp_dir("pgload-citus");
  std::string csv = make_users(200000, dir);
  auto r = run_pgload(conninfo_, "--quiet --url " + csv + " --table pgload_citus_users");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM pgload_citus_users"), "200000");
  Catalog cat = Catalog::load(coord_);
  Table t = cat.table("pgload_citus_users");
  EXPECT_EQ(t.shards.size(), 32u);
  EXPECT_EQ(misplaced_rows("pgload_citus_users"), 0);
  // Citus itself routes a point query to the shard pgload chose.
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM pgload_citus_users WHERE user_id IN "
                           "(SELECT user_id FROM pgload_citus_users ORDER BY user_id LIMIT 100)"),
            "100");
  // No pgload transaction is left prepared anywhere, and no decision record remains.
  for (const Node& n : cat.nodes()) {
    PgConn w = PgConn::connect(cat.node_conninfo(n), "pgload-test");
    EXPECT_EQ(*w.scalar("SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'pgload%'"), "0") << n.endpoint();
  }
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM pgload.commit_decisions"), "0");
}

TEST_F(CitusTest, PlanEqualsCitusAndRebalance) {
  auto env = test::CitusEnv::from_env();
  if (!env) GTEST_SKIP() << "PGLOAD_TEST_CITUS_NEW_WORKER (host:port of a spare Citus node) is not set";
  // Whether or not an earlier run added the node: the table starts on the other workers, then the node may take
  // shards, so there is something to rebalance.
  env->add_new_node(coord_);
  env->new_node_takes_shards(coord_, false);
  coord_.run("DROP TABLE IF EXISTS pgload_citus_users");
  coord_.run("CREATE TABLE pgload_citus_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  coord_.run("SELECT create_distributed_table('pgload_citus_users', 'user_id', colocate_with := 'none')");
  std::string csv = make_users(100000, pgload::test::temp_dir("pgload-citus"));
  auto load = run_pgload(conninfo_, "--quiet --url " + csv + " --table pgload_citus_users");
  ASSERT_EQ(load.exit_code, 0) << load.output;
  env->new_node_takes_shards(coord_, true);
  // Citus's own plan, as text rows "table shardid source:port target:port".
  auto citus_plan = coord_.exec(
      "SELECT table_name::text, shardid, sourcename || ':' || sourceport, targetname || ':' || targetport "
      "FROM get_rebalance_table_shards_plan(rebalance_strategy := 'by_shard_count')");
  std::string expected;
  for (int i = 0; i < citus_plan.rows(); ++i)
    expected += citus_plan.str(i, 0) + " " + citus_plan.str(i, 1) + " " + citus_plan.str(i, 2) + " " +
                citus_plan.str(i, 3) + "\n";
  auto ours =
      run_command(std::string(PGMOVE_BIN) + " --coordinator '" + conninfo_ + "' plan --strategy by_shard_count --json");
  ASSERT_EQ(ours.exit_code, 0) << ours.output;
  // Same moves in the same order: the shard ids of pgmove's JSON rows, in order, equal Citus's.
  std::vector<std::string> citus_ids, our_ids;
  for (int i = 0; i < citus_plan.rows(); ++i) citus_ids.push_back(citus_plan.str(i, 1));
  static const std::regex id_re("\"shardid\":(\\d+)");
  for (auto it = std::sregex_iterator(ours.output.begin(), ours.output.end(), id_re); it != std::sregex_iterator();
       ++it)
    our_ids.push_back((*it)[1].str());
  EXPECT_FALSE(citus_ids.empty());
  EXPECT_EQ(our_ids, citus_ids) << expected << "\n" << ours.output;
  int64_t before = std::stoll(*coord_.scalar("SELECT count(*) FROM pgload_citus_users"));
  auto reb = run_command(std::string(PGMOVE_BIN) + " --coordinator '" + conninfo_ +
                         "' rebalance --strategy by_shard_count --mode block_writes --parallel 2");
  ASSERT_EQ(reb.exit_code, 0) << reb.output;
  EXPECT_NE(reb.output.find("NOTICE:  Moving shard "), std::string::npos) << reb.output;
  EXPECT_EQ(std::stoll(*coord_.scalar("SELECT count(*) FROM pgload_citus_users")), before);
  auto status = run_command(std::string(PGMOVE_BIN) + " --coordinator '" + conninfo_ + "' status");
  EXPECT_NE(status.output.find("Rebalancing is not recommended"), std::string::npos) << status.output;
  EXPECT_EQ(
      *coord_.scalar("SELECT count(*) FROM get_rebalance_table_shards_plan(rebalance_strategy := 'by_shard_count')"),
      "0");
}
