// Binary COPY into the shards lands exactly what the server's own CSV COPY of the same file gives, for every type
// with a binary encoder, NULLs, the forms that fall back to CSV rows, and a table whose types force CSV; and a
// server error in a sorted binary batch still names its input line. Enums, domains (as their base) and arrays of
// built-in types go as binary too, their errors named as the server names them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/pg.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

class BinaryCopyTest : public ::testing::Test {
 protected:
  static TestCluster& cluster() { return TestCluster::shared(); }
  static const std::string& dir() {
    static const std::string d = temp_dir("pgload-binarytest");
    return d;
  }
  static CommandResult pgload(const std::string& args) { return run_pgload(cluster().conninfo(), args); }
  // Runs `sql` on the coordinator and on every worker: a type must exist where the shards are made.
  static void on_every_node(const std::string& sql) {
    cluster().connect().run(sql);
    for (int port : cluster().worker_ports()) cluster().connect_node(port).run(sql);
  }
  // `table` with `columns`, distributed by `dist_column` into `shards` shards; returns the coordinator session.
  static PgConn create_distributed(const std::string& table, const std::string& columns, int shards,
                                   const std::string& dist_column = "id") {
    auto c = cluster().connect();
    c.run("CREATE TABLE " + table + " (" + columns + ")");
    c.run("SELECT create_distributed_table(" + quote_literal(table) + ", " + quote_literal(dist_column) +
          ", colocate_with => 'none', shard_count => " + std::to_string(shards) + ")");
    return c;
  }
  // `table` (distributed by `dist_column` into `shards` shards) and `table`_plain, both with `columns`; `csv` loaded
  // into the plain one by the server's own COPY and into `table` by pgload with `pgload_args`. Returns pgload's run:
  // the caller compares the two tables.
  static CommandResult load_beside_server_copy(const std::string& table, const std::string& columns,
                                               const std::string& csv, int shards,
                                               const std::string& pgload_args = "--verbose",
                                               const std::string& dist_column = "id") {
    auto c = create_distributed(table, columns, shards, dist_column);
    c.run("CREATE TABLE " + table + "_plain (" + columns + ")");
    const std::string path = dir() + "/" + table + ".csv";
    write_file(path, csv);
    c.run("COPY " + table + "_plain FROM " + quote_literal(path) + " WITH (FORMAT csv)");
    return pgload("--url " + sh(path) + " --table " + table + " " + pgload_args);
  }
  // Every row's text form in key order: what a user would see.
  static std::string dump(const PgConn& c, const std::string& table) {
    return *c.scalar("SELECT string_agg(t::text, E'\\n' ORDER BY id) FROM " + table + " t");
  }
};

constexpr const char* kAllTypes =
    "id bigint PRIMARY KEY, i2 smallint, i4 integer, f4 real, f8 double precision, b boolean, t text, "
    "v varchar(5), c char(4), u uuid, j json, jb jsonb";

// Sorted on the way (ids out of order), quoted fields with delimiters and newlines, NULLs, whitespace around
// numbers, a quoted empty string (not NULL), values without an exact binary form (NaN, Infinity) that go as CSV.
constexpr const char* kAllTypesCsv =
    "5,-2,42,0.1,1.5,t,plain,abc,ab,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,\"{\"\"a\"\": [1, 2]}\",\"{\"\"b\"\": 1}\"\n"
    "-3, 7 ,+8,-0,4.9e-324,off,\"multi\nline, \"\"quoted\"\"\",\"\",\"x  \",{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11},"
    "null,\"[1, 2.50, \"\"é\"\"]\"\n"
    "1,,,,,,,,,,,\n"
    "9,32767,-2147483648,NaN,-Infinity,YES,h\xc3\xa9,\"a,b\",\"\",00000000000000000000000000000000,1e400,1e400\n"
    "2,0,0,1e-40,1e308,0,\" lead\",\"trail     \",c,A0EEBC999C0B4EF8BB6D6BB9BD380A11,\"\"\"s\"\"\",\"{}\"\n";

TEST_F(BinaryCopyTest, EveryEncodedTypeMatchesTheServersCsvCopy) {
  auto c = cluster().connect();
  auto r = load_beside_server_copy("bin_all", kAllTypes, kAllTypesCsv, 4);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(dump(c, "bin_all"), dump(c, "bin_all_plain"));
}

