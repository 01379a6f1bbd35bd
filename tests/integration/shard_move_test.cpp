// Shard moves against a real local cluster: block_writes and logical moves, colocated units, rejected requests,
// a target dying mid-copy, retry from the spool, journal recovery, a loose throttle check, and logical runs held to
// their sources' free WAL senders.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/catalog.h"
#include "common/shard_name.h"
#include "mover/engine.h"
#include "mover/move/move_control.h"
#include "mover/move/move_journal.h"
#include "mover/move/replication.h"
#include "tests/support/rate_probe.h"
#include "tests/support/shard_definition.h"
#include "tests/support/test_cluster.h"
#include "tests/support/wal_nudge.h"

using namespace pgload;
using pgload::test::TestCluster;

namespace {

struct ShardRow {
  int64_t shard_id;
  int32_t group;
  int port;
  int64_t min, max;
};

// The cluster shared by every test here, with one extra (empty) worker added as the move target.
struct Env {
  TestCluster& cluster = TestCluster::shared();
  int new_port = 0;
  static Env& get() {
    static Env env = [] {
      Env e;
      e.new_port = e.cluster.add_worker();
      return e;
    }();
    return env;
  }
};

std::vector<ShardRow> shards_of(const PgConn& coord, const std::string& table) {
  auto r = coord.exec(
      "SELECT s.shardid, p.groupid, n.nodeport, s.shardminvalue::bigint, s.shardmaxvalue::bigint "
      "FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n ON n.groupid = p.groupid "
      "WHERE s.logicalrelid = $1::regclass ORDER BY s.shardminvalue::bigint",
      {table});
  std::vector<ShardRow> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(
        {r.i64(i, 0), static_cast<int32_t>(r.i64(i, 1)), static_cast<int>(r.i64(i, 2)), r.i64(i, 3), r.i64(i, 4)});
  return out;
}

std::string placements(const PgConn& coord) {
  auto r =
      coord.exec("SELECT string_agg(shardid || ':' || groupid, ',' ORDER BY shardid, groupid) FROM pg_dist_placement");
  return r.str(0, 0);
}

int64_t count(const PgConn& c, const std::string& sql) { return std::stoll(*c.scalar(sql)); }

bool table_exists(const PgConn& c, const std::string& rel) {
  return c.scalar("SELECT to_regclass($1)::text", {rel}).has_value();
}

int64_t unfinished_journal_entries(const PgConn& coord) {
  if (*coord.scalar("SELECT to_regclass('pgload.moves') IS NOT NULL") != "t") return 0;
  return count(coord, "SELECT count(*) FROM pgload.moves WHERE state IN ('started', 'switched')");
}

// CREATE + distribute through the coordinator; `rows` small rows inserted through it (slow path, keep it small).
// Each table is its own colocation group unless told otherwise, so moves of one test do not carry another's shards.
void make_table(const PgConn& coord, const std::string& name, int shard_count, int rows,
                const std::string& colocate_with = "none") {
  coord.run("DROP TABLE IF EXISTS " + name);
  coord.run("CREATE TABLE " + name + " (id bigint PRIMARY KEY, v int NOT NULL DEFAULT 0, payload text)");
  coord.run("CREATE INDEX ON " + name + " (v)");
  coord.exec("SELECT create_distributed_table($1, 'id', colocate_with := $2, shard_count := $3::int)",
             {name, colocate_with, std::to_string(shard_count)});
  if (rows > 0)
    coord.run("INSERT INTO " + name + " SELECT i, i % 7, 'row ' || i FROM generate_series(1, " + std::to_string(rows) +
              ") i");
}

// Fills one shard directly on its worker (fast path) with ids of its hash range: about `rows` rows of
// `payload_bytes` each.
void fill_shard(const TestCluster& cluster, const std::string& table, const ShardRow& s, int rows, int payload_bytes) {
  auto w = cluster.connect_node(s.port);
  // hashes are uniform: the shard's share of the hash space decides how many ids to try
  const int64_t candidates = static_cast<int64_t>(rows) * 4294967296LL / (s.max - s.min + 1);
  w.run("INSERT INTO public." + citus_shard_name(table, s.shard_id) + " SELECT i, i % 7, repeat(md5(i::text), " +
        std::to_string(payload_bytes / 32 + 1) + ") FROM generate_series(1000000, 1000000 + " +
        std::to_string(candidates) + ") i WHERE hashint8(i) BETWEEN " + std::to_string(s.min) + " AND " +
        std::to_string(s.max));
}

// Index of the first shard not already on `port` (tables made after add_worker also place shards there).
size_t not_on(const std::vector<ShardRow>& shards, int port, size_t skip = 0) {
  for (size_t i = 0; i < shards.size(); ++i)
    if (shards[i].port != port && skip-- == 0) return i;
  throw std::runtime_error("every shard is on port " + std::to_string(port));
}

MoveRequest request(const ShardRow& s, int target_port) {
  return {s.shard_id, "127.0.0.1", s.port, "127.0.0.1", target_port};
}

std::string shard_rel(const std::string& table, int64_t id) { return "public." + citus_shard_name(table, id); }

void terminate_app(const TestCluster& cluster, int port, const std::string& app) {
  cluster.connect_node(port).exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                                  {app});
}

