// Checkpointed loads killed at every kind of moment (during a step's COPY, between PREPARE and the decision, after
// the decision, between steps) and re-run with --resume until they finish: the table then equals a plain load of the
// file exactly once, and no prepared transaction or decision is left. A changed source is refused on resume.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <csignal>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <thread>

#include "common/pg.h"
#include "tests/support/fault_tally.h"
#include "tests/support/files.h"
#include "tests/support/serve_file.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

constexpr int kRows = 2000000;
constexpr int kMaxRuns = 8;  // a load killed once needs one or two more runs (a dead run's lock may linger)

FaultTally& tally = fault_tally();
const auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new FaultTallyPrinter);

const std::string& work_dir() {
  static const std::string dir = temp_dir("pgload-resume");
  return dir;
}

// The 2,000,000-row file is ~200 MB: remove the work directory when the binary is done.
class RemoveWorkDir : public ::testing::Environment {
 public:
  void TearDown() override { std::filesystem::remove_all(work_dir()); }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new RemoveWorkDir);

std::string users_file() { return generated_users(work_dir() + "/users" + std::to_string(kRows) + ".csv", kRows); }

class ResumeFaultTest : public ::testing::Test {
 protected:
  static TestCluster& cluster() { return TestCluster::shared(); }

  static void create_users(const std::string& name) { create_users_table(cluster().connect(), name); }
  static CommandResult pgload(const std::string& args, const std::string& fault = "") {
    return run_pgload(cluster().conninfo(), args, fault.empty() ? "" : "PGLOAD_FAULT=" + fault);
  }
  // count, distinct keys and a checksum over every row: equal fingerprints mean the same rows, each once.
  static std::string fingerprint(const std::string& table) {
    return *cluster().connect().scalar(
        "SELECT count(*) || ' ' || count(DISTINCT user_id) || ' ' || "
        "sum(hashtext(t::text)::numeric) FROM " +
        table + " t");
  }
  static const std::string& plain_fingerprint() {
    static const std::string fp = [] {
      create_users("r_plain");
      auto r = pgload("--url " + sh(users_file()) + " --table r_plain --quiet");
      if (r.exit_code != 0) throw std::runtime_error("plain load failed: " + r.output);
      return fingerprint("r_plain");
    }();
    return fp;
  }
  static int64_t prepared_on_workers() {
    int64_t n = 0;
    for (int port : cluster().worker_ports())
      n += std::stoll(*cluster().connect_node(port).scalar("SELECT count(*) FROM pg_prepared_xacts"));
    return n;
  }
  static int64_t decisions_left() {
    auto c = cluster().connect();
    if (!c.scalar("SELECT to_regclass('pgload.commit_decisions')")) return 0;
    return std::stoll(*c.scalar("SELECT count(*) FROM pgload.commit_decisions"));
  }
  // Re-runs `args --resume` until it exits 0; returns the runs' output.
  static std::string resume_until_done(const std::string& args) {
    std::string all;
    for (int run = 0; run < kMaxRuns; ++run) {
      auto r = pgload(args + " --resume");
      all += r.output;
      if (r.exit_code == 0) return all;
      EXPECT_NE(r.exit_code, 4) << r.output;  // a source error never heals
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ADD_FAILURE() << "--resume did not finish in " << kMaxRuns << " runs:\n" << all;
    return all;
  }
  // `kills`: the faults injected into this load, all of them recovered when the table is right.
  static void expect_loaded_once(const std::string& table, int kills = 1) {
    const std::string fp = fingerprint(table);
    const int64_t rows = std::stoll(fp.substr(0, fp.find(' ')));
    if (rows < kRows) tally.lost += kRows - rows;
    if (rows > kRows) tally.duplicated += rows - kRows;
    const int64_t prepared = prepared_on_workers();
    if (fp == plain_fingerprint() && prepared == 0 && decisions_left() == 0) tally.recovered += kills;
    EXPECT_EQ(fp, plain_fingerprint()) << table;
    EXPECT_EQ(prepared, 0) << "pg_prepared_xacts left on the workers";
    EXPECT_EQ(decisions_left(), 0) << "pgload.commit_decisions left on the coordinator";
    auto status = pgload("status");
    EXPECT_EQ(status.output.find(table), std::string::npos) << "finished run still listed:\n" << status.output;
  }
};

// One 2,000,000-row load (~10 steps of 16 MB, 8 COPY connections per step: 2 workers x 4) killed ten times, each
// --resume run at the next point (a point's count starts again in every process), then resumed to the end.
TEST_F(ResumeFaultTest, KilledTenTimesLoadsTheFileExactlyOnce) {
  (void)plain_fingerprint();
  create_users("r_killed");
  const std::string args = "--url " + sh(users_file()) + " --table r_killed --checkpoint 16MB --quiet";
  const char* const points[] = {
      "after_batch:1",     // step 1 COPYing: no step committed, the next run starts from byte 0
      "after_prepare:3",   // step 1 partly prepared: rolled back
      "after_decision:1",  // step 1 decided, not yet committed: recover commits it, the next run starts at step 2
      "after_step:1",      // between steps 2 and 3
      "after_batch:40",    // a later step mid-COPY
      "before_prepare:1",  // all of a step sent, nothing prepared
      "after_prepare:8",   // every connection of a step prepared, no decision
      "after_commit:3",    // a step decided and partly committed
      "after_decision:2",  // the second step of this run decided
      "after_step:2",      // between two steps
  };
  for (const char* point : points) {
    auto r = pgload(args + " --resume", point);
    ++tally.injected;
    ASSERT_EQ(r.exit_code, 128 + SIGKILL) << point << " was not reached:\n" << r.output;
    ASSERT_THAT(r.output, HasSubstr("fault injected at")) << r.output;
  }
  resume_until_done(args);
  expect_loaded_once("r_killed", static_cast<int>(std::size(points)));
}

TEST_F(ResumeFaultTest, KilledAfterTheLastDecisionIsNotLoadedTwice) {
  create_users("r_last_decision");
  // One step holds the whole file: its decision is the last one, and marks the run finished.
  const std::string args = "--url " + sh(users_file()) + " --table r_last_decision --checkpoint 1GB --quiet";
  auto r = pgload(args, "after_decision:1");
  ++tally.injected;
  ASSERT_EQ(r.exit_code, 128 + SIGKILL) << r.output;
  auto again = pgload("--url " + sh(users_file()) + " --table r_last_decision --checkpoint 1GB --resume");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("pgload: nothing to resume: "));
  EXPECT_THAT(again.output, HasSubstr(" was loaded completely into public.r_last_decision at "));
  expect_loaded_once("r_last_decision");
}

