// pgmove's CLI against a real local cluster: the status verdict before and after adding a worker, the plan Citus
// itself produced for that layout, and validation failures that must exit 2 before anything moves.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

class PgmoveCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = std::make_unique<TestCluster>(2); }
  static void TearDownTestSuite() { cluster_.reset(); }

  static CommandResult pgmove(const std::string& args) {
    return run_command(std::string(PGMOVE_BIN) + " --coordinator '" + cluster_->conninfo() + "' " + args);
  }
  static void ensure_table() {
    auto c = cluster_->connect();
    if (!c.scalar("SELECT 1 FROM pg_dist_partition WHERE logicalrelid::text = 'payment_users'")) {
      c.run(
          "CREATE TABLE IF NOT EXISTS payment_users (user_id bigint PRIMARY KEY, url text, login text, "
          "avatar_url text)");
      c.run("SELECT create_distributed_table('payment_users', 'user_id')");
    }
  }
  static int count_lines_with(const std::string& text, const std::string& needle) {
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line))
      if (line.find(needle) != std::string::npos) ++n;
    return n;
  }

  static std::unique_ptr<TestCluster> cluster_;
};
std::unique_ptr<TestCluster> PgmoveCli::cluster_;

// The plan table of the reference file (header through "(10 rows)") with Citus's ports swapped for ours. The port
// columns are 10 wide (the header), so a right-aligned swap keeps every other byte.
std::string reference_plan_with_ports(const std::vector<int>& ports) {
  std::ifstream in(reference_path("plan_by_shard_count_2_to_3_workers.txt"));
  std::string line, out;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.find("table_name") != std::string::npos) in_table = true;
    if (!in_table) continue;
    for (int i = 0; i < 3; ++i) {
      std::string from = "      " + std::to_string(9701 + i);
      std::string to = std::to_string(ports[static_cast<size_t>(i)]);
      to = std::string(10 - to.size(), ' ') + to;
      for (size_t at = line.find(from); at != std::string::npos; at = line.find(from, at + to.size()))
        line.replace(at, from.size(), to);
    }
    out += line + "\n";
    if (line.rfind("(", 0) == 0) break;
  }
  return out;
}

TEST_F(PgmoveCli, VerdictAndPlanFollowTheLayout) {
  // No distributed table yet: nothing to plan, a validation error.
  auto none = pgmove("plan");
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_NE(none.output.find("no distributed tables"), std::string::npos) << none.output;

  ensure_table();
  auto fresh = pgmove("status");
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
  EXPECT_EQ(count_lines_with(fresh.output, "Rebalancing is"), 1) << fresh.output;
  EXPECT_EQ(count_lines_with(fresh.output, "Rebalancing is not recommended"), 1) << fresh.output;
  auto empty_plan = pgmove("plan");
  ASSERT_EQ(empty_plan.exit_code, 0) << empty_plan.output;
  EXPECT_NE(empty_plan.output.find("(0 rows)"), std::string::npos) << empty_plan.output;

  cluster_->add_worker();
  auto ports = cluster_->worker_ports();
  ASSERT_EQ(ports.size(), 3u);
  auto grown = pgmove("status");
  ASSERT_EQ(grown.exit_code, 0) << grown.output;
  EXPECT_EQ(count_lines_with(grown.output, "Rebalancing is"), 1) << grown.output;
  EXPECT_EQ(count_lines_with(grown.output, "Rebalancing is recommended"), 1) << grown.output;

  auto plan = pgmove("plan --strategy by_shard_count");
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  std::string expected = reference_plan_with_ports(ports);
  ASSERT_NE(expected.find("(10 rows)"), std::string::npos) << expected;
  EXPECT_EQ(plan.output, expected);

  auto json = pgmove("status --json");
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_NE(json.output.find("\"rebalance_recommended\":true"), std::string::npos) << json.output;
}

