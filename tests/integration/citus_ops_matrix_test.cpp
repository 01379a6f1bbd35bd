// Real Citus: pgload against each Citus operation that moves, splits, rewrites or locks shards, started before a
// load, during it, and after a load killed at a fault point (then `pgload recover`). Afterwards every decided row is
// in the table exactly once, a load that said "loaded" put every row there, nothing of pgload is left prepared, and
// no shard table lies on a node that the catalog does not place it on (after Citus's cleanup). These are the claims
// of docs/citus.md "What pgload guarantees next to Citus's own operations".
// Runs only with PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER (the spare is added, emptied and re-added here).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "common/pg.h"
#include "tests/support/citus_env.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

using namespace pgload;
using pgload::test::run_command;

namespace {

constexpr int kBaseRows = 5000;   // ids -1 .. -kBaseRows, inserted through the coordinator
constexpr int kLoadRows = 60000;  // ids 1 .. kLoadRows, loaded by pgload
constexpr const char* kTable = "ops_matrix";
constexpr const char* kRefTable = "ops_matrix_ref";

enum class When { OpThenLoad, LoadThenOp, CrashAfterPrepare, CrashAfterDecision, CrashAfterCommit };

// A Citus operation: how to set the cluster up for it and the statement that runs it. %S is replaced by a shard of
// the table on an old worker, %SRC/%SRCPORT by its node, %NEW/%NEWPORT by the spare, %MID by the middle of the
// shard's hash range, %N1/%N2 by the two old workers' node ids.
struct Op {
  std::string name;
  std::string sql;
  bool reference = false;     // the load goes into the reference table
  bool spare_added = true;    // the spare is in the cluster before the operation
  bool spare_shards = false;  // the table's shards are spread over the spare too (for a drain)
};

struct Case {
  Op op;
  When when;
};

std::string when_name(When w) {
  switch (w) {
    case When::OpThenLoad:
      return "OpThenLoad";
    case When::LoadThenOp:
      return "LoadThenOp";
    case When::CrashAfterPrepare:
      return "CrashAfterPrepare";
    case When::CrashAfterDecision:
      return "CrashAfterDecision";
    case When::CrashAfterCommit:
      return "CrashAfterCommit";
  }
  return "";
}

// gtest looks this name up to print a parameter.
// NOLINTNEXTLINE(readability-identifier-naming)
void PrintTo(const Case& c, std::ostream* os) { *os << c.op.name << " " << when_name(c.when); }

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

class CitusOpsMatrix : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    if (!test::CitusEnv::from_env()) return;
    dir_ = new std::string(test::temp_dir("pgload-citus-ops"));
    std::string csv;
    csv.reserve(static_cast<size_t>(kLoadRows) * 24);
    for (int i = 1; i <= kLoadRows; ++i) csv += std::to_string(i) + ",row " + std::to_string(i) + "\n";
    test::write_file(*dir_ + "/rows.csv", csv);
  }

  void SetUp() override {
    auto env = test::CitusEnv::from_env();
    if (!env)
      GTEST_SKIP() << "PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER are not both set: no Citus to run against";
    env_ = *env;
    coord_ = PgConn::connect(env_.conninfo, "pgload-test");
    coord_.run("SET client_min_messages = warning");
    const Op& op = GetParam().op;
    coord_.run(std::string("DROP TABLE IF EXISTS ") + kTable + ", " + kRefTable);
    coord_.run("CALL citus_cleanup_orphaned_resources()");
    drop_shard_tables_on(env_.new_host, env_.new_port);
    env_.add_new_node(coord_);
    env_.new_node_takes_shards(coord_, op.spare_shards);
    coord_.run(std::string("CREATE TABLE ") + kTable + " (id bigint PRIMARY KEY, v text)");
    coord_.run(std::string("SELECT create_distributed_table('") + kTable +
               "', 'id', shard_count := 8, colocate_with := 'none')");
    coord_.run(std::string("CREATE TABLE ") + kRefTable + " (id bigint PRIMARY KEY, v text)");
    coord_.run(std::string("SELECT create_reference_table('") + kRefTable + "')");
    for (const char* t : {kTable, kRefTable})
      coord_.run(std::string("INSERT INTO ") + t + " SELECT -g, 'base ' || g FROM generate_series(1, " +
                 std::to_string(kBaseRows) + ") g");
    env_.new_node_takes_shards(coord_, true);
    if (!op.spare_added) {
      coord_.run("SELECT citus_remove_node(" + quote_literal(env_.new_host) + ", " + env_.new_port + ")");
      drop_shard_tables_on(env_.new_host, env_.new_port);  // as a new node would come: empty
    }
  }

  void TearDown() override {
    if (!coord_) return;
    coord_.run(std::string("DROP TABLE IF EXISTS ") + kTable + ", " + kRefTable);
    coord_.run("CALL citus_cleanup_orphaned_resources()");
    // A node removed by a case keeps its shard tables (Citus no longer knows it): drop them before it comes back.
    drop_shard_tables_on(env_.new_host, env_.new_port);
    env_.add_new_node(coord_);
  }

  // Shard tables of this test's tables left on a node by an earlier case or run (only the shard tables: a removed
  // node's shell tables and metadata are Citus's to replace when it is added again).
  void drop_shard_tables_on(const std::string& host, const std::string& port) {
    PgConn n = PgConn::connect(
        "host=" + host + " port=" + port + " user=postgres dbname=" + *coord_.scalar("SELECT current_database()"),
        "pgload-test");
    auto left = n.exec(
        "SELECT format('%I', relname) FROM pg_class WHERE relkind = 'r' AND relname ~ "
        "'^ops_matrix(_ref)?_[0-9]+$'");
    for (int i = 0; i < left.rows(); ++i) n.run("DROP TABLE IF EXISTS " + left.str(i, 0));
  }

  std::string target() const { return GetParam().op.reference ? kRefTable : kTable; }

  std::string op_sql() {
    std::string sql = GetParam().op.sql;
    auto shard = coord_.exec(
        "SELECT s.shardid, n.nodename, n.nodeport, s.shardminvalue::bigint / 2 + s.shardmaxvalue::bigint / 2 "
        "FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n USING (groupid) "
        "WHERE s.logicalrelid = $1::regclass AND NOT (n.nodename = $2 AND n.nodeport = $3::int) "
        "ORDER BY s.shardid LIMIT 1",
        {kTable, env_.new_host, env_.new_port});
    auto workers = coord_.exec(
        "SELECT nodeid FROM pg_dist_node WHERE groupid > 0 AND NOT (nodename = $1 AND nodeport = $2::int) "
        "ORDER BY nodeid LIMIT 2",
        {env_.new_host, env_.new_port});
    sql = replace_all(sql, "%SRCPORT", shard.str(0, 2));
    sql = replace_all(sql, "%SRC", quote_literal(shard.str(0, 1)));
    sql = replace_all(sql, "%NEWPORT", env_.new_port);
    sql = replace_all(sql, "%NEW", quote_literal(env_.new_host));
    sql = replace_all(sql, "%MID", quote_literal(shard.str(0, 3)));
    sql = replace_all(sql, "%N1", workers.str(0, 0));
    sql = replace_all(sql, "%N2", workers.str(1, 0));
    sql = replace_all(sql, "%S", shard.str(0, 0));
    return replace_all(sql, "%T", quote_literal(kTable));
  }

  // pgload of the file; with `stall_s` the source pauses after its first half so the load spans what runs beside it.
  std::future<test::CommandResult> start_load(int stall_s, const std::string& fault = "") {
    std::string csv = *dir_ + "/rows.csv";
    std::string half = std::to_string(kLoadRows / 2);
    std::string source = stall_s == 0 ? "cat " + csv
                                      : "{ head -n " + half + " " + csv + "; sleep " + std::to_string(stall_s) +
                                            "; tail -n +" + std::to_string(kLoadRows / 2 + 1) + " " + csv + "; }";
    std::string cmd = source + " | " +
                      test::pgload_command(env_.conninfo, "--quiet --url - --table " + target(),
                                           fault.empty() ? "" : "PGLOAD_FAULT=" + fault);
    return std::async(std::launch::async, [cmd] { return run_command(cmd); });
  }

  std::future<std::string> start_op() {
    std::string sql = op_sql(), conninfo = env_.conninfo;
    return std::async(std::launch::async, [conninfo, sql] {
      try {
        PgConn c = PgConn::connect(conninfo, "pgload-test-op");
        c.run("SET client_min_messages = warning");
        // One statement at a time: some operations refuse to share a transaction (replicate_reference_tables after
        // citus_add_node).
        for (size_t at = 0; at < sql.size();) {
          size_t end = sql.find("; ", at);
          c.run(sql.substr(at, end == std::string::npos ? std::string::npos : end - at));
          at = end == std::string::npos ? sql.size() : end + 2;
        }
        return std::string();
      } catch (const std::exception& e) {
        return std::string(e.what());
      }
    });
  }

  // Waits for `f` at most `seconds`; false if it is still running.
  template <typename T>
  static bool finishes(std::future<T>& f, int seconds) {
    return f.wait_for(std::chrono::seconds(seconds)) == std::future_status::ready;
  }

  // The table holds the base rows and, when `loaded`, every loaded row: each once. Nothing of pgload is left, and
  // after Citus's cleanup every shard table on a node is one the catalog places there.
  void expect_exact(bool loaded) {
    const std::string t = target();
    const int want = kBaseRows + (loaded ? kLoadRows : 0);
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM " + t), std::to_string(want)) << (loaded ? "loaded" : "not loaded");
    EXPECT_EQ(*coord_.scalar("SELECT count(DISTINCT id) FROM " + t), std::to_string(want));
    coord_.run("CALL citus_cleanup_orphaned_resources()");
    const bool distributed =
        coord_.scalar("SELECT 1 FROM pg_dist_partition WHERE logicalrelid = $1::regclass", {t}).has_value();
    auto nodes = coord_.exec("SELECT nodename, nodeport, groupid FROM pg_dist_node WHERE noderole = 'primary'");
    for (int i = 0; i < nodes.rows(); ++i) {
      const std::string ep = nodes.str(i, 0) + ":" + nodes.str(i, 1);
      PgConn n = PgConn::connect("host=" + nodes.str(i, 0) + " port=" + nodes.str(i, 1) +
                                     " user=postgres dbname=" + *coord_.scalar("SELECT current_database()"),
                                 "pgload-test");
      EXPECT_EQ(*n.scalar("SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'pgload%'"), "0") << ep;
      if (!distributed) continue;
      // Shard tables on this node that the catalog does not place here: rows there are rows nobody can read.
      auto placed = coord_.exec(
          "SELECT coalesce(array_agg(p.shardid), '{}') FROM pg_dist_placement p JOIN pg_dist_shard s USING (shardid) "
          "WHERE s.logicalrelid = $1::regclass AND p.groupid = $2::int",
          {t, nodes.str(i, 2)});
      auto stray = n.exec(
          "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relname ~ ('^' || $1 || '_[0-9]+$') "
          "AND NOT substring(c.relname from '_([0-9]+)$')::bigint = ANY($2::bigint[])",
          {t, placed.str(0, 0)});
      for (int r = 0; r < stray.rows(); ++r) ADD_FAILURE() << "shard table " << stray.str(r, 0) << " left on " << ep;
      // A reference table's every replica holds every row: a replica made during a load must not miss its rows.
      if (GetParam().op.reference && placed.str(0, 0) != "{}") {
        auto shard = coord_.exec("SELECT shardid FROM pg_dist_shard WHERE logicalrelid = $1::regclass", {t});
        EXPECT_EQ(*n.scalar("SELECT count(*) FROM " + t + "_" + shard.str(0, 0)), std::to_string(want))
            << "the replica on " << ep;
      }
    }
  }

  static std::string* dir_;
  test::CitusEnv env_;
  PgConn coord_;
};
std::string* CitusOpsMatrix::dir_ = nullptr;