// execute_moves with its stdout (the NOTICE lines) captured into *out.
MoveSummary run_moves(Catalog& cat, const std::vector<MoveRequest>& reqs, const ExecutorOptions& opts,
                      std::string* out = nullptr) {
  testing::internal::CaptureStdout();
  try {
    auto sum = execute_moves(cat, reqs, opts);
    std::string printed = testing::internal::GetCapturedStdout();
    if (out) *out = printed;
    return sum;
  } catch (...) {
    std::string printed = testing::internal::GetCapturedStdout();
    if (out) *out = printed;
    throw;
  }
}

}  // namespace

TEST(ShardMove, BlockWritesMovesOneShard) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "mv_a", 4, 2000);
  auto before = shards_of(coord, "mv_a");
  const size_t k = not_on(before, env.new_port);
  const ShardRow s = before[k];
  auto src = env.cluster.connect_node(s.port);
  int64_t shard_rows = count(src, "SELECT count(*) FROM " + shard_rel("mv_a", s.shard_id));
  ASSERT_GT(shard_rows, 0);
  int64_t total = count(coord, "SELECT count(*) FROM mv_a");

  auto cat = Catalog::load(coord);
  std::string out;
  MoveSummary sum = run_moves(cat, {request(s, env.new_port)}, {}, &out);
  EXPECT_EQ(out, "NOTICE:  Moving shard " + std::to_string(s.shard_id) + " from 127.0.0.1:" + std::to_string(s.port) +
                     " to 127.0.0.1:" + std::to_string(env.new_port) + " ...\n");
  EXPECT_EQ(sum.moves, 1);
  EXPECT_GT(sum.bytes, 0u);

  auto after = shards_of(coord, "mv_a");
  EXPECT_EQ(after[k].port, env.new_port);
  for (size_t i = 0; i < after.size(); ++i)
    if (i != k) {
      EXPECT_EQ(after[i].port, before[i].port);
    }
  EXPECT_EQ(count(coord, "SELECT count(*) FROM mv_a"), total);
  auto dst = env.cluster.connect_node(env.new_port);
  EXPECT_EQ(count(dst, "SELECT count(*) FROM " + shard_rel("mv_a", s.shard_id)), shard_rows);
  EXPECT_FALSE(table_exists(src, shard_rel("mv_a", s.shard_id)));
  // indexes and the primary key were rebuilt on the target
  EXPECT_EQ(
      count(dst, "SELECT count(*) FROM pg_index WHERE indrelid = '" + shard_rel("mv_a", s.shard_id) + "'::regclass"),
      2);
  EXPECT_EQ(unfinished_journal_entries(coord), 0);
  // writes through the coordinator reach the new placement
  auto id = coord.scalar("SELECT i FROM generate_series(5000, 100000) i WHERE hashint8(i) BETWEEN " +
                         std::to_string(s.min) + " AND " + std::to_string(s.max) + " LIMIT 1");
  coord.run("INSERT INTO mv_a VALUES (" + *id + ", 1, 'after')");
  EXPECT_EQ(count(dst, "SELECT count(*) FROM " + shard_rel("mv_a", s.shard_id) + " WHERE id = " + *id), 1);
}

TEST(ShardMove, ColocatedTablesMoveTogether) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "co_a", 6, 300, "none");
  make_table(coord, "co_b", 6, 300, "co_a");
  auto a = shards_of(coord, "co_a");
  auto b = shards_of(coord, "co_b");
  const size_t k = not_on(a, env.new_port);
  const ShardRow s = a[k];
  int64_t b_rows =
      count(env.cluster.connect_node(b[k].port), "SELECT count(*) FROM " + shard_rel("co_b", b[k].shard_id));

  auto cat = Catalog::load(coord);
  std::string out;
  auto sum = run_moves(cat, {request(s, env.new_port)}, {}, &out);
  EXPECT_EQ(sum.moves, 1);
  EXPECT_EQ(sum.source_reads, 2);  // one COPY per table of the unit
  EXPECT_NE(out.find("Moving shard " + std::to_string(s.shard_id)), std::string::npos);

  auto a2 = shards_of(coord, "co_a");
  auto b2 = shards_of(coord, "co_b");
  EXPECT_EQ(a2[k].port, env.new_port);
  EXPECT_EQ(b2[k].port, env.new_port);
  for (size_t i = 0; i < b.size(); ++i)
    if (i != k) {
      EXPECT_EQ(b2[i].port, b[i].port);
    }
  auto dst = env.cluster.connect_node(env.new_port);
  EXPECT_EQ(count(dst, "SELECT count(*) FROM " + shard_rel("co_b", b[k].shard_id)), b_rows);
  EXPECT_EQ(count(coord, "SELECT count(*) FROM co_a"), 300);
  EXPECT_EQ(count(coord, "SELECT count(*) FROM co_b"), 300);
}