TEST_F(PgmoveCli, BadInputsExitTwoWithTheirMessage) {
  ensure_table();
  auto ports = cluster_->worker_ports();
  ASSERT_GE(ports.size(), 2u);
  auto c = cluster_->connect();
  auto on_first = c.scalar(
      "SELECT min(p.shardid) FROM pg_dist_placement p JOIN pg_dist_node n ON n.groupid = p.groupid "
      "WHERE n.nodeport = $1::int",
      {std::to_string(ports[0])});
  ASSERT_TRUE(on_first);
  const std::string first = "127.0.0.1:" + std::to_string(ports[0]);

  struct Case {
    std::string args, message;
  };
  std::vector<Case> cases = {
      {"move 999999999 --to " + first, "unknown shard id 999999999"},
      {"move " + *on_first + " --to " + first, "target equals source"},
      {"move " + *on_first + " --to 127.0.0.1:1", "not a registered node"},
      {"move abc --to " + first, "SHARDID must be a positive integer"},
      {"rebalance --max-rate 0", "--max-rate must be positive"},
      {"rebalance --max-rate -5MB/s", "--max-rate must be positive"},
      {"rebalance --max-rate fast", "is not a rate"},
      {"rebalance --max-rate 50XB/s", "is not a rate"},
      {"rebalance --parallel 0", "--parallel must be a positive integer"},
      {"rebalance --parallel -2", "--parallel must be a positive integer"},
      {"rebalance --strategy no_such_strategy", "unknown rebalance strategy \"no_such_strategy\""},
      {"plan --strategy no_such_strategy", "by_disk_size, by_shard_count"},
      {"rebalance --mode fast", "--mode must be block_writes or logical"},
      {"drain 127.0.0.1:1", "not a registered node"},
      {"drain nonsense", "HOST:PORT"},
      {"frobnicate", "unknown command"},
  };
  for (const auto& k : cases) {
    auto r = pgmove(k.args);
    EXPECT_EQ(r.exit_code, 2) << k.args << "\n" << r.output;
    EXPECT_NE(r.output.find(k.message), std::string::npos) << k.args << "\n" << r.output;
    EXPECT_EQ(r.output.find("NOTICE:  Moving"), std::string::npos) << k.args << "\n" << r.output;
  }
  // Nothing moved: the shard is still where it was.
  auto still = c.scalar(
      "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n ON n.groupid = p.groupid WHERE p.shardid = $1",
      {*on_first});
  EXPECT_EQ(still.value_or(""), std::to_string(ports[0]));

  // Valid rates parse (checked with --dry-run so nothing moves).
  for (const char* rate : {"50MB/s", "20MiB/s", "500kB/s", "1048576"}) {
    auto r = pgmove(std::string("rebalance --dry-run --max-rate ") + rate);
    EXPECT_EQ(r.exit_code, 0) << rate << "\n" << r.output;
  }
}

TEST_F(PgmoveCli, ConnectionErrorsExitThreeWithoutPassword) {
  int closed = free_port_range(1);
  auto r =
      run_command(std::string(PGMOVE_BIN) + " status --coordinator 'host=127.0.0.1 port=" + std::to_string(closed) +
                  " user=postgres password=sekrit-pw'");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(r.output.find("sekrit-pw"), std::string::npos) << r.output;

  auto add = pgmove("add-node 127.0.0.1:" + std::to_string(closed));
  EXPECT_EQ(add.exit_code, 3) << add.output;
  auto c = cluster_->connect();
  EXPECT_FALSE(c.scalar("SELECT 1 FROM pg_dist_node WHERE nodeport = $1::int", {std::to_string(closed)}));
}

