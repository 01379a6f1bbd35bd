// Binary COPY encodings of single values, checked against the bytes PostgreSQL's send functions produce, and the
// forms left to the CSV path.
#include <gtest/gtest.h>

#include <string>

#include "loader/binary_row.h"

namespace pgload {
namespace {

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

// The field's bytes (length + value) as hex, or "-" when the encoder declines.
std::string field(PgType type, std::optional<std::string_view> value, int32_t max_chars = -1) {
  std::string out;
  if (!append_binary_field(out, ColumnType{type, max_chars}, value)) return "-";
  return hex(out);
}

TEST(BinaryRow, Integers) {
  EXPECT_EQ(field(PgType::Int2, "-2"), "00000002fffe");
  EXPECT_EQ(field(PgType::Int4, " +42 "), "000000040000002a");
  EXPECT_EQ(field(PgType::Int8, "-9223372036854775808"), "000000088000000000000000");
  EXPECT_EQ(field(PgType::Int8, "9223372036854775807"), "000000087fffffffffffffff");
  EXPECT_EQ(field(PgType::Int2, "32768"), "-");
  EXPECT_EQ(field(PgType::Int4, "0x1f"), "-");  // PostgreSQL 16 form: left to the server
  EXPECT_EQ(field(PgType::Int4, "1_000"), "-");
}

TEST(BinaryRow, Floats) {
  EXPECT_EQ(field(PgType::Float8, "1.5"), "000000083ff8000000000000");
  EXPECT_EQ(field(PgType::Float8, " -0 "), "000000088000000000000000");
  EXPECT_EQ(field(PgType::Float4, "0.1"), "000000043dcccccd");
  EXPECT_EQ(field(PgType::Float8, "4.9e-324"), "000000080000000000000001");
  EXPECT_EQ(field(PgType::Float8, "NaN"), "000000087ff8000000000000");  // float8in's NaN, as float8send sends it
  EXPECT_EQ(field(PgType::Float8, "-Infinity"), "00000008fff0000000000000");
  EXPECT_EQ(field(PgType::Float4, "inf"), "000000047f800000");
  EXPECT_EQ(field(PgType::Float8, "-nan"), "-");     // strtod keeps the sign: left to the server
  EXPECT_EQ(field(PgType::Float8, "nan(12)"), "-");  // and a payload
  EXPECT_EQ(field(PgType::Float8, "0x1p3"), "-");
}

TEST(BinaryRow, BoolUuidText) {
  EXPECT_EQ(field(PgType::Bool, " YES"), "0000000101");
  EXPECT_EQ(field(PgType::Bool, "of"), "0000000100");
  EXPECT_EQ(field(PgType::Bool, "on"), "0000000101");
  EXPECT_EQ(field(PgType::Bool, "0"), "0000000100");
  EXPECT_EQ(field(PgType::Uuid, "{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}"), "00000010a0eebc999c0b4ef8bb6d6bb9bd380a11");
  EXPECT_EQ(field(PgType::Text, "h\xc3\xa9"), "0000000368c3a9");
  EXPECT_EQ(field(PgType::Varchar, ""), "00000000");
  EXPECT_EQ(field(PgType::Json, "{}"), "000000027b7d");
  EXPECT_EQ(field(PgType::Jsonb, "{}"), "00000003017b7d");
  EXPECT_EQ(field(PgType::Text, std::nullopt), "ffffffff");
}

// The expected bytes are numeric_send/date_send/timestamp_send of a PostgreSQL 15 server for the same values.
TEST(BinaryRow, Numeric) {
  EXPECT_EQ(field(PgType::Numeric, "1.5"),
            "0000000c"
            "000200000000000100011388");
  EXPECT_EQ(field(PgType::Numeric, " -0.00 "),
            "00000008"
            "0000000000000002");
  EXPECT_EQ(field(PgType::Numeric, "12345678.9"),
            "0000000e"
            "000300010000000104d2162e2328");
  EXPECT_EQ(field(PgType::Numeric, "1e-5"),
            "0000000a"
            "0001fffe0000000503e8");
  EXPECT_EQ(field(PgType::Numeric, "0.00001"),
            "0000000a"
            "0001fffe0000000503e8");
  EXPECT_EQ(field(PgType::Numeric, "NaN"),
            "00000008"
            "00000000c0000000");
  EXPECT_EQ(field(PgType::Numeric, "-Infinity"),
            "00000008"
            "00000000f0000000");
  EXPECT_EQ(field(PgType::Numeric, "1e1001"), "-");  // the server's "value overflows numeric format"
  EXPECT_EQ(field(PgType::Numeric, "1,5"), "-");
}

TEST(BinaryRow, DateAndTimestamps) {
  EXPECT_EQ(field(PgType::Date, "1999-12-31"),
            "00000004"
            "ffffffff");
  EXPECT_EQ(field(PgType::Date, "infinity"),
            "00000004"
            "7fffffff");
  EXPECT_EQ(field(PgType::Date, "Jan 8 1999"), "-");  // not an ISO form: the row goes as CSV
  EXPECT_EQ(field(PgType::Timestamp, "2000-01-01 00:00:01.5"),
            "00000008"
            "000000000016e360");
  EXPECT_EQ(field(PgType::Timestamp, "2000-01-01 00:00:01.5+05"),
            "00000008"
            "000000000016e360");  // offset ignored
  std::string out;
  ASSERT_TRUE(append_binary_field(out, ColumnType{PgType::Timestamptz, -1, 0}, "2000-01-01 05:00:01.5+05"));
  EXPECT_EQ(hex(out),
            "00000008"
            "000000000016e360");
  out.clear();
  ASSERT_TRUE(append_binary_field(out, ColumnType{PgType::Timestamptz, -1, 3600}, "2000-01-01 01:00:01.5"));
  EXPECT_EQ(hex(out),
            "00000008"
            "000000000016e360");
  // Without a known fixed offset of the session's TimeZone, a value without one is left to the server.
  EXPECT_EQ(field(PgType::Timestamptz, "2000-01-01 00:00:01.5"), "-");
}

TEST(BinaryRow, TimeAndBytea) {
  EXPECT_EQ(field(PgType::Time, "00:00:01.5"),
            "00000008"
            "000000000016e360");  // time_send: microseconds since midnight
  EXPECT_EQ(field(PgType::Time, "24:00:00"),
            "00000008"
            "000000141dd76000");
  EXPECT_EQ(field(PgType::Time, "allballs"), "-");  // a special word: the server reads it
  EXPECT_EQ(field(PgType::Bytea, "\\xDEad01"),
            "00000003"
            "dead01");
  EXPECT_EQ(field(PgType::Bytea, "\\x"), "00000000");
  EXPECT_EQ(field(PgType::Bytea, "abc"),
            "00000003"
            "616263");  // the escape form without a backslash is the bytes themselves
  EXPECT_EQ(field(PgType::Bytea, "\\xde ad"), "00000002dead");         // byteain skips whitespace between pairs
  EXPECT_EQ(field(PgType::Bytea, "\\xdea"), "-");                      // odd digit count: the server's error
  EXPECT_EQ(field(PgType::Bytea, "a\\\\b\\001"), "00000004615c6201");  // escape form: \\ and \ooo
}

// timetz_send, interval_send, inet_send and macaddr_send bytes (the server's receive functions are checked against
// these encodings in tests/integration/binary_recv_test).
TEST(BinaryRow, TimetzIntervalNetwork) {
  EXPECT_EQ(field(PgType::Timetz, "00:00:01.5+02"),
            "0000000c"
            "000000000016e360"
            "ffffe3e0");  // 1.5 s; zone -7200 (seconds west)
  EXPECT_EQ(field(PgType::Interval, "1 year 2 mons 3 days 00:00:01"),
            "00000010"
            "00000000000f4240"
            "00000003"
            "0000000e");  // usecs, days, months
  EXPECT_EQ(field(PgType::Interval, "-1 days +00:00:01"), "0000001000000000000f4240ffffffff00000000");
  EXPECT_EQ(field(PgType::Interval, "P1D"), "-");
  EXPECT_EQ(field(PgType::Inet, "10.0.0.1/8"),
            "0000000802080004"
            "0a000001");
  EXPECT_EQ(field(PgType::Cidr, "10.0.0.0/8"),
            "0000000802080104"
            "0a000000");
  EXPECT_EQ(field(PgType::Cidr, "10.0.0.1/8"), "-");  // host bits set: the server's error
  EXPECT_EQ(field(PgType::Inet, "::1"),
            "00000014"
            "03800010"
            "00000000000000000000000000000001");
  EXPECT_EQ(field(PgType::Macaddr, "08:00:2B:01:02:03"),
            "00000006"
            "08002b010203");
  EXPECT_EQ(field(PgType::Macaddr, "08002b:010203"), "-");
}

// The payment_events row of bench/gen_users --kind events (bigint, text, jsonb, timestamp): every field encodes.
TEST(BinaryRow, PaymentEventsRowEncodesFully) {
  const std::vector<ColumnType> types = {{PgType::Int8}, {PgType::Text},  {PgType::Int8},
                                         {PgType::Int8}, {PgType::Jsonb}, {PgType::Timestamp}};
  const std::vector<std::string_view> row = {"17",
                                             "PaymentEvent",
                                             "42",
                                             "7",
                                             R"({"amount": 123.45, "currency": "EUR", "note": "order, \"gift\""})",
                                             "2026-11-03 04:05:06"};
  ASSERT_TRUE(binary_encodable(types));
  std::string out;
  for (size_t j = 0; j < row.size(); ++j) EXPECT_TRUE(append_binary_field(out, types[j], row[j])) << row[j];
}

