// pgcluster and cluster/catalog.sql against real PostgreSQL: lifecycle verbs, the pg_dist_* catalog compared with
// the real Citus 13 reference output, create_distributed_table / create_reference_table and shard re-pointing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/pg.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

std::vector<std::string> split_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, '|')) cells.push_back(trim(cell));
  return cells;
}

std::vector<std::string> reference_lines() {
  std::ifstream in(reference_path("catalog.txt"));
  EXPECT_TRUE(in.good()) << reference_path("catalog.txt");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Rows psql printed for the query line `sql` in catalog.txt (header and separator skipped).
std::vector<std::vector<std::string>> reference_rows(const std::string& sql) {
  auto lines = reference_lines();
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] != sql) continue;
    for (size_t j = i + 3; j < lines.size() && lines[j].rfind("(", 0) != 0; ++j) rows.push_back(split_cells(lines[j]));
    return rows;
  }
  ADD_FAILURE() << "query not in catalog.txt: " << sql;
  return rows;
}

struct RefColumn {
  std::string name, type, nullable, default_expr;
  bool operator==(const RefColumn&) const = default;
};
std::ostream& operator<<(std::ostream& os, const RefColumn& c) {
  return os << c.name << " " << c.type << " [" << c.nullable << "] default[" << c.default_expr << "]";
}

// Columns and index names of `\d+ pg_catalog.<table>` in catalog.txt.
struct RefTable {
  std::vector<RefColumn> columns;
  std::set<std::string> indexes;
};
RefTable reference_table(const std::string& table) {
  auto lines = reference_lines();
  RefTable t;
  std::string header = "Table \"pg_catalog." + table + "\"";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find(header) == std::string::npos) continue;
    size_t j = i + 3;
    for (; j < lines.size() && lines[j].find('|') != std::string::npos; ++j) {
      auto c = split_cells(lines[j]);
      t.columns.push_back({c[0], c[1], c[3], c[4]});
    }
    if (j < lines.size() && lines[j] == "Indexes:") {
      for (++j; j < lines.size() && lines[j].rfind("    \"", 0) == 0; ++j) {
        auto q = lines[j].find('"', 5);
        t.indexes.insert(lines[j].substr(5, q - 5));
      }
    }
    return t;
  }
  ADD_FAILURE() << "table not in catalog.txt: " << table;
  return t;
}

std::vector<RefColumn> live_columns(const PgConn& c, const std::string& table) {
  auto r = c.exec(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'not null' ELSE '' END, "
      "coalesce(pg_get_expr(d.adbin, d.adrelid), '') FROM pg_attribute a "
      "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
      "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
      {"pg_catalog." + table});
  std::vector<RefColumn> cols;
  for (int i = 0; i < r.rows(); ++i) cols.push_back({r.str(i, 0), r.str(i, 1), r.str(i, 2), r.str(i, 3)});
  return cols;
}

std::vector<std::vector<std::string>> rows_of(const PgResult& r) {
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < r.rows(); ++i) {
    std::vector<std::string> row;
    for (int j = 0; j < r.cols(); ++j) row.push_back(r.str(i, j));
    rows.push_back(row);
  }
  return rows;
}

std::string last_line(std::string out) {
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto nl = out.rfind('\n');
  return nl == std::string::npos ? out : out.substr(nl + 1);
}

// Runs `sql` on the coordinator and returns the server's error message; fails the test if it succeeds.
std::string error_of(const PgConn& c, const std::string& sql) {
  try {
    c.run(sql);
  } catch (const PgError& e) {
    return e.server_message();
  }
  ADD_FAILURE() << "expected an error from: " << sql;
  return "";
}

