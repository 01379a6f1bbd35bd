// Real Citus (gated on PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER): pgmove run by a role that is not a
// superuser but owns its tables and may create schemas (a managed service's user, as on the seed's cluster). Every
// command works for it: status, plan, rebalance and move go through Citus's own citus_move_shard_placement() (the
// direct path needs a superuser), without any privilege on Citus's `citus` schema; recover finds nothing to do.
// The page (`pgmove ui`) too: its status and plan, and a rebalance started from it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "common/pg.h"
#include "tests/support/citus_move_fixture.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

using namespace pgload;
using pgload::test::run_command;
using pgload::test::sh;

namespace {

constexpr int kRows = 10000;
constexpr const char* kRole = "cmr_owner";

class CitusMoveRolesTest : public test::CitusMoveFixture {
 protected:
  void SetUp() override {
    CitusMoveFixture::SetUp();
    if (IsSkipped()) return;
    if (!coord_.scalar("SELECT 1 FROM pg_roles WHERE rolname = $1", {kRole}))
      coord_.run(std::string("CREATE ROLE ") + kRole + " LOGIN");  // Citus creates it on every worker too
    coord_.run("GRANT CREATE ON DATABASE " + *coord_.scalar("SELECT quote_ident(current_database())") + " TO " + kRole);
    // Its tables' schema is one it may create in (PostgreSQL 15's public is not, by default): Citus's move creates
    // the shard tables on the target as the owner. Citus propagates the grant to the workers.
    coord_.run(std::string("GRANT CREATE ON SCHEMA public TO ") + kRole);
    // The role must not get what a superuser has: no privilege on schema citus.
    ASSERT_EQ(*coord_.scalar("SELECT has_schema_privilege($1, 'citus', 'USAGE')::text", {kRole}), "false");
    coord_.run("DROP TABLE IF EXISTS cmr_items, cmr_users");
    env_.new_node_takes_shards(coord_, false);
    coord_.run("CREATE TABLE cmr_users (id bigint PRIMARY KEY, name text)");
    coord_.run("CREATE TABLE cmr_items (user_id bigint, item int, PRIMARY KEY (user_id, item))");
    coord_.run("SELECT create_distributed_table('cmr_users', 'id', shard_count := 6)");
    coord_.run("SELECT create_distributed_table('cmr_items', 'user_id', colocate_with := 'cmr_users')");
    coord_.run("INSERT INTO cmr_users SELECT g, 'u' || g FROM generate_series(1, " + std::to_string(kRows) + ") g");
    coord_.run("INSERT INTO cmr_items SELECT g, 1 FROM generate_series(1, " + std::to_string(kRows) + ") g");
    for (const char* t : {"cmr_users", "cmr_items"})
      coord_.run(std::string("ALTER TABLE ") + t + " OWNER TO " + kRole);  // Citus changes the shards' owner too
    env_.new_node_takes_shards(coord_, true);
  }
  // The gated tests share one cluster: the tables and the role go (the role's grants first, or DROP ROLE refuses).
  void TearDown() override {
    if (ui_pid_ > 0) (void)run_command("kill " + std::to_string(ui_pid_));
    if (!coord_) return;
    coord_.run("DROP TABLE IF EXISTS cmr_items, cmr_users");
    coord_.run("CALL citus_cleanup_orphaned_resources()");
    if (coord_.scalar("SELECT 1 FROM pg_roles WHERE rolname = $1", {kRole})) {
      coord_.run("REVOKE CREATE ON DATABASE " + *coord_.scalar("SELECT quote_ident(current_database())") + " FROM " +
                 kRole);
      coord_.run(std::string("REVOKE CREATE ON SCHEMA public FROM ") + kRole);
      coord_.run(std::string("DROP ROLE ") + kRole);
    }
  }

  // pgmove as the table owner.
  test::CommandResult owner_pgmove(const std::string& args) const {
    return pgmove(args, sh(env_.conninfo + " user=" + kRole));
  }