TEST(ShardMove, BadMovesThrowAndChangeNothing) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "bad_a", 4, 100);
  auto bad = shards_of(coord, "bad_a");
  auto s = bad[not_on(bad, env.new_port)];
  auto cat = Catalog::load(coord);
  std::string before = placements(coord);
  int64_t journal_rows = *coord.scalar("SELECT to_regclass('pgload.moves') IS NOT NULL") == "t"
                             ? count(coord, "SELECT count(*) FROM pgload.moves")
                             : 0;
  auto expect_throw = [&](const MoveRequest& r, const std::string& needle) {
    std::string printed;
    try {
      run_moves(cat, {r}, {}, &printed);
      ADD_FAILURE() << "expected an error mentioning " << needle;
    } catch (const std::exception& e) {
      EXPECT_EQ(printed, "") << "nothing is announced for a rejected move";
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_throw({s.shard_id, "127.0.0.1", s.port, "127.0.0.1", s.port}, std::to_string(s.shard_id));
  expect_throw({999999, "127.0.0.1", s.port, "127.0.0.1", env.new_port}, "999999");
  expect_throw({s.shard_id, "127.0.0.1", s.port, "127.0.0.1", 1}, "127.0.0.1:1");
  int other = 0;  // a worker that does not hold the shard
  for (int p : env.cluster.worker_ports())
    if (p != s.port && p != env.new_port) other = p;
  expect_throw({s.shard_id, "127.0.0.1", other, "127.0.0.1", env.new_port}, "no active placement");
  EXPECT_EQ(placements(coord), before);
  int64_t journal_after = *coord.scalar("SELECT to_regclass('pgload.moves') IS NOT NULL") == "t"
                              ? count(coord, "SELECT count(*) FROM pgload.moves")
                              : 0;
  EXPECT_EQ(journal_after, journal_rows);
  EXPECT_FALSE(table_exists(env.cluster.connect_node(env.new_port), shard_rel("bad_a", s.shard_id)));
}

TEST(ShardMove, TargetDyingMidCopyLeavesCatalogAndTargetUntouched) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "die_a", 4, 0);
  auto die = shards_of(coord, "die_a");
  auto s = die[not_on(die, env.new_port)];
  fill_shard(env.cluster, "die_a", s, 20000, 200);  // ~5 MB: many COPY chunks
  auto src = env.cluster.connect_node(s.port);
  std::string sum_before =
      *src.scalar("SELECT count(*) || '/' || sum(hashtext(t::text)) FROM " + shard_rel("die_a", s.shard_id) + " t");
  std::string before = placements(coord);

  ExecutorOptions opts;
  std::atomic<int> kills{0};
  opts.hooks.after_target_chunk = [&](int64_t shard, int, uint64_t) {
    EXPECT_EQ(shard, s.shard_id);
    // the move's target connection is named after the requested shard
    if (kills++ == 0) terminate_app(env.cluster, env.new_port, "pgmove-target-" + std::to_string(s.shard_id));
  };
  auto cat = Catalog::load(coord);
  try {
    run_moves(cat, {request(s, env.new_port)}, opts);
    ADD_FAILURE() << "the move should fail when its target connection dies";
  } catch (const std::exception& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(std::to_string(s.shard_id)), std::string::npos) << msg;
    EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(env.new_port)), std::string::npos) << msg;
  }
  EXPECT_GE(kills.load(), 1);
  EXPECT_EQ(placements(coord), before);
  EXPECT_FALSE(table_exists(env.cluster.connect_node(env.new_port), shard_rel("die_a", s.shard_id)));
  EXPECT_EQ(
      *src.scalar("SELECT count(*) || '/' || sum(hashtext(t::text)) FROM " + shard_rel("die_a", s.shard_id) + " t"),
      sum_before);
  EXPECT_EQ(unfinished_journal_entries(coord), 0);
  // the source lock is gone: writes to the shard work again
  src.run("UPDATE " + shard_rel("die_a", s.shard_id) + " SET v = v + 1 WHERE id = (SELECT min(id) FROM " +
          shard_rel("die_a", s.shard_id) + ")");
}

TEST(ShardMove, SpoolRetriesTargetWithoutRereadingSource) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "sp_a", 4, 0);
  auto sp = shards_of(coord, "sp_a");
  const size_t k = not_on(sp, env.new_port);
  auto s = sp[k];
  fill_shard(env.cluster, "sp_a", s, 20000, 200);
  auto src = env.cluster.connect_node(s.port);
  std::string sum_before =
      *src.scalar("SELECT count(*) || '/' || sum(hashtext(t::text)) FROM " + shard_rel("sp_a", s.shard_id) + " t");
  ExecutorOptions opts;
  opts.spool_dir = pgload::test::temp_dir("pgload-spool");
  std::atomic<int> first_attempt_chunks{0}, later_attempt_chunks{0};
  opts.hooks.after_target_chunk = [&](int64_t, int attempt, uint64_t) {
    if (attempt == 1) {
      if (first_attempt_chunks++ == 2)
        terminate_app(env.cluster, env.new_port, "pgmove-target-" + std::to_string(s.shard_id));
    } else {
      later_attempt_chunks++;
    }
  };
  auto cat = Catalog::load(coord);
  MoveSummary sum = run_moves(cat, {request(s, env.new_port)}, opts);
  EXPECT_EQ(sum.source_reads, 1);     // the source was read once ...
  EXPECT_EQ(sum.target_attempts, 2);  // ... although the target needed a second attempt
  EXPECT_GT(later_attempt_chunks.load(), 0);
  auto dst = env.cluster.connect_node(env.new_port);
  EXPECT_EQ(
      *dst.scalar("SELECT count(*) || '/' || sum(hashtext(t::text)) FROM " + shard_rel("sp_a", s.shard_id) + " t"),
      sum_before);
  EXPECT_EQ(shards_of(coord, "sp_a")[k].port, env.new_port);
  EXPECT_FALSE(table_exists(src, shard_rel("sp_a", s.shard_id)));
  EXPECT_EQ(pgload::test::run_command("ls -A " + opts.spool_dir).output, "");  // spool file never named on disk
}

