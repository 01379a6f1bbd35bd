// Recovery of a decided load (crash after the commit decision) when a node it prepared on is inactive, down, or
// gone from pg_dist_node: recover reaches it by its recorded host:port, commits, and deletes the decision only once
// every gid is resolved; an unreachable node keeps the decision and makes `pgload recover` exit 5.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <csignal>

#include <chrono>
#include <string>
#include <thread>

#include "common/pg.h"
#include "tests/support/fault_tally.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kRows = 100000;

FaultTally& tally = fault_tally();
const auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new FaultTallyPrinter);

const std::string& users_file() {
  static const std::string path = [] {
    return generated_users(temp_dir("pgload-recover-fault") + "/users.csv", kRows);
  }();
  return path;
}

// Restarts every stopped node (pgcluster up is idempotent) when a test ends, pass or fail.
struct RestartCluster {
  ~RestartCluster() { (void)TestCluster::shared().pgcluster("up"); }
};

class RecoverFaultTest : public ::testing::Test {
 protected:
  static TestCluster& cluster() { return TestCluster::shared(); }
  static void create_users(const std::string& name) { create_users_table(cluster().connect(), name); }
  // A load killed right after its commit decision: every worker holds prepared transactions that must commit.
  static void crash_after_decision(const std::string& table) {
    auto r = run_pgload(cluster().conninfo(), "--url " + sh(users_file()) + " --table " + table + " --quiet",
                        "PGLOAD_FAULT=after_decision");
    ++tally.injected;
    ASSERT_EQ(r.exit_code, 128 + SIGKILL) << r.output;
    ASSERT_EQ(decisions_left(), 1);
    wait_for_dead_run();
  }
  static void wait_for_dead_run() {
    auto c = cluster().connect();
    for (int i = 0; i < 400; ++i) {
      if (*c.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgload'") == "0") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  static CommandResult recover() { return run_pgload(cluster().conninfo(), "recover"); }
  static int64_t count(const std::string& table) {
    return std::stoll(*cluster().connect().scalar("SELECT count(*) FROM " + table));
  }
  static int64_t prepared_on(int port) {
    return std::stoll(*cluster().connect_node(port).scalar("SELECT count(*) FROM pg_prepared_xacts"));
  }
  static int64_t decisions_left() {
    auto c = cluster().connect();
    if (!c.scalar("SELECT to_regclass('pgload.commit_decisions')")) return 0;
    return std::stoll(*c.scalar("SELECT count(*) FROM pgload.commit_decisions"));
  }
  static void expect_all_rows(const std::string& table, const std::vector<int>& ports) {
    const int64_t actual = count(table);
    int64_t prepared = 0;
    for (int port : ports) prepared += prepared_on(port);
    if (actual < kRows) tally.lost += kRows - actual;
    if (actual > kRows) tally.duplicated += actual - kRows;
    if (actual == kRows && prepared == 0 && decisions_left() == 0) ++tally.recovered;
    EXPECT_EQ(actual, kRows) << table;
    EXPECT_EQ(prepared, 0) << "pg_prepared_xacts left on the workers";
    EXPECT_EQ(decisions_left(), 0) << "pgload.commit_decisions left on the coordinator";
  }
};

// Before: recover skipped inactive nodes, deleted the decision, and a later recover rolled their part back.
TEST_F(RecoverFaultTest, NodeMadeInactiveBetweenPrepareAndCommitPrepared) {
  create_users("rf_inactive");
  const auto ports = cluster().worker_ports();
  crash_after_decision("rf_inactive");
  auto c = cluster().connect();
  c.run("UPDATE pg_dist_node SET isactive = false WHERE nodeport = " + std::to_string(ports[1]));
  auto rec = recover();
  c.run("UPDATE pg_dist_node SET isactive = true WHERE nodeport = " + std::to_string(ports[1]));
  EXPECT_EQ(rec.exit_code, 0) << rec.output;
  EXPECT_THAT(rec.output, HasSubstr("recover: 8 prepared transactions committed, 0 rolled back"));
  expect_all_rows("rf_inactive", ports);
}

TEST_F(RecoverFaultTest, WorkerDownDuringRecoverKeepsTheDecisionUntilItIsBack) {
  create_users("rf_down");
  const auto ports = cluster().worker_ports();
  crash_after_decision("rf_down");
  RestartCluster restart;
  auto stop = run_command("runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D " + cluster().dir() +
                          "/worker2 -m fast -w stop");
  ASSERT_EQ(stop.exit_code, 0) << stop.output;
  auto rec = recover();
  EXPECT_EQ(rec.exit_code, 5) << rec.output;
  EXPECT_THAT(rec.output, HasSubstr("is decided but not finished on node 127.0.0.1:" + std::to_string(ports[1])));
  EXPECT_THAT(rec.output, HasSubstr("pgload_"));
  EXPECT_THAT(rec.output, HasSubstr("run `pgload recover` again"));
  EXPECT_EQ(decisions_left(), 1) << "the decision must outlive an unreachable node";
  EXPECT_EQ(prepared_on(ports[0]), 0) << "the reachable worker is committed already";

  auto up = cluster().pgcluster("up");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  rec = recover();
  EXPECT_EQ(rec.exit_code, 0) << rec.output;
  EXPECT_THAT(rec.output, HasSubstr("recover: 4 prepared transactions committed, 0 rolled back"));
  expect_all_rows("rf_down", ports);
}

TEST_F(RecoverFaultTest, NodeRemovedFromTheCatalogAfterPreparing) {
  create_users("rf_removed");
  const auto ports = cluster().worker_ports();
  crash_after_decision("rf_removed");
  auto c = cluster().connect();
  const std::string port = std::to_string(ports[1]);
  c.run("CREATE TABLE rf_saved_node AS SELECT * FROM pg_dist_node WHERE nodeport = " + port);
  c.run("DELETE FROM pg_dist_node WHERE nodeport = " + port);
  auto rec = recover();
  c.run("INSERT INTO pg_dist_node SELECT * FROM rf_saved_node; DROP TABLE rf_saved_node");
  EXPECT_EQ(rec.exit_code, 0) << rec.output;
  EXPECT_THAT(rec.output, HasSubstr("recover: 8 prepared transactions committed, 0 rolled back"));
  expect_all_rows("rf_removed", ports);
}

// Decisions written before host:port was recorded are still honoured (through the node id inside each gid).
TEST_F(RecoverFaultTest, OldFormatDecisionIsStillCommitted) {
  create_users("rf_old_format");
  const auto ports = cluster().worker_ports();
  crash_after_decision("rf_old_format");
  cluster().connect().run("UPDATE pgload.commit_decisions SET gid_endpoints = NULL");
  auto rec = recover();
  EXPECT_EQ(rec.exit_code, 0) << rec.output;
  EXPECT_THAT(rec.output, HasSubstr("recover: 8 prepared transactions committed, 0 rolled back"));
  EXPECT_THAT(rec.output, Not(HasSubstr("not finished")));
  expect_all_rows("rf_old_format", ports);
}

}  // namespace
}  // namespace pgload::test
