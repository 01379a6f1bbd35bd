// Crashes in the middle of a rebalance: pgmove SIGKILLed at timed points and at exact steps (during the copy, during
// logical catch-up, at the switch), and the source or target postmaster killed (-m immediate) at those steps. After
// each: restart what is down, rerun `pgmove rebalance` (which recovers first) and check that every row is present
// exactly once, every shard has one placement that the coordinator's partition points at, and nothing is left over
// (shard tables, slots, publications, subscriptions, unfinished journal entries).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"
#include "common/shard_name.h"
#include "mover/engine.h"
#include "tests/support/fault_tally.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"
#include "tests/support/wal_nudge.h"

extern char** environ;

namespace pgload::test {
namespace {

constexpr int kRows = 300000;
const std::string kTable = "fault_users";

FaultTally& tally = fault_tally();
const auto* const kPrinter = ::testing::AddGlobalTestEnvironment(new FaultTallyPrinter);

int64_t count(const PgConn& c, const std::string& sql, const Params& params = {}) {
  return std::stoll(c.scalar(sql, params).value_or("-1"));
}

std::string mode_arg(TransferMode m) { return m == TransferMode::Logical ? "logical" : "block_writes"; }

int failures_so_far() { return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count(); }

class MoveFault : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = std::make_unique<TestCluster>(2);
    auto c = cluster_->connect();
    c.run("CREATE TABLE " + kTable + " (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    c.run("SELECT create_distributed_table('" + kTable + "', 'user_id')");
    const std::string dir = temp_dir("pgload-move-fault");
    const std::string file = dir + "/users.csv";
    auto g = run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(kRows) + " --out " + sh(file));
    if (g.exit_code != 0) throw std::runtime_error("gen_users failed: " + g.output);
    auto l = run_pgload(cluster_->conninfo(), "--url " + sh(file) + " --table " + kTable + " --quiet");
    if (l.exit_code != 0) throw std::runtime_error("pgload failed: " + l.output);
    (void)run_command("rm -rf " + sh(dir));
    auto r = c.exec("SELECT count(*), sum(user_id)::text FROM " + kTable);
    expected_rows_ = r.i64(0, 0);
    expected_sum_ = r.str(0, 1);
    cluster_->add_worker();  // the empty node every rebalance moves shards onto
  }
  static void TearDownTestSuite() { cluster_.reset(); }

  static TestCluster& cluster() { return *cluster_; }
  static std::string pgmove_cmd(const std::string& args) {
    return "timeout 300 " + std::string(PGMOVE_BIN) + " --coordinator " + sh(cluster_->conninfo()) + " " + args;
  }
  static CommandResult pgmove(const std::string& args) { return run_command(pgmove_cmd(args)); }
  static int new_port() { return cluster_->worker_ports().back(); }

