// Disk space is checked before anything moves: a spool too small for the planned moves is refused up front.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cstring>

#include "tests/support/test_cluster.h"

using namespace pgload;
using pgload::test::run_command;
using pgload::test::TestCluster;

TEST(PgmoveDisk, SpoolTooSmallIsRefusedBeforeAnyMove) {
  std::string spool = pgload::test::temp_dir("pgload-small-spool");
  if (mount("tmpfs", spool.c_str(), "tmpfs", 0, "size=1m") != 0)
    GTEST_SKIP() << "cannot mount a 1 MB tmpfs here (needs root): " << std::strerror(errno);
  TestCluster cluster(2);
  PgConn c = cluster.connect();
  c.run("CREATE TABLE big (id bigint PRIMARY KEY, payload text)");
  c.run("SELECT create_distributed_table('big', 'id', shard_count := 4)");
  // ~8 MB per shard, written straight into the shard tables on the workers (the coordinator inserts row by row).
  auto shards = c.exec(
      "SELECT s.shardid, s.shardminvalue, s.shardmaxvalue, n.nodeport FROM pg_dist_shard s "
      "JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n USING (groupid) "
      "WHERE s.logicalrelid = 'big'::regclass ORDER BY s.shardid");
  for (int i = 0; i < shards.rows(); ++i) {
    PgConn w = cluster.connect_node(static_cast<int>(shards.i64(i, 3)));
    w.run("INSERT INTO big_" + shards.str(i, 0) + " SELECT g, repeat('x', 200) FROM generate_series(1, 160000) g " +
          "WHERE hashint8(g) BETWEEN " + shards.str(i, 1) + " AND " + shards.str(i, 2));
  }
  std::string before =
      *c.scalar("SELECT string_agg(shardid || ':' || groupid, ',' ORDER BY shardid) FROM pg_dist_placement");
  cluster.add_worker();
  auto r = run_command(std::string(PGMOVE_BIN) + " --coordinator '" + cluster.conninfo() +
                       "' rebalance --mode block_writes --spool " + spool);
  umount(spool.c_str());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("not enough free disk for the spool in " + spool), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("NOTICE:  Moving shard"), std::string::npos) << r.output;
  EXPECT_EQ(*c.scalar("SELECT string_agg(shardid || ':' || groupid, ',' ORDER BY shardid) FROM pg_dist_placement"),
            before);
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM big"), "160000");
}
