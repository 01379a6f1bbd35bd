// pgload end to end against a real local cluster: every input transport and dialect option lands the exact bytes a
// plain COPY of the same file gives, every row in its own shard's hash range, and nothing else is touched or printed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/pg.h"
#include "common/shard_name.h"
#include "tests/support/files.h"
#include "tests/support/serve_file.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kSmallRows = 5000;
constexpr int kBigRows = 1000000;

// Files generated once per binary, in one temporary directory readable by the postgres user.
struct Files {
  std::string dir, small, big;
};
const Files& files() {
  static const Files f = [] {
    Files out;
    out.dir = temp_dir("pgload-loadtest");
    out.small = out.dir + "/users5k.csv";
    out.big = out.dir + "/users1m.csv";
    auto r = run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(kSmallRows) + " --seed 7 --out " +
                         out.small);
    if (r.exit_code != 0) throw std::runtime_error("gen_users failed: " + r.output);
    return out;
  }();
  return f;
}

class PgloadTest : public ::testing::Test {
 protected:
  static TestCluster& cluster() { return TestCluster::shared(); }
  static PgConn coord() { return cluster().connect(); }

  // Runs pgload against the shared cluster (stdout and stderr together), bounded by timeout(1).
  static CommandResult pgload(const std::string& args, const std::string& conninfo = "") {
    return run_pgload(conninfo.empty() ? cluster().conninfo() : conninfo, args);
  }
  // Only pgload's stdout (stderr discarded): for --json.
  static CommandResult pgload_stdout(const std::string& args, const std::string& conninfo = "") {
    return run_command("(" + pgload_command(conninfo.empty() ? cluster().conninfo() : conninfo, args) +
                       " 2>/dev/null)");
  }

  static void create_users(const std::string& name, int shards = 32, const std::string& colocate = "none") {
    auto c = coord();
    c.run("CREATE TABLE " + quote_ident(name) + " (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    c.run("SELECT create_distributed_table(" + quote_literal(quote_ident(name)) + ", 'user_id', colocate_with => " +
          quote_literal(colocate) + ", shard_count => " + std::to_string(shards) + ")");
  }

  static int64_t count(const std::string& table) {
    return std::stoll(*coord().scalar("SELECT count(*) FROM " + quote_ident(table)));
  }

  // count and order-independent 64-bit fingerprint of the rows' text form, computed by the server.
  static std::string fingerprint(const PgConn& c, const std::string& relation) {
    return *c.scalar("SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) FROM " +
                     relation + " t");
  }

  // The same file loaded by a plain server-side COPY into a plain table on the coordinator.
  static std::string plain_fingerprint(const std::string& path) {
    static std::map<std::string, std::string> cache;
    if (auto it = cache.find(path); it != cache.end()) return it->second;
    auto c = coord();
    std::string name = "plain_" + std::to_string(cache.size());
    c.run("CREATE TABLE " + name + " (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
    c.run("COPY " + name + " FROM " + quote_literal(path) + " WITH (FORMAT csv)");
    return cache[path] = fingerprint(c, name);
  }

  struct ShardInfo {
    int64_t shard_id;
    std::string min, max;
    int port;
  };
  static std::vector<ShardInfo> shards(const std::string& table) {
    auto r = coord().exec(
        "SELECT s.shardid, coalesce(s.shardminvalue, ''), coalesce(s.shardmaxvalue, ''), n.nodeport "
        "FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n USING (groupid) "
        "WHERE s.logicalrelid = " +
        quote_literal(quote_ident(table)) +
        "::regclass "
        "ORDER BY s.shardminvalue::int, n.nodeport");
    std::vector<ShardInfo> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.i64(i, 0), r.str(i, 1), r.str(i, 2), static_cast<int>(r.i64(i, 3))});
    return out;
  }
  static std::string shard_relation(const std::string& table, int64_t shard_id) {
    return quote_qualified("public", citus_shard_name(table, shard_id));
  }