TEST_P(CitusOpsMatrix, EveryDecidedRowOnceNoStrayShard) {
  const When when = GetParam().when;
  if (when == When::OpThenLoad || when == When::LoadThenOp) {
    std::future<std::string> op;
    std::future<test::CommandResult> load;
    if (when == When::OpThenLoad) {
      op = start_op();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      load = start_load(1);
    } else {
      load = start_load(3);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      op = start_op();
    }
    ASSERT_TRUE(finishes(op, 300)) << "the operation did not finish";
    ASSERT_TRUE(finishes(load, 300)) << "the load did not finish";
    const std::string op_error = op.get();
    EXPECT_EQ(op_error, "") << "the Citus operation failed";
    auto r = load.get();
    // A load may fail cleanly (the table stopped being distributed under it), but what it says must be true.
    if (r.exit_code != 0) {
      EXPECT_TRUE(r.output.find("nothing was loaded") != std::string::npos || r.exit_code == 2) << r.output;
    }
    expect_exact(r.exit_code == 0);
    return;
  }
  const std::string fault = when == When::CrashAfterPrepare    ? "after_prepare"
                            : when == When::CrashAfterDecision ? "after_decision"
                                                               : "after_commit:1";
  auto killed = start_load(0, fault);
  ASSERT_TRUE(finishes(killed, 120));
  auto k = killed.get();
  ASSERT_NE(k.exit_code, 0) << k.output;
  ASSERT_NE(k.output.find("fault injected"), std::string::npos) << k.output;
  // The operation starts while the crashed load is in doubt; recovery comes only after it has had time to run.
  auto op = start_op();
  finishes(op, 5);
  auto rec = test::run_pgload(env_.conninfo, "recover");
  EXPECT_EQ(rec.exit_code, 0) << rec.output;
  ASSERT_TRUE(finishes(op, 300)) << "the operation did not finish after pgload recover";
  EXPECT_EQ(op.get(), "") << "the Citus operation failed";
  expect_exact(when != When::CrashAfterPrepare);
}