TEST_F(BinaryCopyTest, ManyRowsInSmallSortedBatchesMatchThePlainCopy) {
  std::string csv;
  for (int i = 0; i < 20000; ++i) {
    const int id = (i * 7919) % 20000 - 10000;  // a permutation: every id once, out of order
    csv += std::to_string(id) + "," + (i % 97 == 0 ? "NaN" : std::to_string(id) + ".25") + "," +
           (i % 13 == 0 ? "" : "\"row " + std::to_string(i) + "\n\"") + "\n";
  }
  auto c = cluster().connect();
  auto r = load_beside_server_copy("bin_many", "id bigint PRIMARY KEY, f8 double precision, t text", csv, 8,
                                   "--batch-bytes 4096");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(dump(c, "bin_many"), dump(c, "bin_many_plain"));
}

// numeric (with and without typmod: the server's numeric_recv rounds as numeric_in does), date, timestamp and
// timestamptz at their edges go as binary and land what the server's CSV COPY gives; forms outside the ISO subset
// (and timestamptz names of zones) fall back to CSV rows within the same load.
constexpr const char* kDateNumericTypes =
    "id bigint PRIMARY KEY, n numeric, n2 numeric(10,2), n0 numeric(5,0), d date, ts timestamp, ts0 timestamp(0), "
    "tz timestamptz, tz3 timestamptz(3)";
constexpr const char* kDateNumericCsv =
    "1,1.5,1.005,12345.4,2000-02-29,2000-01-01 00:00:01.5,2000-01-01 00:00:01.5,2020-06-01 12:00:00+02,"
    "2020-06-01 12:00:00.1235+02\n"
    "2,-0.00,-0.005,-99999.49,0044-03-15 BC,1999-12-31 23:59:60,1999-12-31 23:59:59.5,2020-06-01 12:00:00,"
    "2020-06-01 12:00:00.9999\n"
    "3,NaN,NaN,0,infinity,infinity,-infinity,-infinity,infinity\n"
    "4,-Infinity,1e-5,1e4,4713-01-01 BC,2000-01-01 24:00:00,2000-01-01T10:20:30.1234567,2020-01-01T00:00:00Z,"
    "1999-12-31 19:00:00-05:30\n"
    "5,1e-1000,  7.999  ,   5e-1 ,5874897-12-31,294276-12-31 23:59:59.999999,epoch,epoch,2000-01-01 00:00:00.0005\n"
    "6,123456789012345678901234567890.123456789,0.1,1,Jan 8 1999,Jan 8 1999 04:05:06,2000-01-01,"
    "2020-06-01 12:00 America/New_York,2020-06-01 12:00:00 PST\n"
    "7,,,,,,,,\n";

TEST_F(BinaryCopyTest, NumericDatesAndTimestampsGoAsBinaryAndMatchTheServersCsvCopy) {
  auto c = cluster().connect();
  auto r = load_beside_server_copy("bin_dt", kDateNumericTypes, kDateNumericCsv, 2);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("rows go as binary COPY"));
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM bin_dt"), "7");
  EXPECT_EQ(*c.scalar("SELECT n2::text || ' ' || ts::text FROM bin_dt WHERE id = 1"), "1.01 2000-01-01 00:00:01.5");
  EXPECT_EQ(dump(c, "bin_dt"), dump(c, "bin_dt_plain"));
}

// Every form either goes as binary or (its row) as CSV: the table equals the server's own COPY of the file.
TEST_F(BinaryCopyTest, TimeAndByteaGoAsBinaryAndMatchTheServersCsvCopy) {
  auto c = cluster().connect();
  auto r = load_beside_server_copy("bin_tb", "id bigint PRIMARY KEY, t time, t0 time(0), b bytea",
                                   "1,00:00:01.5,12:34:56.5,\\xdeadBEEF\n"
                                   "2,24:00:00,23:59:59.6,plain bytes\n"
                                   "3,23:59:60,allballs,\\x\n"
                                   "4,04:05:06.7891234,04:05 PM,a\\\\b\\001\n"
                                   "5,00:00,00:00:00.000001,\\xde ad\n"
                                   "6,,,\n",
                                   2);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("rows go as binary COPY"));
  EXPECT_EQ(*c.scalar("SELECT t0::text || ' ' || encode(b, 'hex') FROM bin_tb WHERE id = 1"), "12:34:57 deadbeef")
      << "time(0) rounds in time_recv as in time_in";
  EXPECT_EQ(dump(c, "bin_tb"), dump(c, "bin_tb_plain"));
}