  // Rows that lie outside their shard's hash range, summed over every shard on its own worker.
  static int64_t rows_outside_their_shard(const std::string& table, const std::string& column) {
    int64_t outside = 0;
    for (const ShardInfo& s : shards(table)) {
      auto w = cluster().connect_node(s.port);
      outside += std::stoll(*w.scalar("SELECT count(*) FROM " + shard_relation(table, s.shard_id) + " WHERE hashint8(" +
                                      quote_ident(column) + ") NOT BETWEEN " + s.min + " AND " + s.max));
    }
    return outside;
  }
};

TEST_F(PgloadTest, MillionRowsEqualPlainCopyAndStayInTheirShards) {
  const std::string big = files().dir + "/users1m.csv";
  auto g = run_command(std::string(GEN_USERS_BIN) + " --rows " + std::to_string(kBigRows) + " --out " + big);
  ASSERT_EQ(g.exit_code, 0) << g.output;
  create_users("payment_users", 32, "default");
  auto r = pgload("--url " + sh(big) + " --table payment_users --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count("payment_users"), kBigRows);
  ASSERT_EQ(shards("payment_users").size(), 32u);
  EXPECT_EQ(rows_outside_their_shard("payment_users", "user_id"), 0);

  // Plain COPY of the same file into one plain table on a worker; compare fingerprints over all shards.
  const int port = cluster().worker_ports().front();
  auto w = cluster().connect_node(port);
  w.run("CREATE TABLE plain_users (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  w.run("COPY plain_users FROM " + quote_literal(big) + " WITH (FORMAT csv)");
  int64_t shard_rows = 0;
  std::string shard_sums = "ARRAY[0";  // per-shard sums, added up exactly as numeric by the server
  for (const ShardInfo& s : shards("payment_users")) {
    auto n = cluster().connect_node(s.port);
    auto res = n.exec("SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text FROM " +
                      shard_relation("payment_users", s.shard_id) + " t");
    shard_rows += res.i64(0, 0);
    shard_sums += "," + res.str(0, 1);
  }
  shard_sums += "]";
  auto plain = w.exec("SELECT count(*), sum(hashtextextended(t::text, 0)::numeric)::text FROM plain_users t");
  EXPECT_EQ(plain.i64(0, 0), kBigRows);
  EXPECT_EQ(shard_rows, kBigRows);
  EXPECT_EQ(*w.scalar("SELECT sum(x)::text FROM unnest(" + shard_sums + "::numeric[]) x"), plain.str(0, 1));
  // Byte-for-byte on the rows with commas, quotes and newlines in their logins, through the coordinator.
  const std::string tricky =
      "SELECT count(*) || ':' || md5(string_agg(t::text, E'\\n' ORDER BY user_id)) FROM %s t WHERE login ~ '[,\"\\n]'";
  std::string q_dist = std::regex_replace(tricky, std::regex("%s"), "payment_users");
  std::string q_plain = std::regex_replace(tricky, std::regex("%s"), "plain_users");
  auto tricky_dist = *coord().scalar(q_dist);
  EXPECT_EQ(tricky_dist, *w.scalar(q_plain));
  EXPECT_GT(std::stoll(tricky_dist.substr(0, tricky_dist.find(':'))), kBigRows / 400);
  w.run("DROP TABLE plain_users");
  std::remove(big.c_str());
}

// A chunk is the reader's block with the record the block before cut off copied in front (16 KiB of room): records
// of 20-60 KB, some with quoted line ends, straddle every block boundary of a 5 MB file, so their carries take the
// copying path, the short ones between them the block's own; the load equals a plain COPY of the file.
TEST_F(PgloadTest, RecordsLongerThanABlocksHeadroomLoadWhole) {
  const std::string path = files().dir + "/long_records.csv";
  std::string text;
  for (int i = 1; text.size() < size_t{5} << 20; ++i) {
    const size_t len = i % 3 == 0 ? 20000 + static_cast<size_t>(i) * 977 % 40000 : static_cast<size_t>(i % 50);
    std::string login(len, static_cast<char>('a' + i % 26));
    if (i % 7 == 0) login.replace(len / 2, 0, "\n\"\"");
    text += std::to_string(i) + ",u" + std::to_string(i) + ",\"" + login + "\",av\n";
  }
  write_file(path, text);
  create_users("long_records");
  auto r = pgload("--url " + sh(path) + " --table long_records --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(fingerprint(coord(), "long_records"), plain_fingerprint(path));
}

// LATIN1 input is converted per chunk, after the chunk was cut at a record end: bytes above 0x7F (each two in
// UTF-8) in plain and quoted fields, quoted line ends and doubled quotes, over several read blocks, load as the
// server's own COPY ... ENCODING 'LATIN1' reads them.
TEST_F(PgloadTest, Latin1InputLoadsAsTheServersLatin1Copy) {
  const std::string path = files().dir + "/latin1.csv";
  std::string text;
  for (int i = 1; text.size() < size_t{3} << 20; ++i) {
    std::string login(static_cast<size_t>(i % 40), static_cast<char>(0xE0 + i % 26));
    if (i % 5 == 0) login = "\"" + login + "\n\xFC\"\"\xC4\"";
    text += std::to_string(i) + ",\xE9t\xE9" + std::to_string(i) + "," + login + ",av\xDF\n";
  }
  write_file(path, text);
  create_users("latin1_in");
  auto r = pgload("--url " + sh(path) + " --table latin1_in --encoding latin1 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto c = coord();
  c.run("CREATE TABLE latin1_plain (user_id bigint PRIMARY KEY, url text, login text, avatar_url text)");
  c.run("COPY latin1_plain FROM " + quote_literal(path) + " WITH (FORMAT csv, ENCODING 'LATIN1')");
  const int64_t rows = c.exec("SELECT count(*) FROM latin1_plain").i64(0, 0);
  EXPECT_EQ(c.exec("SELECT count(*) FROM latin1_plain WHERE login LIKE '%\u00fc\"\u00c4'").i64(0, 0), rows / 5);
  EXPECT_EQ(fingerprint(coord(), "latin1_in"), fingerprint(c, "latin1_plain"));
}

// recover and status print their own report and nothing else: no load summary after it, and with --json one object
// (two made the output unreadable as JSON).
TEST_F(PgloadTest, RecoverAndStatusPrintOnlyTheirOwnReport) {
  auto recover = pgload_stdout("recover");
  ASSERT_EQ(recover.exit_code, 0) << recover.output;
  EXPECT_THAT(recover.output, ::testing::MatchesRegex("recover: [^\n]*\n")) << recover.output;
  auto status = pgload_stdout("status --json");
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, ::testing::MatchesRegex("\\{\"runs\":[^\n]*\\}\n")) << status.output;
  auto recover_json = pgload_stdout("--json recover");
  ASSERT_EQ(recover_json.exit_code, 0) << recover_json.output;
  EXPECT_THAT(recover_json.output, ::testing::MatchesRegex("\\{\"committed\":[^\n]*\\}\n")) << recover_json.output;
}

TEST_F(PgloadTest, LoadsOverHttp) {
  create_users("src_http");
  ServeFile server("--file " + files().small + " --port 0", files().dir);
  auto r = pgload("--url " + sh(server.url()) + " --table src_http");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(fingerprint(coord(), "src_http"), plain_fingerprint(files().small));
}

TEST_F(PgloadTest, LoadsFromFileUrl) {
  create_users("src_file_url");
  auto r = pgload("--url " + sh("file://" + files().small) + " --table src_file_url");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(fingerprint(coord(), "src_file_url"), plain_fingerprint(files().small));
}

TEST_F(PgloadTest, LoadsFromPlainPath) {
  create_users("src_path");
  auto r = pgload("--url " + sh(files().small) + " --table src_path");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("loaded " + std::to_string(kSmallRows) + " rows"));
  EXPECT_EQ(fingerprint(coord(), "src_path"), plain_fingerprint(files().small));
  EXPECT_EQ(rows_outside_their_shard("src_path", "user_id"), 0);
}

TEST_F(PgloadTest, LoadsFromStdin) {
  create_users("src_stdin");
  auto r = run_command("cat " + sh(files().small) + " | " +
                       pgload_command(cluster().conninfo(), "--url - --table src_stdin"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(fingerprint(coord(), "src_stdin"), plain_fingerprint(files().small));
}

TEST_F(PgloadTest, LoadsGzip) {
  create_users("src_gzip");
  const std::string gz = files().dir + "/users5k.csv.gz";
  ASSERT_EQ(run_command("gzip -c " + sh(files().small) + " > " + sh(gz)).exit_code, 0);
  auto r = pgload("--url " + sh(gz) + " --table src_gzip");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(fingerprint(coord(), "src_gzip"), plain_fingerprint(files().small));
  // The same gzip over HTTP.
  create_users("src_gzip_http");
  ServeFile server("--file " + gz + " --port 0", files().dir);
  r = pgload("--url " + sh(server.url("users5k.csv.gz")) + " --table src_gzip_http");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(fingerprint(coord(), "src_gzip_http"), plain_fingerprint(files().small));
}

TEST_F(PgloadTest, HeaderWithoutColumns) {
  create_users("hdr_plain");
  const std::string path = files().dir + "/hdr.csv";
  ASSERT_EQ(run_command("(echo user_id,url,login,avatar_url; cat " + sh(files().small) + ") > " + sh(path)).exit_code,
            0);
  auto r = pgload("--url " + sh(path) + " --table hdr_plain --header");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(fingerprint(coord(), "hdr_plain"), plain_fingerprint(files().small));
}

TEST_F(PgloadTest, HeaderWithColumnsInAnotherOrder) {
  create_users("hdr_columns");
  const std::string path = files().dir + "/hdr_reordered.csv";
  write_file(path,
             "login,avatar_url,user_id,url\n"
             "\"a,b\",https://av/1,1,https://u/1\n"
             "\"q\"\"uote\",,2,https://u/2\n"
             "\"multi\nline\",https://av/3,3,\n");
  auto r = pgload("--url " + sh(path) + " --table hdr_columns --header --columns login,avatar_url,user_id,url");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto c = coord();
  auto res = c.exec("SELECT user_id, url, login, coalesce(avatar_url, '<null>') FROM hdr_columns ORDER BY user_id");
  ASSERT_EQ(res.rows(), 3);
  EXPECT_EQ(res.str(0, 1), "https://u/1");
  EXPECT_EQ(res.str(0, 2), "a,b");
  EXPECT_EQ(res.str(0, 3), "https://av/1");
  EXPECT_EQ(res.str(1, 2), "q\"uote");
  EXPECT_EQ(res.str(1, 3), "<null>");
  EXPECT_EQ(res.str(2, 2), "multi\nline");
  EXPECT_TRUE(res.is_null(2, 1));
  EXPECT_EQ(rows_outside_their_shard("hdr_columns", "user_id"), 0);
}

TEST_F(PgloadTest, ColumnsSubsetLeavesOtherColumnsNull) {
  create_users("cols_subset");
  const std::string path = files().dir + "/subset.csv";
  write_file(path, "x,10\n\"y,z\",20\n\"\",30\n");
  auto r = pgload("--url " + sh(path) + " --table cols_subset --columns login,user_id");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto c = coord();
  EXPECT_EQ(*c.scalar("SELECT count(*) FROM cols_subset WHERE url IS NULL AND avatar_url IS NULL"), "3");
  EXPECT_EQ(*c.scalar("SELECT string_agg(coalesce(login, '<null>'), '|' ORDER BY user_id) FROM cols_subset"),
            "x|y,z|");  // a quoted empty string is an empty string, not NULL
  EXPECT_EQ(rows_outside_their_shard("cols_subset", "user_id"), 0);
}

TEST_F(PgloadTest, CustomDelimiterQuoteEscapeNull) {
  create_users("dialect");
  const std::string path = files().dir + "/dialect.psv";
  write_file(path,
             "1|'a|b'|'it\\'s'|NULL\n"
             "2|plain|'NULL'|\n"
             "3|'line\none'|'back\\\\slash'|x\n");
  auto r = pgload("--url " + sh(path) + " --table dialect --delimiter '|' --quote \"'\" --escape '\\' --null NULL");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto res = coord().exec("SELECT url, login, avatar_url FROM dialect ORDER BY user_id");
  ASSERT_EQ(res.rows(), 3);
  EXPECT_EQ(res.str(0, 0), "a|b");
  EXPECT_EQ(res.str(0, 1), "it's");
  EXPECT_TRUE(res.is_null(0, 2));
  EXPECT_EQ(res.str(1, 1), "NULL");  // quoted: a string, not the NULL marker
  EXPECT_FALSE(res.is_null(1, 2));   // with --null NULL an empty field is an empty string
  EXPECT_EQ(res.str(1, 2), "");
  EXPECT_EQ(res.str(2, 0), "line\none");
  EXPECT_EQ(res.str(2, 1), "back\\slash");
}

TEST_F(PgloadTest, Ndjson) {
  create_users("ndjson");
  const std::string path = files().dir + "/users.ndjson";
  write_file(path,
             "{\"user_id\":1,\"url\":\"https://u/1\",\"login\":\"a,\\\"b\\\"\\nc\",\"avatar_url\":null}\n"
             "\n"
             "{\"login\":\"\\u00e9t\\u00e9\",\"user_id\":2}\n"
             "{\"user_id\":3,\"url\":\"\",\"login\":\"NULL\",\"avatar_url\":\"x\"}\n");
  auto r = pgload("--url " + sh(path) + " --table ndjson --format ndjson");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto res = coord().exec("SELECT url, login, avatar_url FROM ndjson ORDER BY user_id");
  ASSERT_EQ(res.rows(), 3);
  EXPECT_EQ(res.str(0, 0), "https://u/1");
  EXPECT_EQ(res.str(0, 1), "a,\"b\"\nc");
  EXPECT_TRUE(res.is_null(0, 2));
  EXPECT_EQ(res.str(1, 1), "\xc3\xa9t\xc3\xa9");
  EXPECT_TRUE(res.is_null(1, 0));  // absent keys are NULL
  EXPECT_FALSE(res.is_null(2, 0));
  EXPECT_EQ(res.str(2, 0), "");  // "" is an empty string
  EXPECT_EQ(res.str(2, 1), "NULL");
  EXPECT_EQ(rows_outside_their_shard("ndjson", "user_id"), 0);
}

TEST_F(PgloadTest, DryRunPrintsShardAndNodeCountsAndLoadsNothing) {
  create_users("dry_run");
  auto r = pgload("--url " + sh(files().small) + " --table dry_run --dry-run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("dry run: would load " + std::to_string(kSmallRows) + " rows"));
  EXPECT_EQ(count("dry_run"), 0);
  // Each shard line is "  <shardid>  <rows>" (rows right-aligned); they must add up and match where a real load puts
  // the rows.
  std::map<int64_t, int64_t> predicted;
  std::regex line_re(R"(^  (\d{6,})  +(\d+)$)");
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, line_re)) predicted[std::stoll(m[1])] = std::stoll(m[2]);
  }
  ASSERT_EQ(predicted.size(), 32u) << r.output;
  int64_t total = 0;
  for (auto& [id, n] : predicted) total += n;
  EXPECT_EQ(total, kSmallRows);
  std::map<int, int64_t> per_node;
  for (const ShardInfo& s : shards("dry_run")) per_node[s.port] += predicted[s.shard_id];
  for (auto& [port, n] : per_node) EXPECT_THAT(r.output, HasSubstr("127.0.0.1:" + std::to_string(port))) << r.output;
  auto pg_res = coord().exec("SELECT count(*) FROM pg_prepared_xacts");  // nothing left behind either
  EXPECT_EQ(pg_res.str(0, 0), "0");

  ASSERT_EQ(pgload("--url " + sh(files().small) + " --table dry_run --quiet").exit_code, 0);
  for (const ShardInfo& s : shards("dry_run")) {
    auto w = cluster().connect_node(s.port);
    EXPECT_EQ(std::stoll(*w.scalar("SELECT count(*) FROM " + shard_relation("dry_run", s.shard_id))),
              predicted[s.shard_id])
        << "shard " << s.shard_id;
  }
}

TEST_F(PgloadTest, JsonReportHasEveryKey) {
  create_users("json_report");
  auto r = pgload_stdout("--url " + sh(files().small) + " --table json_report --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one JSON line expected: " << r.output;
  for (const char* key :
       {"rows", "bytes", "seconds", "rows_per_s", "mb_per_s", "rejected", "shards", "nodes", "outcome"})
    EXPECT_THAT(r.output, HasSubstr(std::string("\"") + key + "\":")) << key;
  EXPECT_THAT(r.output, HasSubstr("\"rows\":" + std::to_string(kSmallRows) + ","));
  EXPECT_THAT(r.output, HasSubstr("\"rejected\":0"));
  EXPECT_THAT(r.output, HasSubstr("\"outcome\":\"committed\""));
  std::ifstream in(files().small, std::ios::binary | std::ios::ate);
  EXPECT_THAT(r.output, HasSubstr("\"bytes\":" + std::to_string(static_cast<int64_t>(in.tellg())) + ","));
  // "shards":{"id":n,...} has every shard and adds up to the rows; "nodes" likewise.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex(R"("shards":\{([^}]*)\})")));
  std::string shard_obj = m[1];
  int64_t total = 0, entries = 0;
  std::regex kv(R"re("(\d+)":(\d+))re");
  for (auto it = std::sregex_iterator(shard_obj.begin(), shard_obj.end(), kv); it != std::sregex_iterator(); ++it) {
    total += std::stoll((*it)[2]);
    ++entries;
  }
  EXPECT_EQ(entries, 32);
  EXPECT_EQ(total, kSmallRows);
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex(R"("nodes":\{([^}]*)\})")));
  std::string node_obj = m[1];
  std::regex node_kv(R"re("127\.0\.0\.1:\d+":(\d+))re");
  total = entries = 0;
  for (auto it = std::sregex_iterator(node_obj.begin(), node_obj.end(), node_kv); it != std::sregex_iterator(); ++it) {
    total += std::stoll((*it)[1]);
    ++entries;
  }
  EXPECT_EQ(entries, 2);
  EXPECT_EQ(total, kSmallRows);
  EXPECT_EQ(count("json_report"), kSmallRows);
}

TEST_F(PgloadTest, ReferenceTableGetsEveryRowOnEveryWorker) {
  auto c = coord();
  c.run("CREATE TABLE ref_users (user_id bigint, url text, login text, avatar_url text)");
  c.run("SELECT create_reference_table('ref_users')");
  auto r = pgload("--url " + sh(files().small) + " --table ref_users");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto placements = shards("ref_users");
  ASSERT_EQ(placements.size(), cluster().worker_ports().size());
  const std::string expected = plain_fingerprint(files().small);
  for (const ShardInfo& s : placements) {
    auto w = cluster().connect_node(s.port);
    EXPECT_EQ(fingerprint(w, shard_relation("ref_users", s.shard_id)), expected) << "worker " << s.port;
  }
}

TEST_F(PgloadTest, ColocatedTablesRouteIdentically) {
  create_users("coloc_a", 32, "none");
  auto c = coord();
  c.run("CREATE TABLE coloc_b (user_id bigint, note text)");
  c.run("SELECT create_distributed_table('coloc_b', 'user_id', colocate_with => 'coloc_a')");
  ASSERT_EQ(pgload("--url " + sh(files().small) + " --table coloc_a --quiet").exit_code, 0);
  const std::string ids = files().dir + "/ids.csv";
  auto r = coord().exec("SELECT user_id FROM coloc_a ORDER BY user_id DESC");  // another order than the file
  std::string body;
  for (int i = 0; i < r.rows(); ++i) body += r.str(i, 0) + ",n" + r.str(i, 0) + "\n";
  write_file(ids, body);
  ASSERT_EQ(pgload("--url " + sh(ids) + " --table coloc_b --quiet").exit_code, 0);
  auto a = shards("coloc_a"), b = shards("coloc_b");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].port, b[i].port);
    EXPECT_EQ(a[i].min, b[i].min);
    auto w = cluster().connect_node(a[i].port);
    auto ids_a = *w.scalar("SELECT count(*) || ':' || coalesce(sum(user_id), 0) FROM " +
                           shard_relation("coloc_a", a[i].shard_id));
    auto ids_b = *w.scalar("SELECT count(*) || ':' || coalesce(sum(user_id), 0) FROM " +
                           shard_relation("coloc_b", b[i].shard_id));
    EXPECT_EQ(ids_a, ids_b) << "shard pair " << a[i].shard_id << "/" << b[i].shard_id;
  }
  EXPECT_EQ(count("coloc_b"), kSmallRows);
}

