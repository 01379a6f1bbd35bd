// Every binary encoder against the server's own *_recv: each value is parsed once (parse_pg_input) and encoded
// (append_binary_field), sent alone by binary COPY into a one-column table, and its ::text must equal the text
// input's (`$1::type::text`). A value the server's input function refuses must never be encoded, and a parse error
// must be one the server raises too. Edge values: NaN/Infinity numerics and floats, BC dates, infinities, leap
// second, 24:00:00, timetz offsets, intervals with months/days/microseconds, inet/cidr v4/v6 with masks, macaddr;
// arrays (NULLs, quoting, escapes, whitespace, 2-D and 3-D, forms left to the server), enum labels, domains.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <string>
#include <vector>

#include "common/pg_input.h"

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
    round_trip(ColumnType{type, -1, 0, typmod}, sql_type, cases);
  }

  void round_trip(const ColumnType& t, const std::string& sql_type, const std::vector<Case>& cases) {
    PgConn& pg = conn();
    const std::string table = "recv_t";
    pg.run("DROP TABLE IF EXISTS " + table);
    pg.run("CREATE TEMP TABLE " + table + " (v " + sql_type + ")");
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
        if (!server_text && t.type == PgType::Enum) {  // the reject's message is the server's own
          EXPECT_EQ(std::string(parsed.error) + ": \"" + c.text + "\"",
                    server_error.substr(0, server_error.find("; context:")));
        }
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

// array_in's forms, split by common/pg_array and sent as array_recv reads them: the element type OID, NULLs (the
// has-nulls flag), dimensions; every form declined here (a decoration, escapes in a bare element, ragged or mixed
// nesting, junk) is one the encoder must not guess.
TEST_F(BinaryRecv, ArraysSplitAsArrayIn) {
  const ColumnType int4s = column_type_for(1007, -1, 23, nullptr);
  ASSERT_EQ(int4s.type, PgType::Array);
  round_trip(int4s, "int4[]",
             {{"{1,2,NULL}", true},
              {"{}", true},
              {" { } ", true},
              {"  { 1 ,\t2 , 3 }\n", true},
              {"{null,NULL,Null}", true},
              {"{NULL ,1}", true},
              {"{\"1\",\" 2 \"}", true},
              {"{{1,2},{3,4}}", true},
              {"{ { 1 , NULL } , { 3 , 4 } }", true},
              {"{{{1}},{{2}}}", true},
              {"{{1,2},{3}}", false},
              {"{1,{2}}", false},
              {"{{1},2}", false},
              {"{{}}", false},
              {"{1,}", false},
              {"{,1}", false},
              {"{1,,2}", false},
              {"{1} x", false},
              {"{1", false},
              {"1", false},
              {"[1:2]={1,2}", false},
              {"[0:1]={1,2}", false},
              {"{\"NULL\"}", false},
              {"{1 2}", false},
              {"{x}", false},
              {"{2147483648}", false}});
  round_trip(column_type_for(1016, -1, 20, nullptr), "int8[]",
             {{"{-9223372036854775808,9223372036854775807,NULL}", true}, {"{{1},{2}}", true}});
  round_trip(column_type_for(1009, -1, 25, nullptr), "text[]",
             {{"{a,b,NULL}", true},
              {"{\"NULL\",NULL,\"null\"}", true},
              {"{\"a,b\",\"c\\\"d\",\"e\\\\f\",\"\"}", true},
              {"{\"{}\",\"}\",\" lead\",\"trail \"}", true},
              {"{a b, c d ,\"x\"  }", true},
              {"{\xc3\xa9,\"\xc3\xbc x\"}", true},
              {"{\"\\\xc3\xa9\"}", true},
              {"{{a,b},{c,d}}", true},
              {"{ \"x\" }", true},
              {"{a\\,b}", false},
              {"{a\"b\"}", false},
              {"{\"a\"b}", false},
              {"{\"a\" \"b\"}", false},
              {"{\"a}", false}});
  round_trip(column_type_for(1231, -1, 1700, nullptr), "numeric[]",
             {{"{1.5,NaN,-0.00,1e3,NULL,Infinity}", true}, {"{{1.005,2},{3,4}}", true}, {"{1e}", false}});
  round_trip(column_type_for(1231, (6 << 16 | 2) + 4, 1700, nullptr), "numeric(6,2)[]",
             {{"{1.005,-2.555}", true}, {"{12345}", false}});
  round_trip(column_type_for(1115, -1, 1114, nullptr), "timestamp[]",
             {{"{\"2000-01-01 00:00:01.5\",infinity,NULL,\"1999-12-31 23:59:60\"}", true},
              {"{\"Jan 8 1999 04:05:06\"}", false}});
  round_trip(column_type_for(1000, -1, 16, nullptr), "bool[]",
             {{"{t,f,NULL,yes,\" off \"}", true}, {"{maybe}", false}});
  round_trip(column_type_for(2951, -1, 2950, nullptr), "uuid[]",
             {{"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL,{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}}", false},
              {"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL,\"{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}\"}", true}});
  round_trip(column_type_for(1015, 3 + 4, 1043, nullptr), "varchar(3)[]",
             {{"{abc,\"d  \",\"abc   \"}", true}, {"{abcd}", false}});
  round_trip(column_type_for(1014, 3 + 4, 1042, nullptr), "char(3)[]", {{"{a,\"b \"}", true}});
  round_trip(column_type_for(3807, -1, 3802, nullptr), "jsonb[]", {{"{\"{\\\"a\\\": [1, 2]}\",null}", true}});
  round_trip(column_type_for(1001, -1, 17, nullptr), "bytea[]",
             {{"{\"\\\\xdeadbeef\",\"\\\\x\"}", true}, {"{\"a\\\\\\\\b\"}", true}});
  EXPECT_EQ(column_type_for(1017, -1, 600, nullptr).type, PgType::Other) << "point[]: no element parser";
}

// The labels of an enum as the catalog reads them: each goes as its bytes (enum_recv looks the label up); any
// other text is refused with enum_in's own message.
TEST_F(BinaryRecv, EnumLabels) {
  PgConn& pg = conn();
  pg.run("DROP TYPE IF EXISTS recv_mood CASCADE");
  pg.run(
      "CREATE TYPE recv_mood AS ENUM ('sad', 'ok', 'happy, very', 'it''s', 'quote\"d', 'na\xc3\xafve', "
      "'with space ', 'NULL', '{x}')");
  const PgResult labels = pg.exec("SELECT enumlabel, oid FROM pg_enum WHERE enumtypid = 'recv_mood'::regtype");
  std::vector<std::string> names;
  std::vector<EnumLabel> with_oids;
  for (int i = 0; i < labels.rows(); ++i) {
    names.push_back(labels.str(i, 0));
    with_oids.push_back({labels.str(i, 0), static_cast<uint32_t>(labels.i64(i, 1))});
  }
  const PgEnum mood("recv_mood", with_oids);
  ColumnType t;
  t.type = PgType::Enum;
  t.enum_type = &mood;
  std::vector<Case> cases;
  for (const std::string& n : names) cases.push_back({n.c_str(), true});
  for (const char* bad : {"x", "Sad", " ok", "ok ", "", "with space", "null"}) cases.push_back({bad, false});
  round_trip(t, "recv_mood", cases);

  const PgResult oid = pg.exec("SELECT 'recv_mood'::regtype::oid, 'recv_mood[]'::regtype::oid");
  EXPECT_EQ(column_type_for(static_cast<uint32_t>(oid.i64(0, 1)), -1, static_cast<uint32_t>(oid.i64(0, 0)), &mood).type,
            PgType::Other)
      << "an enum's OID differs between nodes, and array_recv checks the element's: its arrays go as CSV";
}

// A domain goes as its base type: domain_recv runs the base's receive function, then the domain's constraints,
// which refuse a value exactly as domain_in does (and NULL for a NOT NULL domain).
TEST_F(BinaryRecv, DomainsRunTheirChecksOnTheBase) {
  PgConn& pg = conn();
  pg.run("DROP DOMAIN IF EXISTS recv_pos, recv_code, recv_money, recv_pos2 CASCADE");
  pg.run("CREATE DOMAIN recv_pos AS int4 NOT NULL CHECK (VALUE > 0)");
  pg.run("CREATE DOMAIN recv_pos2 AS recv_pos CHECK (VALUE < 100)");
  pg.run("CREATE DOMAIN recv_code AS text CHECK (length(VALUE) = 3)");
  pg.run("CREATE DOMAIN recv_money AS numeric(6,2) CHECK (VALUE >= 0)");
  round_trip(PgType::Int4, "recv_pos", {{"1", true}, {" 2147483647", true}});
  round_trip(PgType::Int4, "recv_pos2", {{"99", true}});
  round_trip(PgType::Text, "recv_code", {{"abc", true}, {"\xc3\xa9t\xc3\xa9", true}});
  round_trip(PgType::Numeric, "recv_money", {{"1.005", true}, {"9999.994", true}}, (6 << 16 | 2) + 4);

  pg.run("DROP TABLE IF EXISTS recv_d");
  pg.run("CREATE TEMP TABLE recv_d (v recv_pos2)");
  std::string field;
  ASSERT_TRUE(append_binary_field(field, ColumnType{PgType::Int4}, std::optional<std::string_view>("0")));
  EXPECT_EQ(copy_binary("recv_d", field).rfind("ERROR:  value for domain recv_pos2 violates check constraint", 0), 0U);
  field.clear();
  ASSERT_TRUE(append_binary_field(field, ColumnType{PgType::Int4}, std::optional<std::string_view>("100")));
  EXPECT_NE(copy_binary("recv_d", field).find("violates check constraint \"recv_pos2_check\""), std::string::npos);
  field.clear();
  append_binary_null(field);
  EXPECT_EQ(copy_binary("recv_d", field).rfind("ERROR:  domain recv_pos2 does not allow null values", 0), 0U);
  EXPECT_EQ(*pg.scalar("SELECT count(*) FROM recv_d"), "0");
}

}  // namespace
}  // namespace pgload
