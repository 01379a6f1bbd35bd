// Real Citus (gated on PGLOAD_TEST_CITUS): two non-superuser roles, created through the coordinator (Citus
// propagates them) and each owning its distributed table, load in turn and at the same time; neither sees the
// other's bookkeeping rows; a crashed load of one is left to its own recover (or a superuser's).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "common/catalog.h"
#include "common/pg.h"
#include "tests/support/citus_fixture.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

constexpr int kRows = 50000;

class CitusRolesTest : public CitusCoordinatorTest {
 protected:
  void SetUp() override {
    CitusCoordinatorTest::SetUp();
    if (IsSkipped()) return;
    for (const std::string role : {"cr_a", "cr_b"})
      if (!coord_.scalar("SELECT 1 FROM pg_roles WHERE rolname = $1", {role}))
        coord_.run("CREATE ROLE " + role + " LOGIN");
    coord_.run("GRANT CREATE ON DATABASE " + *coord_.scalar("SELECT quote_ident(current_database())") +
               " TO cr_a, cr_b");
    coord_.run("DROP SCHEMA IF EXISTS pgload CASCADE");
    static const std::string path = [] {
      return generated_users(temp_dir("pgload-citus-roles") + "/users.csv", kRows);
    }();
    users_ = path;
  }
  // A crashed load's prepared parts hold locks on its table: finish them (as a superuser) before dropping.
  void TearDown() override {
    if (!coord_) return;
    run_pgload(conninfo_, "recover");
    CitusCoordinatorTest::TearDown();
  }
  void create_table(const std::string& name, const std::string& role) {
    coord_.run("DROP TABLE IF EXISTS " + name);
    coord_.run("CREATE TABLE " + name + " (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    coord_.run("SELECT create_distributed_table('" + name + "', 'user_id', shard_count => 4, colocate_with => 'none')");
    coord_.run("ALTER TABLE " + name + " OWNER TO " + role);  // Citus changes the shards' owner too
  }
  std::string as(const std::string& role) const { return conninfo_ + " user=" + role; }
  std::string pgload(const std::string& role, const std::string& args, const std::string& env = "") const {
    return pgload_command(as(role), args, env);
  }
  CommandResult load(const std::string& role, const std::string& table, const std::string& extra = "",
                     const std::string& env = "") const {
    return run_command(pgload(role, "--url " + sh(users_) + " --table " + table + " " + extra, env));
  }
  int64_t num(const std::string& sql, const std::string& role = "postgres") const {
    return std::stoll(*PgConn::connect(as(role), "pgload-test").scalar(sql));
  }
  // pgload's prepared transactions on every node; `like` narrows them (the load locks: 'pgload\\_%\\_lock\\_%').
  int64_t prepared(const std::string& like = "pgload%") const {
    Catalog cat = Catalog::load(coord_);
    int64_t n = 0;
    for (const Node& node : cat.nodes())
      n += std::stoll(*PgConn::connect(cat.node_conninfo(node), "pgload-test")
                           .scalar("SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE " + quote_literal(like)));
    return n;
  }
  void wait_for_dead_runs() const {
    for (int i = 0; i < 400; ++i) {
      if (*coord_.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgload%' "
                         "AND usename = 'cr_a'") == "0")
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  std::string users_;
};

TEST_F(CitusRolesTest, TwoRolesInTurnAndAtTheSameTime) {
  create_table("cr_turn_a", "cr_a");
  create_table("cr_turn_b", "cr_b");
  auto a = load("cr_a", "cr_turn_a");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  auto b = load("cr_b", "cr_turn_b");
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_EQ(num("SELECT count(*) FROM cr_turn_a"), kRows);
  EXPECT_EQ(num("SELECT count(*) FROM cr_turn_b"), kRows);
  EXPECT_EQ(misplaced_rows("cr_turn_b"), 0);

  create_table("cr_same_a", "cr_a");
  create_table("cr_same_b", "cr_b");
  const std::string dir = temp_dir("pgload-citus-roles-same");
  auto r = run_command("(" + pgload("cr_a", "--url " + sh(users_) + " --table cr_same_a") + " > " + dir +
                       "/a 2>&1; echo a=$? >> " + dir + "/a) & (" +
                       pgload("cr_b", "--checkpoint 1MB --url " + sh(users_) + " --table cr_same_b") + " > " + dir +
                       "/b 2>&1; echo b=$? >> " + dir + "/b) & wait; cat " + dir + "/a " + dir + "/b");
  EXPECT_THAT(r.output, HasSubstr("a=0")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("b=0")) << r.output;
  EXPECT_EQ(num("SELECT count(*) FROM cr_same_a"), kRows);
  EXPECT_EQ(num("SELECT count(*) FROM cr_same_b"), kRows);
  EXPECT_EQ(prepared(), 0);
}

TEST_F(CitusRolesTest, CrashedLoadIsResolvedOnlyByItsRoleOrASuperuser) {
  create_table("cr_crash_a", "cr_a");
  create_table("cr_crash_b", "cr_b");
  auto crash = load("cr_a", "cr_crash_a", "--checkpoint 1MB", "PGLOAD_FAULT=after_decision");
  ASSERT_EQ(crash.exit_code, 128 + SIGKILL) << crash.output;
  wait_for_dead_runs();
  const int64_t left = prepared();
  const int64_t locks = prepared("pgload\\_%\\_lock\\_%");
  ASSERT_GT(left, locks);
  ASSERT_EQ(locks, 1) << "the crashed load's lock outlives it (prepared on the coordinator)";
  EXPECT_EQ(num("SELECT count(*) FROM pgload.commit_decisions", "cr_b"), 0);
  EXPECT_EQ(num("SELECT count(*) FROM pgload.resumable_runs", "cr_b"), 0);
  EXPECT_EQ(num("SELECT count(*) FROM pgload.commit_decisions", "cr_a"), 1);
  auto status_b = run_command(pgload("cr_b", "status"));
  EXPECT_THAT(status_b.output, HasSubstr("status: no unfinished checkpointed load"));
  auto status_a = run_command(pgload("cr_a", "status"));
  EXPECT_THAT(status_a.output, HasSubstr("status: 1 unfinished checkpointed load"));
  auto recover_b = run_command(pgload("cr_b", "recover"));
  EXPECT_EQ(recover_b.exit_code, 0) << recover_b.output;
  auto load_b = load("cr_b", "cr_crash_b");
  EXPECT_EQ(load_b.exit_code, 0) << load_b.output;
  EXPECT_EQ(prepared(), left) << "role B must not touch role A's prepared transactions";
  auto recover_a = run_command(pgload("cr_a", "recover"));
  EXPECT_EQ(recover_a.exit_code, 0) << recover_a.output;
  EXPECT_THAT(recover_a.output,
              HasSubstr("recover: " + std::to_string(left - locks) + " prepared transactions committed"));
  EXPECT_THAT(recover_a.output, HasSubstr(", 1 load lock released")) << recover_a.output;
  EXPECT_EQ(prepared(), 0);
  auto resume = load("cr_a", "cr_crash_a", "--checkpoint 1MB --resume");
  EXPECT_EQ(resume.exit_code, 0) << resume.output;
  EXPECT_EQ(num("SELECT count(*) FROM cr_crash_a"), kRows);

  create_table("cr_crash_a2", "cr_a");
  crash = load("cr_a", "cr_crash_a2", "", "PGLOAD_FAULT=after_decision");
  ASSERT_EQ(crash.exit_code, 128 + SIGKILL) << crash.output;
  wait_for_dead_runs();
  ASSERT_GT(prepared(), 0);
  auto recover_su = run_command(pgload("postgres", "recover"));
  EXPECT_EQ(recover_su.exit_code, 0) << recover_su.output;
  EXPECT_EQ(prepared(), 0);
  EXPECT_EQ(num("SELECT count(*) FROM cr_crash_a2"), kRows);
}

}  // namespace
}  // namespace pgload::test
