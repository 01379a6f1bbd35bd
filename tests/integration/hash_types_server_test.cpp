// Differential test of the newer distribution types against a real PostgreSQL 15: for each type, 10,000 random
// values plus edge values are hashed by pgload (hash_text_value) and, in ONE query per type, by the server's own
// input function and default hash opclass function. Every value pgload accepts must be accepted by the server with
// the same hash; pgload may refuse a form the server takes (the safe direction) but must accept nearly all.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/citus_hash.h"
#include "common/pg.h"
#include "tests/support/test_cluster.h"

namespace pgload {
namespace {

constexpr size_t kRandomPerType = 10000;

class HashTypesServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    conn_ = new PgConn(test::TestCluster::shared().connect());
    conn_->run("SET client_encoding = 'UTF8'");
    conn_->run("SET TimeZone = 'UTC'");
    // The C functions of the default hash opclasses, under names SQL can call with these argument types.
    conn_->run("CREATE FUNCTION pg_temp.h_date(date) RETURNS int4 LANGUAGE internal STRICT AS 'hashint4'");
    conn_->run("CREATE FUNCTION pg_temp.h_tstz(timestamptz) RETURNS int4 LANGUAGE internal STRICT AS 'timestamp_hash'");
    conn_->run("CREATE FUNCTION pg_temp.h_bool(bool) RETURNS int4 LANGUAGE internal STRICT AS 'hashchar'");
    conn_->run("CREATE FUNCTION pg_temp.h_bytea(bytea) RETURNS int4 LANGUAGE internal STRICT AS 'hashvarlena'");
    conn_->run("DROP TYPE IF EXISTS public.hash_test_mood");
    conn_->run("CREATE TYPE public.hash_test_mood AS ENUM ('sad', 'ok', 'happy', 'Ünïcode ☃', 'with space', '')");
  }
  static void TearDownTestSuite() {
    conn_->run("DROP TYPE IF EXISTS public.hash_test_mood");
    delete conn_;
    conn_ = nullptr;
  }

  // The server's verdict for each item: its hash, or nullopt when the input function refused it.
  static std::vector<std::optional<int32_t>> server(const std::string& name, const std::string& call,
                                                    const std::vector<std::string>& items) {
    conn_->run("CREATE OR REPLACE FUNCTION pg_temp.try_" + name +
               "(t text) RETURNS int4 LANGUAGE plpgsql AS $f$ BEGIN RETURN " + call +
               "; EXCEPTION WHEN OTHERS THEN RETURN NULL; END $f$");
    const PgResult r = conn_->exec(
        "SELECT pg_temp.try_" + name + "(v) FROM unnest($1::text[]) WITH ORDINALITY AS x(v, ord) ORDER BY ord",
        Params{array_literal(items)});
    std::vector<std::optional<int32_t>> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back(r.is_null(i, 0) ? std::nullopt : std::optional<int32_t>(std::stol(r.str(i, 0))));
    return out;
  }