  // Data directory name (worker1, ...) of the node at `port`, from pgcluster's state file.
  static std::string node_name(int port) {
    std::ifstream in(cluster_->dir() + "/cluster.state");
    std::string name, role;
    int p = 0;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      if (line.empty() || line[0] == '#' || !(f >> name >> role >> p)) continue;
      if (p == port) return name;
    }
    throw std::runtime_error("no node on port " + std::to_string(port) + " in " + cluster_->dir());
  }
  // kill -9 of a postmaster, as PostgreSQL's own "immediate" shutdown does it (no checkpoint, crash recovery next).
  static void kill_postmaster(int port) {
    std::string as_pg = geteuid() == 0 ? "runuser -u postgres -- " : "";
    auto r = run_command(as_pg + "/usr/lib/postgresql/15/bin/pg_ctl -D " + sh(cluster_->dir() + "/" + node_name(port)) +
                         " -m immediate -w stop");
    if (r.exit_code != 0) throw std::runtime_error("pg_ctl stop failed: " + r.output);
  }
  static void restart_stopped() {
    auto r = cluster_->pgcluster("up");
    if (r.exit_code != 0) throw std::runtime_error("pgcluster up failed: " + r.output);
  }

  // The server side of a killed pgmove goes away when its backends notice the closed sockets; wait for that (as an
  // operator rerunning after a crash would) so recovery sees the journal entries' owner locks free.
  static void wait_for_pgmove_sessions_to_end() {
    std::vector<int> ports = cluster_->worker_ports();
    ports.push_back(cluster_->port());
    for (int i = 0; i < 300; ++i) {
      int64_t left = 0;
      for (int p : ports) {
        try {
          left += count(cluster_->connect_node(p),
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgmove%'");
        } catch (const std::exception&) {
        }
      }
      if (left == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // Layout every fault starts from: the last worker empty and allowed to hold shards (a rebalance has 10 moves).
  static void reset_layout() {
    auto c = cluster_->connect();
    const int port = new_port();
    if (count(c,
              "SELECT count(*) FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) WHERE n.nodeport = $1::int",
              {std::to_string(port)}) > 0) {
      auto r = pgmove("drain 127.0.0.1:" + std::to_string(port) + " --mode block_writes");
      ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    c.run("UPDATE pg_dist_node SET shouldhaveshards = true WHERE groupid <> 0");
  }

  // The planned moves of `pgmove rebalance --dry-run` (one table, so plan rows are moves).
  static std::vector<MoveRequest> planned_moves() {
    auto r = run_command("(" + pgmove_cmd("rebalance --dry-run") + " 2>/dev/null)");
    std::vector<MoveRequest> out;
    for (const auto& f : psql_table_rows(r.output, 7)) {
      out.push_back({std::stoll(f[1]), f[3], std::stoi(f[4]), f[5], std::stoi(f[6])});
    }
    return out;
  }

  // Every invariant after a recovered fault; adds the rows lost/duplicated to the tally. Returns true if all hold.
  static bool check_invariants(const std::string& point) {
    SCOPED_TRACE(point);
    const int before = failures_so_far();
    auto coord = cluster_->connect();
    // All rows through the coordinator's foreign partitions: present exactly once.
    auto all =
        coord.exec("SELECT count(*), count(DISTINCT user_id), coalesce(sum(DISTINCT user_id), 0)::text FROM " + kTable);
    const int64_t rows = all.i64(0, 0), distinct = all.i64(0, 1);
    const int64_t lost = std::max<int64_t>(0, expected_rows_ - distinct), duplicated = rows - distinct;
    tally.lost += lost;
    tally.duplicated += duplicated;
    EXPECT_EQ(lost, 0) << "rows lost";
    EXPECT_EQ(duplicated, 0) << "rows duplicated";
    EXPECT_EQ(all.str(0, 2), expected_sum_) << "the set of user ids changed";

    // One placement per shard; on its node the shard table holds its own hash range only; the sum is every row.
    auto placed = coord.exec(
        "SELECT s.shardid, s.shardminvalue::bigint, s.shardmaxvalue::bigint, n.nodeport, "
        "       (SELECT count(*) FROM pg_dist_placement q WHERE q.shardid = s.shardid) "
        "FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n ON n.groupid = p.groupid "
        "WHERE s.logicalrelid = $1::regclass ORDER BY 1",
        {kTable});
    EXPECT_EQ(placed.rows(), 32) << "placements";
    std::map<int, std::set<int64_t>> on_node;
    int64_t on_placements = 0;
    for (int i = 0; i < placed.rows(); ++i) {
      const int64_t shard = placed.i64(i, 0);
      const int port = static_cast<int>(placed.i64(i, 3));
      EXPECT_EQ(placed.i64(i, 4), 1) << "shard " << shard << " has " << placed.i64(i, 4) << " placements";
      on_node[port].insert(shard);
      auto r = cluster_->connect_node(port).exec("SELECT count(*), count(*) FILTER (WHERE hashint8(user_id) BETWEEN " +
                                                 placed.str(i, 1) + " AND " + placed.str(i, 2) + ") FROM public." +
                                                 citus_shard_name(kTable, shard));
      EXPECT_EQ(r.i64(0, 0), r.i64(0, 1)) << "shard " << shard << " on " << port << " holds foreign rows";
      on_placements += r.i64(0, 0);
    }
    EXPECT_EQ(on_placements, expected_rows_) << "rows counted on the placements";

    // The coordinator's partition of every shard points at the placement's node.
    auto faces = coord.exec(
        "SELECT count(*), count(*) FILTER (WHERE fs.srvname = 'pg_dist_node_' || n.nodeid) "
        "FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) "
        "JOIN pg_dist_node n ON n.groupid = p.groupid AND n.noderole = 'primary' "
        "JOIN pg_foreign_table f ON f.ftrelid = pgcluster.shard_face(s.shardid) "
        "JOIN pg_foreign_server fs ON fs.oid = f.ftserver WHERE s.logicalrelid = $1::regclass",
        {kTable});
    EXPECT_EQ(faces.i64(0, 0), 32) << "coordinator partitions";
    EXPECT_EQ(faces.i64(0, 1), 32) << "coordinator partitions pointing at the placement's node";

    // Nothing left over on any worker.
    for (int port : cluster_->worker_ports()) {
      auto w = cluster_->connect_node(port);
      auto t = w.exec(
          "SELECT substr(relname, length($1) + 2)::bigint FROM pg_class WHERE relkind = 'r' "
          "AND relnamespace = 'public'::regnamespace AND relname ~ ('^' || $1 || '_[0-9]+$')",
          {kTable});
      std::set<int64_t> tables;
      for (int i = 0; i < t.rows(); ++i) tables.insert(t.i64(i, 0));
      EXPECT_EQ(tables, on_node[port]) << "shard tables on port " << port << " (orphans or missing)";
      EXPECT_EQ(count(w, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgload_move_%'"), 0)
          << "slots on " << port;
      EXPECT_EQ(count(w, "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pgload_move_%'"), 0)
          << "publications on " << port;
      EXPECT_EQ(count(w, "SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgload_move_%'"), 0)
          << "subscriptions on " << port;
    }
    EXPECT_EQ(count(coord, "SELECT count(*) FROM pgload.moves WHERE state IN ('started', 'switched')"), 0)
        << "unfinished journal entries: "
        << coord
               .scalar(
                   "SELECT string_agg(move_id || ':' || state || ':' || shard_ids::text, ' ') FROM pgload.moves "
                   "WHERE state IN ('started', 'switched')")
               .value_or("");
    return failures_so_far() == before;
  }

  // After a fault: restart what is down, rerun `pgmove rebalance` (recovery first, then the rest of the plan), check.
  // journal_state: the state the crashed move must have left in the journal ("started"/"switched"), or empty when
  // the fault leaves nothing to recover (or it depends on timing).
  static void recover_and_check(const std::string& point, TransferMode mode, const std::string& journal_state = "") {
    ++tally.injected;
    restart_stopped();
    wait_for_pgmove_sessions_to_end();
    if (!journal_state.empty()) {
      EXPECT_EQ(
          *cluster_->connect().scalar(
              "SELECT coalesce(string_agg(state, ','), '') FROM pgload.moves WHERE state IN ('started', 'switched')"),
          journal_state)
          << point << ": the journal before recovery";
    }
    auto r = pgmove("rebalance --mode " + mode_arg(mode));
    EXPECT_EQ(r.exit_code, 0) << point << ": rerun failed\n" << r.output;
    if (!journal_state.empty()) {
      EXPECT_NE(r.output.find("pgmove: resolved 1 unfinished move of an earlier run"), std::string::npos)
          << point << ": the rerun did not recover the crashed move first\n"
          << r.output;
    }
    if (check_invariants(point)) {
      ++tally.recovered;
    } else {
      ADD_FAILURE() << point << ": the rerun of `pgmove rebalance` did not restore the invariants; output:\n"
                    << r.output;
      // Leave a usable cluster for the next points.
      (void)pgmove("recover");
      (void)pgmove("rebalance --mode block_writes");
    }
    reset_layout();
  }

  static std::unique_ptr<TestCluster> cluster_;
  static int64_t expected_rows_;
  static std::string expected_sum_;
};
std::unique_ptr<TestCluster> MoveFault::cluster_;
int64_t MoveFault::expected_rows_ = 0;
std::string MoveFault::expected_sum_;

// Runs the real pgmove in the background and SIGKILLs it after `delay`; returns false if it had already exited.
bool run_and_kill(const std::string& command, std::chrono::milliseconds delay, std::string* log) {
  const std::string dir = temp_dir("pgmove-kill");
  const std::string out = dir + "/out";
  std::string full = "exec " + command + " >" + sh(out) + " 2>&1";
  const char* argv[] = {"/bin/sh", "-c", full.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0)
    throw std::runtime_error("posix_spawn failed");
  std::this_thread::sleep_for(delay);
  int status = 0;
  bool alive = waitpid(pid, &status, WNOHANG) == 0;
  if (alive) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  *log = ss.str();
  (void)run_command("rm -rf " + sh(dir));
  return alive;
}

// 5 points per mode spread over a clean run's duration (measured first): the kill lands in whatever step is running.
// The runs are throttled (~11 MB at 5 MB/s) so that their length, and so the spread of the points, is stable.
TEST_F(MoveFault, PgmoveKilledAtTimedPoints) {
  for (TransferMode mode : {TransferMode::BlockWrites, TransferMode::Logical}) {
    reset_layout();
    auto t0 = std::chrono::steady_clock::now();
    const std::string args = "rebalance --max-rate 5MB/s --mode " + mode_arg(mode);
    auto clean = pgmove(args);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    ASSERT_EQ(clean.exit_code, 0) << clean.output;
    ASSERT_TRUE(check_invariants("clean " + mode_arg(mode) + " run"));
    reset_layout();
    for (int k = 0; k < 5; ++k) {
      const auto delay = took * (2 * k + 1) / 10;
      const std::string point = "pgmove " + mode_arg(mode) + " killed after " + std::to_string(delay.count()) +
                                " ms of ~" + std::to_string(took.count()) + " ms";
      std::string log;
      bool killed = run_and_kill(pgmove_cmd(args), delay, &log);
      if (!killed) {
        std::printf("[ note ] %s: it had already finished\n%s", point.c_str(), log.c_str());
        reset_layout();
        continue;
      }
      std::printf("[ point ] %s\n", point.c_str());
      recover_and_check(point, mode);
    }
  }
}

// What a fault does at a step of the n-th move of a rebalance (counted from 1).
struct StepFault {
  std::string name;
  TransferMode mode;
  int nth_move;
  std::string step;  // "chunk" (during the copy), "copied" (logical: catch-up), "switching" (verified, before switch)
  enum class Kill { Pgmove, Source, Target } kill;
  std::string journal_state;  // what the crash leaves in pgload.moves for recovery ("" = nothing)
};

// Builds hooks that call `fire(request)` once, at `f.step` of the f.nth_move-th move.
MoveHooks hooks_for(const StepFault& f, const std::vector<MoveRequest>& moves,
                    std::function<void(const MoveRequest&)> fire) {
  auto seen = std::make_shared<std::vector<int64_t>>();
  auto fired = std::make_shared<bool>(false);
  auto at = [=](int64_t shard, const std::string& step) {
    if (std::find(seen->begin(), seen->end(), shard) == seen->end()) seen->push_back(shard);
    if (*fired || step != f.step) return;
    const int nth = f.nth_move > 0 ? f.nth_move : static_cast<int>(moves.size());
    if (static_cast<int>(seen->size()) != nth || seen->back() != shard) return;
    *fired = true;
    for (const auto& m : moves)
      if (m.shard_id == shard) fire(m);
  };
  MoveHooks h;
  h.after_target_chunk = [=](int64_t shard, int, uint64_t) { at(shard, "chunk"); };
  h.on_step = [=](int64_t shard, std::string_view step) { at(shard, std::string(step)); };
  return h;
}

// A fault "during catch-up" is meant to find a live subscription. A logical move makes one only when its source wrote
// WAL after the copy's snapshot (an idle source has nothing to replicate), so WAL is written on every worker while
// such a move runs, and the fault checks that the target has the subscription.
bool at_catch_up(const StepFault& f) { return f.mode == TransferMode::Logical && f.step == "copied"; }
std::vector<std::string> worker_conninfos(const TestCluster& c) {
  std::vector<std::string> out;
  for (int port : c.worker_ports()) out.push_back(c.node_conninfo(port));
  return out;
}
bool has_move_subscription(const TestCluster& c, int port) {
  return c.connect_node(port).scalar("SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgload_move_%'") != "0";
}

// pgmove (the executor, in a forked copy of this process) SIGKILLed at an exact step of the third move.
TEST_F(MoveFault, PgmoveKilledAtEachStep) {
  const std::vector<StepFault> faults = {
      {"block_writes, during the copy", TransferMode::BlockWrites, 3, "chunk", StepFault::Kill::Pgmove, "started"},
      {"block_writes, at the switch", TransferMode::BlockWrites, 3, "switching", StepFault::Kill::Pgmove, "started"},
      {"logical, during the copy", TransferMode::Logical, 3, "chunk", StepFault::Kill::Pgmove, "started"},
      {"logical, during catch-up", TransferMode::Logical, 3, "copied", StepFault::Kill::Pgmove, "started"},
      {"logical, at the switch", TransferMode::Logical, 3, "switching", StepFault::Kill::Pgmove, "started"},
  };
  for (const auto& f : faults) {
    reset_layout();
    auto moves = planned_moves();
    ASSERT_GE(moves.size(), 3u);
    std::fflush(stdout);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // The child never returns into gtest and never runs destructors (the parent's connections are shared).
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDOUT_FILENO);
      try {
        std::unique_ptr<WalNudge> nudge;
        if (at_catch_up(f)) nudge = std::make_unique<WalNudge>(worker_conninfos(cluster()));
        PgConn c = PgConn::connect(cluster().conninfo(), "pgmove");
        Catalog cat = Catalog::load(c);
        ExecutorOptions o;
        o.mode = f.mode;
        o.hooks = hooks_for(f, moves, [&f](const MoveRequest& m) {
          if (at_catch_up(f) && !has_move_subscription(cluster(), m.target_port)) _exit(3);
          raise(SIGKILL);
        });
        execute_moves(cat, moves, o);
      } catch (...) {
      }
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    const std::string point = "pgmove killed: " + f.name;
    ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << point << ": the target had no subscription";
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << point << ": the step was never reached";
    std::printf("[ point ] %s\n", point.c_str());
    recover_and_check(point, f.mode, f.journal_state);
  }
}

// The source or target postmaster killed (immediate stop) at a step of a move run by the executor in this process.
TEST_F(MoveFault, PostmasterKilledAtEachStep) {
  const std::vector<StepFault> faults = {
      {"target, block_writes, during the copy", TransferMode::BlockWrites, 3, "chunk", StepFault::Kill::Target,
       "started"},
      {"source, logical, during the copy", TransferMode::Logical, 3, "chunk", StepFault::Kill::Source, "started"},
      {"target, logical, during catch-up", TransferMode::Logical, 3, "copied", StepFault::Kill::Target, "started"},
      // the third move switches onto the dead target (its rows are committed there); the fourth cannot reach it
      {"target, logical, at the switch", TransferMode::Logical, 3, "switching", StepFault::Kill::Target, ""},
      // Verified, then the source dies: the switch commits, the drop of the old shard fails (after the switch,
      // before the drop). On the last move, so the rerun has nothing left to move.
      {"source, block_writes, after the switch before the drop (last move)", TransferMode::BlockWrites, 0, "switching",
       StepFault::Kill::Source, "switched"},
  };
  for (const auto& f : faults) {
    reset_layout();
    auto moves = planned_moves();
    ASSERT_GE(moves.size(), 3u);
    auto coord = cluster().connect();
    Catalog cat = Catalog::load(coord);
    ExecutorOptions o;
    o.mode = f.mode;
    o.catchup_timeout_s = 10;  // a dead target never catches up: bound the wait
    bool fired = false;
    std::unique_ptr<WalNudge> nudge;
    if (at_catch_up(f)) nudge = std::make_unique<WalNudge>(worker_conninfos(cluster()));
    o.hooks = hooks_for(f, moves, [&](const MoveRequest& m) {
      fired = true;
      if (at_catch_up(f)) {
        EXPECT_TRUE(has_move_subscription(cluster(), m.target_port)) << f.name;
      }
      kill_postmaster(f.kill == StepFault::Kill::Source ? m.source_port : m.target_port);
    });
    std::string outcome = "succeeded";
    testing::internal::CaptureStdout();
    try {
      execute_moves(cat, moves, o);
    } catch (const std::exception& e) {
      outcome = std::string("failed: ") + e.what();
    }
    (void)testing::internal::GetCapturedStdout();
    nudge.reset();
    const std::string point = "postmaster killed: " + f.name;
    ASSERT_TRUE(fired) << point << ": the step was never reached";
    std::printf("[ point ] %s (the run %s)\n", point.c_str(), outcome.c_str());
    recover_and_check(point, f.mode, f.journal_state);
  }
}

}  // namespace
}  // namespace pgload::test
