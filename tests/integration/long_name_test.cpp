// Tables whose shard names Citus shortens (name + "_<shardid>" over 63 bytes), on the local cluster: the shards
// are created under the shortened names, pgload loads into them and pgmove moves them (issue: a 60-character
// table failed with `relation "public.<name>_1" does not exist`).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/catalog.h"
#include "common/shard_name.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

constexpr int kRows = 5000;

CommandResult pgload(const TestCluster& cluster, const std::string& args) {
  return run_pgload(cluster.conninfo(), args);
}

CommandResult pgmove(const TestCluster& cluster, const std::string& args) {
  return run_command("timeout 120 " + std::string(PGMOVE_BIN) + " --coordinator " + sh(cluster.conninfo()) + " " +
                     args + " 2>&1");
}

std::string write_csv(int rows) {
  const std::string path = temp_dir("long_name") + "/rows.csv";
  std::ofstream out(path);
  for (int i = 1; i <= rows; ++i) out << i << "," << i % 7 << ",row " << i << "\n";
  return path;
}

// Distributes `name`, loads kRows rows with pgload, moves one shard with pgmove and checks every shard under its
// Citus name and the row count through the coordinator.
void load_and_move(const TestCluster& cluster, const std::string& name) {
  auto coord = cluster.connect();
  const std::string rel = quote_ident(name);
  coord.run("DROP TABLE IF EXISTS " + rel);
  coord.run("CREATE TABLE " + rel + " (id bigint PRIMARY KEY, v int NOT NULL, payload text)");
  coord.run("CREATE INDEX ON " + rel + " (v)");
  coord.exec("SELECT create_distributed_table($1, 'id', colocate_with := 'none', shard_count := 4)", {rel});

  Catalog catalog = Catalog::load(cluster.connect());
  const Table t = catalog.table(rel);
  ASSERT_EQ(t.shards.size(), 4u);
  for (const auto& s : t.shards) {
    EXPECT_LE(t.shard_name(s.shard_id).size(), 63u);
    EXPECT_EQ(*coord.scalar("SELECT pgcluster.shard_name($1, $2::bigint)", {name, std::to_string(s.shard_id)}),
              t.shard_name(s.shard_id));
    const Node* n = catalog.node_for_group(s.groups.at(0));
    ASSERT_NE(n, nullptr);
    auto w = cluster.connect_node(n->port);
    EXPECT_TRUE(w.scalar("SELECT to_regclass($1)::text", {t.shard_relation(s.shard_id)}))
        << t.shard_relation(s.shard_id) << " missing on " << n->endpoint();
  }

  const std::string csv = write_csv(kRows);
  auto load = pgload(cluster, "--url " + sh(csv) + " --table " + sh(rel) + " --quiet");
  ASSERT_EQ(load.exit_code, 0) << load.output;
  EXPECT_EQ(*coord.scalar("SELECT count(*) FROM " + rel), std::to_string(kRows));

  // Move the first shard to the other worker, then count again: through the coordinator and shard by shard.
  const auto& first = t.shards.front();
  const Node* from = catalog.node_for_group(first.groups.at(0));
  ASSERT_NE(from, nullptr);
  int to_port = 0;
  for (int p : cluster.worker_ports())
    if (p != from->port) to_port = p;
  auto move = pgmove(cluster, "move " + std::to_string(first.shard_id) + " --to 127.0.0.1:" + std::to_string(to_port) +
                                  " --mode block_writes --lock-timeout 30s");
  ASSERT_EQ(move.exit_code, 0) << move.output;
  auto moved_to = cluster.connect_node(to_port);
  EXPECT_EQ(*moved_to.scalar("SELECT count(*) > 0 FROM " + t.shard_relation(first.shard_id)), "t");
  EXPECT_EQ(*coord.scalar("SELECT count(*) FROM " + rel), std::to_string(kRows));

  // A second load after the move goes to the moved shard under the same name.
  auto again = pgload(cluster, "--url " + sh(csv) + " --table " + sh(rel) + " --quiet");
  EXPECT_EQ(again.exit_code, 3) << "duplicate keys must be rejected by the moved shard: " << again.output;
  EXPECT_EQ(*coord.scalar("SELECT count(*) FROM " + rel), std::to_string(kRows));
  coord.run("DROP TABLE " + rel);
}

TEST(LongName, SixtyCharacterTableIsLoadedAndMoved) {
  const std::string name = "customer_payment_events_with_a_rather_long_descriptive_name";
  ASSERT_EQ(name.size(), 59u);
  load_and_move(TestCluster::shared(), name + "s");
}

TEST(LongName, MultibyteTableIsLoadedAndMoved) {
  // 32 characters, 62 bytes: the clip falls inside a two-byte character.
  std::string name = "таблицы_x";
  for (int i = 0; i < 23; ++i) name += "д";
  ASSERT_EQ(name.size(), 62u);
  load_and_move(TestCluster::shared(), name);
}

// The local cluster's SQL rule and pgload's agree on every golden vector (including Citus's own outputs).
TEST(LongName, ClusterSqlRuleMatchesEveryGoldenVector) {
  auto coord = TestCluster::shared().connect();
  std::ifstream in(reference_path("shard_names.csv"));
  std::string line;
  std::getline(in, line);
  int checked = 0;
  while (std::getline(in, line)) {
    const size_t a = line.find(','), b = line.find(',', a + 1), c = line.find(',', b + 1);
    const std::string name = line.substr(a + 1, b - a - 1), id = line.substr(b + 1, c - b - 1);
    const std::string expected = line.substr(c + 1);
    EXPECT_EQ(*coord.scalar("SELECT pgcluster.shard_name($1, $2::bigint)", {name, id}), expected) << line;
    EXPECT_EQ(citus_shard_name(name, std::stoll(id)), expected) << line;
    ++checked;
  }
  EXPECT_GE(checked, 18);
}

}  // namespace
}  // namespace pgload::test