  // Runs one type: every pgload-accepted value equal to the server's hash; at least `min_share` of the values the
  // server accepts are accepted by pgload too.
  static void compare(const std::string& name, const std::string& call, const DistType& type,
                      const std::vector<std::string>& items, double min_share = 0.95, size_t min_accepted = 0) {
    const auto verdicts = server(name, call, items);
    ASSERT_EQ(verdicts.size(), items.size());
    size_t server_ok = 0, both_ok = 0, refused_shown = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      int32_t h = 0;
      const bool ok = hash_text_value(type, items[i], h);
      if (verdicts[i]) ++server_ok;
      if (!ok && verdicts[i] && refused_shown++ < 12) std::printf("%s: refused '%s'\n", name.c_str(), items[i].c_str());
      if (!ok) continue;
      ASSERT_TRUE(verdicts[i].has_value()) << name << ": pgload accepted what the server refuses: '" << items[i] << "'";
      ASSERT_EQ(h, *verdicts[i]) << name << ": '" << items[i] << "'";
      ++both_ok;
    }
    EXPECT_GE(static_cast<double>(both_ok), min_share * static_cast<double>(server_ok))
        << name << ": pgload refused too many values the server accepts (" << both_ok << " of " << server_ok << ")";
    EXPECT_GE(both_ok, min_accepted ? min_accepted : items.size() / 2) << name;
  }

  static PgConn* conn_;
  std::mt19937_64 rng_{20261201};

  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>('0' + uniform(0, 9));
    return s;
  }
  std::string random_date() {
    char buf[64];
    const bool bc = uniform(0, 9) == 0;
    const int y = bc ? uniform(1, 4713) : (uniform(0, 3) == 0 ? uniform(1, 294275) : uniform(1900, 2100));
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d%s", y, uniform(1, 12), uniform(1, 28), bc ? " BC" : "");
    return buf;
  }
  std::string random_time() {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", uniform(0, 23), uniform(0, 59), uniform(0, 59));
    std::string s = buf;
    if (uniform(0, 2) > 0) s += "." + digits(uniform(1, 9));
    return s;
  }
  std::string random_offset() {
    static constexpr const char* kForms[] = {"Z",     "+00", "+05",   "-08",    "+05:30",
                                             "-0330", "+14", "+1245", "-11:00", "+05:45"};
    return kForms[uniform(0, 9)];
  }
  // A timestamp with the BC marker (if any) moved after the time, where the server expects it.
  std::string random_timestamp(bool offset) {
    std::string d = random_date();
    const bool bc = d.size() > 3 && d.compare(d.size() - 3, 3, " BC") == 0;
    if (bc) d.resize(d.size() - 3);
    std::string s = d + (uniform(0, 1) ? "T" : " ") + random_time();
    if (offset) s += random_offset();
    if (bc) s += " BC";
    return s;
  }
};
PgConn* HashTypesServerTest::conn_ = nullptr;

TEST_F(HashTypesServerTest, Date) {
  std::vector<std::string> items = {
      "infinity",      "-infinity",     "Infinity",      "epoch",         "2000-01-01",       "1970-01-01",
      "4713-01-01 BC", "4714-11-24 BC", "4714-11-23 BC", "5874897-12-31", "5874898-01-01",    "2000-02-29",
      "1900-02-29",    "2100-02-29",    " 2020-01-01 ",  "2020-1-5",      "2020-01-01 10:00", "2020-01-01T10:00:00+05",
      "0044-03-15 BC", "10000-01-01",   "0001-01-01",    "0000-01-01",    "2020-13-01",       "2020-12-32",
      "Jan 8 1999",    "today",         "1999-01-08 ad", "99-01-08",      "2020/01/01"};
  while (items.size() < kRandomPerType) items.push_back(random_date());
  DistType t{DistKind::Date};
  compare("date", "pg_temp.h_date(t::date)", t, items);
}

TEST_F(HashTypesServerTest, Time) {
  std::vector<std::string> items = {"00:00",
                                    "00:00:00",
                                    "24:00:00",
                                    "24:00:01",
                                    "23:59:60",
                                    "23:59:59.9999995",
                                    "23:59:59.9999994",
                                    "00:00:00.0000005",
                                    "00:00:00.0000015",
                                    "00:00:00.0000025",
                                    "12:00:00.123456789",
                                    " 12:34:56 ",
                                    "1:02:03",
                                    "12:60:00",
                                    "allballs"};
  while (items.size() < kRandomPerType) items.push_back(random_time());
  compare("time", "time_hash(t::time)", DistType{DistKind::Time}, items);
}

TEST_F(HashTypesServerTest, Timestamp) {
  std::vector<std::string> items = {"infinity",
                                    "-infinity",
                                    "epoch",
                                    "2000-01-01 00:00:00",
                                    "294276-12-31 23:59:59.999999",
                                    "294277-01-01 00:00:00",
                                    "4714-11-24 00:00:00 BC",
                                    "4714-11-23 23:59:59 BC",
                                    "2000-01-01T00:00:00Z",
                                    "2020-06-01 12:00:00+05",
                                    "2020-06-01",
                                    "2020-06-01 24:00:00",
                                    "2020-12-31 23:59:59.9999999",
                                    "2020-06-01 12:00:00.5 BC",
                                    "now"};
  while (items.size() < kRandomPerType) items.push_back(random_timestamp(uniform(0, 3) == 0));
  compare("timestamp", "timestamp_hash(t::timestamp)", DistType{DistKind::Timestamp}, items);
}