TEST_F(BinaryCopyTest, TableWithATypeWithoutEncoderGoesAsCsv) {
  auto c = cluster().connect();
  auto r = load_beside_server_copy("bin_point", "id bigint PRIMARY KEY, a point, t text",
                                   "3,\"(1,2)\",a\n1,\"(0.5, -3)\",\"b\nc\"\n2,,\n", 2);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("rows go as CSV COPY"));
  EXPECT_EQ(dump(c, "bin_point"), dump(c, "bin_point_plain"));
}

// timetz, interval, inet, cidr and macaddr go as binary (forms not parsed here as CSV rows of the same load) and
// land what the server's CSV COPY gives.
TEST_F(BinaryCopyTest, TimetzIntervalAndNetworkTypesGoAsBinaryAndMatchTheServersCsvCopy) {
  auto c = cluster().connect();
  auto r = load_beside_server_copy(
      "bin_net", "id bigint PRIMARY KEY, tz timetz, iv interval, a inet, n cidr, m macaddr",
      "3,04:05:06+02,1 year 2 mons 3 days 04:05:06.789,10.0.0.1/8,10.0.0.0/8,08:00:2b:01:02:03\n"
      "1,23:59:60-05:30,-1 days +02:03:04,::ffff:1.2.3.4,2001:db8::/32,08-00-2B-01-02-03\n"
      "2,04:05 PM+01,P1D,fe80::1/64,10/8,08002b:010203\n"
      "4,,,,,\n",
      2);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("rows go as binary COPY"));
  EXPECT_THAT(r.output, HasSubstr(", 1 of them as CSV rows; "));  // id 2: forms not parsed here
  EXPECT_EQ(dump(c, "bin_net"), dump(c, "bin_net_plain"));
}

// The seed's payment_events (bigint, text, jsonb, timestamp) as bench/gen_users --kind events writes it: every row
// goes as binary (the verbose count of CSV rows is 0) and the table equals the server's own CSV COPY.
TEST_F(BinaryCopyTest, PaymentEventsGoFullyBinary) {
  const std::string generated = dir() + "/generated_events.csv";
  auto g = run_command(std::string(GEN_USERS_BIN) + " --rows 3000 --kind events --users 500 --shuffle --out " +
                       sh(generated));
  ASSERT_EQ(g.exit_code, 0) << g.output;
  auto c = cluster().connect();
  auto r = load_beside_server_copy(
      "bin_events",
      "event_id bigint, event_type text, user_id bigint, merchant_id bigint, event_details jsonb, created_at timestamp",
      read_file(generated), 4, "--verbose", "user_id");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("rows go as binary COPY"));
  EXPECT_THAT(r.output, HasSubstr("input done: 3000 rows in "));
  EXPECT_THAT(r.output, HasSubstr(", 0 of them as CSV rows"));
  EXPECT_THAT(r.output, HasSubstr("batches in input order (no index leads with \"user_id\")"));
  EXPECT_EQ(*c.scalar("SELECT string_agg(t::text, E'\\n' ORDER BY event_id) FROM bin_events t"),
            *c.scalar("SELECT string_agg(t::text, E'\\n' ORDER BY event_id) FROM bin_events_plain t"));
}

