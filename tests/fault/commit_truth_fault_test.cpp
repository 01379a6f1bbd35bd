// What pgload says after its commit point must be true, and the commit point must hold: a coordinator session lost
// while deleting the decision after COMMIT PREPARED is a committed load (exit 0 with a warning, not "nothing was
// loaded", which invited loading the file twice); the decision row is durable even when the role sets
// synchronous_commit off; tiny idle timeouts set on the role and database do not cut a load's sessions.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/pg.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

constexpr int kRows = 20000;

TestCluster& cluster() { return TestCluster::shared(); }

const std::string& rows_file() {
  static const std::string path = [] {
    std::string p = temp_dir("pgload-commit-truth") + "/rows.csv";
    std::ofstream out(p);
    for (int i = 1; i <= kRows; ++i) out << i << ",value " << i << "\n";
    return p;
  }();
  return path;
}

CommandResult pgload(const std::string& env, const std::string& args) {
  return run_pgload(cluster().conninfo(), args, env);
}

void create_table(const std::string& name) {
  auto c = cluster().connect();
  c.run("DROP TABLE IF EXISTS " + name);
  c.run("CREATE TABLE " + name + " (id bigint PRIMARY KEY, v text)");
  c.run("SELECT create_distributed_table('" + name + "', 'id', colocate_with => 'none', shard_count => 4)");
}

int64_t count(const std::string& sql) { return std::stoll(*cluster().connect().scalar(sql)); }

int64_t decisions_left() {
  auto c = cluster().connect();
  if (!c.scalar("SELECT to_regclass('pgload.commit_decisions')")) return 0;
  return std::stoll(*c.scalar("SELECT count(*) FROM pgload.commit_decisions"));
}

TEST(CommitTruth, CoordinatorLostAfterCommitPreparedSaysCommitted) {
  create_table("truth_lost");
  auto r = pgload("PGLOAD_FAULT=lose_coordinator_after_commit", "--url " + sh(rows_file()) + " --table truth_lost");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fault injected at lose_coordinator_after_commit"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pgload: warning: the load is committed on every worker"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the next `pgload recover` (or load) deletes it"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("nothing was loaded"), std::string::npos) << r.output;
  EXPECT_EQ(count("SELECT count(*) FROM truth_lost"), kRows);
  EXPECT_EQ(decisions_left(), 1);

  // --json carries the same warning and exit code 0.
  create_table("truth_lost_json");
  auto j = pgload("PGLOAD_FAULT=lose_coordinator_after_commit",
                  "--url " + sh(rows_file()) + " --table truth_lost_json --json");
  EXPECT_EQ(j.exit_code, 0) << j.output;
  EXPECT_NE(j.output.find("\"outcome\":\"committed\""), std::string::npos) << j.output;
  EXPECT_NE(j.output.find("\"warning\":\"the load is committed on every worker"), std::string::npos) << j.output;

  auto rec = run_pgload(cluster().conninfo(), "recover");
  EXPECT_EQ(rec.exit_code, 0) << rec.output;
  EXPECT_EQ(decisions_left(), 0);
  EXPECT_EQ(count("SELECT count(*) FROM truth_lost"), kRows);
  EXPECT_EQ(count("SELECT count(*) FROM truth_lost_json"), kRows);
}

// With --checkpoint, the step whose decision could not be deleted stays committed; the next step cannot record a
// decision on the lost session, so it rolls back and the error says which steps stay loaded; --resume then loads
// the rest, every row exactly once.
TEST(CommitTruth, CoordinatorLostAfterAStepCommitsKeepsThatStepAndResumes) {
  create_table("truth_steps");
  const std::string big = temp_dir("pgload-commit-truth-steps") + "/big.csv";
  constexpr int kBigRows = 300000;  // ~5 MB: several 1MB steps
  {
    std::ofstream out(big);
    for (int i = 1; i <= kBigRows; ++i) out << i << ",value " << i << "\n";
  }
  const std::string args = "--url " + sh(big) + " --table truth_steps --checkpoint 1MB";
  auto r = pgload("PGLOAD_FAULT=lose_coordinator_after_commit", args);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("pgload: warning: step 1: the load is committed on every worker"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("committed step(s) before line"), std::string::npos) << r.output;
  const int64_t kept = count("SELECT count(*) FROM truth_steps");
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, kBigRows);
  EXPECT_NE(r.output.find("the " + std::to_string(kept) + " rows of the 1 committed step(s)"), std::string::npos)
      << r.output;

  auto resumed = pgload("", args + " --resume");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(count("SELECT count(*) FROM truth_steps"), kBigRows);
  EXPECT_EQ(count("SELECT count(DISTINCT id) FROM truth_steps"), kBigRows);
  EXPECT_EQ(decisions_left(), 0);
}