TEST(BinaryRow, TypesWithoutEncoderGoAsCsv) {
  EXPECT_TRUE(binary_encodable({{PgType::Int8}, {PgType::Text}, {PgType::Jsonb}, {PgType::Bpchar, 4}}));
  EXPECT_TRUE(binary_encodable({{PgType::Int8}, {PgType::Numeric}, {PgType::Date}, {PgType::Timestamptz}}));
  EXPECT_TRUE(binary_encodable({{PgType::Int8}, {PgType::Time}, {PgType::Bytea}}));
  EXPECT_FALSE(binary_encodable({{PgType::Int8}, {PgType::Other}}));
}

// array_send's framing: total length, ndim, has-nulls flag, element OID, (length, lower bound 1) per dimension, then
// each element as a field.
TEST(BinaryRow, Arrays) {
  const ColumnType int4s = column_type_for(1007, -1, 23, nullptr);
  std::string out;
  ASSERT_TRUE(append_binary_field(out, int4s, std::optional<std::string_view>("{1,NULL}")));
  EXPECT_EQ(hex(out),
            "00000020"
            "00000001"
            "00000001"
            "00000017"
            "0000000200000001"
            "0000000400000001"
            "ffffffff");
  out.clear();
  ASSERT_TRUE(append_binary_field(out, int4s, std::optional<std::string_view>(" {} ")));
  EXPECT_EQ(hex(out), "0000000c000000000000000000000017");
  out.clear();
  ASSERT_TRUE(append_binary_field(out, column_type_for(1009, -1, 25, nullptr),
                                  std::optional<std::string_view>("{{\"a\\\"\"},{b}}")));
  EXPECT_EQ(hex(out),
            "00000027"
            "00000002"
            "00000000"
            "00000019"
            "0000000200000001"
            "0000000100000001"
            "000000026122"
            "0000000162");
  EXPECT_EQ(field(PgType::Int4, "{1}"), "-") << "not an array column";
  out.clear();
  EXPECT_FALSE(append_binary_field(out, int4s, std::optional<std::string_view>("{1,x}"))) << "left to the server";
  out.clear();
  EXPECT_FALSE(append_binary_field(out, int4s, std::optional<std::string_view>("[1:1]={1}")));
}

