// Real Citus: after pgmove rebalance (its own copy and switch, both modes) Citus itself agrees that the shards
// moved: citus_shards and pg_dist_placement on the coordinator and on every metadata worker name the new node,
// counts and point queries through the coordinator and through a worker are unchanged, an INSERT lands on the new
// placement, Citus's plan is empty, Citus's cleanup drops the old shards, and Citus can move the shard again.
// Runs only with PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER (host:port of a Citus node, added here if it is
// not yet); skipped otherwise (CI has no Citus).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "common/catalog.h"
#include "common/pg.h"
#include "common/shard_name.h"
#include "mover/engine.h"
#include "mover/move/move_control.h"
#include "tests/support/citus_move_fixture.h"
#include "tests/support/rate_probe.h"
#include "tests/support/test_cluster.h"
#include "tests/support/wal_nudge.h"

using namespace pgload;

namespace {

constexpr int kRows = 20000;

class CitusMoveTest : public test::CitusMoveFixture {
 protected:
  void SetUp() override {
    CitusMoveFixture::SetUp();
    if (IsSkipped()) return;
    coord_.run("DROP TABLE IF EXISTS cm_items, cm_users");
    env_.new_node_takes_shards(coord_, false);
    coord_.run("CREATE TABLE cm_users (id bigint PRIMARY KEY, name text NOT NULL, score int CHECK (score >= 0))");
    coord_.run("CREATE TABLE cm_items (user_id bigint, item int, note text, PRIMARY KEY (user_id, item))");
    coord_.run("CREATE INDEX cm_items_note ON cm_items (note)");
    coord_.run("SELECT create_distributed_table('cm_users', 'id', shard_count := 8)");
    coord_.run("SELECT create_distributed_table('cm_items', 'user_id', colocate_with := 'cm_users')");
    coord_.run("INSERT INTO cm_users SELECT g, 'user ' || g, g % 100 FROM generate_series(1, " + std::to_string(kRows) +
               ") g");
    coord_.run("INSERT INTO cm_items SELECT g, 1, 'n' || g FROM generate_series(1, " + std::to_string(kRows) + ") g");
    env_.new_node_takes_shards(coord_, true);
    new_group_ = *coord_.scalar("SELECT groupid FROM pg_dist_node WHERE nodename = $1 AND nodeport = $2::int",
                                {env_.new_host, env_.new_port});
  }
  // The gated tests share one cluster: every table a test here makes goes (a leftover broke a later rebalance).
  void TearDown() override {
    if (!coord_) return;
    coord_.run("DROP TABLE IF EXISTS cm_items, cm_users, cm_rate");
    coord_.run("CALL citus_cleanup_orphaned_resources()");
  }

  // shardid -> groupid of the test tables' placements as `conn` sees them.
  static std::map<std::string, std::string> placements(const PgConn& conn) {
    auto r = conn.exec(
        "SELECT p.shardid, p.groupid FROM pg_dist_placement p JOIN pg_dist_shard s USING (shardid) "
        "WHERE s.logicalrelid IN ('cm_users'::regclass, 'cm_items'::regclass) ORDER BY 1");
    std::map<std::string, std::string> m;
    for (int i = 0; i < r.rows(); ++i) m[r.str(i, 0)] = r.str(i, 1);
    return m;
  }