// One shared 2-worker cluster; payment_users is distributed first (before any test) so shard ids start at
// 102008 exactly as in the reference.
class ClusterTest : public ::testing::Test {
 protected:
  static constexpr int kRowsBeforeDistribution = 1000;
  static void SetUpTestSuite() {
    auto c = TestCluster::shared().connect();
    c.run("CREATE TABLE payment_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    c.run("INSERT INTO payment_users SELECT g, 'https://x/' || g, 'login' || g, NULL FROM generate_series(1, " +
          std::to_string(kRowsBeforeDistribution) + ") g");
    c.run("SELECT create_distributed_table('payment_users', 'user_id')");
  }
  TestCluster& cluster() { return TestCluster::shared(); }
};

TEST_F(ClusterTest, CatalogColumnsMatchReference) {
  auto c = cluster().connect();
  for (const char* table :
       {"pg_dist_partition", "pg_dist_shard", "pg_dist_placement", "pg_dist_node", "pg_dist_colocation"}) {
    auto ref = reference_table(table);
    ASSERT_FALSE(ref.columns.empty()) << table;
    EXPECT_EQ(live_columns(c, table), ref.columns) << table;
    auto r = c.exec(
        "SELECT relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
        "WHERE i.indrelid = $1::regclass",
        {std::string("pg_catalog.") + table});
    std::set<std::string> live;
    for (int i = 0; i < r.rows(); ++i) live.insert(r.str(i, 0));
    EXPECT_EQ(live, ref.indexes) << table;
  }
  // pg_dist_rebalance_strategy is not in the reference's \d+ output: Citus's DDL types, by hand.
  std::vector<RefColumn> strategy = {{"name", "name", "not null", ""},
                                     {"default_strategy", "boolean", "not null", "false"},
                                     {"shard_cost_function", "regproc", "not null", ""},
                                     {"node_capacity_function", "regproc", "not null", ""},
                                     {"shard_allowed_on_node_function", "regproc", "not null", ""},
                                     {"default_threshold", "real", "not null", ""},
                                     {"minimum_threshold", "real", "not null", "0"},
                                     {"improvement_threshold", "real", "not null", "0"}};
  EXPECT_EQ(live_columns(c, "pg_dist_rebalance_strategy"), strategy);
  // The tables really are in pg_catalog (no fallback to public).
  EXPECT_EQ(c.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace AND relname IN "
                     "('pg_dist_partition','pg_dist_shard','pg_dist_placement','pg_dist_node','pg_dist_colocation',"
                     "'pg_dist_rebalance_strategy')"),
            "6");
}

TEST_F(ClusterTest, RebalanceStrategiesFollowTheSeed) {
  auto c = cluster().connect();
  auto r = c.exec(
      "SELECT name, default_strategy, shard_cost_function, node_capacity_function, "
      "shard_allowed_on_node_function, default_threshold, minimum_threshold, improvement_threshold "
      "FROM pg_dist_rebalance_strategy ORDER BY name DESC");
  auto ref = reference_rows("SELECT * FROM pg_dist_rebalance_strategy;");
  ASSERT_EQ(ref.size(), 2u);
  // Same rows as Citus except which one is the default: the local cluster follows the seed (by_shard_count).
  ref[0][1] = "t";
  ref[1][1] = "f";
  EXPECT_EQ(rows_of(r), ref);
}

TEST_F(ClusterTest, NodesMatchReferenceShape) {
  auto c = cluster().connect();
  auto r = c.exec("SELECT * FROM pg_dist_node ORDER BY nodeid");
  auto ref = reference_rows("SELECT * FROM pg_dist_node;");
  ASSERT_EQ(ref.size(), 3u);
  // Ports differ from the reference's 9700..9702: same offsets from the coordinator's port.
  for (size_t i = 0; i < ref.size(); ++i) ref[i][3] = std::to_string(cluster().port() + static_cast<int>(i));
  EXPECT_EQ(rows_of(r), ref);
  // Each node has a postgres_fdw server named after its nodeid.
  EXPECT_EQ(c.scalar("SELECT count(*) FROM pg_foreign_server s JOIN pg_dist_node n "
                     "ON s.srvname = 'pg_dist_node_' || n.nodeid AND s.srvoptions @> ARRAY['port=' || n.nodeport]"),
            "3");
}

