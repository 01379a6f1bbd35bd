// pgload holds what Citus's COPY holds, for as long, on the local cluster: a crash in doubt leaves its locks PREPAREd
// on the coordinator so a pgmove move waits (and says why) until `pgload recover`; a rewrite of the table and a
// non-commutative write wait for a running load; two loads whose keys meet end with one committed and the other
// failed cleanly (wait-die), never hanging; disjoint loads into one table all commit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <csignal>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "common/pg.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr int kRows = 100000;

const std::string& work_dir() {
  static const std::string dir = temp_dir("pgload-loadlock");
  return dir;
}

const std::string& users_file() {
  static const std::string path = [] { return generated_users(work_dir() + "/users.csv", kRows); }();
  return path;
}

class LoadLockTest : public ::testing::Test {
 protected:
  static TestCluster& cluster() { return TestCluster::shared(); }
  static PgConn coord() { return cluster().connect(); }
  static void create_users(const std::string& name, int shards = 8) {
    auto c = coord();
    c.run("SET client_min_messages = warning");
    c.run("DROP TABLE IF EXISTS " + name);
    c.run("CREATE TABLE " + name + " (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    c.exec("SELECT create_distributed_table($1, 'user_id', colocate_with => 'none', shard_count => $2::int)",
           {name, std::to_string(shards)});
  }
  static std::string pgload_cmd(const std::string& args) { return pgload_command(cluster().conninfo(), args); }
  static std::future<CommandResult> start(const std::string& command) {
    return std::async(std::launch::async, [command] { return run_command(command); });
  }
  static int64_t scalar_int(const PgConn& c, const std::string& sql, const Params& params = {}) {
    return std::stoll(c.scalar(sql, params).value_or("-1"));
  }
  // Prepared transactions of pgload on the coordinator (its lock transactions) and on the workers.
  static int64_t prepared_locks() {
    return scalar_int(coord(), "SELECT count(*) FROM pg_prepared_xacts WHERE gid ~ '^pgload_[0-9a-f]{16}_lock_'");
  }
  static int64_t prepared_on_workers() {
    int64_t n = 0;
    for (int port : cluster().worker_ports())
      n += scalar_int(cluster().connect_node(port), "SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'pgload%'");
    return n;
  }
  static void wait_for_dead_run() {
    auto c = coord();
    for (int i = 0; i < 400; ++i) {
      if (scalar_int(c, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgload'") == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  // Until a session whose application_name matches `like` waits for a lock on the coordinator (or 20 s).
  static bool waits_for_lock(const std::string& like) {
    auto c = coord();
    for (int i = 0; i < 200; ++i) {
      if (scalar_int(c,
                     "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1 AND wait_event_type = "
                     "'Lock'",
                     {like}) > 0)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  static void expect_all_rows_once(const std::string& table) {
    auto c = coord();
    EXPECT_EQ(scalar_int(c, "SELECT count(*) FROM " + table), kRows);
    EXPECT_EQ(scalar_int(c, "SELECT count(DISTINCT user_id) FROM " + table), kRows);
    EXPECT_EQ(prepared_locks(), 0);
    EXPECT_EQ(prepared_on_workers(), 0);
  }
};

// The scenario on the local cluster: killed after its commit decision with worker parts still prepared, then
// a move of a shard of the table before anyone ran `pgload recover`. The move waits for the prepared lock, says for
// whom, and completes once recover has committed every part; every decided row is there once.
TEST_F(LoadLockTest, CrashInDoubtKeepsAMoveWaitingUntilRecover) {
  create_users("ll_crash", 4);
  auto r = run_command("PGLOAD_FAULT=after_commit:1 " +
                       pgload_cmd("--url " + sh(users_file()) + " --table ll_crash --quiet"));
  ASSERT_EQ(r.exit_code, 128 + SIGKILL) << r.output;
  wait_for_dead_run();
  ASSERT_EQ(prepared_locks(), 1) << "the lock transaction was not left prepared";
  ASSERT_GT(prepared_on_workers(), 0) << "after_commit:1 left no worker part prepared";

  auto c = coord();
  auto shard = c.exec(
      "SELECT s.shardid, n.nodename || ':' || n.nodeport FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) "
      "JOIN pg_dist_node n USING (groupid) WHERE s.logicalrelid = 'll_crash'::regclass ORDER BY s.shardid LIMIT 1");
  const std::string shard_id = shard.str(0, 0), source = shard.str(0, 1);
  const std::string target = *c.scalar(
      "SELECT nodename || ':' || nodeport FROM pg_dist_node WHERE groupid <> 0 AND nodename || ':' || "
      "nodeport <> $1 ORDER BY nodeid LIMIT 1",
      {source});
  auto move = start("timeout 300 " + std::string(PGMOVE_BIN) + " --coordinator " + sh(cluster().conninfo()) + " move " +
                    shard_id + " --to " + target + " --mode block_writes 2>&1");
  ASSERT_TRUE(waits_for_lock("pgmove%")) << "the move never waited for the crashed load's lock";
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(move.wait_for(std::chrono::seconds(0)), std::future_status::timeout) << "the move did not wait";
  EXPECT_EQ(prepared_locks(), 1);

  auto rec = run_command(pgload_cmd("recover"));
  EXPECT_EQ(rec.exit_code, 0) << rec.output;
  auto moved = move.get();
  EXPECT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_THAT(moved.output, HasSubstr("a crashed load in doubt (run "));
  EXPECT_THAT(moved.output, HasSubstr("run `pgload recover`"));
  expect_all_rows_once("ll_crash");
  EXPECT_EQ(*c.scalar("SELECT n.nodename || ':' || n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING "
                      "(groupid) WHERE p.shardid = $1::bigint",
                      {shard_id}),
            target);
}

// Killed before the decision: the lock was never prepared (it ended with the session), and recover rolls the worker
// parts back; nothing is left to wait for.
TEST_F(LoadLockTest, CrashBeforeTheDecisionLeavesNoLock) {
  create_users("ll_undecided", 4);
  auto r = run_command("PGLOAD_FAULT=after_prepare:2 " +
                       pgload_cmd("--url " + sh(users_file()) + " --table ll_undecided --quiet"));
  ASSERT_EQ(r.exit_code, 128 + SIGKILL) << r.output;
  wait_for_dead_run();
  EXPECT_EQ(prepared_locks(), 0);
  auto rec = run_command(pgload_cmd("recover"));
  EXPECT_EQ(rec.exit_code, 0) << rec.output;
  EXPECT_EQ(scalar_int(coord(), "SELECT count(*) FROM ll_undecided"), 0);
  EXPECT_EQ(prepared_on_workers(), 0);
}

// While a load runs it holds the table in RowExclusiveLock and every shard's resource lock in RowExclusive mode, as a
// Citus COPY does: a table rewrite or lock and a non-commutative write (ExclusiveLock on the shard resource) wait;
// a plain INSERT does not.
TEST_F(LoadLockTest, ALoadHoldsWhatCitusCopyHolds) {
  create_users("ll_holds", 4);
  const std::string csv = sh(users_file());
  auto load =
      start("{ head -n " + std::to_string(kRows / 2) + " " + csv + "; sleep 4; tail -n +" +
            std::to_string(kRows / 2 + 1) + " " + csv + "; } | " + pgload_cmd("--quiet --url - --table ll_holds"));
  auto c = coord();
  bool locked = false;
  for (int i = 0; i < 200 && !locked; ++i) {
    locked = scalar_int(c,
                        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.relation = "
                        "'ll_holds'::regclass AND l.mode = 'RowExclusiveLock' AND a.application_name = 'pgload'") > 0;
    if (!locked) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(locked) << "the load never took RowExclusiveLock on the table";
  const std::string shard =
      *c.scalar("SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = 'll_holds'::regclass");
  c.run("BEGIN; SET LOCAL lock_timeout = '300ms'");
  try {
    c.run("LOCK TABLE ll_holds IN EXCLUSIVE MODE");
    ADD_FAILURE() << "a table lock that excludes writers was granted during a load";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "55P03") << e.what();
  }
  c.run("ROLLBACK");
  c.run("BEGIN; SET LOCAL lock_timeout = '300ms'");
  try {
    c.run("SELECT lock_shard_resources(7, ARRAY[" + shard + "]::bigint[])");
    ADD_FAILURE() << "an exclusive shard resource lock was granted during a load";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "55P03") << e.what();
  }
  c.run("ROLLBACK");
  c.run("BEGIN; SET LOCAL lock_timeout = '300ms'");
  EXPECT_NO_THROW(c.run("SELECT lock_shard_resources(3, ARRAY[" + shard + "]::bigint[])")) << "writers share it";
  c.run("ROLLBACK");
  auto r = load.get();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_all_rows_once("ll_holds");
}

// An ETL job retried while its first run still loads: two loads of one file, keys meeting on every worker. Both end
// (no distributed deadlock), exactly one commits, the other fails cleanly (it gave way, or met the committed keys).
TEST_F(LoadLockTest, TwoLoadsOfOneFileEndWithOneCommitted) {
  create_users("ll_twice", 8);
  const std::string cmd = pgload_cmd("--url " + sh(users_file()) + " --table ll_twice --quiet");
  auto a = start(cmd + " 2>&1");
  auto b = start(cmd + " 2>&1");
  auto ra = a.get(), rb = b.get();
  ASSERT_NE(ra.exit_code, 124) << "still running after 300 s:\n" << ra.output;
  ASSERT_NE(rb.exit_code, 124) << "still running after 300 s:\n" << rb.output;
  EXPECT_EQ((ra.exit_code == 0) + (rb.exit_code == 0), 1) << ra.output << "\n---\n" << rb.output;
  const CommandResult& lost = ra.exit_code == 0 ? rb : ra;
  EXPECT_EQ(lost.exit_code, 3) << lost.output;
  EXPECT_THAT(lost.output, AnyOf(HasSubstr("gave way to the earlier load"), HasSubstr("duplicate key value")));
  EXPECT_THAT(lost.output, HasSubstr("nothing was loaded"));
  expect_all_rows_once("ll_twice");
}

// Wait-die, made certain: a session named as an older load holds an uncommitted key of the input on a worker. The
// load waits for it, sees an older load, and gives way naming it; a session named as a younger load is waited for.
TEST_F(LoadLockTest, ALoadGivesWayToAnOlderLoadAndWaitsForAYoungerOne) {
  create_users("ll_waitdie", 4);
  auto c = coord();
  const std::string csv = read_file(users_file());
  const std::string key = csv.substr(0, csv.find(','));  // the input's first user_id
  auto placement = c.exec(
      "SELECT s.shardid, n.nodeport FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n "
      "USING (groupid) WHERE s.shardid = get_shard_id_for_distribution_column('ll_waitdie', $1::text)",
      {key});
  const std::string shard_table = "ll_waitdie_" + placement.str(0, 0);
  const int port = std::stoi(placement.str(0, 1));

  // Older: started at the epoch's first microsecond.
  {
    auto older = PgConn::connect(cluster().node_conninfo(port), "pgload 0000000000000001 1");
    older.run("BEGIN");
    older.run("INSERT INTO " + shard_table + " (user_id) VALUES (" + key + ")");
    auto r = run_command(pgload_cmd("--url " + sh(users_file()) + " --table ll_waitdie --quiet"));
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_THAT(r.output, HasSubstr("gave way to the earlier load (run 0000000000000001)"));
    EXPECT_THAT(r.output, HasSubstr("on worker 127.0.0.1:" + std::to_string(port) + " (shard " + placement.str(0, 0)));
    EXPECT_THAT(r.output, HasSubstr("nothing was loaded; rerun when it has finished"));
    older.run("ROLLBACK");
  }
  EXPECT_EQ(scalar_int(c, "SELECT count(*) FROM ll_waitdie"), 0);
  EXPECT_EQ(prepared_on_workers(), 0);

  // Younger: started far in the future. The load waits for it; once it rolls back, the load commits everything.
  auto younger = PgConn::connect(cluster().node_conninfo(port), "pgload ffffffffffffffff 9999999999999999");
  younger.run("BEGIN");
  younger.run("INSERT INTO " + shard_table + " (user_id) VALUES (" + key + ")");
  auto load = start(pgload_cmd("--url " + sh(users_file()) + " --table ll_waitdie --quiet") + " 2>&1");
  auto w = cluster().connect_node(port);
  bool waiting = false;
  for (int i = 0; i < 200 && !waiting; ++i) {
    waiting =
        scalar_int(w,
                   "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgload %' AND "
                   "application_name <> 'pgload ffffffffffffffff 9999999999999999' AND wait_event_type = 'Lock'") > 0;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(waiting) << "the load never met the younger session's key";
  std::this_thread::sleep_for(std::chrono::seconds(3));  // six watcher rounds
  EXPECT_EQ(load.wait_for(std::chrono::seconds(0)), std::future_status::timeout) << "the older load did not wait";
  younger.run("ROLLBACK");
  auto r = load.get();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  expect_all_rows_once("ll_waitdie");
}

// Disjoint loads into one table at the same time: three at once, every row once.
TEST_F(LoadLockTest, ThreeDisjointLoadsAllCommit) {
  create_users("ll_disjoint", 8);
  const std::string csv = sh(users_file());
  const int third = kRows / 3;
  std::vector<std::string> parts = {
      "head -n " + std::to_string(third) + " " + csv,
      "sed -n '" + std::to_string(third + 1) + "," + std::to_string(2 * third) + "p' " + csv,
      "tail -n +" + std::to_string(2 * third + 1) + " " + csv};
  std::vector<std::future<CommandResult>> loads;
  for (const auto& part : parts)
    loads.push_back(start(part + " | " + pgload_cmd("--quiet --url - --table ll_disjoint") + " 2>&1"));
  for (auto& l : loads) {
    auto r = l.get();
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  expect_all_rows_once("ll_disjoint");
}

}  // namespace
}  // namespace pgload::test
