// Real Citus: pgmove's plan equals Citus's get_rebalance_table_shards_plan() row for row (table, shard, shard_size,
// source, target) for both built-in strategies, on a small table and on a skewed one, with Citus's default
// by_disk_size base cost and with it set to 0. Runs only with PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER
// (host:port of a Citus node, added here if it is not yet); skipped otherwise (CI has no Citus).
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "common/pg.h"
#include "tests/support/citus_env.h"
#include "tests/support/test_cluster.h"

using namespace pgload;
using pgload::test::run_command;

namespace {

class CitusPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = test::CitusEnv::from_env();
    if (!env)
      GTEST_SKIP() << "PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER are not both set: no Citus to plan against";
    env_ = *env;
    conninfo_ = env_.conninfo;
    coord_ = PgConn::connect(conninfo_, "pgload-test");
    env_.add_new_node(coord_);
    // New tables go to the old workers only; then the new node may take shards: a plan that fills it.
    env_.new_node_takes_shards(coord_, false);
  }
  void TearDown() override {
    if (!coord_) return;
    coord_.run("DROP TABLE IF EXISTS plan_small, plan_skewed");
    env_.new_node_takes_shards(coord_, true);
  }

  // Citus's plan rows as "table shardid shard_size source:port target:port" lines.
  std::string citus_plan(const std::string& strategy, const std::string& base_cost) {
    coord_.run("SET citus.rebalancer_by_disk_size_base_cost = " + quote_literal(base_cost));
    auto r = coord_.exec(
        "SELECT table_name::text, shardid, shard_size, sourcename || ':' || sourceport, "
        "       targetname || ':' || targetport "
        "FROM get_rebalance_table_shards_plan(rebalance_strategy := " +
        quote_literal(strategy) + ")");
    coord_.run("RESET citus.rebalancer_by_disk_size_base_cost");
    std::string out;
    for (int i = 0; i < r.rows(); ++i)
      out += r.str(i, 0) + " " + r.str(i, 1) + " " + r.str(i, 2) + " " + r.str(i, 3) + " " + r.str(i, 4) + "\n";
    return out;
  }

  // pgmove's plan (--json) in the same line form; the base cost reaches its session through PGOPTIONS.
  std::string pgmove_plan(const std::string& strategy, const std::string& base_cost) {
    auto r = run_command("PGOPTIONS='-c citus.rebalancer_by_disk_size_base_cost=" + base_cost + "' " +
                         std::string(PGMOVE_BIN) + " --coordinator '" + conninfo_ + "' plan --strategy " + strategy +
                         " --json");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    static const std::regex row_re(
        "\"table_name\":\"([^\"]*)\",\"shardid\":(\\d+),\"shard_size\":(\\d+),\"sourcename\":\"([^\"]*)\","
        "\"sourceport\":(\\d+),\"targetname\":\"([^\"]*)\",\"targetport\":(\\d+)");
    std::string out;
    for (auto it = std::sregex_iterator(r.output.begin(), r.output.end(), row_re); it != std::sregex_iterator(); ++it) {
      const auto& m = *it;
      out += m[1].str() + " " + m[2].str() + " " + m[3].str() + " " + m[4].str() + ":" + m[5].str() + " " + m[6].str() +
             ":" + m[7].str() + "\n";
    }
    return out;
  }

  void expect_same_plans(const std::string& layout) {
    env_.new_node_takes_shards(coord_, true);
    for (const char* strategy : {"by_shard_count", "by_disk_size"})
      for (const char* base : {"104857600", "0"}) {
        std::string citus = citus_plan(strategy, base);
        EXPECT_FALSE(citus.empty()) << layout << " " << strategy << " base " << base;
        EXPECT_EQ(pgmove_plan(strategy, base), citus) << layout << " " << strategy << " base " << base;
      }
  }

  test::CitusEnv env_;
  std::string conninfo_;
  PgConn coord_;
};

TEST_F(CitusPlanTest, SmallTableBothStrategiesAndBaseCosts) {
  coord_.run("DROP TABLE IF EXISTS plan_small");
  coord_.run("CREATE TABLE plan_small (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  coord_.run("SELECT create_distributed_table('plan_small', 'user_id', colocate_with := 'none')");
  coord_.run(
      "INSERT INTO plan_small SELECT g, 'https://example.com/' || g, 'user' || g, 'a' || g "
      "FROM generate_series(1, 50000) g");
  expect_same_plans("small");
}

TEST_F(CitusPlanTest, SkewedTableBothStrategiesAndBaseCosts) {
  coord_.run("DROP TABLE IF EXISTS plan_skewed");
  coord_.run("CREATE TABLE plan_skewed (user_id bigint PRIMARY KEY, payload text)");
  coord_.run("SELECT create_distributed_table('plan_skewed', 'user_id', colocate_with := 'none')");
  coord_.run("INSERT INTO plan_skewed SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g");
  // Two shards get ~20x the rows of the others: by_disk_size and by_shard_count disagree.
  for (const char* shard_of : {"1", "2"}) {
    std::string range =
        "(SELECT shardminvalue::int, shardmaxvalue::int FROM pg_dist_shard WHERE shardid = "
        "get_shard_id_for_distribution_column('plan_skewed', " +
        std::string(shard_of) + "))";
    coord_.run("INSERT INTO plan_skewed SELECT g, repeat('y', 400) FROM generate_series(100000, 6000000) g, " + range +
               " AS r(lo, hi) WHERE hashint8(g) BETWEEN r.lo AND r.hi LIMIT 15000");
  }
  expect_same_plans("skewed");
}

// The demo's reference table showed 0 bytes in `pgmove status` (1,000 rows): its size is one copy's (table, indexes
// and TOAST); Citus 13's citus_total_relation_size() adds up every placement (one per node, the coordinator's too).
TEST_F(CitusPlanTest, ReferenceTableHasItsSizeInStatus) {
  coord_.run("DROP TABLE IF EXISTS plan_merchants");
  coord_.run("CREATE TABLE plan_merchants (merchant_id bigint PRIMARY KEY, name text)");
  coord_.run("SELECT create_reference_table('plan_merchants')");
  coord_.run("INSERT INTO plan_merchants SELECT g, 'merchant ' || g FROM generate_series(1, 1000) g");
  const int64_t citus_size = std::stoll(*coord_.scalar("SELECT citus_total_relation_size('plan_merchants')"));
  const int64_t copies =
      std::stoll(*coord_.scalar("SELECT count(*) FROM pg_dist_placement p JOIN pg_dist_shard s USING (shardid) "
                                "WHERE s.logicalrelid = 'plan_merchants'::regclass"));
  auto r = run_command(std::string(PGMOVE_BIN) + " --coordinator '" + conninfo_ + "' status --json 2>/dev/null");
  coord_.run("DROP TABLE plan_merchants");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::regex row("\"table_name\":\"plan_merchants\",\"type\":\"reference\"[^}]*\"bytes\":(\\d+)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m, row)) << r.output;
  EXPECT_GT(std::stoll(m[1].str()), 0) << r.output;
  EXPECT_EQ(std::stoll(m[1].str()) * copies, citus_size) << "one copy's size against citus_total_relation_size()";
}

}  // namespace