TEST_F(ClusterTest, PaymentUsersCatalogEqualsReference) {
  auto c = cluster().connect();
  EXPECT_EQ(rows_of(c.exec("SELECT logicalrelid::text, partmethod, partkey, colocationid, repmodel, autoconverted "
                           "FROM pg_dist_partition WHERE logicalrelid = 'payment_users'::regclass")),
            reference_rows("SELECT * FROM pg_dist_partition;"));
  EXPECT_EQ(
      rows_of(c.exec("SELECT logicalrelid::text, column_to_column_name(logicalrelid, partkey) "
                     "FROM pg_dist_partition WHERE logicalrelid = 'payment_users'::regclass")),
      reference_rows("SELECT logicalrelid, column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition;"));
  EXPECT_EQ(rows_of(c.exec("SELECT logicalrelid::text, shardid, shardstorage, shardminvalue, shardmaxvalue "
                           "FROM pg_dist_shard WHERE logicalrelid = 'payment_users'::regclass ORDER BY shardid")),
            reference_rows("SELECT * FROM pg_dist_shard ORDER BY shardid;"));
  EXPECT_EQ(rows_of(c.exec("SELECT p.* FROM pg_dist_placement p JOIN pg_dist_shard s USING (shardid) "
                           "WHERE s.logicalrelid = 'payment_users'::regclass ORDER BY shardid")),
            reference_rows("SELECT * FROM pg_dist_placement ORDER BY shardid;"));
  EXPECT_EQ(rows_of(c.exec("SELECT * FROM pg_dist_colocation WHERE colocationid = 1")),
            reference_rows("SELECT * FROM pg_dist_colocation;"));
}

TEST_F(ClusterTest, ShardTablesLiveOnTheirWorkers) {
  auto c = cluster().connect();
  auto placements = c.exec(
      "SELECT s.shardid, n.nodeport FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) "
      "JOIN pg_dist_node n USING (groupid) WHERE s.logicalrelid = 'payment_users'::regclass");
  ASSERT_EQ(placements.rows(), 32);
  std::map<int, std::set<std::string>> expected;  // port -> shard tables
  for (int i = 0; i < placements.rows(); ++i)
    expected[static_cast<int>(placements.i64(i, 1))].insert("payment_users_" + placements.str(i, 0));
  int64_t rows_on_workers = 0;
  for (auto& [port, tables] : expected) {
    auto w = cluster().connect_node(port);
    auto r = w.exec("SELECT relname FROM pg_class WHERE relname ~ '^payment_users_[0-9]+$' AND relkind = 'r'");
    std::set<std::string> live;
    for (int i = 0; i < r.rows(); ++i) live.insert(r.str(i, 0));
    EXPECT_EQ(live, tables) << "worker " << port;
    for (const auto& t : tables) {
      auto shardid = t.substr(t.rfind('_') + 1);
      EXPECT_EQ(w.scalar("SELECT count(*) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
                         "WHERE i.indrelid = $1::regclass AND i.indisprimary AND ic.relname = $2",
                         {"public." + t, "payment_users_pkey_" + shardid}),
                "1")
          << t;
      rows_on_workers += std::stoll(*w.scalar("SELECT count(*) FROM public." + quote_ident(t)));
    }
  }
  // Rows inserted before create_distributed_table were moved into the shards (moves in other tests keep counts).
  EXPECT_EQ(rows_on_workers, kRowsBeforeDistribution);
}

TEST_F(ClusterTest, CoordinatorQueriesReachTheShards) {
  auto c = cluster().connect();
  EXPECT_EQ(c.scalar("SELECT count(*) FROM payment_users"), std::to_string(kRowsBeforeDistribution));
  EXPECT_EQ(c.scalar("SELECT login FROM payment_users WHERE user_id = 42"), "login42");
  // A row written through the coordinator lands in the shard its hash picks (hash_vectors.csv: 42 -> 102035).
  EXPECT_EQ(c.scalar("SELECT get_shard_id_for_distribution_column('payment_users', 42)"), "102035");
  EXPECT_EQ(c.scalar("SELECT get_shard_id_for_distribution_column('payment_users', '-1')"), "102026");
  c.run("INSERT INTO payment_users VALUES (-5, 'u', 'minus5', NULL)");
  auto shard = *c.scalar("SELECT get_shard_id_for_distribution_column('payment_users', -5::bigint)");
  auto port =
      std::stoi(*c.scalar("SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) "
                          "WHERE p.shardid = $1",
                          {shard}));
  EXPECT_EQ(cluster().connect_node(port).scalar("SELECT login FROM payment_users_" + shard + " WHERE user_id = -5"),
            "minus5");
  c.run("DELETE FROM payment_users WHERE user_id = -5");
  EXPECT_EQ(c.scalar("SELECT count(*) FROM payment_users"), std::to_string(kRowsBeforeDistribution));
}