TEST_F(ResumeFaultTest, OverHttpResumesWithRange) {
  create_users("r_http");
  ServeFile server("--file " + sh(users_file()), work_dir());
  const std::string args = "--url " + server.url() + " --table r_http --checkpoint 16MB";
  auto r = pgload(args + " --quiet", "after_step:3");
  ++tally.injected;
  ASSERT_EQ(r.exit_code, 128 + SIGKILL) << r.output;
  auto status = pgload("status --json");
  EXPECT_THAT(status.output, HasSubstr("\"table\":\"public.r_http\"")) << status.output;
  EXPECT_THAT(status.output, HasSubstr("\"steps\":3")) << status.output;
  const std::string out = resume_until_done(args);
  EXPECT_THAT(out, HasSubstr("pgload: resuming at byte "));
  expect_loaded_once("r_http");
}

TEST_F(ResumeFaultTest, ChangedSourceIsRefused) {
  create_users("r_changed");
  const std::string file = work_dir() + "/changed.csv";
  ASSERT_EQ(run_command("cp " + sh(users_file()) + " " + sh(file)).exit_code, 0);
  const std::string args = "--url " + sh(file) + " --table r_changed --checkpoint 16MB";
  auto r = pgload(args + " --quiet", "after_step:1");  // not in the tally: this run is refused, not recovered
  ASSERT_EQ(r.exit_code, 128 + SIGKILL) << r.output;

  // Appending changes size and mtime; touching only the mtime.
  ASSERT_EQ(run_command("echo '99999999,u,l,a' >> " + sh(file)).exit_code, 0);
  auto appended = pgload(args + " --resume");
  EXPECT_EQ(appended.exit_code, 4) << appended.output;
  EXPECT_THAT(appended.output, HasSubstr("source changed since the checkpointed run: size was "));
  EXPECT_THAT(appended.output, HasSubstr(", mtime was "));

  ASSERT_EQ(run_command("cp " + sh(users_file()) + " " + sh(file) + " && touch -d '2001-01-01' " + sh(file)).exit_code,
            0);
  auto touched = pgload(args + " --resume");
  EXPECT_EQ(touched.exit_code, 4) << touched.output;
  EXPECT_THAT(touched.output, HasSubstr("source changed since the checkpointed run: mtime was "));
  EXPECT_THAT(touched.output, ::testing::Not(HasSubstr("size was")));

  // Without --resume the interrupted run is not silently loaded again from byte 0.
  auto fresh = pgload(args);
  EXPECT_EQ(fresh.exit_code, 2) << fresh.output;
  EXPECT_THAT(fresh.output, HasSubstr("run the same command with --resume to continue it"));
  EXPECT_EQ(prepared_on_workers(), 0);
}

