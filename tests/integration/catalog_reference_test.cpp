// The catalog reader (common/catalog) and the router hold to the real Citus 13 outputs in
// tests/golden/citus/: the same table read back from the local backend gives the reference's shard ids,
// ranges, placement groups and distribution column, and every hash vector routes to the reference's shard.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "common/catalog.h"
#include "loader/router.h"
#include "tests/support/test_cluster.h"

using namespace pgload;
using pgload::test::TestCluster;

namespace {

struct RefShard {
  int64_t id;
  int32_t min, max;
  int32_t group;
};

// Rows of the `SELECT * FROM pg_dist_shard` and `pg_dist_placement` dumps in catalog.txt.
std::vector<RefShard> reference_shards() {
  std::ifstream in(pgload::test::reference_path("catalog.txt"));
  std::string line;
  std::map<int64_t, RefShard> by_id;
  static const std::regex shard_re(R"(^\s*payment_users\s*\|\s*(\d+)\s*\|\s*t\s*\|\s*(-?\d+)\s*\|\s*(-?\d+)\s*$)");
  static const std::regex placement_re(R"(^\s*\d+\s*\|\s*(\d+)\s*\|\s*1\s*\|\s*0\s*\|\s*(\d+)\s*$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, shard_re))
      by_id[std::stoll(m[1])] = {std::stoll(m[1]), std::stoi(m[2]), std::stoi(m[3]), 0};
    else if (std::regex_match(line, m, placement_re))
      by_id[std::stoll(m[1])].group = std::stoi(m[2]);
  }
  std::vector<RefShard> out;
  for (auto& [id, s] : by_id) out.push_back(s);
  return out;
}

}  // namespace

TEST(CatalogReference, PaymentUsersReadsBackAsCitusWroteIt) {
  auto ref = reference_shards();
  ASSERT_EQ(ref.size(), 32u) << "could not parse catalog.txt";
  TestCluster cluster(2);
  PgConn c = cluster.connect();
  c.run("CREATE TABLE payment_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  c.run("SELECT create_distributed_table('payment_users','user_id')");

  Catalog cat = Catalog::load(c);
  EXPECT_EQ(cat.backend(), Backend::Local);
  Table t = cat.table("payment_users");
  EXPECT_EQ(t.dist_column, "user_id");
  EXPECT_EQ(t.method, 'h');
  EXPECT_EQ(t.repmodel, 's');
  EXPECT_EQ(t.colocation_id, 1);
  ASSERT_EQ(t.columns.size(), 4u);
  EXPECT_EQ(t.columns[0].type_sql, "bigint");
  ASSERT_EQ(t.shards.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    EXPECT_EQ(t.shards[i].shard_id, ref[i].id);
    EXPECT_EQ(*t.shards[i].min_value, ref[i].min);
    EXPECT_EQ(*t.shards[i].max_value, ref[i].max);
    ASSERT_EQ(t.shards[i].groups.size(), 1u);
    EXPECT_EQ(t.shards[i].groups[0], ref[i].group);
    EXPECT_EQ(t.shard_name(ref[i].id), "payment_users_" + std::to_string(ref[i].id));
  }
  // Groups 1 and 2 are the first and second worker, as pg_dist_node in the reference.
  auto ports = cluster.worker_ports();
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(cat.node_for_group(1)->port, ports[0]);
  EXPECT_EQ(cat.node_for_group(2)->port, ports[1]);
  EXPECT_EQ(cat.node_for_group(0)->port, cluster.port());  // the coordinator, shouldhaveshards false
  EXPECT_FALSE(cat.node_for_group(0)->should_have_shards);

  // Every bigint vector of hash_vectors.csv routes to the shard Citus chose.
  Router router(t);
  std::ifstream in(pgload::test::reference_path("hash_vectors.csv"));
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.rfind("payment_users,bigint,", 0) != 0) continue;
    std::vector<std::string> f;
    size_t pos = 0;
    while (pos <= line.size()) {
      size_t comma = line.find(',', pos);
      if (comma == std::string::npos) comma = line.size();
      f.push_back(line.substr(pos, comma - pos));
      pos = comma + 1;
    }
    int idx = router.route(f[2]);
    ASSERT_GE(idx, 0) << line;
    EXPECT_EQ(t.shards[idx].shard_id, std::stoll(f[5])) << line;
    ++checked;
  }
  EXPECT_EQ(checked, 10);

  // Errors name what was looked for.
  try {
    (void)cat.table("no_such_table");
    FAIL() << "expected an error";
  } catch (const PgError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  c.run("CREATE TABLE plain_t (id int)");
  try {
    (void)cat.table("plain_t");
    FAIL() << "expected an error";
  } catch (const PgError& e) {
    EXPECT_NE(std::string(e.what()).find("is not distributed"), std::string::npos) << e.what();
  }
}