TEST_F(ClusterTest, SecondTableColocatesWithShardsOnTheSameNodes) {
  auto c = cluster().connect();
  c.run(
      "CREATE TABLE coloc_orders (order_id bigserial, user_id bigint NOT NULL, amount numeric(10,2) DEFAULT 0 "
      "CHECK (amount >= 0), note varchar(20), PRIMARY KEY (user_id, order_id), UNIQUE (user_id, note))");
  c.run("CREATE INDEX coloc_orders_amount_idx ON coloc_orders (amount)");
  c.run("INSERT INTO coloc_orders (user_id, amount) SELECT g % 50, g FROM generate_series(1, 300) g");
  c.run("SELECT create_distributed_table('coloc_orders', 'user_id')");  // colocate_with 'default'
  EXPECT_EQ(c.scalar("SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'coloc_orders'::regclass"), "1");
  // Shard i of both tables has the same range and the same group.
  EXPECT_EQ(c.scalar("SELECT count(*) FROM pg_dist_shard a JOIN pg_dist_placement pa USING (shardid) "
                     "JOIN pg_dist_shard b ON b.shardminvalue = a.shardminvalue "
                     "JOIN pg_dist_placement pb ON pb.shardid = b.shardid AND pb.groupid = pa.groupid "
                     "WHERE a.logicalrelid = 'payment_users'::regclass AND b.logicalrelid = 'coloc_orders'::regclass"),
            "32");
  EXPECT_EQ(c.scalar("SELECT count(*) || '/' || sum(amount) FROM coloc_orders"), "300/45150.00");
  // The serial's sequence survived the swap of the coordinator table and still feeds inserts.
  EXPECT_EQ(c.scalar("INSERT INTO coloc_orders (user_id) VALUES (1) RETURNING order_id"), "301");
  // Constraints and indexes are on the shards with Citus-style names.
  auto shard = *c.scalar("SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = 'coloc_orders'::regclass");
  auto port =
      std::stoi(*c.scalar("SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) "
                          "WHERE p.shardid = $1",
                          {shard}));
  auto w = cluster().connect_node(port);
  auto r =
      w.exec("SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY 1", {"coloc_orders_" + shard});
  std::vector<std::string> cons;
  for (int i = 0; i < r.rows(); ++i) cons.push_back(r.str(i, 0));
  EXPECT_THAT(cons, ::testing::UnorderedElementsAre("coloc_orders_amount_check_" + shard, "coloc_orders_pkey_" + shard,
                                                    "coloc_orders_user_id_note_key_" + shard));
  EXPECT_EQ(w.scalar("SELECT count(*) FROM pg_class WHERE relname = $1 AND relkind = 'i'",
                     {"coloc_orders_amount_idx_" + shard}),
            "1");
  EXPECT_THAT(error_of(w, "INSERT INTO coloc_orders_" + shard + " (order_id, user_id, amount) VALUES (1, 1, -1)"),
              HasSubstr("coloc_orders_amount_check_" + shard));
  // Explicit colocate_with a table name and a text key with its own group.
  c.run("CREATE TABLE coloc_events (user_id bigint, payload text)");
  c.run("SELECT create_distributed_table('coloc_events', 'user_id', colocate_with := 'payment_users')");
  EXPECT_EQ(c.scalar("SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'coloc_events'::regclass"), "1");
  c.run("CREATE TABLE coloc_text (k text, v int)");
  c.run("SELECT create_distributed_table('coloc_text', 'k', shard_count := 4)");
  EXPECT_EQ(c.scalar("SELECT shardcount || ',' || distributioncolumntype || ',' || distributioncolumncollation "
                     "FROM pg_dist_colocation JOIN pg_dist_partition USING (colocationid) "
                     "WHERE logicalrelid = 'coloc_text'::regclass"),
            "4,25,100");
  // Text keys route by hashtext (hash_vectors.csv shape): the shard's range holds hashtext of the value.
  EXPECT_EQ(c.scalar("SELECT hashtext('hello') BETWEEN shardminvalue::int AND shardmaxvalue::int FROM pg_dist_shard "
                     "WHERE shardid = get_shard_id_for_distribution_column('coloc_text', 'hello')"),
            "t");
}