std::vector<Op> ops() {
  const std::string move =
      "SELECT citus_move_shard_placement(%S, %SRC, %SRCPORT, %NEW, %NEWPORT, "
      "shard_transfer_mode := ";
  // Only the blocking split: Citus's non-blocking split decodes with its own output plugin, which PostgreSQL
  // 15.20 refuses ("library "citus" may not be used as an output plugin").
  const std::string split =
      "SELECT citus_split_shard_by_split_points(%S, ARRAY[%MID], ARRAY[%N1, %N2], "
      "shard_transfer_mode := ";
  return {
      {"MoveBlockWrites", move + "'block_writes')"},
      {"MoveLogical", move + "'force_logical')"},
      {"RebalanceBlockWrites", "SELECT rebalance_table_shards(%T, shard_transfer_mode := 'block_writes')"},
      {"SplitBlockWrites", split + "'block_writes')"},
      {"AlterShardCount", "SELECT alter_distributed_table(%T, shard_count := 4)"},
      {"Undistribute", "SELECT undistribute_table(%T)"},
      {"DrainNode", "SELECT citus_drain_node(%NEW, %NEWPORT, shard_transfer_mode := 'block_writes')", false, true,
       true},
      {"AddNodeReplicateReference",
       "SELECT citus_add_node(%NEW, %NEWPORT); SELECT replicate_reference_tables('block_writes')", true, false},
      {"RemoveNodeWithReferencePlacement", "SELECT citus_remove_node(%NEW, %NEWPORT)", true},
      {"Recover2pc", "SELECT recover_prepared_transactions()"},
  };
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const Op& op : ops())
    for (When w : {When::OpThenLoad, When::LoadThenOp, When::CrashAfterPrepare, When::CrashAfterDecision,
                   When::CrashAfterCommit})
      out.push_back({op, w});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Citus, CitusOpsMatrix, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return i.param.op.name + "_" + when_name(i.param.when);
                         });

}  // namespace