TEST(ShardMove, RecoveryCleansPartialTargetAndFinishesSwitchedMove) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "rc_a", 4, 200);
  auto all = shards_of(coord, "rc_a");
  std::vector<ShardRow> sh = {all[not_on(all, env.new_port, 0)], all[not_on(all, env.new_port, 1)],
                              all[not_on(all, env.new_port, 2)]};
  auto new_group = static_cast<int32_t>(
      count(coord, "SELECT groupid FROM pg_dist_node WHERE nodeport = " + std::to_string(env.new_port)));
  auto dst = env.cluster.connect_node(env.new_port);

  // Crash 1: a move that had started copying (partial table on the target); its owner session is gone.
  const std::string rel0 = shard_rel("rc_a", sh[0].shard_id);
  dst.run("CREATE TABLE " + rel0 + " (id bigint)");
  {
    MoveJournal crashed(env.cluster.connect());
    crashed.begin({sh[0].shard_id}, {"\"public\".\"rc_a_" + std::to_string(sh[0].shard_id) + "\""}, sh[0].group,
                  new_group, "block_writes");
  }
  // Crash 2: a move that had switched: data and placement on the target, the old table still on the source.
  const std::string rel1 = shard_rel("rc_a", sh[1].shard_id);
  auto src1 = env.cluster.connect_node(sh[1].port);
  auto ddl =
      coord.exec("SELECT unnest(pgcluster.shard_ddl('rc_a'::regclass, $1::bigint))", {std::to_string(sh[1].shard_id)});
  for (int i = 0; i < ddl.rows(); ++i) dst.run(ddl.str(i, 0));
  auto values = src1.scalar("SELECT string_agg(format('(%s,%s,%L)', id, v, payload), ',') FROM " + rel1);
  dst.run("INSERT INTO " + rel1 + " VALUES " + *values);
  {
    MoveJournal crashed(env.cluster.connect());
    int64_t id = crashed.begin({sh[1].shard_id}, {"\"public\".\"rc_a_" + std::to_string(sh[1].shard_id) + "\""},
                               sh[1].group, new_group, "block_writes");
    crashed.conn().run("BEGIN");
    crashed.conn().run("UPDATE pg_dist_placement SET groupid = " + std::to_string(new_group) +
                       " WHERE shardid = " + std::to_string(sh[1].shard_id));
    crashed.set_state(id, "switched");
    crashed.conn().run("COMMIT");
  }
  // A move whose owner is alive must be left alone.
  MoveJournal alive(env.cluster.connect());
  int64_t live_id =
      alive.begin({sh[2].shard_id}, {shard_rel("rc_a", sh[2].shard_id)}, sh[2].group, new_group, "block_writes");

  auto cat = Catalog::load(coord);
  EXPECT_GE(recover_moves(cat), 2);
  EXPECT_FALSE(table_exists(dst, rel0));
  EXPECT_FALSE(table_exists(src1, rel1));
  EXPECT_TRUE(table_exists(dst, rel1));
  EXPECT_EQ(count(coord, "SELECT count(*) FROM rc_a"), 200);
  EXPECT_EQ(*coord.scalar("SELECT state FROM pgload.moves WHERE move_id = $1", {std::to_string(live_id)}), "started");
  alive.set_state(live_id, "aborted", "test");
  alive.release(live_id);
  EXPECT_EQ(unfinished_journal_entries(coord), 0);
  EXPECT_EQ(recover_moves(cat), 0);
}