TEST_F(ClusterTest, BadCallsRaiseClearErrors) {
  auto c = cluster().connect();
  c.run("CREATE TABLE bad_numeric (a interval, b int)");  // interval: a type the local cluster cannot distribute by
  EXPECT_THAT(error_of(c, "SELECT create_distributed_table('bad_numeric', 'a')"),
              HasSubstr("distribution column \"a\" has type interval"));
  EXPECT_THAT(error_of(c, "SELECT create_distributed_table('bad_numeric', 'nope')"),
              HasSubstr("column \"nope\" of relation \"bad_numeric\" does not exist"));
  EXPECT_THAT(error_of(c, "SELECT create_distributed_table('payment_users', 'user_id')"),
              HasSubstr("table \"payment_users\" is already distributed"));
  EXPECT_THAT(error_of(c, "SELECT create_distributed_table('bad_numeric', 'b', shard_count := 0)"),
              HasSubstr("outside the valid range for parameter \"shard_count\""));
  EXPECT_THAT(error_of(c, "SELECT create_distributed_table('bad_numeric', 'b', colocate_with := 'payment_users')"),
              HasSubstr("Distribution column types don't match"));
  c.run("CREATE TABLE bad_plain (a int)");
  EXPECT_THAT(error_of(c, "SELECT create_distributed_table('bad_numeric', 'b', colocate_with := 'bad_plain')"),
              HasSubstr("bad_plain is not a hash distributed table"));
  c.run("CREATE TABLE bad_count (a bigint)");
  EXPECT_THAT(error_of(c,
                       "SELECT create_distributed_table('bad_count', 'a', colocate_with := 'payment_users', "
                       "shard_count := 4)"),
              HasSubstr("Shard counts don't match"));
  EXPECT_THAT(error_of(c, "SELECT create_distributed_table('bad_count', 'a', 'range')"), HasSubstr("only hash"));
  // No eligible workers: the check runs before anything is created.
  c.run("BEGIN");
  c.run("UPDATE pg_dist_node SET shouldhaveshards = false");
  EXPECT_THAT(error_of(c, "SELECT create_distributed_table('bad_count', 'a')"), HasSubstr("no worker nodes"));
  c.run("ROLLBACK");
  // Failed calls left nothing behind.
  EXPECT_EQ(c.scalar("SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'bad_%'"), "0");
  EXPECT_EQ(c.scalar("SELECT relkind FROM pg_class WHERE relname = 'bad_numeric'"), "r");
}

TEST_F(ClusterTest, ReferenceTableHasACopyOnEveryWorker) {
  auto c = cluster().connect();
  c.run("CREATE TABLE ref_countries (code text PRIMARY KEY, name text NOT NULL)");
  c.run("INSERT INTO ref_countries VALUES ('de', 'Germany'), ('fr', 'France')");
  c.run("SELECT create_reference_table('ref_countries')");
  EXPECT_EQ(rows_of(c.exec("SELECT partmethod, coalesce(partkey, 'NULL'), repmodel, shardcount, replicationfactor, "
                           "distributioncolumntype, distributioncolumncollation FROM pg_dist_partition "
                           "JOIN pg_dist_colocation USING (colocationid) "
                           "WHERE logicalrelid = 'ref_countries'::regclass")),
            (std::vector<std::vector<std::string>>{{"n", "NULL", "t", "1", "-1", "0", "0"}}));
  auto shard = *c.scalar(
      "SELECT shardid || ':' || coalesce(shardminvalue, 'NULL') || ':' || "
      "coalesce(shardmaxvalue, 'NULL') FROM pg_dist_shard "
      "WHERE logicalrelid = 'ref_countries'::regclass");
  auto shardid = shard.substr(0, shard.find(':'));
  EXPECT_EQ(shard, shardid + ":NULL:NULL");
  EXPECT_EQ(c.scalar("SELECT count(*) FROM pg_dist_placement WHERE shardid = $1", {shardid}), "2");
  for (int port : cluster().worker_ports()) {
    EXPECT_EQ(
        cluster().connect_node(port).scalar("SELECT string_agg(code, ',' ORDER BY code) FROM ref_countries_" + shardid),
        "de,fr")
        << port;
  }
  EXPECT_EQ(c.scalar("SELECT name FROM ref_countries WHERE code = 'fr'"), "France");
}

