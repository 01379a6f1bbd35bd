// Real Citus (gated on PGLOAD_TEST_CITUS and PGLOAD_TEST_CITUS_NEW_WORKER): what a pgmove move (its own copy and
// switch) carries over besides rows, as Citus's own move does: grants, row level security (and FORCE), policies,
// column storage, options and statistics targets. And the table definition is read under Citus's move locks, so
// DDL issued through the coordinator during a move is never missing on the new placement.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <string>
#include <thread>

#include "common/pg.h"
#include "common/shard_name.h"
#include "tests/support/citus_move_fixture.h"
#include "tests/support/shard_definition.h"
#include "tests/support/test_cluster.h"

using namespace pgload;

namespace {

constexpr int kRows = 2000;
constexpr const char* kReader = "cmd_reader";

class CitusMoveDefinitionTest : public test::CitusMoveFixture {
 protected:
  void SetUp() override {
    CitusMoveFixture::SetUp();
    if (IsSkipped()) return;
    drop_everything();
    env_.new_node_takes_shards(coord_, false);
  }
  void TearDown() override {
    if (!coord_) return;
    drop_everything();
    env_.new_node_takes_shards(coord_, true);
  }
  // The gated tests share one cluster: nothing of this test may outlive it.
  void drop_everything() {
    coord_.run("DROP TABLE IF EXISTS cmd_docs, cmd_race");
    coord_.run(std::string("DROP ROLE IF EXISTS ") + kReader);
    coord_.run("CALL citus_cleanup_orphaned_resources()");
  }