  void rebalance_and_check(const std::string& mode) {
    auto before = placements(coord_);
    auto r = pgmove("rebalance --mode " + mode + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("\"path\":\"citus_direct\""), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("\"phase\":\"copying\""), std::string::npos) << r.output;

    // The coordinator's catalog, citus_shards, and every metadata worker's catalog agree on the new node.
    auto after = placements(coord_);
    ASSERT_EQ(after.size(), before.size());
    int on_new = 0;
    for (const auto& [shard, group] : after) on_new += group == new_group_;
    EXPECT_GT(on_new, 0) << r.output;
    EXPECT_EQ(on_new_node("cm_users"), on_new / 2);
    auto workers = coord_.exec(
        "SELECT nodename, nodeport FROM pg_dist_node WHERE hasmetadata AND groupid <> 0 AND isactive ORDER BY 1, 2");
    ASSERT_GT(workers.rows(), 0);
    std::string worker_info;
    for (int i = 0; i < workers.rows(); ++i) {
      std::string info = "host=" + workers.str(i, 0) + " port=" + workers.str(i, 1) + " user=postgres dbname=postgres";
      if (worker_info.empty()) worker_info = info;
      PgConn w = PgConn::connect(info, "pgload-test");
      EXPECT_EQ(placements(w), after) << "pg_dist_placement on " << workers.str(i, 0) << ":" << workers.str(i, 1);
    }

    // Queries through the coordinator and through a worker see every row, the moved ones too.
    PgConn worker = PgConn::connect(worker_info, "pgload-test");
    for (const PgConn* c : {&coord_, &worker}) {
      EXPECT_EQ(*c->scalar("SELECT count(*) FROM cm_users"), std::to_string(kRows));
      EXPECT_EQ(*c->scalar("SELECT count(*) FROM cm_items i JOIN cm_users u ON u.id = i.user_id"),
                std::to_string(kRows));
      EXPECT_EQ(*c->scalar("SELECT name FROM cm_users WHERE id = 4242"), "user 4242");
    }

    // An INSERT through the coordinator lands in the placement on the new node.
    auto moved = coord_.exec(
        "SELECT s.shardid FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) "
        "WHERE s.logicalrelid = 'cm_users'::regclass AND p.groupid = $1::int LIMIT 1",
        {new_group_});
    ASSERT_EQ(moved.rows(), 1);
    const std::string shard = moved.str(0, 0);
    auto key = *coord_.scalar("SELECT g FROM generate_series(" + std::to_string(kRows + 1) + ", " +
                                  std::to_string(kRows + 10000) +
                                  ") g WHERE get_shard_id_for_distribution_column('cm_users', g) = $1::bigint LIMIT 1",
                              {shard});
    coord_.run("INSERT INTO cm_users VALUES (" + key + ", 'new', 1)");
    PgConn target = PgConn::connect(
        "host=" + env_.new_host + " port=" + env_.new_port + " user=postgres dbname=postgres", "pgload-test");
    EXPECT_EQ(*target.scalar("SELECT count(*) FROM public.cm_users_" + shard + " WHERE id = " + key), "1");

    // Citus sees nothing left to do, and its cleaner drops the old placements. It skips a table it cannot lock
    // within 1 s (shard_cleaner.c) and retries later, as its maintenance daemon would: a few rounds (one was needed
    // once, on a busy machine).
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM get_rebalance_table_shards_plan()"), "0");
    std::string left;
    for (int round = 0; round < 5 && left != "0"; ++round) {
      coord_.run("CALL citus_cleanup_orphaned_resources()");
      left = *coord_.scalar("SELECT count(*) FROM pg_dist_cleanup");
    }
    EXPECT_EQ(left, "0");
    for (int i = 0; i < workers.rows(); ++i) {
      PgConn w = PgConn::connect(
          "host=" + workers.str(i, 0) + " port=" + workers.str(i, 1) + " user=postgres dbname=postgres", "pgload-test");
      auto group = *w.scalar("SELECT groupid FROM pg_dist_local_group");
      for (const auto& [s, g] : after) {
        bool here = g == group;
        auto rel = quote_ident(
            citus_shard_name(*coord_.scalar("SELECT relname FROM pg_class WHERE oid = "
                                            "(SELECT logicalrelid FROM pg_dist_shard WHERE shardid = $1::bigint)",
                                            {s}),
                             std::stoll(s)));
        EXPECT_EQ(w.scalar("SELECT to_regclass($1)::text", {"public." + rel}).has_value(), here)
            << "shard table " << rel << " on group " << group;
      }
    }

    // Citus can move the shard again, and rebalance after that.
    auto other = *coord_.scalar(
        "SELECT nodename || ' ' || nodeport FROM pg_dist_node WHERE groupid NOT IN (0, $1::int) AND isactive "
        "ORDER BY nodeport LIMIT 1",
        {new_group_});
    auto sp = other.find(' ');
    coord_.run("SELECT citus_move_shard_placement(" + shard + ", " + quote_literal(env_.new_host) + ", " +
               env_.new_port + ", " + quote_literal(other.substr(0, sp)) + ", " + other.substr(sp + 1) +
               ", shard_transfer_mode := 'block_writes')");
    coord_.run("SELECT rebalance_table_shards(shard_transfer_mode := 'block_writes')");
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cm_users"), std::to_string(kRows + 1));
  }