TEST_F(PgmoveCli, HelpDocumentsExitCodes) {
  auto r = run_command(std::string(PGMOVE_BIN) + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"exit codes", "2  usage or validation error", "3  cluster or connection error", "--max-rate",
                        "rebalance", "drain", "recover", "add-node", "--json", "--node-conninfo", "--progress",
                        "--lock-timeout DURATION", "--verbose", "--debug", "--version"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s;
  auto v = run_command(std::string(PGMOVE_BIN) + " --version");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_EQ(v.output.rfind("pgmove ", 0), 0u) << v.output;
}

TEST_F(PgmoveCli, FirstTryMessages) {
  // move without --to: one "pgmove:" prefix, and what is missing.
  auto no_to = pgmove("move 102008");
  EXPECT_EQ(no_to.exit_code, 2) << no_to.output;
  EXPECT_NE(no_to.output.find("pgmove: move needs --to HOST:PORT"), std::string::npos) << no_to.output;
  EXPECT_EQ(no_to.output.find("pgmove: pgmove"), std::string::npos) << no_to.output;
  auto drain = pgmove("drain");
  EXPECT_EQ(drain.output.find("pgmove: pgmove"), std::string::npos) << drain.output;

  // A conninfo libpq cannot parse: usage (2) with libpq's reason, before connecting.
  auto garbage = run_command(std::string(PGMOVE_BIN) + " --coordinator 'garbage=1 password=sekrit-pw' status");
  EXPECT_EQ(garbage.exit_code, 2) << garbage.output;
  EXPECT_NE(garbage.output.find("pgmove: --coordinator: invalid connection option \"garbage\""), std::string::npos)
      << garbage.output;
  EXPECT_EQ(garbage.output.find("sekrit-pw"), std::string::npos) << garbage.output;

  auto bad_timeout = pgmove("rebalance --lock-timeout soon");
  EXPECT_EQ(bad_timeout.exit_code, 2) << bad_timeout.output;
  EXPECT_NE(bad_timeout.output.find("--lock-timeout takes a duration"), std::string::npos) << bad_timeout.output;
}

// One move: "moved 1 shard," (not "1 shards"); --verbose names the steps and --debug a failing statement.
TEST_F(PgmoveCli, OneMoveIsSingularAndVerboseNamesTheSteps) {
  ensure_table();
  auto ports = cluster_->worker_ports();
  ASSERT_GE(ports.size(), 2u);
  auto c = cluster_->connect();
  auto shard = c.scalar(
      "SELECT min(p.shardid) FROM pg_dist_placement p JOIN pg_dist_node n ON n.groupid = p.groupid "
      "WHERE n.nodeport = $1::int",
      {std::to_string(ports[0])});
  ASSERT_TRUE(shard);
  auto r = pgmove("--verbose move " + *shard + " --to 127.0.0.1:" + std::to_string(ports[1]) +
                  " --mode block_writes --lock-timeout 30s");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("moved 1 shard, "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pgmove: info: catalog read from"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pgmove: info: move shard " + *shard), std::string::npos) << r.output;

  auto quiet = pgmove("status");
  EXPECT_EQ(quiet.output.find("pgmove: info:"), std::string::npos) << quiet.output;
  const int closed = free_port_range(1);
  auto dbg = pgmove("--debug add-node 127.0.0.1:" + std::to_string(closed));
  EXPECT_EQ(dbg.exit_code, 3) << dbg.output;
  EXPECT_NE(dbg.output.find("pgmove: debug: failed on 127.0.0.1:" + std::to_string(closed) + " (SQLSTATE 08001)"),
            std::string::npos)
      << dbg.output;
}

// The demo's reference table showed 0 bytes in status and on the page: its shard was never measured.
TEST_F(PgmoveCli, ReferenceTableWithRowsHasASize) {
  ensure_table();
  auto c = cluster_->connect();
  c.run("CREATE TABLE merchants (merchant_id bigint PRIMARY KEY, name text)");
  c.run("SELECT create_reference_table('merchants')");
  c.run("INSERT INTO merchants SELECT i, 'merchant ' || i FROM generate_series(1, 1000) i");
  auto r = pgmove("status --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const size_t json_at = r.output.rfind("\n{", r.output.size() - 2);  // after anything said on stderr
  const auto status = nlohmann::json::parse(r.output.substr(json_at == std::string::npos ? 0 : json_at + 1));
  bool found = false;
  for (const auto& t : status.at("tables")) {
    if (t.at("table_name") != "merchants") continue;
    found = true;
    EXPECT_EQ(t.at("type"), "reference") << t;
    EXPECT_GT(t.at("bytes").get<int64_t>(), 0) << t;
  }
  EXPECT_TRUE(found) << r.output;
  // The nodes' bytes stay those of the shards the rebalancer moves, as in Citus.
  auto text = pgmove("status");
  EXPECT_NE(text.output.find("merchants"), std::string::npos) << text.output;
  c.run("DROP TABLE merchants");
}

}  // namespace
}  // namespace pgload::test