TEST(CatalogReference, DetectionSaysWhatItLookedFor) {
  TestCluster& cluster = TestCluster::shared();
  // A worker has neither the citus extension nor the catalog.
  PgConn w = cluster.connect_node(cluster.worker_ports().at(0));
  try {
    (void)Catalog::detect(w);
    FAIL() << "expected an error";
  } catch (const PgError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("citus"), std::string::npos) << msg;
    EXPECT_NE(msg.find("pg_dist_partition"), std::string::npos) << msg;
  }
  EXPECT_EQ(Catalog::detect(cluster.connect()), Backend::Local);
}

TEST(CatalogReference, NodeConninfoKeepsCredentialsAndSwapsHost) {
  TestCluster& cluster = TestCluster::shared();
  PgConn c = PgConn::connect(cluster.conninfo() + " application_name=x sslmode=disable", "t");
  Catalog cat = Catalog::load(c);
  const Node* n = cat.node_for_group(1);
  ASSERT_NE(n, nullptr);
  std::string ci = cat.node_conninfo(*n);
  EXPECT_NE(ci.find("port=" + std::to_string(n->port)), std::string::npos) << ci;
  EXPECT_NE(ci.find("sslmode='disable'"), std::string::npos) << ci;
  EXPECT_NE(ci.find("user='postgres'"), std::string::npos) << ci;
  PgConn w = PgConn::connect(ci, "t");
  EXPECT_EQ(w.port(), n->port);
  EXPECT_EQ(redact_conninfo("host=h password=s3cret user=u"), "host=h password=******** user=u");
  EXPECT_EQ(redact_conninfo("postgresql://u:s3cret@h/db"), "postgresql://u:********@h/db");
  EXPECT_EQ(redact_conninfo("password='a b\\' c' x=1").find("a b"), std::string::npos);
}

TEST(CatalogReference, NodeConninfoOverrideIsUsedByBothTools) {
  TestCluster& cluster = TestCluster::shared();
  PgConn c = cluster.connect();
  Catalog cat = Catalog::load(c);
  const Node* n = cat.node_for_group(1);
  ASSERT_NE(n, nullptr);
  auto [endpoint, conninfo] = parse_node_conninfo(n->endpoint() + "=host=127.0.0.1 port=1 user=postgres");
  EXPECT_EQ(endpoint, n->endpoint());
  cat.set_node_conninfo(endpoint, conninfo);
  EXPECT_EQ(cat.node_conninfo(*n), "host=127.0.0.1 port=1 user=postgres");
  EXPECT_THROW(parse_node_conninfo("no-port=host=x"), std::invalid_argument);

  // Pointing worker 1 at a dead port makes the tools fail there, naming that endpoint: the override is used.
  c.run("CREATE TABLE IF NOT EXISTS override_t (id bigint PRIMARY KEY)");
  c.run(
      "SELECT create_distributed_table('override_t', 'id') WHERE NOT EXISTS "
      "(SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'override_t'::regclass)");
  std::string opt = " --node-conninfo '" + n->endpoint() + "=host=127.0.0.1 port=1 user=postgres'";
  auto load = pgload::test::run_command(
      "echo 1 | " + pgload::test::pgload_command(cluster.conninfo(), "--url - --table override_t" + opt));
  EXPECT_EQ(load.exit_code, 3) << load.output;
  EXPECT_NE(load.output.find("port 1 failed"), std::string::npos) << load.output;
  auto status = pgload::test::run_command(std::string(PGMOVE_BIN) + " --coordinator '" + cluster.conninfo() + "'" +
                                          opt + " status");
  EXPECT_NE(status.exit_code, 0) << status.output;
  auto bad = pgload::test::run_pgload(cluster.conninfo(), "--url - --table override_t --node-conninfo nonsense");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  // Without the override the same load works.
  auto ok = pgload::test::run_command("echo 1 | " +
                                      pgload::test::pgload_command(cluster.conninfo(), "--url - --table override_t"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}
