// Two non-superuser roles, each owning its distributed table, load with pgload in turn and at the same time: the
// first creates pgload's schema, the second uses it; neither sees the other's commit decisions or checkpointed
// runs; a crashed load of one is left alone by the other's load and recover, and is finished by its own role's
// recover or a superuser's. An older schema is upgraded by its owner. Local cluster (the roles are created on every
// node, as Citus propagates them); tests/integration/citus_roles_test.cpp does the same on Citus.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "common/pg.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

constexpr int kRows = 20000;

class RolesTest : public ::testing::Test {
 protected:
  static TestCluster& cluster() { return TestCluster::shared(); }
  static const std::string& users_file() {
    static const std::string path = [] { return generated_users(temp_dir("pgload-roles") + "/users.csv", kRows); }();
    return path;
  }
  void SetUp() override {
    std::vector<PgConn> nodes;
    nodes.push_back(cluster().connect());
    for (int port : cluster().worker_ports()) nodes.push_back(cluster().connect_node(port));
    for (const PgConn& n : nodes)
      n.run(
          "DO $$ BEGIN "
          "IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rl_a') THEN CREATE ROLE rl_a LOGIN; END IF; "
          "IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rl_b') THEN CREATE ROLE rl_b LOGIN; END IF; END $$");
    auto c = cluster().connect();
    c.run("GRANT CREATE ON DATABASE postgres TO rl_a, rl_b");
    // Every test starts without pgload's schema, so that a role (not the superuser) creates it.
    c.run("DROP SCHEMA IF EXISTS pgload CASCADE");
  }
  // A distributed table owned by `role`, its shards too (Citus's ALTER TABLE ... OWNER TO reaches the shards).
  static void create_table(const std::string& name, const std::string& role) {
    auto c = cluster().connect();
    c.run("DROP TABLE IF EXISTS " + name);
    c.run("CREATE TABLE " + name + " (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    c.run("SELECT create_distributed_table('" + name + "', 'user_id', shard_count => 4, colocate_with => 'none')");
    c.run("ALTER TABLE " + name + " OWNER TO " + role);
    for (int port : cluster().worker_ports())
      cluster().connect_node(port).run(
          "DO $$ DECLARE r record; BEGIN FOR r IN SELECT oid::regclass AS t FROM pg_class "
          "WHERE relname ~ '^" +
          name +
          "_[0-9]+$' AND relkind = 'r' LOOP "
          "EXECUTE format('ALTER TABLE %s OWNER TO " +
          role + "', r.t); END LOOP; END $$");
  }
  static std::string as(const std::string& role) { return cluster().conninfo() + " user=" + role; }
  static std::string pgload(const std::string& role, const std::string& args, const std::string& env = "") {
    return pgload_command(as(role), args, env);
  }
  static CommandResult load(const std::string& role, const std::string& table, const std::string& extra = "",
                            const std::string& env = "") {
    return run_command(pgload(role, "--url " + sh(users_file()) + " --table " + table + " " + extra, env));
  }
  static int64_t num(const std::string& sql, const std::string& role = "postgres") {
    return std::stoll(*PgConn::connect(as(role), "pgload-test").scalar(sql));
  }
  static int64_t prepared() {
    int64_t n = 0;
    for (int port : cluster().worker_ports())
      n += std::stoll(*cluster().connect_node(port).scalar("SELECT count(*) FROM pg_prepared_xacts"));
    return n;
  }
  static void wait_for_dead_runs() {
    auto c = cluster().connect();
    for (int i = 0; i < 400; ++i) {
      if (*c.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name IN ('pgload', 'pgload defaults')") ==
          "0")
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
};

// The reported failure: `permission denied for schema pgload` for every role but the one that ran first.
TEST_F(RolesTest, SecondRoleLoadsAfterTheFirst) {
  create_table("rl_turn_a", "rl_a");
  create_table("rl_turn_b", "rl_b");
  auto a = load("rl_a", "rl_turn_a");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(*cluster().connect().scalar("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'pgload'"),
            "rl_a");
  auto b = load("rl_b", "rl_turn_b");
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_EQ(num("SELECT count(*) FROM rl_turn_a"), kRows);
  EXPECT_EQ(num("SELECT count(*) FROM rl_turn_b"), kRows);
  EXPECT_EQ(num("SELECT count(*) FROM pgload.commit_decisions"), 0);
  EXPECT_EQ(prepared(), 0);
}

TEST_F(RolesTest, TwoRolesLoadAtTheSameTime) {
  create_table("rl_same_a", "rl_a");
  create_table("rl_same_b", "rl_b");
  const std::string dir = temp_dir("pgload-roles-same");
  auto r = run_command("(" + pgload("rl_a", "--url " + sh(users_file()) + " --table rl_same_a") + " > " + dir +
                       "/a 2>&1; echo a=$? >> " + dir + "/a) & (" +
                       pgload("rl_b", "--checkpoint 256kB --url " + sh(users_file()) + " --table rl_same_b") + " > " +
                       dir + "/b 2>&1; echo b=$? >> " + dir + "/b) & wait; cat " + dir + "/a " + dir + "/b");
  EXPECT_THAT(r.output, HasSubstr("a=0")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("b=0")) << r.output;
  EXPECT_EQ(num("SELECT count(*) FROM rl_same_a"), kRows);
  EXPECT_EQ(num("SELECT count(*) FROM rl_same_b"), kRows);
  EXPECT_EQ(num("SELECT count(*) FROM pgload.resumable_runs WHERE role = 'rl_b' AND finished_at IS NOT NULL"), 1);
}

TEST_F(RolesTest, CrashedLoadIsResolvedOnlyByItsRoleOrASuperuser) {
  create_table("rl_crash_a", "rl_a");
  create_table("rl_crash_b", "rl_b");
  // A's checkpointed load dies right after its first step's commit decision: prepared transactions on the workers,
  // a decision and a resumable run on the coordinator, all A's.
  auto crash = load("rl_a", "rl_crash_a", "--checkpoint 256kB", "PGLOAD_FAULT=after_decision");
  ASSERT_EQ(crash.exit_code, 128 + SIGKILL) << crash.output;
  wait_for_dead_runs();
  const int64_t left = prepared();
  ASSERT_GT(left, 0);
  EXPECT_EQ(num("SELECT count(*) FROM pgload.commit_decisions WHERE role = 'rl_a'"), 1);
  EXPECT_EQ(num("SELECT count(*) FROM pgload.resumable_runs WHERE role = 'rl_a'"), 1);
  // B sees none of it.
  EXPECT_EQ(num("SELECT count(*) FROM pgload.commit_decisions", "rl_b"), 0);
  EXPECT_EQ(num("SELECT count(*) FROM pgload.resumable_runs", "rl_b"), 0);
  auto status_b = run_command(pgload("rl_b", "status"));
  EXPECT_EQ(status_b.exit_code, 0) << status_b.output;
  EXPECT_THAT(status_b.output, HasSubstr("status: no unfinished checkpointed load"));
  auto status_a = run_command(pgload("rl_a", "status"));
  EXPECT_THAT(status_a.output, HasSubstr("status: 1 unfinished checkpointed load"));
  EXPECT_THAT(status_a.output, HasSubstr("rl_crash_a"));
  // B's recover and B's load leave A's prepared transactions alone, and do not fail because of them.
  auto recover_b = run_command(pgload("rl_b", "recover"));
  EXPECT_EQ(recover_b.exit_code, 0) << recover_b.output;
  EXPECT_THAT(recover_b.output, HasSubstr("recover: 0 prepared transactions committed, 0 rolled back"));
  auto load_b = load("rl_b", "rl_crash_b");
  EXPECT_EQ(load_b.exit_code, 0) << load_b.output;
  EXPECT_EQ(prepared(), left);
  EXPECT_EQ(num("SELECT count(*) FROM rl_crash_a"), 0);
  // A's own recover commits its decided step.
  auto recover_a = run_command(pgload("rl_a", "recover"));
  EXPECT_EQ(recover_a.exit_code, 0) << recover_a.output;
  EXPECT_THAT(recover_a.output, HasSubstr("recover: " + std::to_string(left) + " prepared transactions committed"));
  EXPECT_EQ(prepared(), 0);
  EXPECT_GT(num("SELECT count(*) FROM rl_crash_a"), 0);
  EXPECT_EQ(num("SELECT count(*) FROM pgload.commit_decisions"), 0);
  // A resumes its run to the end.
  auto resume = load("rl_a", "rl_crash_a", "--checkpoint 256kB --resume");
  EXPECT_EQ(resume.exit_code, 0) << resume.output;
  EXPECT_EQ(num("SELECT count(*) FROM rl_crash_a"), kRows);

  // Another crash of A, this time finished by a superuser's recover.
  create_table("rl_crash_a2", "rl_a");
  crash = load("rl_a", "rl_crash_a2", "", "PGLOAD_FAULT=after_decision");
  ASSERT_EQ(crash.exit_code, 128 + SIGKILL) << crash.output;
  wait_for_dead_runs();
  ASSERT_GT(prepared(), 0);
  auto recover_su = run_command(pgload("postgres", "recover"));
  EXPECT_EQ(recover_su.exit_code, 0) << recover_su.output;
  EXPECT_EQ(prepared(), 0);
  EXPECT_EQ(num("SELECT count(*) FROM rl_crash_a2"), kRows);
  EXPECT_EQ(num("SELECT count(*) FROM pgload.commit_decisions"), 0);
}

TEST_F(RolesTest, OlderSchemaIsUpgradedByItsOwnerOnly) {
  create_table("rl_old_a", "rl_a");
  auto c = cluster().connect();
  // The layout of earlier pgload versions, made by the superuser.
  c.run("CREATE SCHEMA pgload");
  c.run(
      "CREATE TABLE pgload.commit_decisions (run_id text PRIMARY KEY, gids text[] NOT NULL, "
      "decided_at timestamptz NOT NULL DEFAULT now())");
  c.run(
      "CREATE TABLE pgload.resumable_runs (url text NOT NULL, table_name text NOT NULL, source_etag text, "
      "source_last_modified text, source_size text, source_mtime text, byte_offset bigint NOT NULL, "
      "line bigint NOT NULL, rows_done bigint NOT NULL, rejected bigint NOT NULL, reject_file_bytes bigint NOT NULL "
      "DEFAULT 0, columns text[], step bigint NOT NULL, run_id text, started_at timestamptz NOT NULL DEFAULT now(), "
      "updated_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, PRIMARY KEY (url, table_name))");
  c.run(
      "INSERT INTO pgload.resumable_runs (url, table_name, byte_offset, line, rows_done, rejected, step) "
      "VALUES ('/old/file.csv', 'public.old', 10, 2, 1, 0, 1)");
  auto refused = load("rl_a", "rl_old_a");
  EXPECT_EQ(refused.exit_code, 3) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("must be upgraded by its owner, role postgres"));
  EXPECT_EQ(num("SELECT count(*) FROM rl_old_a"), 0);

  auto upgrade = run_command(pgload("postgres", "status"));
  EXPECT_EQ(upgrade.exit_code, 0) << upgrade.output;
  EXPECT_THAT(upgrade.output, HasSubstr("/old/file.csv -> public.old"));
  EXPECT_EQ(*c.scalar("SELECT role FROM pgload.resumable_runs"), "postgres");
  auto a = load("rl_a", "rl_old_a", "--checkpoint 1MB");
  EXPECT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(num("SELECT count(*) FROM rl_old_a"), kRows);
  EXPECT_EQ(num("SELECT count(*) FROM pgload.resumable_runs", "rl_a"), 1) << "the superuser's old row stays hidden";
}

}  // namespace
}  // namespace pgload::test