  std::string node_conninfo(const std::string& host, const std::string& port) const {
    return "host=" + host + " port=" + port + " user=postgres dbname=postgres";
  }
  // shardid -> "host port" of `table`'s placements.
  std::map<int64_t, std::string> placements(const std::string& table) const {
    auto r = coord_.exec(
        "SELECT shardid, nodename || ' ' || nodeport FROM citus_shards WHERE table_name = $1::regclass ORDER BY 1",
        {table});
    std::map<int64_t, std::string> m;
    for (int i = 0; i < r.rows(); ++i) m[r.i64(i, 0)] = r.str(i, 1);
    return m;
  }
  std::string definition_on(const std::string& node, const std::string& table, int64_t shard) const {
    const auto sp = node.find(' ');
    PgConn c = PgConn::connect(node_conninfo(node.substr(0, sp), node.substr(sp + 1)), "pgload-test");
    c.run("SET citus.show_shards_for_app_name_prefixes = '*'");  // Citus hides shards from pg_class otherwise
    return test::shard_definition(c, "public." + quote_ident(citus_shard_name(table, shard)));
  }
  std::string reader_count() const {
    PgConn r = PgConn::connect(env_.conninfo + " user=" + kReader, "pgload-test");
    return *r.scalar("SELECT count(*) FROM cmd_docs");
  }
};

// Issue #25: after GRANT and a policy, a pgmove rebalance left the reader with an error on the moved shards.
TEST_F(CitusMoveDefinitionTest, GrantsPoliciesAndColumnOptionsSurviveADirectMove) {
  coord_.run(std::string("CREATE ROLE ") + kReader + " LOGIN");
  coord_.run("CREATE TABLE cmd_docs (id bigint PRIMARY KEY, who text NOT NULL, body text, n int)");
  coord_.run("SELECT create_distributed_table('cmd_docs', 'id', shard_count := 4, colocate_with := 'none')");
  coord_.run("INSERT INTO cmd_docs SELECT g, CASE WHEN g % 2 = 0 THEN '" + std::string(kReader) +
             "' ELSE 'other' END, 'b' || g, g % 10 FROM generate_series(1, " + std::to_string(kRows) + ") g");
  coord_.run(std::string("GRANT SELECT ON cmd_docs TO ") + kReader);
  coord_.run(std::string("GRANT UPDATE ON cmd_docs TO ") + kReader + " WITH GRANT OPTION");  // Citus: no column grants
  coord_.run("ALTER TABLE cmd_docs ENABLE ROW LEVEL SECURITY");
  coord_.run("ALTER TABLE cmd_docs FORCE ROW LEVEL SECURITY");
  coord_.run("CREATE POLICY cmd_own ON cmd_docs FOR SELECT TO " + std::string(kReader) + " USING (who = current_user)");
  // Citus 13.0.5 does not propagate these ALTER COLUMN forms: set on the coordinator's table (which Citus's own
  // move reads) and on every placement by hand.
  for (const std::string alter : {"ALTER COLUMN body SET STORAGE EXTERNAL", "ALTER COLUMN n SET (n_distinct = 10)",
                                  "ALTER COLUMN n SET STATISTICS 321"}) {
    coord_.run("SET citus.enable_ddl_propagation = off");
    coord_.run("ALTER TABLE cmd_docs " + alter);
    coord_.run("RESET citus.enable_ddl_propagation");
    auto r = coord_.exec(
        "SELECT bool_and(success)::text, string_agg(result, '; ') FROM "
        "run_command_on_placements('cmd_docs', $1)",
        {"ALTER TABLE %s " + alter});
    ASSERT_EQ(r.str(0, 0), "true") << r.str(0, 1);
  }
  coord_.run("ALTER TABLE cmd_docs SET (fillfactor = 90)");
  env_.new_node_takes_shards(coord_, true);
  const std::string visible = std::to_string(kRows / 2);
  ASSERT_EQ(reader_count(), visible) << "the policy filters before any move";

  // Each shard's definition where Citus created it (the coordinator's DDL reached every shard).
  std::map<int64_t, std::string> before;
  for (const auto& [shard, node] : placements("cmd_docs")) before[shard] = definition_on(node, "cmd_docs", shard);
  ASSERT_NE(before.begin()->second.find("rls=true force=true"), std::string::npos) << before.begin()->second;
  ASSERT_NE(before.begin()->second.find("policy cmd_own"), std::string::npos) << before.begin()->second;
  ASSERT_NE(before.begin()->second.find("stattarget=321"), std::string::npos) << before.begin()->second;

  const std::string new_node = env_.new_host + " " + env_.new_port;
  for (const std::string mode : {"block_writes", "logical"}) {
    SCOPED_TRACE(mode);
    const auto [rc, out] = pgmove("rebalance --mode " + mode);
    ASSERT_EQ(rc, 0) << out;
    ASSERT_NE(out.find("Citus: pgmove copies"), std::string::npos) << out;
    int moved = 0;
    for (const auto& [shard, node] : placements("cmd_docs")) {
      if (node != new_node) continue;
      ++moved;
      EXPECT_EQ(definition_on(node, "cmd_docs", shard), before[shard]) << "shard " << shard;
    }
    EXPECT_GT(moved, 0) << out;
    // The reader reads every shard, the moved ones too, and the policy filters the same rows.
    EXPECT_EQ(reader_count(), visible);
    EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cmd_docs"), std::to_string(kRows));
    // Back with Citus's own move for the next mode.
    coord_.run("SELECT citus_drain_node(" + quote_literal(env_.new_host) + ", " + env_.new_port +
               ", shard_transfer_mode := 'block_writes')");
    env_.new_node_takes_shards(coord_, true);
    coord_.run("CALL citus_cleanup_orphaned_resources()");
    EXPECT_EQ(reader_count(), visible);
  }
}

// Issue #25: the direct path read the table definition before any lock, so an index or constraint created through
// the coordinator during the move could be missing on the new placement. A throttled move (seconds long) of one
// shard; while it copies, CREATE UNIQUE INDEX and ADD CONSTRAINT through the coordinator. They wait for the move
// (Citus's move locks), then reach every placement, the moved one included.
TEST_F(CitusMoveDefinitionTest, DdlDuringAMoveIsNeverLost) {
  coord_.run("CREATE TABLE cmd_race (id bigint PRIMARY KEY, v int NOT NULL, payload text)");
  coord_.run("SELECT create_distributed_table('cmd_race', 'id', shard_count := 2, colocate_with := 'none')");
  coord_.run("INSERT INTO cmd_race SELECT g, g, repeat(md5(g::text), 16) FROM generate_series(1, 4000) g");
  env_.new_node_takes_shards(coord_, true);
  const int64_t shard = placements("cmd_race").begin()->first;
  const std::vector<std::pair<std::string, std::string>> ddls = {
      {"CREATE UNIQUE INDEX cmd_race_v ON cmd_race (id, v)",
       "SELECT count(*) FROM pg_index WHERE indrelid = '%s'::regclass AND indisunique AND NOT indisprimary"},
      {"ALTER TABLE cmd_race ADD CONSTRAINT cmd_race_v_positive CHECK (v > 0)",
       "SELECT count(*) FROM pg_constraint WHERE conrelid = '%s'::regclass AND contype = 'c'"}};
  const std::string new_node = env_.new_host + " " + env_.new_port;
  PgConn target = PgConn::connect(node_conninfo(env_.new_host, env_.new_port), "pgload-test");
  int round = 0;
  for (const std::string mode : {"block_writes", "logical"}) {
    SCOPED_TRACE(mode);
    const auto& [ddl, check] = ddls[round++];
    const std::string from = placements("cmd_race")[shard];
    const std::string to = from == new_node ? *coord_.scalar(
                                                  "SELECT nodename || ':' || nodeport FROM pg_dist_node WHERE groupid "
                                                  "<> 0 AND NOT (nodename = $1 AND nodeport = $2::int) ORDER BY "
                                                  "nodeport LIMIT 1",
                                                  {env_.new_host, env_.new_port})
                                            : env_.new_host + ":" + env_.new_port;
    // About 1 MB at 256 kB/s: seconds of copying.
    auto mover = std::async(std::launch::async, [&] {
      return pgmove("move " + std::to_string(shard) + " --to " + to + " --mode " + mode + " --max-rate 256kB");
    });
    // Until the move copies into the target: a COPY from pgmove on the target node.
    const std::string to_host = to.substr(0, to.rfind(':')), to_port = to.substr(to.rfind(':') + 1);
    PgConn to_conn = PgConn::connect(node_conninfo(to_host, to_port), "pgload-test");
    bool copying = false;
    for (int i = 0; i < 300 && !copying; ++i) {
      copying = *to_conn.scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgmove%' AND "
                    "query LIKE 'COPY %FROM STDIN%'") != "0";
      if (!copying) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(copying) << "the move never copied";
    PgConn ddl_conn = PgConn::connect(env_.conninfo, "pgload-test-ddl");
    ddl_conn.run("SET statement_timeout = '120s'");
    ddl_conn.run(ddl);
    auto [rc, out] = mover.get();
    ASSERT_EQ(rc, 0) << out;
    EXPECT_EQ(placements("cmd_race")[shard], to.substr(0, to.rfind(':')) + " " + to_port) << out;
    // Every placement of the table has it, the moved one included.
    auto r = coord_.exec(
        "SELECT shardid, nodename || ':' || nodeport, result FROM run_command_on_placements("
        "'cmd_race', $1) ORDER BY 1",
        {check});
    ASSERT_EQ(r.rows(), 2);
    for (int i = 0; i < r.rows(); ++i) EXPECT_EQ(r.str(i, 2), "1") << "shard " << r.str(i, 0) << " on " << r.str(i, 1);
    coord_.run("CALL citus_cleanup_orphaned_resources()");
  }
  EXPECT_EQ(*coord_.scalar("SELECT count(*) FROM cmd_race"), "4000");
}

}  // namespace
