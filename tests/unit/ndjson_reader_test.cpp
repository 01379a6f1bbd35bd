// Unit tests of NdjsonReader: JSON object -> CSV record in table order, the
// dist-key view, and located errors.
#include "loader/ndjson_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace pgload {
namespace {

struct Converted {
  NdjsonError error;
  std::string csv;
  std::optional<std::string> key;
};

Converted convert(NdjsonReader &reader, std::string_view line) {
  Converted c;
  std::optional<std::string_view> key;
  c.error = reader.convert(line, c.csv, key);
  if (key) c.key = std::string(*key);
  return c;
}

NdjsonReader users_reader() { return NdjsonReader({"id", "name", "score", "active", "meta"}, 0); }

TEST(NdjsonReader, ConvertsInTableOrder) {
  NdjsonReader reader = users_reader();
  Converted c = convert(reader, R"({"name":"ann","id":7,"active":true,"score":1.5e3,"meta":{"a":[1,2]}})");
  ASSERT_FALSE(c.error) << c.error.reason;
  EXPECT_EQ(c.csv, R"(7,ann,1.5e3,t,"{""a"":[1,2]}")");
  ASSERT_TRUE(c.key.has_value());
  EXPECT_EQ(*c.key, "7");
  const auto &values = reader.values();
  ASSERT_EQ(values.size(), 5u);
  EXPECT_EQ(values[1].value(), "ann");
  EXPECT_EQ(values[3].value(), "t");
  EXPECT_EQ(values[4].value(), R"({"a":[1,2]})");
}

TEST(NdjsonReader, MissingKeysAndNullsAreNull) {
  NdjsonReader reader = users_reader();
  Converted c = convert(reader, R"(  {"name":null, "active":false}  )");
  ASSERT_FALSE(c.error) << c.error.reason;
  EXPECT_EQ(c.csv, ",,,f,");
  EXPECT_FALSE(c.key.has_value());
  EXPECT_FALSE(reader.values()[0].has_value());
  EXPECT_FALSE(reader.values()[1].has_value());
  c = convert(reader, "{}");
  ASSERT_FALSE(c.error);
  EXPECT_EQ(c.csv, ",,,,");
}

TEST(NdjsonReader, QuotesStringsForCsv) {
  NdjsonReader reader({"a", "b", "c", "d", "e", "f"}, 1);
  Converted c = convert(reader, R"({"a":"","b":"x,y","c":"say \"hi\"","d":"l1\nl2\r","e":"\\.","f":"plain text"})");
  ASSERT_FALSE(c.error) << c.error.reason;
  EXPECT_EQ(c.csv, "\"\",\"x,y\",\"say \"\"hi\"\"\",\"l1\nl2\r\",\"\\.\",plain text");
  EXPECT_EQ(c.key.value(), "x,y");            // the key is the unquoted text
  EXPECT_EQ(reader.values()[0].value(), "");  // empty string, not NULL
}

TEST(NdjsonReader, UnescapesStringsAndKeys) {
  NdjsonReader reader({"na\"me", "v"}, -1);
  Converted c = convert(reader, R"({"na\"me":"caf\u00e9 \ud83d\ude00","v":"tab\there"})");
  ASSERT_FALSE(c.error) << c.error.reason;
  EXPECT_EQ(reader.values()[0].value(), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(reader.values()[1].value(), "tab\there");
  EXPECT_FALSE(c.key.has_value());  // no distribution column
}

TEST(NdjsonReader, NumbersKeepTheirText) {
  NdjsonReader reader({"a", "b", "c", "d"}, 0);
  Converted c = convert(reader, R"({"a":123456789012345678901234567890,"b":-0.10,"c":1E+2 ,"d":[ ]})");
  ASSERT_FALSE(c.error) << c.error.reason;
  EXPECT_EQ(c.csv, "123456789012345678901234567890,-0.10,1E+2,[ ]");
  EXPECT_EQ(c.key.value(), "123456789012345678901234567890");
}

TEST(NdjsonReader, AppendsToOutput) {
  NdjsonReader reader({"a"}, 0);
  std::string out = "previous\n";
  std::optional<std::string_view> key;
  ASSERT_FALSE(reader.convert(R"({"a":1})", out, key));
  ASSERT_FALSE(reader.convert(R"({"a":2})", out, key));
  EXPECT_EQ(out, "previous\n12");
  EXPECT_EQ(key.value(), "2");
}