// Logical mode: a writer keeps inserting and updating rows of the moving shard through the coordinator; every write
// that succeeded is present exactly once afterwards, and the updated counter equals the number of updates.
TEST(ShardMove, LogicalMoveKeepsConcurrentWrites) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "lg_a", 4, 1000);
  auto lg = shards_of(coord, "lg_a");
  const size_t k = not_on(lg, env.new_port);
  auto s = lg[k];
  const std::string range = "hashint8(i) BETWEEN " + std::to_string(s.min) + " AND " + std::to_string(s.max);
  auto ids = coord.exec("SELECT i FROM generate_series(100000, 300000) i WHERE " + range + " LIMIT 400");
  auto counter_id = *coord.scalar("SELECT i FROM generate_series(1, 1000) i WHERE " + range + " LIMIT 1");
  const int64_t counter_start = count(coord, "SELECT v FROM lg_a WHERE id = " + counter_id);

  std::mutex mu;
  std::condition_variable cv;
  int writes_after_copy = -1;  // -1 until the move reached "copied"
  std::atomic<bool> stop{false};
  std::vector<std::string> inserted;
  int updates = 0;
  std::thread writer([&] {
    auto w = env.cluster.connect();
    for (int i = 0; i < ids.rows() && !stop; ++i) {
      bool ok = true;
      try {
        w.run("INSERT INTO lg_a VALUES (" + ids.str(i, 0) + ", 0, 'live')");
      } catch (const std::exception&) {
        ok = false;  // a write that hit the switch may fail; it must then be absent
      }
      bool upd = true;
      try {
        w.run("UPDATE lg_a SET v = v + 1 WHERE id = " + counter_id);
      } catch (const std::exception&) {
        upd = false;
      }
      std::lock_guard lock(mu);
      if (ok) inserted.push_back(ids.str(i, 0));
      if (upd) ++updates;
      if (writes_after_copy >= 0) ++writes_after_copy;
      cv.notify_all();
    }
  });

  ExecutorOptions opts;
  opts.mode = TransferMode::Logical;
  opts.hooks.on_step = [&](int64_t, std::string_view step) {
    if (step != "copied") return;
    // Let 50 writes land after the snapshot copy: they can only reach the target through the subscription.
    std::unique_lock lock(mu);
    writes_after_copy = 0;
    cv.wait_for(lock, std::chrono::seconds(60), [&] { return writes_after_copy >= 50; });
  };
  auto cat = Catalog::load(coord);
  MoveSummary sum;
  try {
    sum = run_moves(cat, {request(s, env.new_port)}, opts);
  } catch (...) {
    stop = true;
    writer.join();
    throw;
  }
  writer.join();
  EXPECT_EQ(sum.moves, 1);
  EXPECT_GE(writes_after_copy, 50);

  std::string list = "{";
  for (size_t i = 0; i < inserted.size(); ++i) list += (i ? "," : "") + inserted[i];
  list += "}";
  ASSERT_GT(inserted.size(), 50u);
  auto r = coord.exec("SELECT count(*), count(DISTINCT id) FROM lg_a WHERE id = ANY($1::bigint[])", {list});
  EXPECT_EQ(r.i64(0, 0), static_cast<int64_t>(inserted.size()));
  EXPECT_EQ(r.i64(0, 1), static_cast<int64_t>(inserted.size()));
  auto dst = env.cluster.connect_node(env.new_port);
  EXPECT_EQ(count(dst, "SELECT count(*) FROM " + shard_rel("lg_a", s.shard_id) + " WHERE payload = 'live'"),
            static_cast<int64_t>(inserted.size()));
  EXPECT_EQ(count(coord, "SELECT v FROM lg_a WHERE id = " + counter_id), counter_start + updates);
  EXPECT_EQ(shards_of(coord, "lg_a")[k].port, env.new_port);
  // no replication leftovers on either side
  auto src = env.cluster.connect_node(s.port);
  EXPECT_EQ(count(src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgload_move_%'"), 0);
  EXPECT_EQ(count(src, "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pgload_move_%'"), 0);
  EXPECT_EQ(count(dst, "SELECT count(*) FROM pg_subscription WHERE subname LIKE 'pgload_move_%'"), 0);
  EXPECT_FALSE(table_exists(src, shard_rel("lg_a", s.shard_id)));
  EXPECT_EQ(unfinished_journal_entries(coord), 0);
}

// Loose only: ~20 MB at 10 MB/s cannot finish in under 1.5 s (the exact figure belongs to bench/).
TEST(ShardMove, ThrottleCapsTheRate) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "th_a", 4, 0);
  auto th = shards_of(coord, "th_a");
  auto s = th[not_on(th, env.new_port)];
  fill_shard(env.cluster, "th_a", s, 20000, 1000);
  ExecutorOptions opts;
  opts.max_rate_bytes_per_s = 10'000'000;
  auto cat = Catalog::load(coord);
  MoveSummary sum = run_moves(cat, {request(s, env.new_port)}, opts);
  ASSERT_GE(sum.bytes, 18'000'000u);
  EXPECT_GE(sum.seconds, 1.5);
}

// A re-rate reaches a running move (what the page's "change the max-rate" does): started at 512 KiB/s and re-rated
// to 2 MiB/s once it copies, the move's rate measured over 4 s after a settling second is 2 MiB/s within 5%.
TEST(ShardMove, ReRateReachesARunningMove) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "rr_a", 4, 0);
  auto rr = shards_of(coord, "rr_a");
  auto s = rr[not_on(rr, env.new_port)];
  fill_shard(env.cluster, "rr_a", s, 16000, 1000);
  constexpr double kRate = 2.0 * 1024 * 1024;
  MoveControl control;
  test::RateProbe probe;
  ExecutorOptions opts;
  opts.max_rate_bytes_per_s = int64_t{512} * 1024;
  opts.control = &control;
  opts.hooks.after_target_chunk = [&](int64_t shard, int, uint64_t bytes) { probe.chunk(shard, bytes); };
  auto cat = Catalog::load(coord);
  MoveSummary sum;
  std::string error;
  std::thread mover([&] {
    try {
      sum = run_moves(cat, {request(s, env.new_port)}, opts);
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  const double rate = test::rate_after_rerate(control, probe, uint64_t{512} * 1024, static_cast<int64_t>(kRate),
                                              std::chrono::seconds(4));
  mover.join();
  ASSERT_GT(rate, 0) << "the move never copied 512 KiB: " << error;
  EXPECT_EQ(error, "");
  EXPECT_EQ(sum.moves, 1);
  EXPECT_NEAR(rate, kRate, kRate * 0.05) << "measured " << rate / 1024 / 1024 << " MiB/s after a re-rate to 2 MiB/s";
}

// Two moves in parallel, each a different shard to the new worker; both switch.
TEST(ShardMove, ParallelMovesBothSwitch) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "par_a", 4, 400, "none");
  auto all = shards_of(coord, "par_a");
  const size_t i0 = not_on(all, env.new_port, 0), i1 = not_on(all, env.new_port, 1);
  std::vector<ShardRow> sh = {all[i0], all[i1]};
  ExecutorOptions opts;
  opts.parallel = 2;
  opts.max_rate_bytes_per_s = 50'000'000;
  auto cat = Catalog::load(coord);
  std::string out;
  auto sum = run_moves(cat, {request(sh[0], env.new_port), request(sh[1], env.new_port)}, opts, &out);
  EXPECT_EQ(sum.moves, 2);
  EXPECT_NE(out.find("Moving shard " + std::to_string(sh[0].shard_id)), std::string::npos);
  EXPECT_NE(out.find("Moving shard " + std::to_string(sh[1].shard_id)), std::string::npos);
  auto after = shards_of(coord, "par_a");
  EXPECT_EQ(after[i0].port, env.new_port);
  EXPECT_EQ(after[i1].port, env.new_port);
  EXPECT_EQ(count(coord, "SELECT count(*) FROM par_a"), 400);
}