TEST_F(PgloadTest, HostileIdentifiersAreQuoted) {
  const std::string name = "a\"; DROP TABLE x; --";
  auto c = coord();
  c.run("CREATE TABLE x (keep int)");
  c.run("CREATE TABLE " + quote_ident(name) + " (" + quote_ident(name) + " bigint, login text)");
  c.run("SELECT create_distributed_table(" + quote_literal(quote_ident(name)) + ", " + quote_literal(name) +
        ", shard_count => 8)");
  const std::string path = files().dir + "/hostile.csv";
  write_file(path, "1,one\n2,two\n3,\"th,ree\"\n4,four\n5,five\n");
  auto r = pgload("--url " + sh(path) + " --table " + sh(quote_ident(name)) + " --columns " + sh(name + ",login"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count(name), 5);
  EXPECT_EQ(*c.scalar("SELECT login FROM " + quote_ident(name) + " WHERE " + quote_ident(name) + " = 3"), "th,ree");
  EXPECT_EQ(rows_outside_their_shard(name, name), 0);
  EXPECT_TRUE(c.scalar("SELECT to_regclass('public.x')").has_value()) << "table x was dropped";
  // With a header naming the hostile column too.
  write_file(path, "login," + std::string("\"a\"\"; DROP TABLE x; --\"") + "\nsix,6\n");
  r = pgload("--url " + sh(path) + " --table " + sh(quote_ident(name)) + " --header");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count(name), 6);
  EXPECT_TRUE(c.scalar("SELECT to_regclass('public.x')").has_value()) << "table x was dropped";
}

