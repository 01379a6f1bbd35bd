// A crash (PGLOAD_FAULT: the process SIGKILLs itself) at each step of an --on-conflict update of 100,000 rows over
// 50,000 existing ones, and one with --max-errors refusing rows: after `pgload recover` the table is as it was
// before the load or as the whole load leaves it, never in between, and no staging table or prepared xact is left.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <string>

#include "common/pg.h"
#include "tests/support/fault_tally.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

constexpr int kRows = 100000;

FaultTally& tally = fault_tally();
const auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new FaultTallyPrinter);

struct Inputs {
  std::string all;  // kRows users
  std::string old;  // the first half of them, each avatar_url ending in "old" (an unquoted last field)
};
const Inputs& inputs() {
  static const Inputs in = [] {
    Inputs i;
    const std::string dir = temp_dir("pgload-upsert-fault");
    i.all = dir + "/users.csv";
    i.old = dir + "/old.csv";
    auto r = run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(kRows) + " --out " + i.all);
    if (r.exit_code != 0) throw std::runtime_error("gen_users failed: " + r.output);
    r = run_command("head -n " + std::to_string(kRows / 2) + " " + sh(i.all) + " | sed 's/$/old/' > " + sh(i.old));
    if (r.exit_code != 0) throw std::runtime_error("sed failed: " + r.output);
    return i;
  }();
  return in;
}

CommandResult pgload(const std::string& args, const std::string& fault = "") {
  return run_pgload(TestCluster::shared().conninfo(), args, fault.empty() ? "" : "PGLOAD_FAULT=" + fault);
}

CommandResult recover() {
  CommandResult r;
  for (int attempt = 0; attempt < 40; ++attempt) {
    r = run_pgload(TestCluster::shared().conninfo(), "recover");
    if (r.exit_code != 0 || r.output.find(", 0 left to a running load") != std::string::npos) break;
    usleep(250 * 1000);
  }
  return r;
}

std::string digest(const std::string& table) {
  return *TestCluster::shared().connect().scalar("SELECT md5(string_agg(u::text, ';' ORDER BY user_id)) FROM " + table +
                                                 " u");
}

struct FaultPoint {
  const char* spec;
  const char* table;
  bool applied;  // from the commit decision on, the upsert must survive
};

class UpsertFaultTest : public ::testing::TestWithParam<FaultPoint> {};

TEST_P(UpsertFaultTest, TableAsItWasOrFullyApplied) {
  const FaultPoint& f = GetParam();
  PgConn c = TestCluster::shared().connect();
  const std::string done = std::string(f.table) + "_done";
  for (const std::string& t : {std::string(f.table), done}) {
    c.run("CREATE TABLE " + t + " (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    c.run("SELECT create_distributed_table('" + t + "', 'user_id', colocate_with => 'none')");
    auto pre = pgload("--url " + sh(inputs().old) + " --table " + t + " --quiet");
    ASSERT_EQ(pre.exit_code, 0) << pre.output;
  }
  // The outcome of a load that is not interrupted.
  auto full = pgload("--url " + sh(inputs().all) + " --table " + done + " --quiet --on-conflict update");
  ASSERT_EQ(full.exit_code, 0) << full.output;
  ASSERT_EQ(*c.scalar("SELECT count(*) FROM " + done + " WHERE avatar_url LIKE '%old'"), "0");
  const std::string before = digest(f.table), after = digest(done);

  auto r = pgload("--url " + sh(inputs().all) + " --table " + f.table +
                      " --quiet --batch-bytes 262144 --on-conflict update --max-errors 10",
                  f.spec);
  ++tally.injected;
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r.output;
  EXPECT_THAT(r.output, HasSubstr("pgload: fault injected at "));
  auto rec = recover();
  ASSERT_EQ(rec.exit_code, 0) << rec.output;
  const std::string now = digest(f.table);
  EXPECT_EQ(now, f.applied ? after : before);
  int64_t prepared = 0, staging = 0;
  for (int port : TestCluster::shared().worker_ports()) {
    PgConn w = TestCluster::shared().connect_node(port);
    prepared += std::stoll(*w.scalar("SELECT count(*) FROM pg_prepared_xacts"));
    staging += std::stoll(
        *w.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
                  "'pgload_staging'"));
  }
  EXPECT_EQ(prepared, 0);
  EXPECT_EQ(staging, 0);
  if (now == (f.applied ? after : before) && prepared == 0) ++tally.recovered;
}

INSTANTIATE_TEST_SUITE_P(Points, UpsertFaultTest,
                         ::testing::Values(FaultPoint{"after_batch:3", "uf_after_batch_3", false},
                                           FaultPoint{"after_batch:20", "uf_after_batch_20", false},
                                           FaultPoint{"before_prepare", "uf_before_prepare", false},
                                           FaultPoint{"after_prepare:3", "uf_after_prepare_3", false},
                                           FaultPoint{"after_decision", "uf_after_decision", true},
                                           FaultPoint{"after_commit:2", "uf_after_commit_2", true}),
                         [](const ::testing::TestParamInfo<FaultPoint>& info) {
                           return std::string(info.param.table);
                         });

}  // namespace
}  // namespace pgload::test
