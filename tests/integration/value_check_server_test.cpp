// check_value against a real PostgreSQL: every value is inserted into a column
// of the type (the same input function and typmod COPY uses) and the server's
// verdict is compared with ours. Rule: we never reject what the server accepts;
// where the validator decides (all cases not marked lenient) we also reject
// what it rejects.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "loader/value_check.h"
#include "tests/support/test_cluster.h"

namespace pgload {
namespace {

struct Column {
  PgType type;
  int32_t max_chars;
  const char *sql_type;
  const char *table;
};

// Values the validator knowingly leaves to the server (accepted here, rejected
// by PostgreSQL 15).
struct Case {
  std::string value;
  bool lenient = false;
};

const Column kInt2{PgType::Int2, -1, "int2", "vc_int2"};
const Column kInt4{PgType::Int4, -1, "int4", "vc_int4"};
const Column kInt8{PgType::Int8, -1, "int8", "vc_int8"};
const Column kFloat4{PgType::Float4, -1, "float4", "vc_float4"};
const Column kFloat8{PgType::Float8, -1, "float8", "vc_float8"};
const Column kNumeric{PgType::Numeric, -1, "numeric", "vc_numeric"};
const Column kBool{PgType::Bool, -1, "bool", "vc_bool"};
const Column kText{PgType::Text, -1, "text", "vc_text"};
const Column kVarchar3{PgType::Varchar, 3, "varchar(3)", "vc_varchar3"};
const Column kChar2{PgType::Bpchar, 2, "char(2)", "vc_char2"};
const Column kUuid{PgType::Uuid, -1, "uuid", "vc_uuid"};
const Column kDate{PgType::Date, -1, "date", "vc_date"};
const Column kTimestamp{PgType::Timestamp, -1, "timestamp", "vc_timestamp"};
const Column kTimestamptz{PgType::Timestamptz, -1, "timestamptz", "vc_timestamptz"};
const Column kJson{PgType::Json, -1, "json", "vc_json"};
const Column kJsonb{PgType::Jsonb, -1, "jsonb", "vc_jsonb"};

class ValueCheckServer : public ::testing::Test {
 protected:
  static PgConn &conn() {
    static PgConn c = [] {
      // PGLOAD_TEST_CONNINFO points at an existing server (handy while
      // developing); otherwise a TestCluster.
      const char *env = std::getenv("PGLOAD_TEST_CONNINFO");
      PgConn pg = env ? PgConn::connect(env, "pgload-test") : test::TestCluster::shared().connect();
      pg.run("SET client_min_messages = warning");
      return pg;
    }();
    return c;
  }