// Batches are sorted by the distribution column only where that helps: when one of the shard's indexes leads with
// it (read on the worker: the local cluster's coordinator table has none), or for an upsert. Either way the rows
// land as the server's own COPY lands them.
TEST_F(BinaryCopyTest, BatchesAreSortedWhenAnIndexLeadsWithTheDistributionColumn) {
  std::string csv;
  for (int i = 0; i < 3000; ++i) csv += std::to_string((i * 7919) % 3000) + "," + std::to_string(i % 7) + "\n";
  auto c = cluster().connect();
  auto r = load_beside_server_copy("bin_sort_pk", "id bigint PRIMARY KEY, v int", csv, 4);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("batches sorted by \"id\""));
  EXPECT_EQ(dump(c, "bin_sort_pk"), dump(c, "bin_sort_pk_plain"));

  r = load_beside_server_copy("bin_sort_second", "id bigint, v int, PRIMARY KEY (v, id)", csv, 4);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("batches in input order (no index leads with \"id\")"));
  EXPECT_EQ(dump(c, "bin_sort_second"), dump(c, "bin_sort_second_plain"));

  r = load_beside_server_copy("bin_sort_unique", "id bigint, v int, UNIQUE (id, v)", csv, 4);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("batches sorted by \"id\""));
  EXPECT_EQ(dump(c, "bin_sort_unique"), dump(c, "bin_sort_unique_plain"));

  // --on-conflict relies on the order to know whether a key repeats in a batch.
  r = pgload("--url " + sh(dir() + "/bin_sort_second.csv") +
             " --table bin_sort_second --on-conflict nothing --verbose");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("batches sorted by \"id\""));
  EXPECT_EQ(dump(c, "bin_sort_second"), dump(c, "bin_sort_second_plain"));
}

// With --on-conflict a key repeated in the input must apply in input order, so every row goes as CSV, and the
// verbose line says why (not "no binary encoder": the types have one).
TEST_F(BinaryCopyTest, UpsertGoesAsCsvAndSaysWhy) {
  auto c = create_distributed("bin_up", "id bigint PRIMARY KEY, v text", 2);
  const std::string path = dir() + "/upsert.csv";
  write_file(path, "1,first\n2,x\n1,second\n");
  auto r = pgload("--url " + sh(path) + " --table bin_up --on-conflict update --verbose");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("rows go as CSV COPY (--on-conflict: a key repeated in the input applies in input order)"));
  EXPECT_EQ(dump(c, "bin_up"), "(1,second)\n(2,x)");
}

// The duplicate is sorted next to its first occurrence, far from its place in the file: the error still names the
// input line, byte and column of the row the server rejected.
TEST_F(BinaryCopyTest, ServerErrorInASortedBinaryBatchNamesTheInputLine) {
  auto c = create_distributed("bin_dup", "id bigint PRIMARY KEY, v varchar(3) CHECK (v <> 'bad')", 1);
  const std::string path = dir() + "/dup.csv";
  write_file(path, "9,a\n5,b\n7,c\n5,d\n1,e\n");
  auto r = pgload("--url " + sh(path) + " --table bin_dup");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr(": input line 4 (byte 12): duplicate key value violates unique constraint"));

  write_file(path, "7,bad\n9,a\n5,b\n1,e\n");  // sent as 1, 5, 7, 9: the server names row 3
  r = pgload("--url " + sh(path) + " --table bin_dup");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr(": input line 1 (byte 0): new row for relation"));
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM bin_dup"), "0");
}

// Enums (by label), domains (over int, text, numeric(6,2), and a domain over that one) and arrays of built-in types
// (NULL elements, quoting, escapes, whitespace, empty, 2-D) go as binary: the table equals the server's own CSV COPY
// of the file. An array with a `[lo:hi]=` decoration goes as a CSV row of the same load.
constexpr const char* kUserTypes =
    "id bigint PRIMARY KEY, m bin_mood, p bin_pos, code bin_code, amt bin_amount2, ia int4[], ta text[], "
    "na numeric(6,2)[], tsa timestamp[], ba bool[], ua uuid[], i8 int8[]";
constexpr const char* kUserTypesCsv =
    "3,sad,1,abc,1.005,\"{1,2,NULL}\",\"{a,\"\"b,c\"\",NULL,\"\"NULL\"\"}\",\"{1.5,NaN,NULL}\","
    "\"{\"\"2000-01-01 00:00:01.5\"\",infinity}\",\"{t,f,NULL}\",{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11},"
    "\"{{1,2},{3,4}}\"\n"
    "1,\"happy, very\",2147483647,,0,{},{},{},{},{},{},{}\n"
    "2,it's,5,\xc3\xa9t\xc3\xa9,9999.99,\" { 1 , 2 } \",\"{\"\"a\\\"\"b\"\",\"\"c\\\\d\"\", x y ,\xc3\xa9}\",,,,,"
    "\"{ {1} , {NULL} }\"\n"
    "5,na\xc3\xafve,7,x,2,\"[1:2]={1,2}\",,,,,,\n"
    "4,,,,,,,,,,,\n";

