// Real Citus: a pgload that runs while Citus itself moves the table's shards (rebalance_table_shards in both
// transfer modes, citus_move_shard_placement) loses nothing and fails nothing: pgload holds Citus's shard metadata
// lock for the whole load, so a move's switch waits for the load, and a load that meets a move waits for it.
// Runs only with PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER (a Citus node, added here if it is not yet).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include "common/catalog.h"
#include "tests/support/citus_env.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

using namespace pgload;
using pgload::test::run_command;

namespace {

constexpr int kBaseRows = 100000;  // ids -1 .. -kBaseRows, inserted through the coordinator
constexpr int kNewRows = 1000000;  // ids 1 .. kNewRows, loaded by pgload while shards move

class CitusConcurrencyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::CitusEnv::from_env()) return;
    dir_ = new std::string(pgload::test::temp_dir("pgload-citus-conc"));
    auto r = run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(kNewRows) + " --shuffle --out " +
                         *dir_ + "/users.csv");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void SetUp() override {
    auto env = test::CitusEnv::from_env();
    if (!env)
      GTEST_SKIP() << "PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER are not both set: no Citus to move on";
    env_ = *env;
    conninfo_ = env_.conninfo;
    coord_ = PgConn::connect(conninfo_, "pgload-test");
    env_.add_new_node(coord_);
    // The table starts on the old workers only; the new node then takes shards when Citus rebalances.
    env_.new_node_takes_shards(coord_, false);
    coord_.run("DROP TABLE IF EXISTS conc_users");
    coord_.run("CREATE TABLE conc_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    coord_.run("SELECT create_distributed_table('conc_users', 'user_id', colocate_with := 'none')");
    coord_.run(
        "INSERT INTO conc_users SELECT -g, 'https://example.com/' || g, 'base' || g, 'a' FROM "
        "generate_series(1, " +
        std::to_string(kBaseRows) + ") g");
    env_.new_node_takes_shards(coord_, true);
  }
  void TearDown() override {
    if (!coord_) return;
    coord_.run("DROP TABLE IF EXISTS conc_users");
    coord_.run("CALL citus_cleanup_orphaned_resources()");
  }
  // pgload of the new rows; the source stalls for `stall_s` after its first half so the load spans the move.
  std::future<test::CommandResult> start_load(int stall_s) {
    std::string csv = *dir_ + "/users.csv";
    std::string cmd = "{ head -n " + std::to_string(kNewRows / 2) + " " + csv + "; sleep " + std::to_string(stall_s) +
                      "; tail -n +" + std::to_string(kNewRows / 2 + 1) + " " + csv + "; } | " +
                      test::pgload_command(conninfo_, "--quiet --url - --table conc_users");
    return std::async(std::launch::async, [cmd] { return run_command(cmd); });
  }

  // Runs a statement on its own connection (Citus's move functions), returning "" or the error.
  std::future<std::string> start_sql(const std::string& sql) {
    std::string conninfo = conninfo_;
    return std::async(std::launch::async, [conninfo, sql] {
      try {
        PgConn c = PgConn::connect(conninfo, "pgload-test-move");
        c.run("SET client_min_messages = warning");
        c.run(sql);
        return std::string();
      } catch (const std::exception& e) {
        return std::string(e.what());
      }
    });
  }

  void expect_everything_loaded_once() {
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM conc_users"), std::to_string(kBaseRows + kNewRows));
    EXPECT_EQ(*coord_.scalar("SELECT count(DISTINCT user_id) FROM conc_users"), std::to_string(kBaseRows + kNewRows));
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM conc_users WHERE user_id > 0"), std::to_string(kNewRows));
    Catalog cat = Catalog::load(coord_);
    Table t = cat.table("conc_users");
    for (const auto& s : t.shards) {
      ASSERT_EQ(s.groups.size(), 1u) << "shard " << s.shard_id;
      PgConn w = PgConn::connect(cat.node_conninfo(*cat.node_for_group(s.groups[0])), "pgload-test");
      EXPECT_EQ(*w.scalar("SELECT count(*) FROM " + t.shard_relation(s.shard_id) +
                          " WHERE hashint8(user_id) NOT "
                          "BETWEEN " +
                          std::to_string(*s.min_value) + " AND " + std::to_string(*s.max_value)),
                "0")
          << "shard " << s.shard_id;
    }
    for (const Node& n : cat.nodes()) {
      PgConn w = PgConn::connect(cat.node_conninfo(n), "pgload-test");
      EXPECT_EQ(*w.scalar("SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'pgload%'"), "0") << n.endpoint();
    }
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM pgload.commit_decisions"), "0");
  }

  static std::string* dir_;
  test::CitusEnv env_;
  std::string conninfo_;
  PgConn coord_;
};
std::string* CitusConcurrencyTest::dir_ = nullptr;

TEST_F(CitusConcurrencyTest, LoadDuringLogicalRebalance) {
  auto load = start_load(4);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto move = start_sql("SELECT rebalance_table_shards('conc_users', shard_transfer_mode := 'force_logical')");
  EXPECT_EQ(move.get(), "");
  auto r = load.get();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_everything_loaded_once();
}

TEST_F(CitusConcurrencyTest, LoadDuringBlockWritesRebalance) {
  auto load = start_load(4);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto move = start_sql("SELECT rebalance_table_shards('conc_users', shard_transfer_mode := 'block_writes')");
  EXPECT_EQ(move.get(), "");
  auto r = load.get();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_everything_loaded_once();
}

TEST_F(CitusConcurrencyTest, MoveFirstThenLoadWaitsAndUsesTheNewPlacement) {
  std::string shard =
      *coord_.scalar("SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = 'conc_users'::regclass");
  std::string source = *coord_.scalar(
      "SELECT nodename || ':' || nodeport FROM pg_dist_placement JOIN pg_dist_node USING (groupid) WHERE shardid = " +
      shard);
  std::string src_host = source.substr(0, source.rfind(':')), src_port = source.substr(source.rfind(':') + 1);
  auto move =
      start_sql("SELECT citus_move_shard_placement(" + shard + ", " + quote_literal(src_host) + ", " + src_port + ", " +
                quote_literal(env_.new_host) + ", " + env_.new_port + ", shard_transfer_mode := 'block_writes')");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto load = start_load(1);
  EXPECT_EQ(move.get(), "");
  auto r = load.get();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_everything_loaded_once();
  EXPECT_EQ(*coord_.scalar("SELECT nodename || ':' || nodeport FROM pg_dist_placement JOIN pg_dist_node USING "
                           "(groupid) WHERE shardid = " +
                           shard),
            env_.new_host + ":" + env_.new_port);
}

}  // namespace