  // Inserts every case into a fresh temp table of the column type and compares
  // verdicts.
  void compare(const Column &column, const std::vector<Case> &cases, bool expect_rejections = true) {
    PgConn &pg = conn();
    pg.run(std::string("DROP TABLE IF EXISTS ") + column.table);
    pg.run(std::string("CREATE TEMP TABLE ") + column.table + " (v " + column.sql_type + ")");
    const std::string insert = std::string("INSERT INTO ") + column.table + " VALUES ($1)";
    int decided = 0, server_rejected = 0;
    for (const Case &c : cases) {
      bool server_ok = true;
      std::string server_error;
      try {
        pg.exec(insert, Params{c.value});
      } catch (const PgError &e) {
        ASSERT_FALSE(e.connection_lost()) << e.what();
        server_ok = false;
        server_error = e.server_message();
      }
      const char *ours = check_value(ColumnType{column.type, column.max_chars}, c.value);
      server_rejected += !server_ok;
      // Never reject what the server accepts.
      if (server_ok) {
        EXPECT_EQ(ours, nullptr) << column.sql_type << " [" << c.value << "]: server accepts, we say " << ours;
      }
      if (!c.lenient) {
        ++decided;
        EXPECT_EQ(ours == nullptr, server_ok)
            << column.sql_type << " [" << c.value << "]: server says " << (server_ok ? "ok" : server_error)
            << ", we say " << (ours ? ours : "ok");
      } else {
        EXPECT_NE(server_ok, true) << column.sql_type << " [" << c.value
                                   << "] is marked lenient but the server accepts it: unmark it";
      }
    }
    EXPECT_GT(decided, 0);
    if (expect_rejections) {
      EXPECT_GT(server_rejected, 0) << column.sql_type << ": the cases must include invalid values";
    }
  }
};

std::vector<Case> strict(std::initializer_list<const char *> values) {
  std::vector<Case> out;
  for (const char *v : values) out.push_back({v, false});
  return out;
}
void add_lenient(std::vector<Case> &cases, std::initializer_list<const char *> values) {
  for (const char *v : values) cases.push_back({v, true});
}

TEST_F(ValueCheckServer, Integers) {
  auto common = strict({"0",
                        "1",
                        "-1",
                        "+1",
                        " 42",
                        "42 ",
                        "\t42\n",
                        "0042",
                        "",
                        " ",
                        "-",
                        "+",
                        "1.0",
                        "1e3",
                        "- 1",
                        "1 2",
                        "+-1",
                        "abc",
                        "12abc",
                        "1,000",
                        "\v7\f",
                        "-0",
                        "00000000000000000000000000001"});
  auto int2 = common;
  for (Case c : strict({"32767", "-32768", "32768", "-32769", "100000", "99999999999999999999x", "9999", "0000"}))
    int2.push_back(c);
  add_lenient(int2, {"0x10", "1_000", "0b1", "0o7"});
  compare(kInt2, int2);

  auto int4 = common;
  for (Case c :
       strict({"2147483647", "-2147483648", "2147483648", "-2147483649", "4294967296", "999999999", "9999999999"}))
    int4.push_back(c);
  add_lenient(int4, {"0x7fffffff", "2_147"});
  compare(kInt4, int4);

  auto int8 = common;
  for (Case c :
       strict({"9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
               "18446744073709551616", "99999999999999999999999999", "999999999999999999", "9999999999999999999"}))
    int8.push_back(c);
  compare(kInt8, int8);
}

TEST_F(ValueCheckServer, Floats) {
  auto common = strict({"0",
                        "-0",
                        "1",
                        "-1.5",
                        "+.5",
                        "5.",
                        ".",
                        "e5",
                        "1e",
                        "1e+",
                        "1e5",
                        "1E-5",
                        " 3.25 ",
                        "NaN",
                        "nan",
                        "-nan",
                        "+NaN",
                        "Infinity",
                        "-Infinity",
                        "+Infinity",
                        "inf",
                        "-inf",
                        "+INF",
                        "infinity ",
                        "infinit",
                        "nana",
                        "1,5",
                        "- 1",
                        "++1",
                        "abc",
                        "1 e5",
                        "",
                        " ",
                        "1.2.3",
                        "1e-310",
                        "0e-999",
                        "0.000000000000000000000000000000000000000000000000001",
                        "123456789012345678901234567890123456789012345678901234567890",
                        "1e308",
                        "1.7976931348623157e308",
                        "1.7976931348623159e308",
                        "1e309",
                        "-1e309",
                        "1e-400",
                        "4.9e-324",
                        "2e-324",
                        "3.4028234e38",
                        "3.4028236e38",
                        "1e39",
                        "1e-45",
                        "1e-46",
                        "1e-50",
                        "nan(123)",
                        "nan(abc_1)",
                        "nan(",
                        "nan()",
                        "0x1p3",
                        "0x10"});
  add_lenient(common, {"0x", "0xg"});
  compare(kFloat8, common);
  compare(kFloat4, common);
}

TEST_F(ValueCheckServer, Numeric) {
  auto cases = strict({"0",
                       "-1.5",
                       "+.5",
                       "5.",
                       " 12.340 ",
                       "1e5",
                       "1E+5",
                       "1e-5",
                       "1e 5",
                       "1e +5",
                       "1e+ 5",
                       "NaN",
                       " nan ",
                       "+NaN",
                       "-nan",
                       "Infinity",
                       "-Infinity",
                       "+inf",
                       "inf",
                       "-INF",
                       "infinit",
                       "",
                       " ",
                       ".",
                       "-",
                       ".e5",
                       "1e",
                       "1e+",
                       "1.2.3",
                       "1e5.",
                       "- 1",
                       "abc",
                       "1 2",
                       "1.e5",
                       "1e131071",
                       "1e131072",
                       "9.9e131071",
                       "0.0001e131075",
                       "00001e131071",
                       "1e-16383",
                       "1e-16384",
                       "0e-16384",
                       "1.5e-16383",
                       "0.00e-16382",
                       "0e131072",
                       "0e99999999999",
                       "1e-99999999999",
                       "0e1073741822",
                       "0e1073741823",
                       "0e-1073741822",
                       "1e2147483647",
                       "123456789012345678901234567890.123456789",
                       "0.000000000000000000000000000000001"});
  add_lenient(cases, {"0x10", "1_000", "0b101"});
  compare(kNumeric, cases);
}

TEST_F(ValueCheckServer, Bool) {
  compare(kBool,
          strict({"t",    "tr", "tru", "true", "TRUE", "truee", "f",    "fa",       "fal",     "fals", "false", "FaLsE",
                  "y",    "ye", "yes", "yess", "n",    "no",    "nope", "o",        "on",      "onn",  "of",    "off",
                  "offf", "1",  "0",   "01",   "2",    "",      " ",    "  true  ", "\tOFF\n", "t r",  "yes!",  "-1"}));
}

TEST_F(ValueCheckServer, TextAndLengths) {
  compare(kText, strict({"", "anything", "caf\xc3\xa9"}),
          false);  // text takes anything without a NUL byte
  compare(kVarchar3, strict({"", "a", "abc", "abcd", "abc ", "abc   ", "abc  x", "abc\t", "\xe2\x82\xac\xe2\x82\xac",
                             "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
                             "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac ", " abc", "   "}));
  compare(kChar2,
          strict({"", "a", "ab", "abc", "ab ", "ab  ", "a  b", "\xc3\xa9\xc3\xa9", "\xc3\xa9\xc3\xa9\xc3\xa9"}));
}

TEST_F(ValueCheckServer, Uuid) {
  compare(kUuid, strict({"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                         "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                         "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                         "a0eebc999c0b4ef8bb6d6bb9bd380a11",
                         "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
                         "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
                         "",
                         "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
                         "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
                         "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g",
                         " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                         "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ",
                         "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11",
                         "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                         "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                         "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
                         "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
                         "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                         "{}",
                         "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}));
}

TEST_F(ValueCheckServer, DatesAndTimestamps) {
  auto common =
      strict({"2024-02-29", "2000-02-29", "0001-01-01", " 2024-1-1 ", "2024-12-31", "2024-01-01 12:00",
              "2024-01-01T12:00:00", "2024-01-01 24:00:00", "2024-01-01 23:59:60.5", "epoch", "today", "Infinity",
              "-infinity", " infinity ", "now", "tomorrow", "yesterday", "Jan 8 1999", "January 8, 1999", "10000-01-01",
              "2024-01-01 BC", "19990108", "J2451187", "2024-01-01 12:00:00.123456", "2024-01-01 12:00:00.1234567",
              "2024-01-01T12:00:00Z", "2024-01-01 12:00:00+05:30", "2024-01-01 12:00:00 UTC", "2024-01-01 12:00:00-08",
              "2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-01-00", "2024-04-31", "0000-01-01",
              "2024-01-01 25:00", "2024-01-01 24:00:01", "2024-01-01 24:00:00.5", "2024-01-01 12:60",
              "2024-01-01 12:00:61", "2024-02-30T00:00:00Z", "", "  ", "hello", "now!", "2024-06-15T08:30:00.5+02:00",
              "2024-02-29 00:00:00", "2024-01-01 23:59:60", "2024-01-01 23:59:60.5", "2024-01-01 23:59:59.9999999",
              "2024-01-01 24:00:00.0000001", "2024-01-01 24:00:00.000001", "2024-01-01 12:00:60.999999",
              // the fixed "YYYY-MM-DD HH:MM:SS" form read at fixed places, and its edges
              "2023-02-28 23:59:59", "2023-02-29 12:00:00", "2024-04-31 00:00:00", "2024-12-31T23:59:59",
              "0000-01-01 00:00:00", "1999-12-31 00:60:00", "1999-12-31 12:00:59", "9999-12-31 23:59:59",
              "/024-01-01 00:00:00"});
  add_lenient(common, {"yesterday-ish", "2024-01-01 xyz", "2024-01-01T", "2024-01-01 12", "+infinity",
                       "2024-01-01 12:00:00 garbage", "2024-1a-01 00:00:00", "2024-01-01 23:59:5x",
                       "2024-01-0/ 00:00:00", "2024-01-01 00:00:0:"});
  compare(kDate, common);
  compare(kTimestamp, common);
  compare(kTimestamptz, common);
}

TEST_F(ValueCheckServer, Json) {
  auto common = strict(
      {"{}", "[]", "1", "-1.5e3", "\"s\"", "null", "true", " {\"a\": [1, 2.5e3, true, null]} ", "{\"a\":1,\"a\":2}",
       "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "1e999", "", " ", "{", "{\"a\":}", "[1,]", "{'a':1}", "tru", "{\"a\":1} x",
       "\"abc", "{\"a\" 1}", "[1 2]", "\"\\x\"", "nul", "\"tab\there\"", "{\"a\":1}}", "\t[\n1\r]\n",
       // json_lex_number's forms and the words glued to them
       "01", "1.", "-", ".5", "1e", "-0", "-0.0e-0", "1E+2", "1e+", "1x", "1_", "1\u00e9", "[1-2]", "0.5e", "+1",
       "truex", "nulls", "True", "[true,false,null]", "[1,,2]", "[,]", "{,}", "{\"a\":1,}", "{\"a\"}", "{1:2}",
       "[\"a\":1]", "{\"a\":[}]", "[{]}", "[[[]]]", "\"\\/\"", "\"\\b\\f\\n\\r\\t\"", "\"\\u00E9\\u00e9\"",
       "\"\\u00G9\"", "\"\\u00\"", "\"\\", "\"a\nb\"", "\"\x7f\"", "\"\xc3\xa9\"", "\xc3\xa9",
       "\"long plain run of more than sixteen bytes\"", "\"sixteen bytes!!!\\\"then more\"",
       "\"\x01 control byte after sixteen\"",
       // digits read 8 at a time, escapes read inline, the container kind after a close
       "12345678", "123456789x", "1.12345678e12345", "[12345678,123456789012345678]", "1234567890123456 7",
       "\"\\\"\\u00e9\\n\"", "\"ab\\\"", "\"\\\"\"", "[{\"a\":1},2]", "{\"a\":[1],\"b\":2}", "[{\"a\":1}:2]",
       "{\"a\":[1,\"b\":2]}", "{\"a\":{\"b\":[1,{\"c\":[]}],\"d\":2},\"e\":[[],{}]}"});
  compare(kJson, common);
  auto jsonb = common;
  for (Case c : strict({"\"a\\u0000b\"", "\"a\\\\u0000b\"", "{\"k\\u0000\":1}"})) jsonb.push_back(c);
  compare(kJsonb, jsonb);
  // json keeps lone surrogates and \u0000; jsonb refuses both.
  auto surrogates = strict({"\"a\\u0000b\"", "{\"k\\u0000\":1}", "[", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800x\"",
                            "\"\\ud800\\ud800\"", "\"\\ud800\\u0041\"", "\"\\u12\"", "\"\\ud800\\x\""});
  for (Case c : strict({"[\"\\ud800\", 1,]", "\"\\ud800\\udc00\"", "\"\\udbff\\udfff\"", "\"\\ud800\\u0000\"",
                        "\"\\ud800\\n\"", "\"\\udc00\\ud800\"", "\"\\u0000\\ud800\""}))
    surrogates.push_back(c);
  compare(kJson, surrogates);
  compare(kJsonb, surrogates);
}

}  // namespace
}  // namespace pgload