TEST(BinaryRow, EnumsGoAsTheirLabel) {
  const PgEnum mood("mood", {{"sad", 16501}, {"happy", 16502}});
  const ColumnType t = column_type_for(16500, -1, 0, &mood);
  ASSERT_EQ(t.type, PgType::Enum);
  std::string out;
  ASSERT_TRUE(append_binary_field(out, t, std::optional<std::string_view>("happy")));
  EXPECT_EQ(hex(out), "000000056861707079");
  const PgInput bad = parse_pg_input(t, "Happy");
  ASSERT_EQ(bad.status, PgInput::Status::Error);
  EXPECT_STREQ(bad.error, "invalid input value for enum mood");
  EXPECT_TRUE(binary_encodable({{PgType::Int8}, t, column_type_for(1007, -1, 23, nullptr)}));
  EXPECT_FALSE(binary_encodable({{PgType::Int8}, {PgType::Enum}})) << "an enum without its labels";
  EXPECT_EQ(column_type_for(16501, -1, 16500, &mood).type, PgType::Other) << "an array of a non-built-in type";
}

TEST(BinaryRow, HeaderAndTrailer) {
  std::string s;
  append_binary_header(s);
  append_binary_row_start(s, 3);
  append_binary_trailer(s);
  EXPECT_EQ(hex(s),
            "5047434f50590aff0d0a00"
            "00000000"
            "00000000"
            "0003"
            "ffff");
}

uint64_t key_of(PgType t, std::string_view text) { return sort_key(t, parse_pg_input(ColumnType{t}, text), text); }

TEST(BinaryRow, SortKeyFollowsIntegerOrder) {
  EXPECT_LT(key_of(PgType::Int8, "-5"), key_of(PgType::Int8, "3"));
  EXPECT_LT(key_of(PgType::Int8, "3"), key_of(PgType::Int8, " 10"));
  EXPECT_LT(key_of(PgType::Text, "abc"), key_of(PgType::Text, "abd"));
  EXPECT_LT(key_of(PgType::Timestamp, "1999-12-31 23:59:59"), key_of(PgType::Timestamp, "2000-01-01"));
  EXPECT_LT(key_of(PgType::Date, "-infinity"), key_of(PgType::Date, "0001-01-01 BC"));
}

}  // namespace
}  // namespace pgload