// Walsenders held open on a node, as a physical standby or another tool's streams would hold them.
struct HeldWalSenders {
  std::vector<PGconn*> conns;
  HeldWalSenders(const std::string& conninfo, int n) {
    for (int i = 0; i < n; ++i) {
      conns.push_back(PQconnectdb((conninfo + " replication=database").c_str()));
      if (PQstatus(conns.back()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conns.back()));
    }
  }
  ~HeldWalSenders() {
    for (PGconn* c : conns) PQfinish(c);
  }
  HeldWalSenders(const HeldWalSenders&) = delete;
  HeldWalSenders& operator=(const HeldWalSenders&) = delete;
};

constexpr const char* kFreeWalSenders =
    "SELECT current_setting('max_wal_senders')::int - count(*) FROM pg_stat_get_wal_senders()";

// The node's free WAL senders, once the walsenders of earlier tests' moves (which end a moment after their
// sessions close) are gone: nothing else streams from the test cluster.
int free_wal_senders(const PgConn& node) {
  for (int i = 0; i < 200 && count(node, "SELECT count(*) FROM pg_stat_get_wal_senders()") > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return static_cast<int>(count(node, kFreeWalSenders));
}

// A logical move holds two WAL senders on its source (its replication session and its subscription's). With three
// free there, a run asked for three moves at once runs them one at a time (two at once would need four), says so,
// and every move switches.
TEST(ShardMove, LogicalRunKeepsToTheSourcesFreeWalSenders) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "ws_a", 8, 800);
  auto all = shards_of(coord, "ws_a");
  const int port = all[not_on(all, env.new_port)].port;
  std::vector<size_t> picked;
  for (size_t i = 0; i < all.size() && picked.size() < 3; ++i)
    if (all[i].port == port) picked.push_back(i);
  ASSERT_EQ(picked.size(), 3u);
  auto src = env.cluster.connect_node(port);
  HeldWalSenders held(env.cluster.node_conninfo(port), free_wal_senders(src) - 3);
  ASSERT_EQ(count(src, kFreeWalSenders), 3);

  std::atomic<bool> stop{false};
  int64_t most_slots = 0;  // pgmove's slots on the source at one time
  std::thread watch([&] {
    auto w = env.cluster.connect_node(port);
    while (!stop) {
      most_slots = std::max(most_slots, count(w,
                                              "SELECT count(*) FROM pg_replication_slots "
                                              "WHERE slot_name LIKE 'pgload_move_%'"));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  ExecutorOptions opts;
  opts.mode = TransferMode::Logical;
  opts.parallel = 3;
  auto cat = Catalog::load(coord);
  std::vector<MoveRequest> reqs;
  for (size_t i : picked) reqs.push_back(request(all[i], env.new_port));
  testing::internal::CaptureStderr();
  MoveSummary sum;
  try {
    sum = run_moves(cat, reqs, opts);
  } catch (...) {
    (void)testing::internal::GetCapturedStderr();
    stop = true;
    watch.join();
    throw;
  }
  const std::string err = testing::internal::GetCapturedStderr();
  stop = true;
  watch.join();
  EXPECT_EQ(sum.moves, 3);
  EXPECT_EQ(most_slots, 1) << "0: no slot seen; 2 or more: moves from the source ran side by side";
  EXPECT_NE(err.find("source 127.0.0.1:" + std::to_string(port) + " has 3 of max_wal_senders"), std::string::npos)
      << err;
  EXPECT_NE(err.find("at most 1 logical move(s) from it at a time"), std::string::npos) << err;
  auto after = shards_of(coord, "ws_a");
  for (size_t i : picked) EXPECT_EQ(after[i].port, env.new_port);
  EXPECT_EQ(count(coord, "SELECT count(*) FROM ws_a"), 800);
}

// With fewer than two WAL senders free on a source, a logical run stops before anything moves, and says what the
// source has and what to change.
TEST(ShardMove, LogicalRunWithoutFreeWalSendersMovesNothing) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "ws_b", 4, 400);
  auto all = shards_of(coord, "ws_b");
  const auto s = all[not_on(all, env.new_port)];
  auto src = env.cluster.connect_node(s.port);
  HeldWalSenders held(env.cluster.node_conninfo(s.port), free_wal_senders(src) - 1);
  const std::string before = placements(coord);
  ExecutorOptions opts;
  opts.mode = TransferMode::Logical;
  auto cat = Catalog::load(coord);
  try {
    run_moves(cat, {request(s, env.new_port)}, opts);
    ADD_FAILURE() << "the move ran with one WAL sender free on its source";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("has 1 of max_wal_senders"), std::string::npos) << what;
    EXPECT_NE(what.find("a logical move needs 2 WAL senders and 1 slot there"), std::string::npos) << what;
    EXPECT_NE(what.find("nothing was moved"), std::string::npos) << what;
  }
  EXPECT_EQ(placements(coord), before);
  EXPECT_EQ(count(src, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgload_move_%'"), 0);
  EXPECT_EQ(unfinished_journal_entries(coord), 0);
}

// Recovery of a move that stopped after its journal entry ('started') dropped the shard's table on the target
// without looking at the catalog: if the shard has been placed there since (Citus's rebalancer, another move),
// that was live data. Now the table of a shard with a placement on the target stays, and the entry is aborted.
TEST(ShardMove, RecoveryNeverDropsATableWhoseShardIsPlacedThere) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "rl_a", 4, 400);
  auto all = shards_of(coord, "rl_a");
  const ShardRow s = all[not_on(all, env.new_port)];
  auto new_group = static_cast<int32_t>(
      count(coord, "SELECT groupid FROM pg_dist_node WHERE nodeport = " + std::to_string(env.new_port)));
  // A pgmove move of the shard stopped after its journal entry...
  int64_t stopped = 0;
  {
    MoveJournal crashed(env.cluster.connect());
    stopped = crashed.begin({s.shard_id}, {"\"public\".\"rl_a_" + std::to_string(s.shard_id) + "\""}, s.group,
                            new_group, "block_writes");
  }
  // ...and the shard was then moved to the same node by someone else (here: a move that recovery does not see,
  // since this run's own recovery is what the test is about).
  {
    auto dst = env.cluster.connect_node(env.new_port);
    auto src = env.cluster.connect_node(s.port);
    auto ddl =
        coord.exec("SELECT unnest(pgcluster.shard_ddl('rl_a'::regclass, $1::bigint))", {std::to_string(s.shard_id)});
    for (int i = 0; i < ddl.rows(); ++i) dst.run(ddl.str(i, 0));
    const std::string rel = shard_rel("rl_a", s.shard_id);
    dst.run("INSERT INTO " + rel + " VALUES " +
            *src.scalar("SELECT string_agg(format('(%s,%s,%L)', id, v, payload), ',') FROM " + rel));
    coord.run("UPDATE pg_dist_placement SET groupid = " + std::to_string(new_group) +
              " WHERE shardid = " + std::to_string(s.shard_id));
    src.run("DROP TABLE " + rel);
  }
  const int64_t rows = count(coord, "SELECT count(*) FROM rl_a");
  ASSERT_EQ(rows, 400);

  auto cat = Catalog::load(coord);
  testing::internal::CaptureStderr();
  EXPECT_GE(recover_moves(cat), 1);
  const std::string said = testing::internal::GetCapturedStderr();
  auto dst = env.cluster.connect_node(env.new_port);
  EXPECT_TRUE(table_exists(dst, shard_rel("rl_a", s.shard_id))) << "recovery dropped a live placement";
  EXPECT_EQ(count(coord, "SELECT count(*) FROM rl_a"), rows);
  EXPECT_NE(said.find("shard " + std::to_string(s.shard_id) + " has a placement on group " + std::to_string(new_group) +
                      " now"),
            std::string::npos)
      << said;
  EXPECT_EQ(*coord.scalar("SELECT state FROM pgload.moves WHERE move_id = $1", {std::to_string(stopped)}), "aborted");
  EXPECT_EQ(unfinished_journal_entries(coord), 0);
}

