// pgload --format text against PostgreSQL's own COPY ... FROM STDIN (FORMAT text): the same bytes go once through
// the server's parser into a plain table and once through pgload into a distributed table, and the stored rows
// must be identical. Covers escapes, NULL markers, the three line ends, HEADER, the end-of-copy marker, the binary
// path (text/int columns) and the text path (numeric/date columns: TPC-H lineitem with '|').
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/pg.h"
#include "tests/support/files.h"
#include "tests/support/test_cluster.h"

namespace pgload::test {
namespace {

using ::testing::HasSubstr;

const std::string& work_dir() {
  static const std::string dir = temp_dir("pgload-text");
  return dir;
}

class TextFormatTest : public ::testing::Test {
 protected:
  static TestCluster& cluster() { return TestCluster::shared(); }

  static CommandResult pgload(const std::string& args) { return run_pgload(cluster().conninfo(), "--quiet " + args); }

  // The server's own parse: COPY name FROM STDIN with `options`, the bytes sent as they are.
  static void server_copy(const std::string& name, const std::string& options, const std::string& bytes) {
    PgConn c = cluster().connect();
    PGresult* r = PQexec(c.raw(), ("COPY " + name + " FROM STDIN WITH (" + options + ")").c_str());
    ASSERT_EQ(PQresultStatus(r), PGRES_COPY_IN) << PQerrorMessage(c.raw());
    PQclear(r);
    ASSERT_EQ(PQputCopyData(c.raw(), bytes.data(), static_cast<int>(bytes.size())), 1);
    ASSERT_EQ(PQputCopyEnd(c.raw(), nullptr), 1);
    while ((r = PQgetResult(c.raw())) != nullptr) {
      EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
      PQclear(r);
    }
  }

  // Every row as its record text, in id order: equal lists mean equal values, NULLs included.
  static std::vector<std::string> rows(const std::string& name) {
    PgConn c = cluster().connect();
    PgResult r = c.exec("SELECT x::text FROM " + name + " x ORDER BY x::text COLLATE \"C\"");
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.str(i, 0));
    return out;
  }

