// Real Citus (gated on PGLOAD_TEST_CITUS; CI has no Citus): a checkpointed load killed at each kind of moment and
// re-run with --resume until it finishes holds exactly the rows of a plain load, and leaves no prepared transaction
// on any node and no decision on the coordinator.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "tests/support/citus_fixture.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

constexpr int kRows = 500000;

class CitusResumeFaultTest : public CitusCoordinatorTest {
 protected:
  void create_users(const std::string& name) { create_users_table(coord_, name); }
  CommandResult pgload(const std::string& args, const std::string& fault = "") const {
    return run_pgload(conninfo_, args, fault.empty() ? "" : "PGLOAD_FAULT=" + fault);
  }
  std::string fingerprint(const std::string& table) const {
    return *coord_.scalar(
        "SELECT count(*) || ' ' || count(DISTINCT user_id) || ' ' || "
        "sum(hashtext(t::text)::numeric) FROM " +
        table + " t");
  }
  int64_t prepared_anywhere() const {
    int64_t n = 0;
    Catalog cat = Catalog::load(coord_);
    for (const Node& node : cat.nodes())
      n += std::stoll(*PgConn::connect(cat.node_conninfo(node), "pgload-test")
                           .scalar("SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'pgload%'"));
    return n;
  }
};

TEST_F(CitusResumeFaultTest, KilledAtEachKindOfMomentLoadsTheFileExactlyOnce) {
  const std::string dir = temp_dir("pgload-citus-resume");
  const std::string file = dir + "/users.csv";
  ASSERT_EQ(
      run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(kRows) + " --shuffle --out " + sh(file))
          .exit_code,
      0);
  create_users("pgload_resume_plain");
  auto plain = pgload("--url " + sh(file) + " --table pgload_resume_plain --quiet");
  ASSERT_EQ(plain.exit_code, 0) << plain.output;

  create_users("pgload_resume_killed");
  // A finished run of an earlier test run would make --resume say "nothing to resume".
  coord_.run(
      "DO $$ BEGIN IF to_regclass('pgload.resumable_runs') IS NOT NULL THEN "
      "DELETE FROM pgload.resumable_runs WHERE table_name = 'public.pgload_resume_killed'; END IF; END $$");
  const std::string args = "--url " + sh(file) + " --table pgload_resume_killed --checkpoint 4MB --quiet";
  for (const char* point :
       {"after_batch:1", "after_prepare:2", "after_decision:1", "after_step:1", "after_commit:2", "before_prepare:1"}) {
    auto r = pgload(args + " --resume", point);
    ASSERT_EQ(r.exit_code, 128 + SIGKILL) << point << " was not reached:\n" << r.output;
  }
  auto status = pgload("status");
  EXPECT_THAT(status.output, HasSubstr("public.pgload_resume_killed")) << status.output;
  CommandResult done;
  for (int run = 0; run < 6; ++run) {
    done = pgload(args + " --resume");
    if (done.exit_code == 0) break;
    EXPECT_NE(done.exit_code, 4) << done.output;
  }
  ASSERT_EQ(done.exit_code, 0) << done.output;
  EXPECT_EQ(fingerprint("pgload_resume_killed"), fingerprint("pgload_resume_plain"));
  EXPECT_EQ(misplaced_rows("pgload_resume_killed"), 0);
  EXPECT_EQ(prepared_anywhere(), 0);
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM pgload.commit_decisions"), "0");
  EXPECT_THAT(pgload("status").output, ::testing::Not(HasSubstr("public.pgload_resume_killed")));
  coord_.run("DROP TABLE pgload_resume_plain, pgload_resume_killed");  // other gated tests plan every table
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgload::test