TEST_F(HashTypesServerTest, Timestamptz) {
  std::vector<std::string> items = {"infinity",
                                    "-infinity",
                                    "epoch",
                                    "2000-01-01 00:00:00+00",
                                    "294276-12-31 23:59:59.999999+00",
                                    "294276-12-31 23:59:59.999999-01",
                                    "4714-11-24 00:00:00+00 BC",
                                    "4714-11-24 00:00:00-01 BC",
                                    "4714-11-24 00:00:00+01 BC",
                                    "2000-01-01T00:00:00Z",
                                    "2000-01-01T00:00:00z",
                                    "2020-06-01 12:00:00 +05",
                                    "2020-06-01 12:00:00+05:30:15",
                                    "2020-06-01 12:00",
                                    "2020-06-01 12:00:00+16",
                                    "2020-06-01 12:00:00 UTC",
                                    "2020-06-01 12:00 PST"};
  while (items.size() < kRandomPerType) items.push_back(random_timestamp(uniform(0, 4) > 0));
  DistType t{DistKind::Timestamptz};
  t.default_offset_secs = 0;  // the session is set to UTC above
  compare("timestamptz", "pg_temp.h_tstz(t::timestamptz)", t, items);
}

std::vector<std::string> numeric_edges() {
  return {"NaN",
          "nan",
          " NaN ",
          "Infinity",
          "-Infinity",
          "+Infinity",
          "inf",
          "0",
          "-0",
          "0.000",
          "+0.0",
          "00012",
          "1e1000",
          "1e1001",
          "1e-1000",
          "1e-1001",
          "0.1",
          "9999.9999",
          "1.005",
          "99999999.995",
          "99999999.994",
          "-1.005",
          "1.",
          ".5",
          ".",
          "-",
          "1e",
          "1e+",
          "1.5e3",
          "1.5E-3",
          " 42 ",
          "12345678901234567890.123456789",
          std::string(1000, '9'),
          "0." + std::string(500, '0') + "1",
          "1" + std::string(300, '0'),
          "1_000",
          "0x10",
          "10000",
          "100000000",
          "0.0001",
          "0.00001"};
}

TEST_F(HashTypesServerTest, Numeric) {
  std::vector<std::string> items = numeric_edges();
  while (items.size() < kRandomPerType) {
    std::string s = uniform(0, 3) == 0 ? "-" : "";
    s += std::string(static_cast<size_t>(uniform(0, 2) == 0 ? uniform(0, 4) : 0), '0') + digits(uniform(0, 25));
    if (uniform(0, 1)) s += "." + digits(uniform(0, 25)) + std::string(static_cast<size_t>(uniform(0, 3)), '0');
    if (s.empty() || s == "-" || s == "." || s == "-.") s += "7";
    if (uniform(0, 4) == 0) s += "e" + std::to_string(uniform(-40, 40));
    items.push_back(s);
  }
  compare("numeric", "hash_numeric(t::numeric)", DistType{DistKind::Numeric}, items);
  // numeric(10,2): rounded half away from zero to the scale, overflow refused; numeric(4,-2) rounds to hundreds.
  DistType scaled{DistKind::Numeric};
  scaled.typmod = ((10 << 16) | 2) + 4;
  compare("numeric_10_2", "hash_numeric(t::numeric(10,2))", scaled, items, 0.95, items.size() / 4);
  DistType negative_scale{DistKind::Numeric};
  negative_scale.typmod = ((4 << 16) | (-2 & 0x7ff)) + 4;
  compare("numeric_4_m2", "hash_numeric(t::numeric(4,-2))", negative_scale, items, 0.95, items.size() / 4);
}

