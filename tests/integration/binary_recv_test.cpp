// Every binary encoder against the server's own *_recv: each value is parsed once (parse_pg_input) and encoded
// (append_binary_field), sent alone by binary COPY into a one-column table, and its ::text must equal the text
// input's (`$1::type::text`). A value the server's input function refuses must never be encoded, and a parse error
// must be one the server raises too. Edge values: NaN/Infinity numerics and floats, BC dates, infinities, leap
// second, 24:00:00, timetz offsets, intervals with months/days/microseconds, inet/cidr v4/v6 with masks, macaddr.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <string>
#include <vector>

#include "common/pg.h"
#include "loader/binary_row.h"
#include "tests/support/test_cluster.h"

namespace pgload {
namespace {

struct Case {
  const char* text;
  bool must_encode;  // a form the encoder is meant to take: declining it would be a regression
};

class BinaryRecv : public ::testing::Test {
 protected:
  static PgConn& conn() {
    static PgConn c = [] {
      PgConn pg = test::TestCluster::shared().connect();
      pg.run("SET client_min_messages = warning");
      pg.run("SET TimeZone = 'UTC'");  // timestamptz/timetz without an offset: the ColumnType's offset 0
      return pg;
    }();
    return c;
  }

  // Sends one binary COPY of a single field; the server's error message, or "" on success.
  static std::string copy_binary(const std::string& table, const std::string& field) {
    std::string data;
    append_binary_header(data);
    append_binary_row_start(data, 1);
    data += field;
    append_binary_trailer(data);
    PGconn* raw = conn().raw();
    PGresult* r = PQexec(raw, ("COPY " + table + " FROM STDIN (FORMAT binary)").c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COPY_IN) << PQerrorMessage(raw);
    PQclear(r);
    EXPECT_EQ(PQputCopyData(raw, data.data(), static_cast<int>(data.size())), 1);
    EXPECT_EQ(PQputCopyEnd(raw, nullptr), 1);
    std::string error;
    while ((r = PQgetResult(raw)) != nullptr) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
      PQclear(r);
    }
    return error;
  }

