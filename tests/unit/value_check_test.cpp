// Unit tests of check_value: the PostgreSQL 15 input rules per type, including
// the edges where a validator that is too strict would refuse data the server
// takes. The server-backed check is value_check_server_test.
#include "loader/value_check.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "common/pg_datetime.h"
#include "common/pg_input.h"

namespace pgload {
namespace {

bool ok(PgType type, std::string_view text, int32_t max_chars = -1) {
  return check_value(ColumnType{type, max_chars}, text) == nullptr;
}
std::string reason(PgType type, std::string_view text, int32_t max_chars = -1) {
  const char *r = check_value(ColumnType{type, max_chars}, text);
  return r ? r : "";
}

TEST(ColumnTypeFor, MapsOidsAndTypmods) {
  EXPECT_EQ(column_type_for(20, -1).type, PgType::Int8);
  EXPECT_EQ(column_type_for(21, -1).type, PgType::Int2);
  EXPECT_EQ(column_type_for(23, -1).type, PgType::Int4);
  EXPECT_EQ(column_type_for(700, -1).type, PgType::Float4);
  EXPECT_EQ(column_type_for(701, -1).type, PgType::Float8);
  EXPECT_EQ(column_type_for(1700, 655366).type, PgType::Numeric);
  EXPECT_EQ(column_type_for(16, -1).type, PgType::Bool);
  EXPECT_EQ(column_type_for(25, -1).type, PgType::Text);
  EXPECT_EQ(column_type_for(2950, -1).type, PgType::Uuid);
  EXPECT_EQ(column_type_for(1082, -1).type, PgType::Date);
  EXPECT_EQ(column_type_for(1114, -1).type, PgType::Timestamp);
  EXPECT_EQ(column_type_for(1184, -1).type, PgType::Timestamptz);
  EXPECT_EQ(column_type_for(114, -1).type, PgType::Json);
  EXPECT_EQ(column_type_for(3802, -1).type, PgType::Jsonb);
  EXPECT_EQ(column_type_for(600, -1).type, PgType::Other);  // point
  ColumnType v = column_type_for(1043, 14);                 // varchar(10)
  EXPECT_EQ(v.type, PgType::Varchar);
  EXPECT_EQ(v.max_chars, 10);
  EXPECT_EQ(column_type_for(1043, -1).max_chars, -1);  // varchar without length
  ColumnType c = column_type_for(1042, 5);             // char(1)
  EXPECT_EQ(c.type, PgType::Bpchar);
  EXPECT_EQ(c.max_chars, 1);
}

TEST(CheckValue, Integers) {
  EXPECT_TRUE(ok(PgType::Int4, "0"));
  EXPECT_TRUE(ok(PgType::Int4, "  -42 \t\n"));
  EXPECT_TRUE(ok(PgType::Int4, "+7"));
  EXPECT_TRUE(ok(PgType::Int4, "000000000000000000000000012"));
  EXPECT_TRUE(ok(PgType::Int4, "2147483647"));
  EXPECT_TRUE(ok(PgType::Int4, "-2147483648"));
  EXPECT_EQ(reason(PgType::Int4, "2147483648"), "value out of range for type integer");
  EXPECT_EQ(reason(PgType::Int4, "-2147483649"), "value out of range for type integer");
  EXPECT_EQ(reason(PgType::Int4, ""), "invalid input syntax for type integer");
  EXPECT_EQ(reason(PgType::Int4, "   "), "invalid input syntax for type integer");
  EXPECT_EQ(reason(PgType::Int4, "1.0"), "invalid input syntax for type integer");
  EXPECT_EQ(reason(PgType::Int4, "- 1"), "invalid input syntax for type integer");
  EXPECT_EQ(reason(PgType::Int4, "1 2"), "invalid input syntax for type integer");
  EXPECT_EQ(reason(PgType::Int4, "+-1"), "invalid input syntax for type integer");
  EXPECT_EQ(reason(PgType::Int4, "1e3"), "invalid input syntax for type integer");
  EXPECT_TRUE(ok(PgType::Int2, "32767"));
  EXPECT_TRUE(ok(PgType::Int2, "-32768"));
  EXPECT_EQ(reason(PgType::Int2, "32768"), "value out of range for type smallint");
  EXPECT_EQ(reason(PgType::Int2, "x"), "invalid input syntax for type smallint");
  EXPECT_TRUE(ok(PgType::Int8, "9223372036854775807"));
  EXPECT_TRUE(ok(PgType::Int8, "-9223372036854775808"));
  EXPECT_EQ(reason(PgType::Int8, "9223372036854775808"), "value out of range for type bigint");
  EXPECT_EQ(reason(PgType::Int8, "-9223372036854775809"), "value out of range for type bigint");
  EXPECT_EQ(reason(PgType::Int8, "99999999999999999999999"), "value out of range for type bigint");
  // PostgreSQL 16+ spellings are left to the server rather than refused.
  EXPECT_TRUE(ok(PgType::Int4, "0x1F"));
  EXPECT_TRUE(ok(PgType::Int4, "1_000"));
}

TEST(CheckValue, Floats) {
  for (const char *v : {"1", "-1.5", "+.5", "5.", "1e10", "1E-5", " 3.25 ", "NaN", "nan", "-nan", "Infinity",
                        "-Infinity", "+infinity", "inf", "-INF", "1e-310" /* denormal */, "0e-999", "nan(123)"}) {
    EXPECT_TRUE(ok(PgType::Float8, v)) << v;
  }
  EXPECT_EQ(reason(PgType::Float8, "1e309"), "value out of range for type double precision");
  EXPECT_EQ(reason(PgType::Float8, "-1e309"), "value out of range for type double precision");
  EXPECT_EQ(reason(PgType::Float8, "1e-400"), "value out of range for type double precision");
  for (const char *v : {"", " ", ".", "e5", "1e", "1.2.3", "infinit", "nana", "1,5", "- 1", "++1", "abc", "1 e5"}) {
    EXPECT_EQ(reason(PgType::Float8, v), "invalid input syntax for type double precision") << v;
  }
  EXPECT_TRUE(ok(PgType::Float4, "3.4028234e38"));
  EXPECT_TRUE(ok(PgType::Float4, "1e-45"));  // denormal float
  EXPECT_EQ(reason(PgType::Float4, "1e39"), "value out of range for type real");
  EXPECT_EQ(reason(PgType::Float4, "1e-50"), "value out of range for type real");
  EXPECT_EQ(reason(PgType::Float4, "x"), "invalid input syntax for type real");
}

TEST(CheckValue, Numeric) {
  for (const char *v :
       {"0", "-1.5", "+.5", "5.", " 12.340 ", "1e5", "1E+5", "1e-5", "1e 5", "NaN", " nan ", "Infinity", "-Infinity",
        "+inf", "1e131071", "1e-16383", "0e131072", "123456789012345678901234567890.123456789"}) {
    EXPECT_TRUE(ok(PgType::Numeric, v)) << v;
  }
  for (const char *v : {"", ".", "-", "+NaN", ".e5", "1e", "1e+", "1e+ 5", "1.2.3", "1e5.", "- 1", "abc", "1 2"}) {
    EXPECT_EQ(reason(PgType::Numeric, v), "invalid input syntax for type numeric") << v;
  }
  for (const char *v : {"1e131072", "1e-16384", "0e-16384", "1.5e-16383", "0e99999999999", "1e-99999999999"}) {
    EXPECT_EQ(reason(PgType::Numeric, v), "value overflows numeric format") << v;
  }
}

TEST(CheckValue, Bool) {
  for (const char *v : {"t", "true", "TRUE", "tr", "f", "fAlSe", "y", "yes", "n", "no", "on", "of", "off", "1", "0",
                        "  true  ", "\tOFF\n"}) {
    EXPECT_TRUE(ok(PgType::Bool, v)) << v;
  }
  for (const char *v : {"", " ", "o", "truee", "onn", "offf", "2", "01", "yess", "nope", "t r"}) {
    EXPECT_EQ(reason(PgType::Bool, v), "invalid input syntax for type boolean") << v;
  }
}

TEST(CheckValue, Uuid) {
  for (const char *v : {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                        "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "a0eebc999c0b4ef8bb6d6bb9bd380a11",
                        "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}"}) {
    EXPECT_TRUE(ok(PgType::Uuid, v)) << v;
  }
  for (const char *v : {"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
                        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ", "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11",
                        "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
                        "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11"}) {
    EXPECT_EQ(reason(PgType::Uuid, v), "invalid input syntax for type uuid") << v;
  }
}

TEST(CheckValue, DatesAndTimestamps) {
  for (const char *v :
       {"2024-02-29", "2000-02-29", "0001-01-01", " 2024-1-1 ", "2024-12-31", "2024-01-01 12:00", "2024-01-01T12:00:00",
        "2024-01-01 24:00:00", "2024-01-01 12:00:60.5", "epoch", "today", "Infinity", "-infinity", "now", "Jan 8 1999",
        "10000-01-01", "2024-01-01 BC", "19990108", "J2451187"}) {
    EXPECT_TRUE(ok(PgType::Date, v)) << v;
  }
  for (const char *v :
       {"2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-01-00", "2024-04-31", "0000-01-01",
        "2024-01-01 25:00", "2024-01-01 24:00:01", "2024-01-01 23:59:60.5", "2024-01-01 12:60"}) {
    EXPECT_EQ(reason(PgType::Date, v), "date/time field value out of range") << v;
  }
  EXPECT_EQ(reason(PgType::Date, ""), "invalid input syntax for type date");
  EXPECT_EQ(reason(PgType::Date, "hello"), "invalid input syntax for type date");
  for (const char *v : {"2024-01-01 12:00:00.123456", "2024-01-01T12:00:00Z", "2024-01-01 12:00:00+05:30",
                        "2024-01-01 12:00:00 America/New_York", "2024-01-01"}) {
    EXPECT_TRUE(ok(PgType::Timestamptz, v)) << v;
    EXPECT_TRUE(ok(PgType::Timestamp, v)) << v;
  }
  EXPECT_EQ(reason(PgType::Timestamp, "2024-01-01 12:00:61"), "date/time field value out of range");
  EXPECT_TRUE(ok(PgType::Timestamp, "2024-01-01 23:59:60"));              // leap second, up to 24:00:00
  EXPECT_TRUE(ok(PgType::Timestamp, "2024-01-01 23:59:59.9999999"));      // rounds to 24:00:00
  EXPECT_TRUE(ok(PgType::Timestamp, "2024-01-01 12:00:00.12345678901"));  // long fractions round
  EXPECT_EQ(reason(PgType::Timestamptz, "2024-02-30T00:00:00Z"), "date/time field value out of range");
  EXPECT_EQ(reason(PgType::Timestamptz, "   "), "invalid input syntax for type timestamp with time zone");
}

// Integers of plain digits, read eight bytes at a time, against a digit-by-digit reading: every length up to 18,
// each byte position swapped for a byte of every value once.
TEST(ParseInteger, DigitsEightAtATimeReadAsOneByOne) {
  std::mt19937_64 rng(3);
  const auto one_by_one = [](const std::string &t) -> int64_t {
    int64_t v = 0;
    for (const char c : t) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  int values = 0;
  for (size_t n = 1; n <= 18; ++n) {
    for (int i = 0; i < 3000; ++i) {
      std::string t;
      for (size_t k = 0; k < n; ++k) t.push_back(static_cast<char>('0' + rng() % 10));
      if (i % 3 == 1) t[rng() % n] = static_cast<char>(rng() % 256);
      if (i % 3 == 2) t[rng() % n] = "/:09"[rng() % 4];
      const int64_t want = one_by_one(t);
      ASSERT_EQ(pg_input_detail::plain_digits(t.data(), t.size()), want) << t;
      const PgInput r = parse_pg_input(ColumnType{PgType::Int8}, t);
      if (want >= 0) {
        ++values;
        ASSERT_EQ(r.status, PgInput::Status::Value) << t;
        ASSERT_EQ(r.i, want) << t;
      }
    }
  }
  EXPECT_GT(values, 18 * 1000);
  EXPECT_EQ(parse_pg_input(ColumnType{PgType::Int4}, "2147483647").status, PgInput::Status::Value);
  EXPECT_EQ(parse_pg_input(ColumnType{PgType::Int4}, "2147483648").status, PgInput::Status::Error);
  EXPECT_EQ(parse_pg_input(ColumnType{PgType::Int8}, "999999999999999999").i, 999999999999999999);
}

// The canonical form read at fixed places, as plainly as possible: whether the text is "YYYY-MM-DD HH:MM:SS" (or
// with a T) with every field in its ordinary range.
bool plainly_canonical(const std::string &t) {
  for (size_t i = 0; i < t.size(); ++i) {
    const bool digit = t[i] >= '0' && t[i] <= '9';
    const char *sep = i == 4 || i == 7     ? "-"
                      : i == 10            ? (t[10] == 'T' ? "T" : " ")
                      : i == 13 || i == 16 ? ":"
                                           : nullptr;
    if (sep ? t[i] != *sep : !digit) return false;
  }
  const auto num = [&t](size_t at, size_t n) { return std::stoi(t.substr(at, n)); };
  const int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  const int days[12] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return t.size() == 19 && y > 0 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] && num(11, 2) <= 23 &&
         num(14, 2) <= 59 && num(17, 2) <= 59;
}

// The fixed-place reading of "YYYY-MM-DD HH:MM:SS" against the general one, which a fraction sends the same text
// to: random texts of that shape, half with one byte swapped for a neighbour of a digit or separator.
TEST(ParseTimestamp, CanonicalFormReadsAsTheGeneralParse) {
  std::mt19937 rng(7);
  const std::string swaps = "/0123456789:;- T.t+\x7f";
  int canonical = 0;
  for (int i = 0; i < 200000; ++i) {
    char text[20];
    std::snprintf(text, sizeof text, "%04u-%02u-%02u%c%02u:%02u:%02u", static_cast<unsigned>(rng() % 10000),
                  static_cast<unsigned>(rng() % 14), static_cast<unsigned>(rng() % 33), rng() % 2 ? ' ' : 'T',
                  static_cast<unsigned>(rng() % 26), static_cast<unsigned>(rng() % 61),
                  static_cast<unsigned>(rng() % 61));
    std::string t(text, 19);
    if (i % 2 == 0) t[rng() % 19] = swaps[rng() % swaps.size()];
    int64_t usecs = -1, general = -2;
    const DtParse r = parse_pg_timestamp(t, true, 3600, usecs);
    if (!plainly_canonical(t)) continue;  // the general parse's alone
    ++canonical;
    ASSERT_EQ(r, DtParse::Ok) << t;
    ASSERT_EQ(parse_pg_timestamp(t + ".0", true, 3600, general), DtParse::Ok) << t;
    ASSERT_EQ(usecs, general) << t;
  }
  EXPECT_GT(canonical, 20000);  // the random fields fall in range often enough to test the values
  int64_t usecs = 0;
  ASSERT_EQ(parse_pg_timestamp(" 2024-02-29 23:59:59 ", false, std::nullopt, usecs), DtParse::Ok);
  EXPECT_EQ(usecs, ((int64_t{8825} * 86400) + 86399) * 1000000);  // trimmed: 2024-02-29 is day 8,825 after 2000-01-01
  EXPECT_EQ(parse_pg_timestamp("2023-02-29 00:00:00", false, std::nullopt, usecs), DtParse::OutOfRange);
  for (const char *t : {"2024-01-0: 12:00:00", "2024-01-01 12:00:0/", "20:4-01-01 12:00:00"})
    EXPECT_NE(parse_pg_timestamp(t, false, std::nullopt, usecs), DtParse::Ok) << t;
  // 19 bytes, but the last three are an offset: not the canonical form.
  int64_t with_seconds = 0;
  ASSERT_EQ(parse_pg_timestamp("2024-01-01 14:32-13", true, 0, usecs), DtParse::Ok);
  ASSERT_EQ(parse_pg_timestamp("2024-01-01 14:32:00-13", true, 0, with_seconds), DtParse::Ok);
  EXPECT_EQ(usecs, with_seconds);
}

TEST(CheckValue, TextAndLengths) {
  EXPECT_TRUE(ok(PgType::Text, ""));
  EXPECT_TRUE(ok(PgType::Text, "anything at all \xe2\x82\xac"));
  EXPECT_EQ(reason(PgType::Text, std::string_view("a\0b", 3)), "invalid byte sequence for encoding \"UTF8\": 0x00");
  EXPECT_TRUE(ok(PgType::Varchar, "abc", 3));
  EXPECT_TRUE(ok(PgType::Varchar, "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
                 3));  // 3 characters, 9 bytes
  EXPECT_EQ(reason(PgType::Varchar, "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 3),
            "value too long for type character varying");
  EXPECT_EQ(reason(PgType::Varchar, "abcd", 3), "value too long for type character varying");
  EXPECT_TRUE(ok(PgType::Varchar, "abc   ", 3));  // excess spaces are truncated silently
  EXPECT_EQ(reason(PgType::Varchar, "abc  x", 3), "value too long for type character varying");
  EXPECT_EQ(reason(PgType::Varchar, "abc\t", 3), "value too long for type character varying");
  EXPECT_TRUE(ok(PgType::Varchar, std::string(10000, 'x'), -1));
  EXPECT_TRUE(ok(PgType::Bpchar, "a ", 1));
  EXPECT_EQ(reason(PgType::Bpchar, "ab", 1), "value too long for type character");
  EXPECT_EQ(reason(PgType::Other, std::string_view("\0", 1)), "invalid byte sequence for encoding \"UTF8\": 0x00");
  EXPECT_TRUE(ok(PgType::Other, "(1,2)"));
}

TEST(CheckValue, Json) {
  for (const char *v : {"{}", "[]", "1", "\"s\"", "null", " {\"a\": [1, 2.5e3, true, null]} ", "{\"a\":1,\"a\":2}",
                        "\"\\u00e9\"", "1e999" /* beyond double, json keeps the text */}) {
    EXPECT_TRUE(ok(PgType::Json, v)) << v;
    EXPECT_TRUE(ok(PgType::Jsonb, v)) << v;
  }
  for (const char *v : {"", " ", "{", "{\"a\":}", "[1,]", "{'a':1}", "tru", "{\"a\":1} x", "\"abc"}) {
    EXPECT_EQ(reason(PgType::Json, v), "invalid input syntax for type json") << v;
    EXPECT_EQ(reason(PgType::Jsonb, v), "invalid input syntax for type json") << v;
  }
  EXPECT_TRUE(ok(PgType::Json, "\"a\\u0000b\""));
  EXPECT_TRUE(ok(PgType::Json, "\"\\ud800\""));  // json keeps lone surrogates, jsonb does not
  EXPECT_EQ(reason(PgType::Jsonb, "\"\\ud800\""), "invalid input syntax for type json");
  EXPECT_EQ(reason(PgType::Json, "\"\\x\""), "invalid input syntax for type json");
  EXPECT_EQ(reason(PgType::Jsonb, "\"a\\u0000b\""), "unsupported Unicode escape sequence");
  EXPECT_TRUE(ok(PgType::Jsonb,
                 "\"a\\\\u0000b\""));  // an escaped backslash followed by text u0000
  // the first fault in the text names the error
  EXPECT_EQ(reason(PgType::Jsonb, "\"\\u0000\\ud800\""), "unsupported Unicode escape sequence");
  EXPECT_EQ(reason(PgType::Jsonb, "\"\\ud800\\u0000\""), "invalid input syntax for type json");
  EXPECT_EQ(reason(PgType::Jsonb, "[1,] \"\\u0000\""), "invalid input syntax for type json");
  std::string big = "[" + std::string(100000, ' ') + "\"" + std::string(100000, 'x') + "\"]";
  EXPECT_TRUE(ok(PgType::Json, big));
  big[big.size() - 1000] = '\n';  // a control character deep in a long plain run
  EXPECT_EQ(reason(PgType::Json, big), "invalid input syntax for type json");
  // nesting beyond the walk's depth is the server's to decide; within it, a fault is still found
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_TRUE(ok(PgType::Jsonb, deep));
  EXPECT_EQ(reason(PgType::Jsonb, std::string(500, '[') + std::string(499, ']')), "invalid input syntax for type json");
}

TEST(PgTypeName, SpellsSqlNames) {
  EXPECT_STREQ(pg_type_name(PgType::Int8), "bigint");
  EXPECT_STREQ(pg_type_name(PgType::Varchar), "character varying");
  EXPECT_STREQ(pg_type_name(PgType::Timestamptz), "timestamp with time zone");
}

// parse_pg_input's error says where: the byte of the text the input function stopped at.
TEST(PgInput, ErrorsCarryTheirByteOffset) {
  PgInput r = parse_pg_input(ColumnType{PgType::Int4}, " 12x4");
  EXPECT_EQ(r.status, PgInput::Status::Error);
  EXPECT_STREQ(r.error, "invalid input syntax for type integer");
  EXPECT_EQ(r.error_offset, 3u);
  r = parse_pg_input(ColumnType{PgType::Int2}, "99999");
  EXPECT_STREQ(r.error, "value out of range for type smallint");
  r = parse_pg_input(ColumnType{PgType::Uuid}, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g");
  EXPECT_EQ(r.error_offset, 35u);
  r = parse_pg_input(ColumnType{PgType::Text}, std::string_view("ab\0c", 4));
  EXPECT_EQ(r.error_offset, 2u);
  r = parse_pg_input(ColumnType{PgType::Int8}, "0x1f");  // PostgreSQL 16's form: the server decides
  EXPECT_EQ(r.status, PgInput::Status::Deferred);
  r = parse_pg_input(ColumnType{PgType::Float8}, "-1.5e3");
  ASSERT_EQ(r.status, PgInput::Status::Value);
  EXPECT_EQ(r.f8, -1500.0);
}

}  // namespace
}  // namespace pgload
