// pgload end to end for distribution columns of the newer types on a real local cluster: tables distributed by
// date, timestamptz, numeric, bool, float8, enum, bytea, jsonb and inet are loaded, every row must arrive, and each
// row must sit in the shard whose hash range holds the server's own hash of its value (checked on the workers),
// which must also be the shard get_shard_id_for_distribution_column names.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/pg.h"
#include "common/shard_name.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

constexpr int kRows = 2000;

std::string csv_quote(const std::string& v) {
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string sh(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'') {
      out += "'\\''";
    } else {
      out += ch;
    }
  }
  return out + "'";
}

struct TypeCase {
  std::string name;  // table suffix
  std::string type;  // SQL type of the distribution column
  std::string hash;  // the hash opclass function, callable on the worker as hash(k)
  std::function<std::string(std::mt19937_64&, int)> value;
};

std::vector<TypeCase> cases() {
  auto pick = [](std::mt19937_64& rng, std::initializer_list<const char*> options) {
    return std::string(options.begin()[rng() % options.size()]);
  };
  return {
      {"date", "date", "pg_temp.h_date",
       [](std::mt19937_64& rng, int i) {
         if (i == 0) return std::string("infinity");
         if (i == 1) return std::string("4713-01-01 BC");
         char b[32];
         std::snprintf(b, sizeof b, "%04d-%02d-%02d", static_cast<int>(1 + rng() % 9999),
                       static_cast<int>(1 + rng() % 12), static_cast<int>(1 + rng() % 28));
         return std::string(b);
       }},
      {"timestamptz", "timestamptz", "pg_temp.h_tstz",
       [pick](std::mt19937_64& rng, int i) {
         if (i == 0) return std::string("-infinity");
         char b[64];
         std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%06d", static_cast<int>(1900 + rng() % 200),
                       static_cast<int>(1 + rng() % 12), static_cast<int>(1 + rng() % 28), static_cast<int>(rng() % 24),
                       static_cast<int>(rng() % 60), static_cast<int>(rng() % 60), static_cast<int>(rng() % 1000000));
         return std::string(b) + pick(rng, {"Z", "+05:30", "-08", "+0100", ""});
       }},
      {"numeric", "numeric(20,4)", "hash_numeric",
       [](std::mt19937_64& rng, int i) {
         if (i == 0) return std::string("NaN");
         if (i == 1) return std::string("0.00005");  // rounds up to the scale: 0.0001
         return std::to_string(static_cast<int64_t>(rng() % 2000000000) - 1000000000) + "." +
                std::to_string(rng() % 100000) + (rng() % 2 ? "0" : "");
       }},
      {"bool", "boolean", "pg_temp.h_bool",
       [pick](std::mt19937_64& rng, int) {
         return pick(rng, {"t", "f", "yes", "off", "TRUE", "0"});
       }},
      {"float8", "double precision", "hashfloat8",
       [pick](std::mt19937_64& rng, int i) {
         if (i < 6) return pick(rng, {"-0", "NaN", "Infinity", "-Infinity", "4.9e-324", "0.1"});
         char b[40];
         std::snprintf(b, sizeof b, "%.17g", static_cast<double>(rng() % 1000000) / 7.0);
         return std::string(b);
       }},
      {"enum", "pgload_types_mood", "hashenum",
       [pick](std::mt19937_64& rng, int) {
         return pick(rng, {"sad", "ok", "happy", "very happy"});
       }},
      {"bytea", "bytea", "pg_temp.h_bytea",
       [](std::mt19937_64& rng, int i) {
         if (i == 0) return std::string("");
         if (i == 1) return std::string("esc\\\\ape\\001");
         std::string s = "\\x";
         static constexpr char kHex[] = "0123456789abcdef";
         for (int k = 0, n = static_cast<int>(rng() % 16) * 2; k < n; ++k) s += kHex[rng() % 16];
         return s;
       }},
      {"jsonb", "jsonb", "jsonb_hash",
       [](std::mt19937_64& rng, int i) {
         if (i == 0) return std::string("{}");
         if (i == 1) return std::string("[]");
         return "{\"id\": " + std::to_string(rng() % 100000) +
                ", \"tags\": [\"a\", {\"b\": " + std::to_string(rng() % 7) +
                ".50}], \"k\": \"\\u00e9\", \"id\": " + std::to_string(rng() % 1000) + "}";
       }},
      {"inet", "inet", "hashinet",
       [](std::mt19937_64& rng, int) {
         if (rng() % 2)
           return std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) +
                  "." + std::to_string(rng() % 256) + (rng() % 2 ? "/" + std::to_string(rng() % 33) : "");
         char b[64];
         std::snprintf(b, sizeof b, "2001:db8:%x::%x/%d", static_cast<unsigned>(rng() % 65536),
                       static_cast<unsigned>(rng() % 65536), static_cast<int>(rng() % 129));
         return std::string(b);
       }},
  };
}