TEST_F(HashTypesServerTest, Bool) {
  static constexpr const char* kForms[] = {
      "t",  "true", "TRUE", "True", "tr",    "tru",  "f",    "false", "FALSE", "fa", "y",    "yes", "YES",
      "ye", "n",    "no",   "NO",   "on",    "ON",   "off",  "of",    "OFF",   "1",  "0",    " t ", "\ttrue\n",
      "o",  "",     "2",    "10",   "truex", "yess", "nope", "onn",   "offf",  "-1", "t rue"};
  std::vector<std::string> items;
  while (items.size() < kRandomPerType) items.emplace_back(kForms[uniform(0, sizeof kForms / sizeof kForms[0] - 1)]);
  compare("bool", "pg_temp.h_bool(t::bool)", DistType{DistKind::Bool}, items, 1.0);
}

std::vector<std::string> float_edges() {
  return {"-0",
          "0",
          "+0",
          "0.0",
          "-0.0",
          "NaN",
          "nan",
          "-NaN",
          "Infinity",
          "-Infinity",
          "+Infinity",
          "inf",
          "-inf",
          "+inf",
          "infinity",
          "1e308",
          "1e309",
          "-1e309",
          "4.9e-324",
          "2.4e-324",
          "2.5e-324",
          "1e-400",
          "0.1",
          "1.7976931348623157e308",
          "1.7976931348623158e308",
          "2.2250738585072011e-308",
          " 1.5 ",
          "0x1p3",
          "1e",
          "1.",
          ".5",
          "1e-45",
          "1.4e-45",
          "7e-46",
          "3.4028235e38",
          "3.4028236e38",
          "1.17549435e-38",
          "1e-50",
          "5e-324",
          "123456789012345678901234567890",
          "0.30000000000000004",
          "++1",
          "+-1",
          "1_0",
          ""};
}

std::string random_float_text(std::mt19937_64& rng) {
  char buf[64];
  switch (rng() % 3) {
    case 0: {
      uint64_t bits = rng();
      double d = 0;
      std::memcpy(&d, &bits, 8);
      std::snprintf(buf, sizeof buf, "%.17g", d);
      return buf;
    }
    case 1: {
      auto bits = static_cast<uint32_t>(rng());
      float f = 0;
      std::memcpy(&f, &bits, 4);
      std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(f));
      return buf;
    }
    default:
      std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%" PRIu64 "e%d", rng() % 2 ? "-" : "", rng() % 100000,
                    rng() % 1000000, static_cast<int>(rng() % 90) - 45);
      return buf;
  }
}

TEST_F(HashTypesServerTest, Float8) {
  std::vector<std::string> items = float_edges();
  while (items.size() < kRandomPerType) items.push_back(random_float_text(rng_));
  compare("float8", "hashfloat8(t::float8)", DistType{DistKind::Float8}, items);
}

TEST_F(HashTypesServerTest, Float4) {
  std::vector<std::string> items = float_edges();
  while (items.size() < kRandomPerType) items.push_back(random_float_text(rng_));
  compare("float4", "hashfloat4(t::float4)", DistType{DistKind::Float4}, items);
}

TEST_F(HashTypesServerTest, Oid) {
  std::vector<std::string> items = {"0",  "4294967295", "4294967296", "-1",  "-2147483648", "-2147483649",
                                    "+5", " 7 ",        "",           "1.0", "abc",         "00012"};
  while (items.size() < kRandomPerType) items.push_back(std::to_string(static_cast<uint32_t>(rng_())));
  compare("oid", "hashoid(t::oid)", DistType{DistKind::Oid}, items);
}

TEST_F(HashTypesServerTest, Enum) {
  const PgResult r =
      conn_->exec("SELECT oid, enumlabel FROM pg_enum WHERE enumtypid = 'public.hash_test_mood'::regtype");
  std::vector<EnumLabel> labels;
  for (int i = 0; i < r.rows(); ++i) labels.push_back({r.str(i, 1), static_cast<uint32_t>(std::stoul(r.str(i, 0)))});
  std::sort(labels.begin(), labels.end(), [](const EnumLabel& a, const EnumLabel& b) { return a.label < b.label; });
  std::vector<std::string> items = {"SAD", " sad", "sad ", "nope"};
  while (items.size() < kRandomPerType) items.push_back(labels[static_cast<size_t>(uniform(0, 5))].label);
  DistType t{DistKind::Enum};
  t.enum_labels = labels;
  compare("enum", "hashenum(t::public.hash_test_mood)", t, items);
}