  // A plain table loaded by the server and a distributed one loaded by pgload, from the same file.
  static void compare(const std::string& name, const std::string& columns, const std::string& dist_column,
                      const std::string& bytes, const std::string& copy_options, const std::string& pgload_args,
                      size_t expected_rows) {
    PgConn c = cluster().connect();
    c.run("CREATE TABLE " + name + "_plain (" + columns + ")");
    c.run("CREATE TABLE " + name + " (" + columns + ")");
    c.run("SELECT create_distributed_table('" + name + "', '" + dist_column +
          "', colocate_with => 'none', shard_count => 4)");
    server_copy(name + "_plain", copy_options, bytes);
    const std::string path = work_dir() + "/" + name + ".txt";
    write_file(path, bytes);
    auto r = pgload("--url " + sh(path) + " --table " + name + " --format text " + pgload_args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto expected = rows(name + "_plain");
    EXPECT_EQ(expected.size(), expected_rows);
    EXPECT_EQ(rows(name), expected);
  }
};

// Rows with every escape COPY text knows; `nl` is the line terminator.
std::string escapes_file(const std::string& nl) {
  std::string s;
  s += "1\tplain\t10\t\\\\x41" + nl;
  s += "2\t\\N\t\\N\t\\N" + nl;                              // NULL markers
  s += "3\t\t0\t\\\\x" + nl;                                 // empty string, empty bytea
  s += "4\ta\\tb\\nc\\rd\\\\e\t-5\t\\\\x00ff" + nl;          // \t \n \r \\ escapes
  s += "5\t\\b\\f\\v\\101\\x42\\x4\\7\t6\t\\N" + nl;         // \b \f \v, octal and hex of 1-3 / 1-2 digits
  s += "6\tescaped\\\ttab\t7\t\\N" + nl;                     // a backslash before the delimiter: literal delimiter
  s += "7\t\\\\N is not null\t8\t\\N" + nl;                  // \\N de-escapes to \N but is not the NULL marker
  s += "8\tcaf\xC3\xA9 \\303\\251 \\xc3\\xa9\t9\t\\N" + nl;  // raw UTF-8 and the same bytes from escapes
  s += "9\t\\q\\'\\\"\\|\t+11\t\\N" + nl;                    // any other \c is c
  // A backslash before LF (or CR) makes the terminator data; before CRLF the server fails ("literal newline").
  s += "10\tmulti\\" + (nl == "\r\n" ? "\\n" : nl) + "line\t 12 \t\\N" + nl;
  s += "11\ta\\\\.b\t13\t\\N" + nl;  // \\. is a backslash and a dot, no end-of-copy marker
  return s;
}

TEST_F(TextFormatTest, EscapesMatchServerCopy) {
  const std::string columns = "id bigint, t text, n int, b bytea";
  compare("text_escapes_lf", columns, "id", escapes_file("\n"), "FORMAT text", "", 11);
  compare("text_escapes_crlf", columns, "id", escapes_file("\r\n"), "FORMAT text", "", 11);
  compare("text_escapes_cr", columns, "id", escapes_file("\r"), "FORMAT text", "", 11);
}

TEST_F(TextFormatTest, HeaderNullAndDelimiterOptionsMatchServerCopy) {
  const std::string columns = "id bigint, t text, n int, b bytea";
  compare("text_header", columns, "id", "whatever\\\tthe\theader\tsays\n" + escapes_file("\n"),
          "FORMAT text, HEADER true", "--header", 11);
  std::string semi = "1;a\\;b;NULL;\\N\n2;NULL;3;\\\\x41\n3;;\\N;NULL\n";
  compare("text_null_delim", "id bigint, t text, n text, b text", "id", semi, "FORMAT text, DELIMITER ';', NULL 'NULL'",
          "--delimiter ';' --null NULL", 3);
}

TEST_F(TextFormatTest, EndOfCopyMarkerEndsTheDataAsOnTheServer) {
  const std::string columns = "id bigint, t text";
  compare("text_marker_alone", columns, "id", "1\ta\n2\tb\n\\.\n3\tnot loaded\nnot\teven\tparsed\\\n", "FORMAT text",
          "", 2);
  compare("text_marker_mid_line", columns, "id", "1\ta\n2\tb\\.\n3\tnot loaded\n", "FORMAT text", "", 2);
}

// TPC-H lineitem rows as pg_dump/COPY write them with DELIMITER '|' (no trailing '|'); numeric and date columns
// make these rows go as text COPY, re-escaped by pgload.
std::string lineitem_file(int rows) {
  std::mt19937 rng(17);
  const char* modes[] = {"TRUCK", "MAIL", "REG AIR", "AIR", "FOB", "RAIL", "SHIP"};
  const char* instr[] = {"DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"};
  std::string s;
  auto num = [&rng](unsigned below) { return std::to_string(rng() % below); };
  auto pick = [&rng](const char* chars) { return std::string(1, chars[rng() % std::strlen(chars)]); };
  for (int i = 1; i <= rows; ++i) {
    s += std::to_string(i) + "|" + num(200000) + "|" + num(10000) + "|" + std::to_string(1 + i % 7) + "|" + num(50) +
         "|" + num(100000) + "." + num(10) + num(10) + "|0.0" + num(10) + "|0.0" + num(9) + "|" + pick("NAR") + "|" +
         pick("OF") + "|199" + num(9) + "-0" + std::to_string(1 + i % 9) + "-1" + num(9) + "|199" + num(9) + "-1" +
         num(3) + "-2" + num(9) + "|199" + num(9) + "-0" + std::to_string(1 + rng() % 9) + "-0" +
         std::to_string(1 + i % 9) + "|" + instr[rng() % 4] + "|" + modes[rng() % 7] + "|";
    // Comments with the characters that need escaping in this dialect.
    switch (i % 5) {
      case 0:
        s += "furiously regular deposits";
        break;
      case 1:
        s += "pipe \\| inside";
        break;
      case 2:
        s += "back\\\\slash";
        break;
      case 3:
        s += "\\N";
        break;
      default:
        s += "";
    }
    s += "\n";
  }
  return s;
}

TEST_F(TextFormatTest, TpchLineitemWithPipeDelimiterMatchesServerCopy) {
  const std::string columns =
      "l_orderkey bigint, l_partkey int, l_suppkey int, l_linenumber int, l_quantity numeric(15,2), "
      "l_extendedprice numeric(15,2), l_discount numeric(15,2), l_tax numeric(15,2), l_returnflag char(1), "
      "l_linestatus char(1), l_shipdate date, l_commitdate date, l_receiptdate date, l_shipinstruct char(25), "
      "l_shipmode char(10), l_comment varchar(44)";
  // 12,000 rows: about 1.6 MB, so the read stage cuts more than one chunk.
  const std::string lf = lineitem_file(12000);
  compare("text_lineitem", columns, "l_orderkey", lf, "FORMAT text, DELIMITER '|'",
          "--delimiter '|' --batch-bytes 16384", 12000);
  std::string cr = lf;
  for (char& ch : cr)
    if (ch == '\n') ch = '\r';
  compare("text_lineitem_cr", columns, "l_orderkey", cr, "FORMAT text, DELIMITER '|'", "--delimiter '|' --threads 2",
          12000);
}

TEST_F(TextFormatTest, BadRowIsReportedWithLineAndColumn) {
  PgConn c = cluster().connect();
  c.run("CREATE TABLE text_bad (id bigint, n int)");
  c.run("SELECT create_distributed_table('text_bad', 'id', colocate_with => 'none', shard_count => 4)");
  const std::string path = work_dir() + "/bad.txt";
  write_file(path, "1\t2\nmulti\\\nline\t3\n4\tx\n");
  auto r = pgload("--url " + sh(path) + " --table text_bad --format text");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("line 2, column id, byte 4: invalid bigint distribution value \"multi"));
  auto many = pgload("--url " + sh(path) + " --table text_bad --format text --max-errors 2");
  EXPECT_EQ(many.exit_code, 0) << many.output;
  EXPECT_EQ(rows("text_bad"), std::vector<std::string>{"(1,2)"});
}

TEST_F(TextFormatTest, LineNumbersCountCrLineEndsAcrossChunks) {
  PgConn c = cluster().connect();
  c.run("CREATE TABLE text_bad_cr (id bigint, n int)");
  c.run("SELECT create_distributed_table('text_bad_cr', 'id', colocate_with => 'none', shard_count => 4)");
  std::string in;
  for (int i = 1; i <= 100000; ++i) in += std::to_string(i) + "\t" + std::to_string(i) + "\r";  // ~1.3 MB
  const size_t bad_byte = in.size();
  in += "bad\t1\r";
  const std::string path = work_dir() + "/bad_cr.txt";
  write_file(path, in);
  auto r = pgload("--url " + sh(path) + " --table text_bad_cr --format text");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("line 100001, column id, byte " + std::to_string(bad_byte) +
                                  ": invalid bigint distribution value \"bad\""));
}

}  // namespace
}  // namespace pgload::test