// A catalog that lists the table but none of its shards (a broken or half-made table) is refused before anything
// is read or sent.
TEST_F(PgloadTest, ATableWithoutShardsIsRefused) {
  create_users("no_shards", 4);
  auto c = coord();
  c.run(
      "DELETE FROM pg_dist_placement WHERE shardid IN (SELECT shardid FROM pg_dist_shard WHERE logicalrelid = "
      "'no_shards'::regclass)");
  c.run("DELETE FROM pg_dist_shard WHERE logicalrelid = 'no_shards'::regclass");
  auto r = pgload("--url " + sh(files().small) + " --table no_shards");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"public\".\"no_shards\" has no shard in pg_dist_shard; nothing was loaded"));
  EXPECT_EQ(count("no_shards"), 0);
}

TEST_F(PgloadTest, PasswordIsNeverPrinted) {
  create_users("secret_users", 4);
  // Trust auth: a password in the conninfo is accepted and ignored; it must not be echoed anywhere.
  const std::string good = cluster().conninfo() + " password=secret123";
  auto r = pgload("--url " + sh(files().small) + " --table secret_users", good);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("secret123")));
  r = pgload("--url " + sh(files().small) + " --table secret_users --json --dry-run", good);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("secret123")));
  // Failures: an unreachable coordinator (key/value and URI forms), an unknown table, a bad row.
  const int dead_port = free_port_range(1);
  for (const std::string& bad :
       {"host=127.0.0.1 port=" + std::to_string(dead_port) + " user=postgres password=secret123",
        "postgresql://postgres:secret123@127.0.0.1:" + std::to_string(dead_port) + "/postgres"}) {
    for (const char* extra : {"", " --json"}) {
      r = pgload("--url " + sh(files().small) + " --table secret_users" + extra, bad);
      EXPECT_EQ(r.exit_code, 3) << r.output;
      EXPECT_THAT(r.output, Not(HasSubstr("secret123")));
    }
  }
  r = pgload("--url " + sh(files().small) + " --table no_such_table --json", good);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("secret123")));
  const std::string bad_row = files().dir + "/bad_row.csv";
  write_file(bad_row, "1,a,b,c\nx,a,b,c\n");
  r = pgload("--url " + sh(bad_row) + " --table secret_users --json", good);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("secret123")));
  EXPECT_EQ(count("secret_users"), kSmallRows);
}

}  // namespace
}  // namespace pgload::test
