// pgload and pgmove at the same time on the local cluster: a load of 1M rows and `pgmove rebalance` onto a third
// worker, started in both orders, in both modes, at several offsets. pgload holds the shard metadata lock in Share
// mode for the whole load and a move takes it exclusively, so neither loses, doubles or misplaces a row, and both
// exit 0. Also: a move with --lock-timeout that meets a load fails cleanly, a logical move blocks writes only from
// its final catch-up on, and a move gives way to a load that waits for its shard lock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/catalog.h"
#include "common/pg.h"
#include "common/shard_name.h"
#include "loader/load_lock.h"
#include "mover/engine.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

constexpr int kBaseRows = 50000;   // ids -1 .. -kBaseRows, inserted through the coordinator before each test
constexpr int kNewRows = 1000000;  // ids 1 .. kNewRows, loaded by pgload while shards move
constexpr int kShards = 6;         // 3 + 3 on the old workers; a rebalance moves two onto the third
constexpr int kStallS = 2;         // the load's input pauses this long after its first half, so it spans a move
const std::string kTable = "conc_users";

int64_t count(const PgConn& c, const std::string& sql, const Params& params = {}) {
  return std::stoll(c.scalar(sql, params).value_or("-1"));
}

class LoadMoveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = std::make_unique<TestCluster>(2);
    third_port_ = cluster_->add_worker();
    dir_ = temp_dir("pgload-conc");
    auto g = run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(kNewRows) + " --shuffle --out " +
                         sh(dir_ + "/users.csv"));
    ASSERT_EQ(g.exit_code, 0) << g.output;
  }
  static void TearDownTestSuite() { cluster_.reset(); }

  // The table on the two old workers only, with the base rows; the third worker then takes shards in a rebalance.
  void SetUp() override {
    coord_ = cluster_->connect();
    coord_.run("SET client_min_messages = warning");
    coord_.run("DROP TABLE IF EXISTS " + kTable);
    set_third_takes_shards(false);
    coord_.run("CREATE TABLE " + kTable + " (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    coord_.exec("SELECT create_distributed_table($1, 'user_id', colocate_with := 'none', shard_count := $2::int)",
                {kTable, std::to_string(kShards)});
    coord_.run("INSERT INTO " + kTable +
               " SELECT -g, 'https://example.com/' || g, 'base' || g, 'a' FROM "
               "generate_series(1, " +
               std::to_string(kBaseRows) + ") g");
    set_third_takes_shards(true);
  }

  void set_third_takes_shards(bool yes) {
    coord_.exec("UPDATE pg_dist_node SET shouldhaveshards = $1::bool WHERE nodeport = $2::int",
                {yes ? "true" : "false", std::to_string(third_port_)});
  }

  // pgload of the new rows; the input stalls after its first half so that the load spans a move.
  std::future<CommandResult> start_load(const std::string& extra = "") const {
    const std::string csv = sh(dir_ + "/users.csv");
    std::string cmd =
        "{ head -n " + std::to_string(kNewRows / 2) + " " + csv + "; sleep " + std::to_string(kStallS) + "; tail -n +" +
        std::to_string(kNewRows / 2 + 1) + " " + csv + "; } | " +
        pgload_command(cluster_->conninfo(), "--quiet --url - --table " + std::string(kTable) + " " + extra);
    return std::async(std::launch::async, [cmd] { return run_command(cmd); });
  }

  std::future<CommandResult> start_pgmove(const std::string& args) const {
    std::string cmd =
        "timeout 300 " + std::string(PGMOVE_BIN) + " --coordinator " + sh(cluster_->conninfo()) + " " + args + " 2>&1";
    return std::async(std::launch::async, [cmd] { return run_command(cmd); });
  }

  // Until pgload holds its Share lock on every shard of the table (or 60 s).
  bool wait_for_load_lock() const {
    auto c = cluster_->connect();
    for (int i = 0; i < 600; ++i) {
      auto n =
          count(c,
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' "
                "AND l.mode = 'ShareLock' AND l.granted AND a.application_name = 'pgload'");
      if (n >= kShards) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string placements() const {
    return *coord_.scalar(
        "SELECT string_agg(shardid || ':' || groupid, ',' ORDER BY shardid) FROM pg_dist_placement "
        "JOIN pg_dist_shard USING (shardid) WHERE logicalrelid = $1::regclass",
        {kTable});
  }

  // Every row exactly once, on the node its placement names and inside its shard's hash range; no shard table that
  // no placement lists; no prepared transaction, commit decision, replication object or unfinished move left.
  void expect_consistent(int64_t new_rows) const {
    EXPECT_EQ(count(coord_, "SELECT count(*) FROM " + kTable), kBaseRows + new_rows);
    EXPECT_EQ(count(coord_, "SELECT count(DISTINCT user_id) FROM " + kTable), kBaseRows + new_rows);
    EXPECT_EQ(count(coord_, "SELECT count(*) FROM " + kTable + " WHERE user_id < 0"), kBaseRows);
    auto r = coord_.exec(
        "SELECT s.shardid, s.shardminvalue::bigint, s.shardmaxvalue::bigint, n.nodeport, count(*) OVER (PARTITION BY "
        "s.shardid) FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n ON n.groupid = "
        "p.groupid WHERE s.logicalrelid = $1::regclass ORDER BY s.shardid",
        {kTable});
    ASSERT_EQ(r.rows(), kShards);
    int64_t on_workers = 0;
    std::set<std::string> expected;
    for (int i = 0; i < r.rows(); ++i) {
      EXPECT_EQ(r.i64(i, 4), 1) << "shard " << r.str(i, 0) << " must have exactly one placement";
      const int port = static_cast<int>(r.i64(i, 3));
      const std::string rel = "public." + citus_shard_name(kTable, r.i64(i, 0));
      expected.insert(std::to_string(port) + ":" + rel);
      auto w = cluster_->connect_node(port);
      auto c = w.exec("SELECT count(*), count(*) FILTER (WHERE hashint8(user_id) BETWEEN " + r.str(i, 1) + " AND " +
                      r.str(i, 2) + ") FROM " + rel);
      EXPECT_EQ(c.i64(0, 0), c.i64(0, 1)) << "shard " << r.str(i, 0) << " on port " << port << " holds foreign rows";
      on_workers += c.i64(0, 0);
    }
    EXPECT_EQ(on_workers, kBaseRows + new_rows) << "rows on the placements' nodes";
    std::vector<int> ports = cluster_->worker_ports();
    std::set<std::string> found;
    for (int port : ports) {
      auto w = cluster_->connect_node(port);
      auto t = w.exec(
          "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace "
          "AND relname ~ ('^' || $1 || '_[0-9]+$')",
          {kTable});
      for (int i = 0; i < t.rows(); ++i) found.insert(std::to_string(port) + ":public." + t.str(i, 0));
      EXPECT_EQ(count(w, "SELECT count(*) FROM pg_prepared_xacts"), 0) << "port " << port;
      EXPECT_EQ(count(w, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgload_move_%'"), 0);
      EXPECT_EQ(count(w, "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pgload_move_%'"), 0);
      EXPECT_EQ(count(w, "SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgload_move_%'"), 0);
    }
    EXPECT_EQ(found, expected) << "shard tables on the workers (orphans or missing ones)";
    EXPECT_EQ(count(coord_, "SELECT count(*) FROM pg_prepared_xacts"), 0);
    if (coord_.scalar("SELECT to_regclass('pgload.commit_decisions')")) {
      EXPECT_EQ(count(coord_, "SELECT count(*) FROM pgload.commit_decisions"), 0);
    }
    if (coord_.scalar("SELECT to_regclass('pgload.moves')")) {
      EXPECT_EQ(count(coord_, "SELECT count(*) FROM pgload.moves WHERE state IN ('started', 'switched')"), 0);
    }
  }

  // The table's first shard and the port of the worker that holds it.
  std::pair<int64_t, int> first_shard() const {
    const std::string shard =
        *coord_.scalar("SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = $1::regclass", {kTable});
    const int port = std::stoi(*coord_.scalar(
        "SELECT nodeport FROM pg_dist_placement JOIN pg_dist_node USING (groupid) WHERE shardid = $1::bigint",
        {shard}));
    return {std::stoll(shard), port};
  }

  // Moves `shard` onto the third worker in this process, its NOTICE lines (stdout) and notes (stderr) captured into
  // `err` (stderr only).
  MoveSummary move_to_third(int64_t shard, int source_port, const ExecutorOptions& opts, std::string& err) const {
    auto cat = Catalog::load(coord_);
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    auto release = [&] {
      testing::internal::GetCapturedStdout();
      err = testing::internal::GetCapturedStderr();
    };
    try {
      MoveSummary sum = execute_moves(cat, {{shard, "127.0.0.1", source_port, "127.0.0.1", third_port_}}, opts);
      release();
      return sum;
    } catch (...) {
      release();
      throw;
    }
  }

  int64_t shards_on_third() const {
    return count(coord_,
                 "SELECT count(*) FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) JOIN pg_dist_shard s "
                 "USING (shardid) WHERE s.logicalrelid = $1::regclass AND n.nodeport = $2::int",
                 {kTable, std::to_string(third_port_)});
  }

  static std::unique_ptr<TestCluster> cluster_;
  static int third_port_;
  static std::string dir_;
  PgConn coord_;
};
std::unique_ptr<TestCluster> LoadMoveTest::cluster_;
int LoadMoveTest::third_port_ = 0;
std::string LoadMoveTest::dir_;

struct Race {
  const char* name;
  const char* mode;  // pgmove --mode
  bool load_first;   // which of the two starts first
  int offset_ms;     // how long after it the other one starts
};

class LoadMoveRace : public LoadMoveTest, public ::testing::WithParamInterface<Race> {};

TEST_P(LoadMoveRace, BothSucceedAndNothingIsLostOrDoubled) {
  const Race& p = GetParam();
  std::future<CommandResult> load, move;
  const std::string rebalance = std::string("rebalance --mode ") + p.mode;
  if (p.load_first) {
    load = start_load();
    std::this_thread::sleep_for(std::chrono::milliseconds(p.offset_ms));
    move = start_pgmove(rebalance);
  } else {
    move = start_pgmove(rebalance);
    std::this_thread::sleep_for(std::chrono::milliseconds(p.offset_ms));
    load = start_load();
  }
  auto m = move.get();
  auto l = load.get();
  EXPECT_EQ(m.exit_code, 0) << m.output;
  EXPECT_EQ(l.exit_code, 0) << l.output;
  EXPECT_EQ(shards_on_third(), 2) << m.output;
  expect_consistent(kNewRows);
}

INSTANTIATE_TEST_SUITE_P(Orders, LoadMoveRace,
                         ::testing::Values(Race{"LoadThenBlockWritesSoon", "block_writes", true, 300},
                                           Race{"LoadThenBlockWritesDuringStall", "block_writes", true, 1500},
                                           Race{"BlockWritesThenLoad", "block_writes", false, 0},
                                           Race{"BlockWritesThenLoadLater", "block_writes", false, 800},
                                           Race{"LoadThenLogicalSoon", "logical", true, 300},
                                           Race{"LoadThenLogicalDuringStall", "logical", true, 1500},
                                           Race{"LogicalThenLoad", "logical", false, 0},
                                           Race{"LogicalThenLoadLater", "logical", false, 800}),
                         [](const ::testing::TestParamInfo<Race>& info) { return std::string(info.param.name); });

// A move that cannot get the shard lock within --lock-timeout fails with exit 1 naming the load, and leaves
// everything as it was; the load then finishes normally.
class LockTimeout : public LoadMoveTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(LockTimeout, MoveGivesUpCleanlyWhileALoadHoldsTheLock) {
  const std::string before = placements();
  const std::string shard =
      *coord_.scalar("SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = $1::regclass", {kTable});
  auto load = start_load();
  ASSERT_TRUE(wait_for_load_lock()) << "pgload never held its lock";
  auto m = start_pgmove("move " + shard + " --to 127.0.0.1:" + std::to_string(third_port_) + " --mode " + GetParam() +
                        " --lock-timeout 500ms")
               .get();
  EXPECT_EQ(m.exit_code, 1) << m.output;
  EXPECT_NE(m.output.find("lock timeout"), std::string::npos) << m.output;
  EXPECT_NE(m.output.find("the load of pgload"), std::string::npos) << m.output;
  EXPECT_EQ(placements(), before);
  auto third = cluster_->connect_node(third_port_);
  EXPECT_FALSE(third.scalar("SELECT to_regclass($1)", {"public." + citus_shard_name(kTable, std::stoll(shard))}));
  EXPECT_EQ(count(coord_, "SELECT count(*) FROM pgload.moves WHERE state = 'aborted' AND $1::bigint = ANY(shard_ids)",
                  {shard}),
            1);
  auto l = load.get();
  EXPECT_EQ(l.exit_code, 0) << l.output;
  expect_consistent(kNewRows);
}

INSTANTIATE_TEST_SUITE_P(Modes, LockTimeout, ::testing::Values("block_writes", "logical"));

// A logical move blocks writes only from its final catch-up: through the bulk copy, its verification and the
// subscription's catch-up a write through the coordinator succeeds at once; from "blocking" to the switch it waits.
// No timing is asserted, only the order of the steps and which writes get through at each.
TEST_F(LoadMoveTest, LogicalMoveBlocksWritesOnlyForTheFinalCatchUp) {
  const auto [shard_id, source_port] = first_shard();
  const std::string shard = std::to_string(shard_id);
  auto range =
      coord_.exec("SELECT shardminvalue, shardmaxvalue FROM pg_dist_shard WHERE shardid = $1::bigint", {shard});
  // ids of the moving shard, so each write lands in the shard that is being copied
  auto ids = coord_.exec("SELECT i FROM generate_series(1, 100000) i WHERE hashint8(i) BETWEEN " + range.str(0, 0) +
                         " AND " + range.str(0, 1) + " LIMIT 10");
  ASSERT_EQ(ids.rows(), 10);
  PgConn writer = cluster_->connect();
  writer.run("SET lock_timeout = '2s'");  // only blocked writes wait that long
  int next_id = 0;
  // One INSERT through the coordinator; "" when it went through, else the SQLSTATE.
  auto write = [&]() -> std::string {
    try {
      writer.exec("INSERT INTO " + kTable + " VALUES ($1::bigint, 'live', 'live', 'live')", {ids.str(next_id++, 0)});
      return "";
    } catch (const PgError& e) {
      return e.sqlstate();
    }
  };

  std::vector<std::string> steps;
  std::vector<std::string> written;  // ids that went through
  std::string during_copy, after_verify, during_catchup, while_blocked;
  ExecutorOptions opts;
  opts.mode = TransferMode::Logical;
  opts.hooks.after_target_chunk = [&](int64_t, int, uint64_t) {
    if (!during_copy.empty() || next_id > 0) return;  // once, at the first chunk
    during_copy = write().empty() ? "ok" : "blocked";
    if (during_copy == "ok") written.push_back(ids.str(next_id - 1, 0));
  };
  opts.hooks.on_step = [&](int64_t, std::string_view step) {
    steps.emplace_back(step);
    std::string* slot = step == "verified"   ? &after_verify
                        : step == "copied"   ? &during_catchup
                        : step == "blocking" ? &while_blocked
                                             : nullptr;
    if (!slot) return;
    auto err = write();
    *slot = err.empty() ? "ok" : err;
    if (err.empty()) written.push_back(ids.str(next_id - 1, 0));
  };
  std::string err;
  MoveSummary sum = move_to_third(shard_id, source_port, opts, err);
  EXPECT_EQ(sum.moves, 1);
  EXPECT_EQ(steps, (std::vector<std::string>{"verified", "copied", "blocking", "switching"}));
  EXPECT_EQ(during_copy, "ok") << "a write during the bulk copy must not wait";
  EXPECT_EQ(after_verify, "ok") << "a write after the snapshot verification must not wait";
  EXPECT_EQ(during_catchup, "ok") << "a write during the catch-up must not wait";
  EXPECT_EQ(while_blocked, "55P03") << "from the final catch-up on, writes wait (here: until lock_timeout)";
  // Every write that went through is on the new placement exactly once.
  for (const auto& id : written)
    EXPECT_EQ(count(coord_, "SELECT count(*) FROM " + kTable + " WHERE user_id = $1::bigint", {id}), 1) << id;
  auto third = cluster_->connect_node(third_port_);
  EXPECT_EQ(count(third, "SELECT count(*) FROM public." + citus_shard_name(kTable, shard_id) + " WHERE url = 'live'"),
            static_cast<int64_t>(written.size()));
  expect_consistent(static_cast<int64_t>(written.size()));
}

// A load that took the table and then waits for the shard lock of a move (it came between the move's shard lock and
// its write block): the move blocks writes on the shard's coordinator partition, not on the table the load holds, so
// it finishes without waiting for the load, and the load then goes on against the new placement. Neither fails with
// a deadlock. The load is pgload's own lock step (LoadLock), started from the move's hook while the move holds the
// shard lock.
class LoadWaitsForMove : public LoadMoveTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(LoadWaitsForMove, MoveBlocksWritesWithoutWaitingForALoadThatHoldsTheTable) {
  const bool logical = std::string_view(GetParam()) == "logical";
  const auto [shard, source_port] = first_shard();
  std::mutex mu;
  std::vector<std::string> order;
  auto record = [&](const std::string& what) {
    std::lock_guard lock(mu);
    order.push_back(what);
  };
  std::future<std::string> load;  // the load's error, "" when it got its locks
  int locks_taken = 0;
  ExecutorOptions opts;
  opts.mode = logical ? TransferMode::Logical : TransferMode::BlockWrites;
  opts.hooks.after_shard_lock = [&](int64_t) {
    if (++locks_taken != (logical ? 2 : 1)) return;  // logical: the first is the slot's
    load = std::async(std::launch::async, [&]() -> std::string {
      try {
        PgConn c = cluster_->connect();
        Catalog lc = Catalog::load(c);
        Table t = lc.table(kTable);
        LoadLock lock(lc, t, std::nullopt, nullptr);
        record("load locked");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        record("load done");
        return "";
      } catch (const std::exception& e) {
        return e.what();
      }
    });
    // Until the load holds the table and waits for the shard lock this move holds.
    auto c = cluster_->connect();
    for (int i = 0; i < 200; ++i) {
      if (count(c,
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' "
                "AND NOT l.granted AND a.application_name = 'pgload'") > 0)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the load did not come to wait for the shard lock";
  };
  opts.hooks.on_step = [&](int64_t, std::string_view step) {
    if (step == "blocking") record("move blocking");
  };
  std::string err;
  MoveSummary sum;
  try {
    sum = move_to_third(shard, source_port, opts, err);
  } catch (...) {
    if (load.valid()) load.get();
    throw;
  }
  ASSERT_TRUE(load.valid());
  EXPECT_EQ(load.get(), "");
  EXPECT_EQ(sum.moves, 1);
  EXPECT_EQ(order, (std::vector<std::string>{"move blocking", "load locked", "load done"}));
  EXPECT_EQ(shards_on_third(), 1);
  expect_consistent(0);
}

INSTANTIATE_TEST_SUITE_P(Modes, LoadWaitsForMove, ::testing::Values("block_writes", "logical"));

}  // namespace
}  // namespace pgload::test