TEST_F(ClusterTest, UpdatingPlacementGroupRepointsTheForeignPartition) {
  auto c = cluster().connect();
  c.run("CREATE TABLE move_me (id bigint PRIMARY KEY, v text)");
  c.run("SELECT create_distributed_table('move_me', 'id', colocate_with := 'none', shard_count := 4)");
  c.run("INSERT INTO move_me SELECT g, 'v' || g FROM generate_series(1, 400) g");
  auto shard = *c.scalar("SELECT min(shardid) FROM pg_dist_shard WHERE logicalrelid = 'move_me'::regclass");
  auto before = c.exec(
      "SELECT p.groupid, n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid) "
      "WHERE p.shardid = $1",
      {shard});
  int from_group = static_cast<int>(before.i64(0, 0));
  int from_port = static_cast<int>(before.i64(0, 1));
  auto target = c.exec(
      "SELECT groupid, nodeid, nodeport FROM pg_dist_node WHERE groupid NOT IN (0, $1) "
      "ORDER BY nodeid LIMIT 1",
      {std::to_string(from_group)});
  std::string to_group = target.str(0, 0), to_node = target.str(0, 1);
  int to_port = static_cast<int>(target.i64(0, 2));
  auto rows_in_shard = *c.scalar("SELECT count(*) FROM move_me_" + shard);
  ASSERT_NE(rows_in_shard, "0");

  // Move by hand: create the shard on the target, copy its rows there, then flip the catalog.
  c.run("SELECT pgcluster.run_on_group(" + to_group + ", pgcluster.shard_ddl('move_me', " + shard + "))");
  c.run("CREATE FOREIGN TABLE pg_temp.move_target (id bigint, v text) SERVER pg_dist_node_" + to_node +
        " OPTIONS (schema_name 'public', table_name 'move_me_" + shard + "')");
  c.run("INSERT INTO pg_temp.move_target SELECT * FROM move_me_" + shard);
  c.run("UPDATE pg_dist_placement SET groupid = " + to_group + " WHERE shardid = " + shard);
  EXPECT_EQ(c.scalar("SELECT s.srvname FROM pg_foreign_table f JOIN pg_foreign_server s ON s.oid = f.ftserver "
                     "WHERE f.ftrelid = pgcluster.shard_face($1::bigint)",
                     {shard}),
            "pg_dist_node_" + to_node);
  cluster().connect_node(from_port).run("DROP TABLE move_me_" + shard);
  EXPECT_EQ(c.scalar("SELECT count(*) FROM move_me"), "400");
  EXPECT_EQ(cluster().connect_node(to_port).scalar("SELECT count(*) FROM move_me_" + shard), rows_in_shard);
  // The partition kept its hash range, so routing still works for a key of that shard.
  auto key = *c.scalar("SELECT min(id) FROM move_me_" + shard);
  EXPECT_EQ(c.scalar("SELECT v FROM move_me WHERE id = " + key), "v" + key);
  c.run("UPDATE move_me SET v = 'moved' WHERE id = " + key);
  EXPECT_EQ(cluster().connect_node(to_port).scalar("SELECT v FROM move_me_" + shard + " WHERE id = " + key), "moved");
}

TEST_F(ClusterTest, DropTableForgetsMetadataAndDropsShards) {
  auto c = cluster().connect();
  c.run("CREATE TABLE drop_me (id int PRIMARY KEY)");
  c.run("SELECT create_distributed_table('drop_me', 'id', shard_count := 2, colocate_with := 'none')");
  auto shards = c.exec(
      "SELECT shard_name, nodeport, shard_size FROM citus_shards "
      "WHERE table_name = 'drop_me'::regclass ORDER BY shardid");
  ASSERT_EQ(shards.rows(), 2);
  for (int i = 0; i < shards.rows(); ++i) EXPECT_GT(shards.i64(i, 2), 0) << "size of " << shards.str(i, 0);
  c.run("DROP TABLE drop_me");
  EXPECT_EQ(c.scalar("SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE '%drop_me%'"), "0");
  EXPECT_EQ(c.scalar("SELECT count(*) FROM pg_dist_shard s LEFT JOIN pg_class c ON c.oid = s.logicalrelid "
                     "WHERE c.oid IS NULL"),
            "0");
  for (int i = 0; i < shards.rows(); ++i) {
    auto w = cluster().connect_node(static_cast<int>(shards.i64(i, 1)));
    EXPECT_EQ(w.scalar("SELECT to_regclass($1) IS NULL", {"public." + shards.str(i, 0)}), "t") << shards.str(i, 0);
  }
}