  // pgmove rebalance while a client inserts through the coordinator all the time: no insert fails, and every one
  // is in the table afterwards, in the placement Citus's catalog names (the count through the coordinator reads
  // exactly the placements in pg_dist_placement).
  void rebalance_under_writes(const std::string& mode) {
    std::atomic<bool> stop{false};
    auto writer = std::async(std::launch::async, [&] {
      PgConn w = PgConn::connect(env_.conninfo, "pgload-test-writer");
      int ok = 0;
      std::string error;
      for (int k = kRows + 1; !stop.load(); ++k) {
        try {
          w.run("INSERT INTO cm_users VALUES (" + std::to_string(k) + ", 'w', 1)");
          ++ok;
        } catch (const std::exception& e) {
          if (error.empty()) error = e.what();
        }
      }
      return std::make_pair(ok, error);
    });
    auto r = pgmove("rebalance --mode " + mode + " --json");
    stop = true;
    auto [ok, error] = writer.get();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(error, "") << "a write failed during the " << mode << " rebalance";
    EXPECT_GT(ok, 0);
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cm_users"), std::to_string(kRows + ok));
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cm_users WHERE name = 'w'"), std::to_string(ok));
    EXPECT_GT(std::stoi(*coord_.scalar("SELECT count(*) FROM citus_shards WHERE nodename = $1 AND nodeport = $2::int",
                                       {env_.new_host, env_.new_port})),
              0);
  }