  // Starts `pgmove ui` as the role on a free port; true once it serves.
  bool start_ui() {
    ui_port_ = test::free_port_range(1);
    ui_log_ = test::temp_dir("pgload-cmr-ui") + "/ui.log";
    auto r = run_command(std::string(PGMOVE_BIN) + " --coordinator " + sh(env_.conninfo + " user=" + kRole) +
                         " ui --listen 127.0.0.1:" + std::to_string(ui_port_) + " --token " + kToken + " > " +
                         sh(ui_log_) + " 2>&1 & echo $!");
    ui_pid_ = std::stoi(r.output);
    for (int i = 0; i < 100; ++i) {
      if (run_command("grep -q serving " + sh(ui_log_)).exit_code == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // curl against the page: the body, then the HTTP status on the last line.
  test::CommandResult ui(const std::string& args, const std::string& path) const {
    return run_command("curl -s -w '\\n%{http_code}' " + args + " " +
                       sh("http://127.0.0.1:" + std::to_string(ui_port_) + path));
  }

  static constexpr const char* kToken = "cmr-page-token-1234";
  int ui_pid_ = 0, ui_port_ = 0;
  std::string ui_log_;
};

TEST_F(CitusMoveRolesTest, EveryCommandAsANonSuperuserTableOwner) {
  auto status = owner_pgmove("status");
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("cmr_users"), std::string::npos) << status.output;
  auto plan = owner_pgmove("plan");
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_NE(plan.output.find("cmr_users"), std::string::npos) << plan.output;

  for (const std::string mode : {"block_writes", "logical"}) {
    SCOPED_TRACE(mode);
    auto r = owner_pgmove("rebalance --mode " + mode);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("citus_move_shard_placement() (the coordinator's role is not a superuser)"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find("permission denied"), std::string::npos) << r.output;
    EXPECT_GT(on_new_node("cmr_users"), 0) << r.output;
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM get_rebalance_table_shards_plan()"), "0");
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cmr_items i JOIN cmr_users u ON u.id = i.user_id"),
              std::to_string(kRows));
    // One shard back by hand (`move`), for the next mode to have something to do.
    auto shard = *coord_.scalar(
        "SELECT shardid FROM citus_shards WHERE table_name = 'cmr_users'::regclass AND nodename = $1 "
        "AND nodeport = $2::int ORDER BY shardid LIMIT 1",
        {env_.new_host, env_.new_port});
    auto other = *coord_.scalar(
        "SELECT nodename || ':' || nodeport FROM pg_dist_node WHERE groupid <> 0 AND isactive AND NOT "
        "(nodename = $1 AND nodeport = $2::int) ORDER BY nodeport LIMIT 1",
        {env_.new_host, env_.new_port});
    const int before = on_new_node("cmr_users");
    auto m = owner_pgmove("move " + shard + " --to " + other + " --mode " + mode);
    ASSERT_EQ(m.exit_code, 0) << m.output;
    EXPECT_EQ(on_new_node("cmr_users"), before - 1) << m.output;
    coord_.run("CALL citus_cleanup_orphaned_resources()");
  }
  auto rec = owner_pgmove("recover");
  EXPECT_EQ(rec.exit_code, 0) << rec.output;
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cmr_users"), std::to_string(kRows));
}

// The page as the same role: status and plan read, and a rebalance started from it finishes through Citus's own
// move (the direct path needs a superuser), without "permission denied".
TEST_F(CitusMoveRolesTest, ThePageAsANonSuperuserTableOwner) {
  ASSERT_TRUE(start_ui()) << run_command("cat " + sh(ui_log_)).output;
  auto status = ui("", "/api/status");
  ASSERT_NE(status.output.find("\n200"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("cmr_users"), std::string::npos) << status.output;
  auto plan = ui("", "/api/plan");
  ASSERT_NE(plan.output.find("\n200"), std::string::npos) << plan.output;
  EXPECT_NE(plan.output.find("cmr_users"), std::string::npos) << plan.output;

  auto start = ui("-d " + sh(std::string("mode=block_writes&token=") + kToken), "/api/rebalance");
  ASSERT_NE(start.output.find("\n202"), std::string::npos) << start.output;
  std::string last;
  for (int i = 0; i < 1200; ++i) {  // bounded: 120 s
    last = ui("", "/api/status").output;
    if (last.find("\"state\":\"planning\"") == std::string::npos &&
        last.find("\"state\":\"running\"") == std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(last.find("\"state\":\"finished\""), std::string::npos) << last;
  EXPECT_EQ(last.find("permission denied"), std::string::npos) << last;
  EXPECT_GT(on_new_node("cmr_users"), 0) << last;
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM get_rebalance_table_shards_plan()"), "0");
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cmr_items i JOIN cmr_users u ON u.id = i.user_id"),
            std::to_string(kRows));
}

}  // namespace