  void round_trip(PgType type, const std::string& sql_type, const std::vector<Case>& cases, int32_t typmod = -1) {
    PgConn& pg = conn();
    const std::string table = "recv_t";
    pg.run("DROP TABLE IF EXISTS " + table);
    pg.run("CREATE TEMP TABLE " + table + " (v " + sql_type + ")");
    const ColumnType t{type, -1, 0, typmod};
    int encoded = 0;
    for (const Case& c : cases) {
      SCOPED_TRACE(sql_type + " '" + c.text + "'");
      std::optional<std::string> server_text;
      std::string server_error;
      try {
        server_text = pg.scalar("SELECT ($1::" + sql_type + ")::text", Params{std::string(c.text)});
      } catch (const PgError& e) {
        ASSERT_FALSE(e.connection_lost()) << e.what();
        server_error = e.server_message();
      }
      const PgInput parsed = parse_pg_input(t, c.text);
      if (parsed.status == PgInput::Status::Error) {
        EXPECT_FALSE(server_text) << "we refuse (" << parsed.error << "), the server accepts: " << *server_text;
      }
      std::string field;
      if (!append_binary_field(field, t, parsed)) {
        EXPECT_FALSE(c.must_encode) << "the encoder declined a form it is meant to take";
        continue;
      }
      ++encoded;
      ASSERT_TRUE(server_text) << "encoded a value the server's input refuses: " << server_error;
      const std::string error = copy_binary(table, field);
      ASSERT_EQ(error, "") << "the server's receive function refused the encoding";
      EXPECT_EQ(pg.scalar("SELECT v::text FROM " + table), server_text);
      pg.run("TRUNCATE " + table);
    }
    EXPECT_GT(encoded, 0);
  }
};

TEST_F(BinaryRecv, Numeric) {
  round_trip(PgType::Numeric, "numeric",
             {{"NaN", true},
              {"nan", true},
              {"Infinity", true},
              {"-Infinity", true},
              {"+infinity", true},
              {"inf", false},
              {"0", true},
              {"-0.00", true},
              {"1e-1000", true},
              {"123456789012345678901234567890.123456789", true},
              {"1.5e3", true},
              {"0.0001", true},
              {" 7.999 ", true},
              {"-99999.49", true},
              {"1e1001", false},
              {"1e", false},
              {"abc", false}});
  round_trip(PgType::Numeric, "numeric(10,2)",
             {{"1.005", true}, {"-0.005", true}, {"12345678.994", true}, {"123456789", false}, {"NaN", true}},
             (10 << 16 | 2) + 4);
}

TEST_F(BinaryRecv, DatesAndTimestamps) {
  round_trip(PgType::Date, "date",
             {{"2000-02-29", true},
              {"0044-03-15 BC", true},
              {"4713-01-01 BC", true},
              {"4714-11-24 BC", true},
              {"4714-11-23 BC", false},
              {"5874897-12-31", true},
              {"infinity", true},
              {"-infinity", true},
              {"epoch", true},
              {"2024-01-01 23:59:60", true},
              {"2024-01-01 23:59:60.5", false},
              {"2024-02-30", false},
              {"Jan 8 1999", false}});
  round_trip(PgType::Timestamp, "timestamp",
             {{"2000-01-01 24:00:00", true},
              {"1999-12-31 23:59:60", true},
              {"2000-01-01 23:59:60.5", false},
              {"2000-01-01 24:00:00.1", false},
              {"294276-12-31 23:59:59.999999", true},
              {"infinity", true},
              {"-infinity", true},
              {"0001-01-01 00:00:00 BC", true},
              {"4714-11-24 00:00:00 BC", true},
              {"2000-01-01T10:20:30.1234567", true},
              {"2000-01-01 10:20:30+05", true}});
  round_trip(PgType::Timestamptz, "timestamptz",
             {{"2020-06-01 12:00:00+02", true},
              {"2020-01-01T00:00:00Z", true},
              {"1999-12-31 19:00:00-05:30", true},
              {"2020-06-01 12:00:00", true},
              {"0100-01-01 00:00:00+14 BC", true},
              {"infinity", true},
              {"2020-06-01 12:00 America/New_York", false}});
}

TEST_F(BinaryRecv, TimesAndIntervals) {
  round_trip(PgType::Time, "time",
             {{"24:00:00", true},
              {"23:59:60", true},
              {"23:59:60.5", false},
              {"00:00:00.000001", true},
              {"04:05:06.7891234", true},
              {"allballs", false}});
  round_trip(PgType::Timetz, "timetz",
             {{"04:05:06+02", true},
              {"04:05:06-05:30", true},
              {"23:59:59.999999+15:59", true},
              {"24:00:00+00", true},
              {"00:00:00Z", true},
              {"12:00:00", true},
              {"04:05:06 +0200", true},
              {"23:59:60-01", true},
              {"23:59:60.5-01", false},
              {"12:00+16", false},
              {"04:05 PM", false},
              {"04:05:06 America/New_York", false}});
  round_trip(PgType::Interval, "interval",
             {{"1 year 2 mons 3 days 04:05:06.789", true},
              {"-1 days +02:03:04", true},
              {"1 day -01:02:03", true},
              {"3 mons", true},
              {"100:00:00", true},
              {"-00:00:00.000001", true},
              {"1 year -2 mons", true},
              {"2 hours 30 mins", true},
              {"5 days", true},
              {"-1 days 02:03:04", false},  // IntervalStyle decides: left to the server
              {"1day", false},
              {"-178000000 years", false},
              {"1 day 1 day", false},
              {"P1D", false},
              {"1.5 days", false},
              {"@ 1 hour ago", false}});
}

TEST_F(BinaryRecv, NetworkTypes) {
  round_trip(PgType::Inet, "inet",
             {{"10.0.0.1", true},
              {"10.0.0.1/8", true},
              {"192.168.1.0/24", true},
              {"::1", true},
              {"::ffff:1.2.3.4", true},
              {"2001:db8::/32", true},
              {"fe80::1/64", true},
              {"0.0.0.0/0", true},
              {"256.1.1.1", false},
              {"10.0.0.1/33", false}});
  round_trip(PgType::Cidr, "cidr",
             {{"10.0.0.0/8", true},
              {"192.168.1.0/24", true},
              {"2001:db8::/32", true},
              {"::/0", true},
              {"10.0.0.1/8", false},
              {"10/8", false}});
  round_trip(
      PgType::Macaddr, "macaddr",
      {{"08:00:2b:01:02:03", true}, {"08-00-2B-01-02-03", true}, {"08002b:010203", false}, {"08:00:2b:01:02", false}});
}

TEST_F(BinaryRecv, FloatsBooleansBytea) {
  round_trip(PgType::Float8, "float8",
             {{"NaN", true},
              {"-Infinity", true},
              {"Infinity", true},
              {"1e308", true},
              {"4.9e-324", true},
              {"-0", true},
              {"nan(1)", false},
              {"1e309", false}});
  round_trip(PgType::Float4, "float4", {{"inf", true}, {"-inf", true}, {"3.4e38", true}, {"1e-45", true}});
  round_trip(PgType::Bool, "bool", {{" YES", true}, {"of", true}, {"o", false}});
  round_trip(PgType::Bytea, "bytea",
             {{"\\x", true}, {"\\xDEad", true}, {"\\xde ad", true}, {"a\\\\b\\001", true}, {"\\xdea", false}});
}

}  // namespace
}  // namespace pgload