TEST_F(HashTypesServerTest, Bytea) {
  std::vector<std::string> items = {"",      "\\x",           "\\x0",       "\\xzz", "\\x 41 42", "\\x4 1",
                                    "\\X41", "\\\\",          "\\7",        "\\400", "\\377",     "abc\\\\def",
                                    "\\",    "\\x\n41\t42\r", "plain text", "\\141"};
  static constexpr char kHex[] = "0123456789abcdefABCDEF";
  while (items.size() < kRandomPerType) {
    std::string s;
    const int n = uniform(0, 40);
    if (uniform(0, 1)) {
      s = "\\x";
      for (int i = 0; i < 2 * n; ++i) s += kHex[uniform(0, 21)];
    } else {
      for (int i = 0; i < n; ++i) {
        const int c = uniform(0, 255);
        if (c == '\\') {
          s += "\\\\";
        } else if (c < 32 || c >= 127) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\%03o", c);
          s += buf;
        } else {
          s += static_cast<char>(c);
        }
      }
    }
    items.push_back(s);
  }
  compare("bytea", "pg_temp.h_bytea(t::bytea)", DistType{DistKind::Bytea}, items);
}

class JsonGen {
 public:
  explicit JsonGen(std::mt19937_64& rng) : rng_(rng) {}
  std::string value(int depth) {
    switch (rng_() % (depth > 3 ? 5 : 7)) {
      case 0:
        return number();
      case 1:
        return string();
      case 2:
        return rng_() % 2 ? "true" : "false";
      case 3:
        return "null";
      case 4:
        return number();
      case 5: {
        std::string s = "[";
        const int n = static_cast<int>(rng_() % 5);
        for (int i = 0; i < n; ++i) s += (i ? ", " : "") + value(depth + 1);
        return s + "]";
      }
      default: {
        std::string s = "{";
        const int n = static_cast<int>(rng_() % 6);
        for (int i = 0; i < n; ++i)
          s += std::string(i ? "," : "") + key() + (rng_() % 2 ? ": " : ":") + value(depth + 1);
        return s + " }";
      }
    }
  }

 private:
  std::string number() {
    static constexpr const char* kForms[] = {
        "0",   "-0",      "1",    "1.0", "1.50",  "-12.5e3", "1E-7", "123456789012345678901234567890",
        "0.1", "3.14159", "2e+2", "100", "1e100", "-0.000"};
    if (rng_() % 2) return kForms[rng_() % (sizeof kForms / sizeof kForms[0])];
    return std::to_string(static_cast<int64_t>(rng_() % 2000000) - 1000000);
  }
  std::string key() {
    static constexpr const char* kKeys[] = {"\"a\"",
                                            "\"b\"",
                                            "\"aa\"",
                                            "\"\"",
                                            "\"é\"",
                                            "\"\\u00e9\"",
                                            "\"key\"",
                                            "\"k\\\"q\"",
                                            "\"B\"",
                                            "\"ab\"",
                                            "\"\\ud83d\\ude00\""};
    return kKeys[rng_() % (sizeof kKeys / sizeof kKeys[0])];
  }
  std::string string() {
    static constexpr const char* kStrings[] = {
        "\"\"",         "\"x\"",       "\"hello world\"",    "\"snow ☃\"",   "\"tab\\tnew\\nline\"",
        "\"\\/slash\"", "\"\\u0041\"", "\"\\uD834\\uDD1E\"", "\"quote\\\"\""};
    return kStrings[rng_() % (sizeof kStrings / sizeof kStrings[0])];
  }
  std::mt19937_64& rng_;
};

