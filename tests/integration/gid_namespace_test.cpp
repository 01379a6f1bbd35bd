// Each tool resolves only its own prepared transactions: pgload's recovery (by hand, and at the start of every
// load) must leave pgmove's prepared catalog switches alone, in their current form (pgmove_<move>_<group>) and in
// the old one (pgload_move_<move>_<group>); pgmove's recovery resolves both. Before, a load rolled back a switch
// pgmove had committed on the coordinator, and the two catalogs disagreed for good.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/catalog.h"
#include "mover/citus/citus_switch.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

CommandResult pgload(const TestCluster& cluster, const std::string& args) {
  return run_pgload(cluster.conninfo(), args);
}

void prepare(const PgConn& worker, const std::string& gid) {
  worker.run("BEGIN");
  worker.run("SELECT txid_current()");
  worker.run("PREPARE TRANSACTION " + quote_literal(gid));
}

bool prepared(const PgConn& worker, const std::string& gid) {
  return *worker.scalar("SELECT count(*) FROM pg_prepared_xacts WHERE gid = $1", {gid}) == "1";
}

TEST(GidNamespace, PgloadRecoveryAndLoadsLeavePgmoveSwitchesAlone) {
  TestCluster& cluster = TestCluster::shared();
  const int port = cluster.worker_ports().at(0);
  auto worker = cluster.connect_node(port);
  const std::string group =
      *cluster.connect().scalar("SELECT groupid FROM pg_dist_node WHERE nodeport = $1::int", {std::to_string(port)});
  const std::string node_id =
      *cluster.connect().scalar("SELECT nodeid FROM pg_dist_node WHERE nodeport = $1::int", {std::to_string(port)});
  const std::string current = citus_switch_gid(900001, std::stoi(group));
  const std::string old_form = "pgload_move_900002_" + group;
  const std::string foreign = "pgload_someone_else";                        // pgload's prefix, not pgload's format
  const std::string crashed = "pgload_0123456789abcdef_" + node_id + "_0";  // a dead pgload run, no decision
  ASSERT_EQ(current, "pgmove_900001_" + group);
  for (const auto& gid : {current, old_form, foreign, crashed}) prepare(cluster.connect_node(port), gid);

  auto recover = pgload(cluster, "recover");
  EXPECT_EQ(recover.exit_code, 0) << recover.output;
  EXPECT_TRUE(prepared(worker, current)) << recover.output;
  EXPECT_TRUE(prepared(worker, old_form)) << recover.output;
  EXPECT_TRUE(prepared(worker, foreign)) << recover.output;
  EXPECT_FALSE(prepared(worker, crashed)) << "pgload's own crashed run must still be rolled back: " << recover.output;

  // A load recovers first: the switches survive it too.
  auto coord = cluster.connect();
  coord.run("DROP TABLE IF EXISTS gid_ns");
  coord.run("CREATE TABLE gid_ns (id bigint PRIMARY KEY, v text)");
  coord.run("SELECT create_distributed_table('gid_ns', 'id', shard_count := 4)");
  const std::string csv = temp_dir("gid_ns") + "/rows.csv";
  {
    std::ofstream out(csv);
    for (int i = 1; i <= 1000; ++i) out << i << ",v" << i << "\n";
  }
  auto load = pgload(cluster, "--url " + sh(csv) + " --table gid_ns --quiet");
  ASSERT_EQ(load.exit_code, 0) << load.output;
  EXPECT_EQ(*coord.scalar("SELECT count(*) FROM gid_ns"), "1000");
  EXPECT_TRUE(prepared(worker, current));
  EXPECT_TRUE(prepared(worker, old_form));

  // pgmove's recovery finds both forms.
  Catalog catalog = Catalog::load(cluster.connect());
  EXPECT_EQ(resolve_citus_switch(catalog, 900001, /*commit=*/true), 1);
  EXPECT_EQ(resolve_citus_switch(catalog, 900002, /*commit=*/false), 1);
  EXPECT_FALSE(prepared(worker, current));
  EXPECT_FALSE(prepared(worker, old_form));
  worker.run("ROLLBACK PREPARED " + quote_literal(foreign));
  coord.run("DROP TABLE gid_ns");
}

}  // namespace
}  // namespace pgload::test