// A logical move's subscription is stored on the target (pg_subscription): the conninfo it gets carries no
// password, even when pgmove connected with one (trust auth ignores it here, so the move still connects).
TEST(ShardMove, SubscriptionStoresNoPassword) {
  auto& env = Env::get();
  PgConn coord = PgConn::connect(env.cluster.conninfo() + " password=S3cretPw!", "pgload-test");
  make_table(coord, "sp_a", 4, 400);
  auto all = shards_of(coord, "sp_a");
  const ShardRow s = all[not_on(all, env.new_port)];
  ExecutorOptions opts;
  opts.mode = TransferMode::Logical;
  std::string stored;
  // The source writes WAL after the snapshot, so the move subscribes (an idle unit's move does not).
  test::WalNudge nudge({env.cluster.node_conninfo(s.port)});
  opts.hooks.on_step = [&](int64_t, std::string_view step) {
    if (step != "copied") return;  // the subscription is streaming
    stored = env.cluster.connect_node(env.new_port)
                 .scalar("SELECT string_agg(subconninfo, ' | ') FROM pg_subscription WHERE subname LIKE 'pgload%'")
                 .value_or("");
  };
  auto cat = Catalog::load(coord);
  auto sum = run_moves(cat, {request(s, env.new_port)}, opts);
  EXPECT_EQ(sum.moves, 1);
  ASSERT_NE(stored, "") << "no subscription seen at the copied step";
  EXPECT_NE(stored.find("port='" + std::to_string(s.port) + "'"), std::string::npos) << stored;
  EXPECT_EQ(stored.find("S3cret"), std::string::npos) << stored;
  EXPECT_EQ(stored.find("password"), std::string::npos) << stored;
  EXPECT_EQ(count(coord, "SELECT count(*) FROM sp_a"), 400);
}