TEST_F(HashTypesServerTest, Jsonb) {
  std::vector<std::string> items = {"{}",
                                    "[]",
                                    "[[]]",
                                    "[{}]",
                                    "{\"a\":{}}",
                                    " {\"b\":1, \"a\":2} ",
                                    "\"\\u00e9\"",
                                    "\"\\ud83d\\ude00\"",
                                    "\"\\u0000\"",
                                    "\"\\ud83d\"",
                                    "1.0",
                                    "1",
                                    "-0",
                                    "1e400",
                                    "1e1001",
                                    "{\"a\":1,\"a\":2}",
                                    "{\"a\":1,\"b\":2,\"a\":3}",
                                    "01",
                                    "[1,]",
                                    "null",
                                    "true",
                                    "false",
                                    "\"unicode ☃ ü\"",
                                    "{\"a\":[1,{\"b\":[]}],\"aa\":null}",
                                    "",
                                    "{",
                                    "[1 2]",
                                    "{'a':1}",
                                    "NaN",
                                    "1.",
                                    ".5",
                                    "-",
                                    "[1]x",
                                    "\t[ 1 ,\n2 ]\r\n"};
  JsonGen gen(rng_);
  while (items.size() < kRandomPerType) items.push_back(gen.value(0));
  compare("jsonb", "jsonb_hash(t::jsonb)", DistType{DistKind::Jsonb}, items);
}

std::string random_ipv6(std::mt19937_64& rng) {
  char buf[64];
  uint16_t g[8];
  for (auto& x : g) x = rng() % 3 == 0 ? 0 : static_cast<uint16_t>(rng());
  std::string s;
  for (int i = 0; i < 8; ++i) {
    std::snprintf(buf, sizeof buf, i ? ":%x" : "%x", g[i]);
    s += buf;
  }
  // Compress the first run of ":0:0" into "::" now and then.
  if (rng() % 2) {
    const size_t at = s.find(":0:0");
    if (at != std::string::npos) {
      size_t end = at + 4;
      while (s.compare(end, 2, ":0") == 0 && (end + 2 == s.size() || s[end + 2] == ':')) end += 2;
      s = s.substr(0, at) + "::" + (end < s.size() ? s.substr(end + 1) : "");
    }
  }
  return s;
}

TEST_F(HashTypesServerTest, Inet) {
  std::vector<std::string> items = {
      "0.0.0.0",        "255.255.255.255/32", "1.2.3.4/0",        "1.2.3.4/24", "::",        "::1",
      "::ffff:1.2.3.4", "2001:db8::/32",      "2001:db8::1/128",  "1.2.3.4/33", "01.2.3.4",  "1.2.3",
      "fe80::1%eth0",   "1:2:3:4:5:6:7:8",    "1::2:3:4:5:6:7:8", ":::",        "1.2.3.4/",  "1.2.3.4/08",
      "::/0",           "FFFF::/16",          " 1.2.3.4",         "1.2.3.4 ",   "256.1.1.1", "1::"};
  while (items.size() < kRandomPerType) {
    std::string s;
    if (uniform(0, 1)) {
      s = std::to_string(uniform(0, 255)) + "." + std::to_string(uniform(0, 255)) + "." +
          std::to_string(uniform(0, 255)) + "." + std::to_string(uniform(0, 255));
      if (uniform(0, 1)) s += "/" + std::to_string(uniform(0, 32));
    } else {
      s = random_ipv6(rng_);
      if (uniform(0, 1)) s += "/" + std::to_string(uniform(0, 128));
    }
    items.push_back(s);
  }
  compare("inet", "hashinet(t::inet)", DistType{DistKind::Inet}, items);
}

TEST_F(HashTypesServerTest, Cidr) {
  std::vector<std::string> items = {"10.0.0.0/8", "10.0.0.1/8", "10/8",          "10.1",           "192.168.1.0",
                                    "0.0.0.0/0",  "::/0",       "2001:db8::/32", "2001:db8::1/32", "1.2.3.4"};
  while (items.size() < kRandomPerType) {
    const int bits = uniform(0, 32);
    const uint32_t addr = static_cast<uint32_t>(rng_()) & (bits == 0 ? 0u : ~0u << (32 - bits));
    items.push_back(std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 255) + "." +
                    std::to_string((addr >> 8) & 255) + "." + std::to_string(addr & 255) + "/" + std::to_string(bits));
  }
  compare("cidr", "hashinet(t::cidr)", DistType{DistKind::Cidr}, items);
}

}  // namespace
}  // namespace pgload
