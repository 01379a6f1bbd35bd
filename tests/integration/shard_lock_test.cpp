// The shard metadata lock on a real local cluster: lock_shard_metadata conflicts as Citus's does, a load waits for
// a session (or a move) holding it exclusively and then loads everything, and a lock timeout fails cleanly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "common/catalog.h"
#include "common/pg.h"
#include "common/shard_lock.h"
#include "loader/load_error.h"
#include "loader/load_lock.h"
#include "mover/move/move_journal.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

constexpr int kRows = 20000;

const std::string& work_dir() {
  static const std::string dir = temp_dir("pgload-shardlock");
  return dir;
}

const std::string& users_file() {
  static const std::string path = [] { return generated_users(work_dir() + "/users.csv", kRows); }();
  return path;
}

// A background pgload whose output goes to a file, so a test can watch it while it waits.
class BackgroundLoad {
 public:
  explicit BackgroundLoad(const std::string& command) : out_(work_dir() + "/bg" + std::to_string(++n_) + ".out") {
    pid_ = fork();
    if (pid_ == 0) {
      std::string cmd = "exec timeout 120 " + command + " >" + out_ + " 2>&1";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~BackgroundLoad() {
    if (pid_ > 0) wait();
  }
  // Waits up to `timeout_ms` for `text` in the output.
  bool wait_for_output(const std::string& text, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 50) {
      if (output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  std::string output() const {
    try {
      return read_file(out_);
    } catch (...) {
      return "";
    }
  }
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  static inline int n_ = 0;
  std::string out_;
  pid_t pid_ = -1;
};

class ShardLockTest : public ::testing::Test {
 protected:
  static TestCluster& cluster() { return TestCluster::shared(); }
  static PgConn coord(const std::string& app = "pgload-test") { return PgConn::connect(cluster().conninfo(), app); }
  static void create_users(const std::string& name) { create_users_table(coord(), name); }
  static int64_t first_shard(const std::string& table) {
    return std::stoll(
        *coord().scalar("SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = $1::regclass", {table}));
  }
  static int64_t count(const std::string& table) {
    return std::stoll(*coord().scalar("SELECT count(*) FROM " + table));
  }
  static int64_t prepared_on_workers() {
    int64_t n = 0;
    for (int port : cluster().worker_ports())
      n += std::stoll(*cluster().connect_node(port).scalar("SELECT count(*) FROM pg_prepared_xacts"));
    return n;
  }
  static std::string pgload_cmd(const std::string& args) { return pgload_command(cluster().conninfo(), args); }
  // The SQLSTATE a statement fails with, or "" when it succeeds.
  static std::string sqlstate_of(const PgConn& c, const std::string& sql) {
    try {
      c.run(sql);
      return "";
    } catch (const PgError& e) {
      return e.sqlstate();
    }
  }
  static std::string lock_sql(int mode, int64_t shard) {
    return "SELECT lock_shard_metadata(" + std::to_string(mode) + ", ARRAY[" + std::to_string(shard) + "]::bigint[])";
  }
};

TEST_F(ShardLockTest, LocalLockShardMetadataConflictsLikeCitus) {
  create_users("sl_matrix");
  const int64_t shard = first_shard("sl_matrix");
  auto a = coord(), b = coord(), x = coord();
  for (const PgConn* c : {&a, &b, &x}) c->run("BEGIN; SET LOCAL lock_timeout = '300ms'");
  // Share vs share: both granted at once.
  EXPECT_EQ(sqlstate_of(a, lock_sql(5, shard)), "");
  EXPECT_EQ(sqlstate_of(b, lock_sql(5, shard)), "");
  // Share vs exclusive: the exclusive side waits (here: until its lock_timeout).
  EXPECT_EQ(sqlstate_of(x, lock_sql(7, shard)), "55P03");
  x.run("ROLLBACK");
  a.run("COMMIT");
  b.run("COMMIT");
  // Transaction-scoped: committed sessions hold nothing, so the exclusive lock is free now.
  x.run("BEGIN; SET LOCAL lock_timeout = '300ms'");
  EXPECT_EQ(sqlstate_of(x, lock_sql(7, shard)), "");
  a.run("BEGIN; SET LOCAL lock_timeout = '300ms'");
  EXPECT_EQ(sqlstate_of(a, lock_sql(5, shard)), "55P03") << "share waits for exclusive";
  a.run("ROLLBACK");
  a.run("BEGIN; SET LOCAL lock_timeout = '300ms'");
  EXPECT_EQ(sqlstate_of(a, lock_sql(7, shard)), "55P03") << "exclusive waits for exclusive";
  a.run("ROLLBACK");
  // Another shard is another lock.
  a.run("BEGIN; SET LOCAL lock_timeout = '300ms'");
  EXPECT_EQ(sqlstate_of(a, lock_sql(7, shard + 1)), "");
  a.run("ROLLBACK");
  x.run("COMMIT");
  EXPECT_EQ(*coord().scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::bigint::oid",
                            {std::to_string(shard)}),
            "0");
}

TEST_F(ShardLockTest, LocalLockShardMetadataRejectsWhatCitusRejects) {
  create_users("sl_errors");
  const int64_t shard = first_shard("sl_errors");
  auto c = coord();
  try {
    c.run(lock_sql(0, shard));
    ADD_FAILURE() << "mode 0 accepted";
  } catch (const PgError& e) {
    EXPECT_THAT(e.server_message(), HasSubstr("unsupported lockmode 0"));
  }
  try {
    c.run("SELECT lock_shard_metadata(5, ARRAY[]::bigint[])");
    ADD_FAILURE() << "empty array accepted";
  } catch (const PgError& e) {
    EXPECT_THAT(e.server_message(), HasSubstr("no locks specified"));
  }
  try {
    c.run(lock_sql(5, 0));
    ADD_FAILURE() << "shard 0 accepted";
  } catch (const PgError& e) {
    EXPECT_THAT(e.server_message(), HasSubstr("could not find valid entry for shard 0"));
  }
  c.run("DROP ROLE IF EXISTS sl_not_owner; CREATE ROLE sl_not_owner LOGIN");
  c.run("GRANT SELECT, INSERT, UPDATE, DELETE ON sl_errors TO sl_not_owner");
  auto other = PgConn::connect(cluster().conninfo() + " user=sl_not_owner", "pgload-test");
  try {
    other.run(lock_sql(5, shard));
    ADD_FAILURE() << "a non-owner took the lock";
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "42501");
    EXPECT_THAT(e.server_message(), HasSubstr("must be owner of table sl_errors"));
  }
  // A member of the owner's role may, as in Citus (object_ownercheck).
  c.run("GRANT postgres TO sl_not_owner");
  EXPECT_EQ(sqlstate_of(other, lock_sql(5, shard)), "");
}

// The fixed bug: a load that met a shard move wrote into a placement the move then switched away (rows lost).
TEST_F(ShardLockTest, LoadWaitsForTheMoveHoldingTheLockThenLoadsEverything) {
  create_users("sl_wait_move");
  const int64_t shard = first_shard("sl_wait_move");
  auto ports = cluster().worker_ports();
  auto groups = coord().exec("SELECT groupid FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeid");
  // A move as pgmove runs it: journalled, and holding the shard's lock exclusively.
  PgConn mover = coord("pgmove");
  MoveJournal journal = MoveJournal::sharing(mover);
  const int64_t move_id =
      journal.begin({shard}, {"public.sl_wait_move_" + std::to_string(shard)}, static_cast<int32_t>(groups.i64(0, 0)),
                    static_cast<int32_t>(groups.i64(1, 0)), "block_writes");
  mover.run("BEGIN");
  mover.run(lock_sql(7, shard));

  BackgroundLoad load(pgload_cmd("--url " + sh(users_file()) + " --table sl_wait_move"));
  const std::string expected = "pgload: waiting for the move of shard " + std::to_string(shard) +
                               " (127.0.0.1:" + std::to_string(ports[0]) + " -> 127.0.0.1:" + std::to_string(ports[1]) +
                               ")";
  EXPECT_TRUE(load.wait_for_output(expected, 30000)) << load.output();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(count("sl_wait_move"), 0) << "nothing may land while the move holds the lock";
  mover.run("COMMIT");
  journal.set_state(move_id, "done");
  journal.release(move_id);
  EXPECT_EQ(load.wait(), 0) << load.output();
  EXPECT_EQ(count("sl_wait_move"), kRows);
  EXPECT_EQ(prepared_on_workers(), 0);
}

TEST_F(ShardLockTest, LoadNamesAnyOtherSessionHoldingTheLock) {
  create_users("sl_wait_session");
  const int64_t shard = first_shard("sl_wait_session");
  auto holder = coord("sl-holder");
  holder.run("BEGIN");
  holder.run(lock_sql(7, shard));
  const std::string pid = *holder.scalar("SELECT pg_backend_pid()");
  BackgroundLoad load(pgload_cmd("--url " + sh(users_file()) + " --table sl_wait_session --quiet"));
  EXPECT_TRUE(load.wait_for_output(
      "pgload: waiting for the shard lock held by pid " + pid + " (application_name 'sl-holder', idle in transaction)",
      30000))
      << load.output();
  holder.run("COMMIT");
  EXPECT_EQ(load.wait(), 0) << load.output();
  EXPECT_EQ(count("sl_wait_session"), kRows);
}

// Two moves of one table, as Citus's moves of one colocation group: the second waits for a lock of the whole table
// that the first holds. Its wait names the first move (found by the owner lock its session holds), not its own
// journal row, which lists the shard it waits with.
TEST_F(ShardLockTest, AMoveWaitingForAnotherMoveNamesThatMove) {
  create_users("sl_two_moves");
  auto shards = coord().exec(
      "SELECT shardid FROM pg_dist_shard WHERE logicalrelid = 'sl_two_moves'::regclass ORDER BY shardid LIMIT 2");
  const int64_t held = shards.i64(0, 0), waiting = shards.i64(1, 0);
  auto ports = cluster().worker_ports();
  auto groups = coord().exec("SELECT groupid FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeid");
  const auto from = static_cast<int32_t>(groups.i64(0, 0)), to = static_cast<int32_t>(groups.i64(1, 0));
  const std::string table_lock = "LOCK TABLE sl_two_moves IN SHARE UPDATE EXCLUSIVE MODE";
  PgConn first = coord("pgmove");
  MoveJournal first_journal = MoveJournal::sharing(first);
  const int64_t first_id =
      first_journal.begin({held}, {"public.sl_two_moves_" + std::to_string(held)}, from, to, "block_writes");
  first.run("BEGIN");
  first.run(table_lock);
  PgConn second = coord("pgmove");
  MoveJournal second_journal = MoveJournal::sharing(second);
  const int64_t second_id =
      second_journal.begin({waiting}, {"public.sl_two_moves_" + std::to_string(waiting)}, from, to, "block_writes");
  second.run("BEGIN");

  std::string told;
  ShardLockOptions opts;
  opts.lock_timeout_ms = 1000;
  opts.on_wait = [&](const std::string& m) { told = m; };
  try {
    lock_waiting(second, table_lock, {waiting}, opts);
    ADD_FAILURE() << "the second move took the table lock the first holds";
  } catch (const ShardLockError& e) {
    EXPECT_EQ(e.kind(), ShardLockError::Kind::Timeout) << e.what();
  }
  EXPECT_THAT(told, HasSubstr("the move of shard " + std::to_string(held) + " (127.0.0.1:" + std::to_string(ports[0]) +
                              " -> 127.0.0.1:" + std::to_string(ports[1]) + ")"));
  EXPECT_THAT(told, ::testing::Not(HasSubstr(std::to_string(waiting))));
  first.run("ROLLBACK");
  second.run("ROLLBACK");  // after the timeout, aborted
  for (auto* j : {&first_journal, &second_journal}) {
    const int64_t id = j == &first_journal ? first_id : second_id;
    j->set_state(id, "aborted");
    j->release(id);
  }
}

TEST_F(ShardLockTest, LockTimeoutFailsCleanlyNamingTheMove) {
  create_users("sl_timeout");
  const int64_t shard = first_shard("sl_timeout");
  PgConn mover = coord("pgmove");
  MoveJournal journal = MoveJournal::sharing(mover);
  const int64_t move_id = journal.begin({shard}, {"public.sl_timeout_" + std::to_string(shard)}, 1, 2, "block_writes");
  mover.run("BEGIN");
  mover.run(lock_sql(7, shard));

  // The loader's lock step alone, with LoadOptions::lock_timeout_ms set.
  {
    PgConn c = coord();
    Catalog catalog = Catalog::load(c);
    Table table = catalog.table("sl_timeout");
    std::string waited;
    auto start = std::chrono::steady_clock::now();
    try {
      LoadLock lock(catalog, table, 700, [&](const std::string& m) { waited = m; });
      ADD_FAILURE() << "the lock was granted while the move held it";
    } catch (const LoadError& e) {
      EXPECT_EQ(e.code(), kExitCluster);
      EXPECT_THAT(e.what(), HasSubstr("gave up after 700 ms (lock timeout) waiting for the move of shard " +
                                      std::to_string(shard)));
      EXPECT_THAT(e.what(), HasSubstr("nothing was loaded"));
    }
    auto waited_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GE(waited_ms, 600);
    EXPECT_LT(waited_ms, 10000);
    EXPECT_THAT(waited, HasSubstr("waiting for the move of shard " + std::to_string(shard)));
    // The connection is usable again and holds no lock.
    EXPECT_EQ(*c.scalar("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory'"), "0");
  }
  // End to end: --lock-timeout fills lock_timeout_ms.
  auto r = run_command(pgload_cmd("--url " + sh(users_file()) + " --table sl_timeout --lock-timeout 1s"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("waiting for the move of shard " + std::to_string(shard)));
  EXPECT_THAT(r.output, HasSubstr("nothing was loaded"));
  EXPECT_EQ(count("sl_timeout"), 0);
  EXPECT_EQ(prepared_on_workers(), 0);
  mover.run("ROLLBACK");
  journal.set_state(move_id, "aborted");
  journal.release(move_id);
}

TEST_F(ShardLockTest, NonOwnerFailsBeforeLoadingAnything) {
  create_users("sl_non_owner");
  auto c = coord();
  // Everything a loader needs except owning the table: the role on every node, pgload's own schema.
  for (int port : cluster().worker_ports())
    cluster().connect_node(port).run("DROP ROLE IF EXISTS sl_loader; CREATE ROLE sl_loader LOGIN");
  c.run("DROP ROLE IF EXISTS sl_loader; CREATE ROLE sl_loader LOGIN");
  c.run("GRANT SELECT, INSERT ON sl_non_owner TO sl_loader");
  if (c.scalar("SELECT to_regclass('pgload.commit_decisions')"))
    c.run("GRANT USAGE ON SCHEMA pgload TO sl_loader; GRANT ALL ON pgload.commit_decisions TO sl_loader");
  auto r = run_pgload(cluster().conninfo() + " user=sl_loader", "--url " + sh(users_file()) + " --table sl_non_owner");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("must be owner of table sl_non_owner"));
  EXPECT_THAT(r.output, HasSubstr("nothing was loaded"));
  EXPECT_EQ(count("sl_non_owner"), 0);
}

}  // namespace
}  // namespace pgload::test