TEST(NdjsonReader, UnknownKeyIsAnErrorNamingTheKey) {
  NdjsonReader reader = users_reader();
  Converted c = convert(reader, R"({"id":1,"nmae":"x"})");
  ASSERT_TRUE(c.error);
  EXPECT_STREQ(c.error.reason, "unknown key");
  EXPECT_EQ(c.error.key, "nmae");
  EXPECT_EQ(c.error.byte_in_line, 8u);
  EXPECT_EQ(c.error.column, -1);
}

TEST(NdjsonReader, DuplicateKeyIsAnError) {
  NdjsonReader reader = users_reader();
  Converted c = convert(reader, R"({"id":1,"name":"a","id":2})");
  ASSERT_TRUE(c.error);
  EXPECT_STREQ(c.error.reason, "duplicate key");
  EXPECT_EQ(c.error.key, "id");
  EXPECT_EQ(c.error.column, 0);
  EXPECT_EQ(c.error.byte_in_line, 19u);
}

TEST(NdjsonReader, NotAnObject) {
  NdjsonReader reader = users_reader();
  for (std::string_view line : {"[1,2]", "  42", "\"id\"", "null"}) {
    Converted c = convert(reader, line);
    ASSERT_TRUE(c.error) << line;
    EXPECT_STREQ(c.error.reason, "not a JSON object") << line;
  }
  Converted c = convert(reader, "  [1]");
  EXPECT_EQ(c.error.byte_in_line, 2u);
  c = convert(reader, "   ");
  EXPECT_STREQ(c.error.reason, "empty line");
}

TEST(NdjsonReader, BadJsonIsLocated) {
  NdjsonReader reader = users_reader();
  struct Case {
    std::string_view line;
    int column;
  };
  for (Case k :
       {Case{R"({"id":1,)", -1}, Case{R"({"id":1 "name":"x"})", -1}, Case{R"({"id":01})", 0}, Case{R"({"id":1.})", 0},
        Case{R"({"id":tru})", 0}, Case{R"({"name":"abc})", -1}, Case{R"({"meta":{"a" 1}})", 4},
        Case{R"({"meta":[1,,2]})", 4}, Case{R"({"id":1} x)", -1}, Case{R"({"id":1}})", -1},
        Case{R"({"name":"bad \q escape"})", 1}, Case{R"({id:1})", -1}, Case{"{\"name\":\"\xff\"}", -1}}) {
    Converted c = convert(reader, k.line);
    ASSERT_TRUE(c.error) << k.line;
    EXPECT_LE(c.error.byte_in_line, k.line.size()) << k.line;
    if (k.column >= 0) {
      EXPECT_EQ(c.error.column, k.column) << k.line << " " << c.error.reason;
    }
  }
  Converted c = convert(reader, R"({"id":1,"score":01})");
  EXPECT_STREQ(c.error.reason, "invalid JSON number");
  EXPECT_EQ(c.error.byte_in_line, 16u);
  EXPECT_EQ(c.error.key, "score");
  c = convert(reader, R"({"id":1} x)");
  EXPECT_STREQ(c.error.reason, "JSON object not closed, or trailing content after it");
  EXPECT_EQ(c.error.byte_in_line, 9u);
  c = convert(reader, R"({"id":1} {"id":2})");
  EXPECT_STREQ(c.error.reason, "trailing content after the JSON object");
  EXPECT_EQ(c.error.byte_in_line, 9u);
  c = convert(reader, R"({"id":1,"name" "x"})");
  EXPECT_STREQ(c.error.reason, "invalid JSON");
  EXPECT_EQ(c.error.byte_in_line, 15u);  // where the colon should be
}

TEST(NdjsonReader, ValuesAreResetBetweenLines) {
  NdjsonReader reader = users_reader();
  ASSERT_FALSE(convert(reader, R"({"id":1,"name":"a"})").error);
  Converted c = convert(reader, R"({"id":2})");
  ASSERT_FALSE(c.error);
  EXPECT_EQ(c.csv, "2,,,,");
  EXPECT_FALSE(reader.values()[1].has_value());
}

TEST(NdjsonReader, LongLinesAfterShortOnes) {
  NdjsonReader reader({"a"}, 0);
  ASSERT_FALSE(convert(reader, R"({"a":"x"})").error);
  std::string big(200000, 'y');
  Converted c = convert(reader, "{\"a\":\"" + big + "\"}");
  ASSERT_FALSE(c.error) << c.error.reason;
  EXPECT_EQ(c.csv, big);
  c = convert(reader, R"({"a":"z"})");
  ASSERT_FALSE(c.error);
  EXPECT_EQ(c.csv, "z");
}

}  // namespace
}  // namespace pgload