TEST(PgloadTypesTest, EveryRowLandsInTheShardOfItsServerHash) {
  TestCluster& cluster = TestCluster::shared();
  const std::string dir = temp_dir("pgload-types");
  auto c = cluster.connect();
  c.run("DROP TYPE IF EXISTS pgload_types_mood CASCADE");
  c.run("CREATE TYPE pgload_types_mood AS ENUM ('sad', 'ok', 'happy', 'very happy')");
  for (int port : cluster.worker_ports()) {
    auto w = cluster.connect_node(port);
    w.run("DROP TYPE IF EXISTS pgload_types_mood CASCADE");
    w.run("CREATE TYPE pgload_types_mood AS ENUM ('sad', 'ok', 'happy', 'very happy')");
  }
  std::mt19937_64 rng(17);
  for (const TypeCase& tc : cases()) {
    SCOPED_TRACE(tc.name);
    const std::string table = "types_" + tc.name;
    c.run("DROP TABLE IF EXISTS " + table);
    c.run("CREATE TABLE " + table + " (k " + tc.type + ", n int)");
    c.run("SELECT create_distributed_table('" + table + "', 'k', shard_count => 8)");
    const std::string path = dir + "/" + table + ".csv";
    {
      std::ofstream out(path, std::ios::binary);
      for (int i = 0; i < kRows; ++i) out << csv_quote(tc.value(rng, i)) << ',' << i << '\n';
    }
    const CommandResult r = run_pgload(cluster.conninfo(), "--table " + table + " --url " + sh(path));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    int64_t total = 0, misplaced = 0, disagreeing = 0;
    const PgResult shards = c.exec(
        "SELECT s.shardid, s.shardminvalue, s.shardmaxvalue, n.nodeport FROM pg_dist_shard s "
        "JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n USING (groupid) "
        "WHERE s.logicalrelid = '" +
        table + "'::regclass");
    for (int i = 0; i < shards.rows(); ++i) {
      const std::string shard = citus_shard_name(table, shards.i64(i, 0));
      auto w = cluster.connect_node(static_cast<int>(shards.i64(i, 3)));
      w.run("CREATE FUNCTION pg_temp.h_date(date) RETURNS int4 LANGUAGE internal STRICT AS 'hashint4'");
      w.run("CREATE FUNCTION pg_temp.h_tstz(timestamptz) RETURNS int4 LANGUAGE internal STRICT AS 'timestamp_hash'");
      w.run("CREATE FUNCTION pg_temp.h_bool(bool) RETURNS int4 LANGUAGE internal STRICT AS 'hashchar'");
      w.run("CREATE FUNCTION pg_temp.h_bytea(bytea) RETURNS int4 LANGUAGE internal STRICT AS 'hashvarlena'");
      total += std::stoll(*w.scalar("SELECT count(*) FROM " + shard));
      if (tc.name != "enum") {
        misplaced += std::stoll(*w.scalar("SELECT count(*) FROM " + shard + " WHERE " + tc.hash + "(k) NOT BETWEEN " +
                                          shards.str(i, 1) + " AND " + shards.str(i, 2)));
      } else {
        // hashenum hashes the label's pg_enum oid, which differs per node: Citus routes by the coordinator's.
        const auto labels = w.scalar("SELECT coalesce(array_agg(k::text), '{}') FROM " + shard);
        misplaced += std::stoll(*c.scalar("SELECT count(*) FROM unnest($1::text[]) v WHERE hashenum(v::" + tc.type +
                                              ") NOT BETWEEN " + shards.str(i, 1) + " AND " + shards.str(i, 2),
                                          Params{*labels}));
      }
      // The coordinator's routing helper must name this shard for a few of its values.
      const PgResult sample = w.exec("SELECT k::text FROM " + shard + " LIMIT 3");
      for (int j = 0; j < sample.rows(); ++j) {
        const auto id =
            c.scalar("SELECT get_shard_id_for_distribution_column('" + table + "', $1)", Params{sample.str(j, 0)});
        if (!id || *id != shards.str(i, 0)) ++disagreeing;
      }
    }
    EXPECT_EQ(total, kRows);
    EXPECT_EQ(misplaced, 0);
    EXPECT_EQ(disagreeing, 0);
  }
}

}  // namespace
}  // namespace pgload::test