TEST_F(BinaryCopyTest, EnumsDomainsAndArraysGoAsBinaryAndMatchTheServersCsvCopy) {
  on_every_node("CREATE TYPE bin_mood AS ENUM ('sad', 'ok', 'happy, very', 'it''s', 'na\xc3\xafve')");
  on_every_node("CREATE DOMAIN bin_pos AS integer CHECK (VALUE > 0)");
  on_every_node("CREATE DOMAIN bin_code AS text CHECK (length(VALUE) <= 3)");
  on_every_node("CREATE DOMAIN bin_amount AS numeric(6,2) CHECK (VALUE >= 0)");
  on_every_node("CREATE DOMAIN bin_amount2 AS bin_amount CHECK (VALUE <> 5)");
  auto c = cluster().connect();
  auto r = load_beside_server_copy("bin_ud", kUserTypes, kUserTypesCsv, 2);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("rows go as binary COPY"));
  EXPECT_THAT(r.output, HasSubstr("input done: 5 rows in "));
  EXPECT_THAT(r.output, HasSubstr(", 1 of them as CSV rows; "));  // id 5: the [1:2]= decoration
  EXPECT_EQ(*c.scalar("SELECT amt::text || ' ' || ta::text FROM bin_ud WHERE id = 3"),
            "1.01 {a,\"b,c\",NULL,\"NULL\"}");
  EXPECT_EQ(dump(c, "bin_ud"), dump(c, "bin_ud_plain"));
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM (SELECT * FROM bin_ud EXCEPT SELECT * FROM bin_ud_plain) d"), "0");
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM (SELECT * FROM bin_ud_plain EXCEPT SELECT * FROM bin_ud) d"), "0");

  // A label the type does not have is refused before anything is sent, with enum_in's message and its place.
  const std::string path = dir() + "/bad_user_types.csv";
  write_file(path, "10,ok,1,a,1,,,,,,,\n11,nope,1,a,1,,,,,,,\n");
  r = pgload("--url " + sh(path) + " --table bin_ud");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("pgload: line 2, column m, byte 22: invalid input value for enum bin_mood: \"nope\""));

  // A domain's CHECK is the worker's (domain_recv): its error names the input row, and nothing is loaded.
  write_file(path, "12,ok,1,a,1,,,,,,,\n13,ok,0,a,1,,,,,,,\n");
  r = pgload("--url " + sh(path) + " --table bin_ud");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr(": input line 2 (byte 19), column p: value for domain bin_pos violates check "
                                  "constraint \"bin_pos_check\" [SQLSTATE 23514]"));
  write_file(path, "12,ok,1,a,1,,,,,,,\n14,ok,1,abcd,1,,,,,,,\n");
  r = pgload("--url " + sh(path) + " --table bin_ud");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr(": input line 2 (byte 19), column code: value for domain bin_code violates check "
                                  "constraint \"bin_code_check\""));
  write_file(path, "12,ok,1,a,5.001,,,,,,,\n");
  r = pgload("--url " + sh(path) + " --table bin_ud");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("value for domain bin_amount2 violates check constraint"));
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM bin_ud"), "5") << "a failed load leaves the table as it was";
}

// A NOT NULL domain refuses NULL on the worker (domain_recv is called for a NULL field too), as in COPY.
TEST_F(BinaryCopyTest, NotNullDomainRefusesNullOnTheWorker) {
  on_every_node("CREATE DOMAIN bin_nn AS text NOT NULL");
  auto c = create_distributed("bin_nnt", "id bigint PRIMARY KEY, v bin_nn", 1);
  const std::string path = dir() + "/not_null_domain.csv";
  write_file(path, "1,a\n2,\n");
  auto r = pgload("--url " + sh(path) + " --table bin_nnt --verbose");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("rows go as binary COPY"));
  EXPECT_THAT(
      r.output,
      HasSubstr(": input line 2 (byte 4), column v: domain bin_nn does not allow null values [SQLSTATE 23502]"));
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM bin_nnt"), "0");
}

}  // namespace
}  // namespace pgload::test