// Lifecycle verbs on a cluster of their own (they change node counts).
TEST(PgclusterLifecycle, DownUpStatusAddWorker) {
  TestCluster cl(1);
  EXPECT_EQ(cl.conninfo(), "host=127.0.0.1 port=" + std::to_string(cl.port()) + " dbname=postgres user=postgres");
  auto conninfo = cl.pgcluster("conninfo");
  EXPECT_EQ(conninfo.exit_code, 0);
  EXPECT_EQ(last_line(conninfo.output), cl.conninfo());

  auto status = cl.pgcluster("status");
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr("127.0.0.1:" + std::to_string(cl.port() + 1)));
  EXPECT_THAT(status.output, ::testing::Not(HasSubstr("stopped")));

  {
    auto c = cl.connect();
    c.run("CREATE TABLE life_ref (k int, v text)");
    c.run("INSERT INTO life_ref VALUES (1, 'one'), (2, 'two')");
    c.run("SELECT create_reference_table('life_ref')");
    c.run("CREATE TABLE life_dist (k int PRIMARY KEY)");
    c.run("SELECT create_distributed_table('life_dist', 'k', shard_count := 3)");
    c.run("INSERT INTO life_dist SELECT generate_series(1, 50)");
  }
  auto down = cl.pgcluster("down");
  EXPECT_EQ(down.exit_code, 0) << down.output;
  status = cl.pgcluster("status");
  EXPECT_THAT(status.output, HasSubstr("stopped"));
  EXPECT_THAT(status.output, ::testing::Not(HasSubstr("running")));
  EXPECT_THROW(cl.connect(), PgError);

  // up again: starts what is stopped, keeps the data, no re-init, no duplicate nodes.
  auto up = cl.pgcluster("up");
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_EQ(last_line(up.output), cl.conninfo());
  EXPECT_THAT(up.output, ::testing::Not(HasSubstr("initdb")));
  auto up_again = cl.pgcluster("up");
  ASSERT_EQ(up_again.exit_code, 0) << up_again.output;
  EXPECT_THAT(up_again.output, HasSubstr("already running"));
  auto c = cl.connect();
  EXPECT_EQ(c.scalar("SELECT count(*) FROM pg_dist_node"), "2");
  EXPECT_EQ(c.scalar("SELECT count(*) FROM life_dist"), "50");

  // add-worker: next port, registered as a third node, reference tables copied there.
  auto add = cl.pgcluster("add-worker");
  ASSERT_EQ(add.exit_code, 0) << add.output;
  EXPECT_EQ(last_line(add.output), "127.0.0.1:" + std::to_string(cl.port() + 2));
  EXPECT_EQ(c.scalar("SELECT count(*) || ',' || max(groupid) || ',' || bool_and(shouldhaveshards) FROM pg_dist_node "
                     "WHERE groupid <> 0"),
            "2,2,true");
  EXPECT_EQ(cl.worker_ports().back(), cl.port() + 2);
  auto shard = *c.scalar("SELECT shardid FROM pg_dist_shard WHERE logicalrelid = 'life_ref'::regclass");
  EXPECT_EQ(c.scalar("SELECT count(*) FROM pg_dist_placement WHERE shardid = $1", {shard}), "2");
  EXPECT_EQ(cl.connect_node(cl.port() + 2).scalar("SELECT string_agg(v, ',' ORDER BY k) FROM life_ref_" + shard),
            "one,two");
  // A new table is spread round-robin over both workers, the new one included.
  c.run("CREATE TABLE life_after (k bigint)");
  c.run("SELECT create_distributed_table('life_after', 'k', shard_count := 4, colocate_with := 'none')");
  EXPECT_EQ(c.scalar("SELECT count(DISTINCT groupid) FROM pg_dist_placement JOIN pg_dist_shard USING (shardid) "
                     "WHERE logicalrelid = 'life_after'::regclass"),
            "2");
  status = cl.pgcluster("status");
  EXPECT_THAT(status.output, HasSubstr("worker2"));
}

TEST(PgclusterLifecycle, UsageErrorsExitTwo) {
  auto r = run_command(std::string(PGCLUSTER_PATH) + " frobnicate --dir /tmp/nowhere");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown command: frobnicate"));
  r = run_command(std::string(PGCLUSTER_PATH) + " up");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--dir is required"));
  r = run_command(std::string(PGCLUSTER_PATH) + " up --dir /tmp/x --workers lots");
  EXPECT_EQ(r.exit_code, 2);
  auto dir = temp_dir("pgcluster-empty");
  r = run_command(std::string(PGCLUSTER_PATH) + " status --dir " + dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("no cluster in"));
}

}  // namespace
}  // namespace pgload::test