// Issue #25: a move rebuilt the shard without its privileges, row level security, policies, column options and
// statistics targets, so a reader's query failed on the new node. Set on the source shards (the local cluster
// carries no DDL from the coordinator), both modes: the target's catalog says what the source's said, and the
// reader's count on the moved shard is what the policy let it see before.
TEST(ShardMove, PrivilegesPoliciesAndColumnOptionsMoveWithTheShard) {
  auto& env = Env::get();
  auto coord = env.cluster.connect();
  make_table(coord, "acl_a", 4, 1000);
  auto shards = shards_of(coord, "acl_a");
  const std::vector<int> nodes = env.cluster.worker_ports();  // the new node's included
  for (int port : nodes) {
    auto n = env.cluster.connect_node(port);
    if (!n.scalar("SELECT 1 FROM pg_roles WHERE rolname = 'acl_reader'")) n.run("CREATE ROLE acl_reader LOGIN");
  }
  for (const std::string mode : {"block_writes", "logical"}) {
    SCOPED_TRACE(mode);
    const ShardRow s = shards[not_on(shards, env.new_port, mode == "logical" ? 1 : 0)];
    const std::string rel = shard_rel("acl_a", s.shard_id);
    SCOPED_TRACE("shard " + std::to_string(s.shard_id) + " on port " + std::to_string(s.port));
    {
      auto src = env.cluster.connect_node(s.port);
      src.run("GRANT SELECT ON " + rel + " TO acl_reader");
      src.run("GRANT UPDATE (payload) ON " + rel + " TO acl_reader");
      src.run("ALTER TABLE " + rel + " ENABLE ROW LEVEL SECURITY");
      src.run("ALTER TABLE " + rel + " FORCE ROW LEVEL SECURITY");
      src.run("CREATE POLICY acl_even ON " + rel + " FOR SELECT TO acl_reader USING (v % 2 = 0)");
      src.run("ALTER TABLE " + rel + " ALTER COLUMN payload SET STORAGE EXTERNAL");
      src.run("ALTER TABLE " + rel + " ALTER COLUMN v SET (n_distinct = 7)");
      src.run("ALTER TABLE " + rel + " ALTER COLUMN v SET STATISTICS 123");
      src.run("ALTER TABLE " + rel + " SET (fillfactor = 80)");
    }
    auto reader_count = [&](int port) {
      auto r = PgConn::connect(env.cluster.node_conninfo(port) + " user=acl_reader", "pgload-test");
      return count(r, "SELECT count(*) FROM " + rel);
    };
    const std::string before = test::shard_definition(env.cluster.connect_node(s.port), rel);
    const int64_t visible = reader_count(s.port);
    ASSERT_GT(visible, 0);
    ASSERT_LT(visible, count(env.cluster.connect_node(s.port), "SELECT count(*) FROM " + rel));

    ExecutorOptions opts;
    opts.mode = mode == "logical" ? TransferMode::Logical : TransferMode::BlockWrites;
    auto cat = Catalog::load(coord);
    auto sum = run_moves(cat, {request(s, env.new_port)}, opts);
    EXPECT_EQ(sum.moves, 1);
    auto dst = env.cluster.connect_node(env.new_port);
    EXPECT_EQ(test::shard_definition(dst, rel), before);
    EXPECT_EQ(reader_count(env.new_port), visible);
  }
  coord.run("DROP TABLE acl_a");
  for (int port : nodes) {
    auto n = env.cluster.connect_node(port);
    n.run("DROP OWNED BY acl_reader");
    n.run("DROP ROLE acl_reader");
  }
}

// A slot whose walsender never lets go (as one of a subscription that was dropped but whose walsender hangs) would
// keep the source's WAL for good: drop_slot ends that walsender after its patience and drops the slot.
TEST(ShardMove, DropSlotEndsAWalsenderThatHoldsOn) {
  auto& env = Env::get();
  const int port = env.cluster.worker_ports().front();
  auto src = env.cluster.connect_node(port);
  const std::string slot = replication_name(987654);
  src.run("SELECT pg_create_logical_replication_slot('" + slot + "', 'test_decoding')");
  PGconn* holder = PQconnectdb((env.cluster.node_conninfo(port) + " replication=database").c_str());
  ASSERT_EQ(PQstatus(holder), CONNECTION_OK) << PQerrorMessage(holder);
  PGresult* streaming = PQexec(holder, ("START_REPLICATION SLOT " + slot + " LOGICAL 0/0").c_str());
  ASSERT_EQ(PQresultStatus(streaming), PGRES_COPY_BOTH) << PQerrorMessage(holder);
  PQclear(streaming);
  ASSERT_EQ(*src.scalar("SELECT active FROM pg_replication_slots WHERE slot_name = $1", {slot}), "t");

  const auto start = std::chrono::steady_clock::now();
  drop_slot(src, slot, std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(src.scalar("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", {slot}).has_value());
  EXPECT_GE(took, std::chrono::milliseconds(300)) << "the slot was dropped before its walsender was ended";
  EXPECT_LT(took, std::chrono::seconds(5));
  PQfinish(holder);
}