// A step whose COPY fails (a duplicate key inside it) while the step before it may still be committing on its own
// thread: that step and everything after it are rolled back, every earlier step stays, and the error says so.
TEST_F(ResumeFaultTest, AFailedStepRollsBackOnlyItself) {
  create_users("r_dup");
  const std::string small = work_dir() + "/dup_src.csv";
  const std::string file = work_dir() + "/dup.csv";
  ASSERT_EQ(run_command(std::string(GEN_USERS_BIN) + " --rows 60000 --out " + sh(small)).exit_code, 0);
  // Line 30001 repeats line 30000 (a whole record there): both lie in a step after the first.
  ASSERT_EQ(run_command("awk '{ print } NR == 30000 { print }' " + sh(small) + " > " + sh(file)).exit_code, 0);
  auto r = pgload("--url " + sh(file) + " --table r_dup --checkpoint 1MB");
  EXPECT_EQ(r.exit_code, 3) << r.output;  // the server's refusal, as for any load
  EXPECT_THAT(r.output, HasSubstr("input line 30001"));
  EXPECT_THAT(r.output, HasSubstr("duplicate key value violates unique constraint"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m,
                                std::regex(R"(the (\d+) rows of the (\d+) committed step\(s\) before line (\d+))")))
      << r.output;
  const long long committed = std::stoll(m[1]);
  EXPECT_GE(std::stoi(m[2]), 1) << r.output;
  EXPECT_LT(std::stoll(m[3]), 30001) << r.output;
  auto c = cluster().connect();
  EXPECT_EQ(std::stoll(*c.scalar("SELECT count(*) FROM r_dup")), committed);
  // Ids ascend in the file and the step ended where a record begins: the committed rows are the file's first ones
  // exactly when all of them lie below that record's id.
  auto next = run_command("sed -n " + std::string(m[3]) + "p " + sh(file) + " | cut -d, -f1");
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM r_dup WHERE user_id >= " + next.output), "0");
  EXPECT_EQ(prepared_on_workers(), 0);
  EXPECT_EQ(decisions_left(), 0);
}

// Bad rows spread over the steps of a --header load killed after a step sent its rows (and wrote its rejects) but
// before it prepared: --max-errors counts across steps and runs, each bad row is in the reject file once, with its
// line number in the whole file, and the header is read only at offset 0.
TEST_F(ResumeFaultTest, RejectsCountAcrossStepsAndAreWrittenOnce) {
  create_users("r_rejects");
  const std::string small = work_dir() + "/small.csv";
  const std::string file = work_dir() + "/rejects.csv";
  ASSERT_EQ(run_command(std::string(GEN_USERS_BIN) + " --rows 60000 --out " + sh(small)).exit_code, 0);
  // Header on line 1; after every 4999th generated row comes one whose key is not a bigint: lines 5001, 10002, ...
  ASSERT_EQ(run_command("awk 'BEGIN { print \"user_id,url,login,avatar_url\" } { print } NR % 5000 == 4999 { "
                        "print \"bad\" NR \",u,l,a\" }' " +
                        sh(small) + " > " + sh(file))
                .exit_code,
            0);
  const std::string rejects = work_dir() + "/rejects.txt";
  const std::string args =
      "--url " + sh(file) + " --table r_rejects --header --checkpoint 1MB --reject-file " + sh(rejects) + " --quiet";
  auto r = pgload(args + " --max-errors 12", "before_prepare:3");
  ++tally.injected;
  ASSERT_EQ(r.exit_code, 128 + SIGKILL) << r.output;
  // 12 bad rows in all: a limit of 11 is passed by the resumed run, counting the earlier steps' rejects too.
  auto over = pgload(args + " --max-errors 11 --resume");
  EXPECT_EQ(over.exit_code, 1) << over.output;
  EXPECT_THAT(over.output, HasSubstr("(12 rows rejected so far; --max-errors is 11)"));
  EXPECT_THAT(over.output, HasSubstr("committed step(s) before line"));
  auto ok = pgload(args + " --max-errors 12 --resume");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(std::stoll(*cluster().connect().scalar("SELECT count(*) FROM r_rejects")), 60000);
  const std::string text = read_file(rejects);
  std::string expected;
  for (int line = 5001; line <= 12 * 5001; line += 5001)
    expected += "# line " + std::to_string(line) + ", column user_id";
  std::string got;
  for (size_t at = text.find("# line "); at != std::string::npos; at = text.find("# line ", at + 1))
    got += text.substr(at, text.find(',', text.find(',', at) + 1) - at);
  EXPECT_EQ(got, expected) << text;
  if (got == expected && prepared_on_workers() == 0) ++tally.recovered;
}

}  // namespace
}  // namespace pgload::test