  std::string new_group_;
};

TEST_F(CitusMoveTest, BlockWritesRebalanceIsACitusMove) { rebalance_and_check("block_writes"); }

TEST_F(CitusMoveTest, LogicalRebalanceIsACitusMove) { rebalance_and_check("logical"); }

TEST_F(CitusMoveTest, WritesDuringABlockWritesRebalanceAllLand) { rebalance_under_writes("block_writes"); }

TEST_F(CitusMoveTest, WritesDuringALogicalRebalanceAllLand) { rebalance_under_writes("logical"); }

// A re-rate reaches a running direct move (pgmove's own copy on Citus, the page's "change the max-rate"): started at
// 512 KiB/s and re-rated to 2 MiB/s once it copies, its rate over 4 s after a settling second is 2 MiB/s within 5%.
TEST_F(CitusMoveTest, ReRateReachesADirectMove) {
  coord_.run("DROP TABLE IF EXISTS cm_rate");
  env_.new_node_takes_shards(coord_, false);
  coord_.run("CREATE TABLE cm_rate (id bigint PRIMARY KEY, payload text)");
  coord_.run("SELECT create_distributed_table('cm_rate', 'id', shard_count := 2, colocate_with := 'none')");
  coord_.run("INSERT INTO cm_rate SELECT g, repeat(md5(g::text), 32) FROM generate_series(1, 30000) g");
  env_.new_node_takes_shards(coord_, true);
  auto r = coord_.exec(
      "SELECT p.shardid, n.nodename, n.nodeport FROM pg_dist_placement p JOIN pg_dist_shard s USING (shardid) "
      "JOIN pg_dist_node n ON n.groupid = p.groupid WHERE s.logicalrelid = 'cm_rate'::regclass ORDER BY 1 LIMIT 1");
  ASSERT_EQ(r.rows(), 1);
  const MoveRequest request{r.i64(0, 0), r.str(0, 1), static_cast<int32_t>(r.i64(0, 2)), env_.new_host,
                            std::stoi(env_.new_port)};
  constexpr double kRate = 2.0 * 1024 * 1024;
  MoveControl control;
  test::RateProbe probe;
  ExecutorOptions opts;
  opts.max_rate_bytes_per_s = int64_t{512} * 1024;
  opts.control = &control;
  opts.hooks.after_target_chunk = [&](int64_t shard, int, uint64_t bytes) { probe.chunk(shard, bytes); };
  auto cat = Catalog::load(coord_);
  MoveSummary sum;
  std::string error;
  testing::internal::CaptureStdout();
  std::thread mover([&] {
    try {
      sum = execute_moves(cat, {request}, opts);
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  const double rate = test::rate_after_rerate(control, probe, uint64_t{512} * 1024, static_cast<int64_t>(kRate),
                                              std::chrono::seconds(4));
  mover.join();
  testing::internal::GetCapturedStdout();
  ASSERT_GT(rate, 0) << "the move never copied 512 KiB: " << error;
  EXPECT_EQ(error, "");
  EXPECT_EQ(sum.path, "citus_direct");
  EXPECT_NEAR(rate, kRate, kRate * 0.05) << "measured " << rate / 1024 / 1024 << " MiB/s after a re-rate to 2 MiB/s";
}

// `pgmove rebalance --parallel 2` on Citus could hang: parallel moves listed the metadata workers over the one
// catalog session (a libpq connection is not thread-safe). Each move now reads over its own coordinator session.
// Both modes, each bounded by timeout(1) (exit 124 is the hang), and Citus agrees afterwards.
TEST_F(CitusMoveTest, ParallelRebalanceFinishes) {
  for (const std::string mode : {"block_writes", "logical"}) {
    auto r = pgmove("rebalance --parallel 2 --mode " + mode);
    ASSERT_EQ(r.exit_code, 0) << mode << (r.exit_code == 124 ? " (hung)" : "") << ": " << r.output;
    EXPECT_NE(r.output.find("Citus: pgmove copies"), std::string::npos) << r.output;
    EXPECT_GT(on_new_node("cm_users"), 1) << mode << ": " << r.output;
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM get_rebalance_table_shards_plan()"), "0") << mode;
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cm_items i JOIN cm_users u ON u.id = i.user_id"),
              std::to_string(kRows))
        << mode;
    // Back to the old workers for the next mode.
    coord_.run("SELECT citus_drain_node(" + quote_literal(env_.new_host) + ", " + env_.new_port +
               ", shard_transfer_mode := 'block_writes')");
    env_.new_node_takes_shards(coord_, true);
    coord_.run("CALL citus_cleanup_orphaned_resources()");
  }
}

// The subscription of a logical move on Citus is created as Citus creates its own (citus_use_authinfo: the target
// completes the conninfo from pg_dist_authinfo and citus.node_conninfo): the password pgmove connected with is
// never in the target's pg_subscription, nor in the --debug output.
TEST_F(CitusMoveTest, SubscriptionNeverHoldsThePassword) {
  std::atomic<bool> done{false};
  std::string stored;
  std::thread watch([&] {
    PgConn t = PgConn::connect("host=" + env_.new_host + " port=" + env_.new_port + " user=postgres dbname=postgres",
                               "pgload-test");
    while (!done.load()) {
      if (auto v = t.scalar("SELECT string_agg(subconninfo, ' | ') FROM pg_subscription WHERE subname LIKE "
                            "'pgload%'"))
        stored = *v;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::vector<std::string> workers;  // they write WAL during the moves, so that each move subscribes
  const Catalog cat = Catalog::load(coord_);
  for (const auto& n : cat.nodes())
    if (!n.is_coordinator()) workers.push_back(cat.node_conninfo(n));
  std::optional<test::WalNudge> nudge(std::in_place, workers);
  auto r = pgmove("--debug rebalance --mode logical", "'" + env_.conninfo + " password=S3cretPw!'");
  nudge.reset();
  done = true;
  watch.join();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Citus: pgmove copies"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("S3cret"), std::string::npos) << r.output;
  ASSERT_NE(stored, "") << "no subscription seen during the move";
  EXPECT_EQ(stored.find("S3cret"), std::string::npos) << stored;
  EXPECT_NE(stored.find("port="), std::string::npos) << stored;
}

}  // namespace