// Every node of the cluster: the coordinator and each worker is a server of its own, with its own role settings.
std::vector<PgConn> every_node() {
  std::vector<PgConn> out;
  out.push_back(cluster().connect());
  for (int port : cluster().worker_ports()) out.push_back(cluster().connect_node(port));
  return out;
}

// Sets `setting` on the role and the database of every node; resets them all when it goes, pass or fail.
struct NodeSettings {
  explicit NodeSettings(const std::vector<std::string>& role_settings,
                        const std::vector<std::string>& database_settings) {
    for (auto& n : every_node()) {
      const std::string role = quote_ident(*n.scalar("SELECT current_user"));
      const std::string db = quote_ident(*n.scalar("SELECT current_database()"));
      for (const auto& s : role_settings) n.run("ALTER ROLE " + role + " SET " + s);
      for (const auto& s : database_settings) n.run("ALTER DATABASE " + db + " SET " + s);
    }
  }
  ~NodeSettings() {
    try {
      for (auto& n : every_node()) {
        n.run("ALTER ROLE " + quote_ident(*n.scalar("SELECT current_user")) + " RESET ALL");
        n.run("ALTER DATABASE " + quote_ident(*n.scalar("SELECT current_database()")) + " RESET ALL");
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "could not reset the role and database settings: " << e.what();
    }
  }
  NodeSettings(const NodeSettings&) = delete;
  NodeSettings& operator=(const NodeSettings&) = delete;
};

TEST(CommitTruth, DecisionIsDurableWhenTheRoleTurnsSynchronousCommitOff) {
  create_table("truth_sync");
  // A first load creates pgload's schema; a trigger then records the setting in effect inside each decision's
  // transaction.
  auto first = pgload("", "--url " + sh(rows_file()) + " --table truth_sync --quiet");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto c = cluster().connect();
  c.run("CREATE TABLE IF NOT EXISTS public.truth_seen_sync (setting text)");
  c.run("TRUNCATE public.truth_seen_sync");
  c.run(
      "CREATE OR REPLACE FUNCTION public.truth_note_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "INSERT INTO public.truth_seen_sync VALUES (current_setting('synchronous_commit')); RETURN NEW; END $$");
  c.run(
      "CREATE OR REPLACE TRIGGER truth_note_sync AFTER INSERT ON pgload.commit_decisions FOR EACH ROW "
      "EXECUTE FUNCTION public.truth_note_sync()");
  NodeSettings settings({"synchronous_commit = off"}, {});
  ASSERT_EQ(*cluster().connect().scalar("SHOW synchronous_commit"), "off");  // the role's setting applies

  c.run("TRUNCATE truth_sync");
  auto r = pgload("", "--url " + sh(rows_file()) + " --table truth_sync --quiet");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count("SELECT count(*) FROM truth_sync"), kRows);
  EXPECT_EQ(count("SELECT count(*) FROM public.truth_seen_sync"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM public.truth_seen_sync WHERE setting = 'on'"), 1);
  c.run("DROP TRIGGER truth_note_sync ON pgload.commit_decisions");
}

TEST(CommitTruth, TinyIdleTimeoutsDoNotCutALoad) {
  create_table("truth_idle");
  CommandResult r;
  {
    NodeSettings settings({"idle_in_transaction_session_timeout = '100ms'"}, {"idle_session_timeout = '100ms'"});
    // The input pauses for 1.5 s mid-way: the lock session sits idle in its transaction, the run's own coordinator
    // session and the COPY sessions idle, each far longer than the timeouts.
    const std::string half = std::to_string(kRows / 2);
    const std::string input = "{ head -n " + half + " " + sh(rows_file()) + "; sleep 1.5; tail -n +" +
                              std::to_string(kRows / 2 + 1) + " " + sh(rows_file()) + "; }";
    r = run_command(input + " | " +
                    pgload_command(cluster().conninfo(), "--url - --table truth_idle --batch-bytes 65536 --quiet"));
  }
  // Counted once the settings are gone: the count reads the shards through postgres_fdw sessions of the cluster's
  // own, which the timeouts would cut on a slow machine.
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count("SELECT count(*) FROM truth_idle"), kRows);
}

}  // namespace
}  // namespace pgload::test
