// Differential test of citus_hash against a real PostgreSQL server: 10,000 values per type hashed by the server's
// own functions (hashint2/4/8, hashtext, hashbpchar, uuid_hash) and 10,000 generated spellings per input type
// accepted or rejected by the server's input functions, all compared with what the loader computes locally.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/citus_hash.h"
#include "common/pg.h"
#include "tests/support/test_cluster.h"

namespace pgload {
namespace {

constexpr int kValuesPerType = 10000;
constexpr int kBatch = 2000;

// Array literal with every element double-quoted; backslash and quote escaped (array_in's rules).
std::string array_literal(const std::vector<std::string>& items, size_t begin, size_t end) {
  std::string out = "{";
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += ',';
    out += '"';
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

class HashServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    conn_ = new PgConn(test::TestCluster::shared().connect());
    conn_->run("SET client_encoding = 'UTF8'");
    // NULL = the server's input function rejected the spelling (and only for those two reasons).
    conn_->run(R"sql(
      CREATE FUNCTION pg_temp.try_hash(kind text, t text) RETURNS int4 LANGUAGE plpgsql AS $f$
      BEGIN
        CASE kind
          WHEN 'int2' THEN RETURN hashint2(t::int2);
          WHEN 'int4' THEN RETURN hashint4(t::int4);
          WHEN 'int8' THEN RETURN hashint8(t::int8);
          WHEN 'uuid' THEN RETURN uuid_hash(t::uuid);
        END CASE;
      EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        RETURN NULL;
      END $f$)sql");
  }
  static void TearDownTestSuite() {
    delete conn_;
    conn_ = nullptr;
  }

  // Runs `select_list` (an expression over v, e.g. "hashint8(v)") for every item cast to `type`, in order.
  static std::vector<std::optional<int32_t>> server(const std::string& select_list, const std::string& type,
                                                    const std::vector<std::string>& items) {
    std::vector<std::optional<int32_t>> out;
    out.reserve(items.size());
    const std::string sql =
        "SELECT " + select_list + " FROM unnest($1::" + type + "[]) WITH ORDINALITY AS x(v, ord) ORDER BY ord";
    for (size_t begin = 0; begin < items.size(); begin += kBatch) {
      const size_t end = std::min(items.size(), begin + kBatch);
      const PgResult r = conn_->exec(sql, Params{array_literal(items, begin, end)});
      EXPECT_EQ(r.rows(), static_cast<int>(end - begin));
      for (int i = 0; i < r.rows(); ++i) {
        if (r.is_null(i, 0)) {
          out.emplace_back(std::nullopt);
        } else {
          out.emplace_back(static_cast<int32_t>(std::stol(r.str(i, 0))));
        }
      }
    }
    return out;
  }

  static PgConn* conn_;
  std::mt19937_64 rng_{20240611};
};
PgConn* HashServerTest::conn_ = nullptr;

// Interesting 64-bit values: 0, ±1, extremes, every power of two and its neighbours, both signs.
std::vector<int64_t> int64_edges() {
  std::vector<int64_t> v = {0, 1, -1, INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1};
  for (int bit = 0; bit < 63; ++bit) {
    const int64_t p = int64_t{1} << bit;
    for (int64_t x : {p - 1, p, p + 1}) {
      v.push_back(x);
      v.push_back(-x);
      v.push_back(~x);
    }
  }
  return v;
}

// Random value whose magnitude is spread over all widths, so small and large values both appear.
int64_t random_width(std::mt19937_64& rng) {
  const int bits = static_cast<int>(rng() % 64);
  const uint64_t raw = bits == 0 ? 0 : rng() >> (64 - bits);
  return (rng() & 1) ? static_cast<int64_t>(raw) : -static_cast<int64_t>(raw);
}

TEST_F(HashServerTest, Int8MatchesHashint8) {
  std::vector<int64_t> values = int64_edges();
  while (values.size() < kValuesPerType) values.push_back(random_width(rng_));
  std::vector<std::string> items;
  for (int64_t v : values) items.push_back(std::to_string(v));
  const auto hashes = server("hashint8(v)", "int8", items);
  ASSERT_EQ(hashes.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(hash_int8(values[i]), hashes[i]) << values[i];
}

TEST_F(HashServerTest, Int4MatchesHashint4) {
  std::vector<int32_t> values = {0, 1, -1, INT32_MIN, INT32_MAX, INT32_MIN + 1, INT32_MAX - 1};
  while (values.size() < kValuesPerType) values.push_back(static_cast<int32_t>(random_width(rng_)));
  std::vector<std::string> items;
  for (int32_t v : values) items.push_back(std::to_string(v));
  const auto hashes = server("hashint4(v)", "int4", items);
  ASSERT_EQ(hashes.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(hash_int4(values[i]), hashes[i]) << values[i];
}

TEST_F(HashServerTest, Int2MatchesHashint2) {
  std::vector<int16_t> values;
  for (int v = INT16_MIN; v <= INT16_MAX; v += 7) values.push_back(static_cast<int16_t>(v));
  values.push_back(INT16_MAX);
  while (values.size() < kValuesPerType) values.push_back(static_cast<int16_t>(rng_()));
  std::vector<std::string> items;
  for (int16_t v : values) items.push_back(std::to_string(v));
  const auto hashes = server("hashint2(v)", "int2", items);
  ASSERT_EQ(hashes.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(hash_int2(values[i]), hashes[i]) << values[i];
}

// Appends the UTF-8 encoding of code point cp.
void append_utf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A random valid UTF-8 string without NUL: ASCII (incl. quotes, backslash, braces, spaces) and 2/3/4-byte chars.
std::string random_utf8(std::mt19937_64& rng, size_t max_chars) {
  const size_t chars = rng() % (max_chars + 1);
  std::string s;
  for (size_t i = 0; i < chars; ++i) {
    uint32_t cp = 0;
    switch (rng() % 4) {
      case 0:
      case 1:
        cp = 1 + static_cast<uint32_t>(rng() % 0x7F);
        break;
      case 2:
        cp = 0x80 + static_cast<uint32_t>(rng() % (0x800 - 0x80));
        break;
      default:
        do cp = 0x800 + static_cast<uint32_t>(rng() % (0x110000 - 0x800));
        while (cp >= 0xD800 && cp <= 0xDFFF);  // surrogates are not valid UTF-8
    }
    append_utf8(s, cp);
  }
  return s;
}

TEST_F(HashServerTest, TextMatchesHashtext) {
  const auto enc = conn_->scalar("SHOW server_encoding");
  if (enc != "UTF8" && enc != "SQL_ASCII") GTEST_SKIP() << "server_encoding " << enc.value_or("?");
  std::vector<std::string> items = {"", " ", "a", "abc", "Woodgrove", "\"", "\\", "{}", ",", "NULL"};
  for (size_t len = 0; len < 64; ++len) items.emplace_back(len, 'x');  // every lookup3 tail length
  while (items.size() < kValuesPerType) {
    items.push_back(random_utf8(rng_, (rng_() % 10 == 0) ? 200 : 24));
  }
  const auto hashes = server("hashtext(v)", "text", items);
  ASSERT_EQ(hashes.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    ASSERT_EQ(hash_text(items[i]), hashes[i]) << "'" << items[i] << "'";
    int32_t h = 0;
    ASSERT_TRUE(hash_text_value(DistKind::Text, items[i], h));
    ASSERT_EQ(h, hashes[i]);
  }
}

TEST_F(HashServerTest, BpcharMatchesHashbpchar) {
  std::vector<std::string> items = {"", " ", "   ", "a ", " a", "a\t", "a \t ", "abc   "};
  while (items.size() < kValuesPerType) {
    std::string s = random_utf8(rng_, 12);
    s.append(rng_() % 4, ' ');
    if (rng_() % 5 == 0) s += '\t';
    items.push_back(s);
  }
  const auto hashes = server("hashbpchar(v)", "bpchar", items);
  ASSERT_EQ(hashes.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) ASSERT_EQ(hash_bpchar(items[i]), hashes[i]) << "'" << items[i] << "'";
}

struct Uuid {
  uint8_t b[16];
};

std::string format_uuid(const uint8_t (&b)[16]) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return buf;
}

TEST_F(HashServerTest, UuidMatchesUuidHash) {
  std::vector<Uuid> values;
  values.push_back(Uuid{});
  values.push_back(Uuid{});
  for (auto& x : values.back().b) x = 0xFF;
  while (values.size() < kValuesPerType) {
    Uuid u;
    for (auto& x : u.b) x = static_cast<uint8_t>(rng_());
    values.push_back(u);
  }
  std::vector<std::string> items;
  for (const auto& u : values) items.push_back(format_uuid(u.b));
  const auto hashes = server("uuid_hash(v)", "uuid", items);
  ASSERT_EQ(hashes.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(hash_uuid(values[i].b), hashes[i]) << items[i];
  }
}

// Random integer spellings near and far from what int2in/int4in/int8in accept; max_digits is the type's width.
std::string random_int_spelling(std::mt19937_64& rng, size_t max_digits) {
  static constexpr const char* kSpace = " \t\n\r\v\f";
  static constexpr const char* kLimits[] = {"32767",
                                            "32768",
                                            "-32768",
                                            "-32769",
                                            "2147483647",
                                            "2147483648",
                                            "-2147483648",
                                            "-2147483649",
                                            "9223372036854775807",
                                            "9223372036854775808",
                                            "-9223372036854775808",
                                            "-9223372036854775809"};
  std::string s;
  if (rng() % 3 == 0) s.append(1 + rng() % 2, kSpace[rng() % 6]);
  if (rng() % 6 == 0) {
    s += kLimits[rng() % 12];
  } else {
    switch (rng() % 8) {
      case 0:
        s += '+';
        break;
      case 1:
        s += '-';
        break;
      case 2:
        if (rng() % 4 == 0) s += "+-";
        break;
      default:
        break;
    }
    if (rng() % 5 == 0) s.append(rng() % 25, '0');
    const size_t digits = rng() % (max_digits + 2);
    for (size_t i = 0; i < digits; ++i) s += static_cast<char>('0' + rng() % 10);
  }
  if (rng() % 8 == 0) {
    static constexpr const char* kJunk[] = {"a", ".", "_", "x", "e5", " 1", "-", "+", "0x1f", "\xc2\xa0"};
    const std::string junk = kJunk[rng() % 10];
    s.insert(rng() % (s.size() + 1), junk);
  }
  if (rng() % 3 == 0) s.append(1 + rng() % 2, kSpace[rng() % 6]);
  return s;
}

// Random uuid spellings: case mixes, dashes at valid and invalid places, braces, wrong lengths, whitespace.
std::string random_uuid_spelling(std::mt19937_64& rng) {
  static constexpr const char* kHex = "0123456789abcdefABCDEF";
  const size_t digits = (rng() % 6 == 0) ? 30 + rng() % 5 : 32;
  std::string s;
  for (size_t i = 0; i < digits; ++i) {
    if (i > 0 && i % 4 == 0 && rng() % 3 == 0) s += '-';   // at a legal spot
    if (i > 0 && i % 4 != 0 && rng() % 40 == 0) s += '-';  // at an illegal spot
    if (rng() % 300 == 0) s += '-';                        // doubled or leading
    s += kHex[rng() % 22];
  }
  if (rng() % 30 == 0) s += '-';
  switch (rng() % 10) {
    case 0:
      s = "{" + s + "}";
      break;
    case 1:
      s = "{" + s;
      break;
    case 2:
      s += "}";
      break;
    default:
      break;
  }
  if (rng() % 25 == 0) s.insert(rng() % (s.size() + 1), " ");
  if (rng() % 40 == 0) s[rng() % s.size()] = 'g';
  if (rng() % 4 == 0) {  // the canonical output form, always valid
    s.clear();
    for (int i = 0; i < 32; ++i) {
      if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
      s += kHex[rng() % 16];
    }
  }
  return s;
}

// Compares hash_text_value with the server's input function + hash for each spelling; both acceptance and hash.
void expect_same_verdicts(const std::vector<std::string>& items, const std::vector<std::optional<int32_t>>& server,
                          DistKind kind) {
  ASSERT_EQ(server.size(), items.size());
  size_t accepted = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    int32_t h = 0;
    const bool ok = hash_text_value(kind, items[i], h);
    ASSERT_EQ(ok, server[i].has_value()) << "'" << items[i] << "'";
    if (ok) {
      ASSERT_EQ(h, *server[i]) << "'" << items[i] << "'";
      ++accepted;
    }
  }
  // Both verdicts must be well represented, or the comparison proves little.
  EXPECT_GT(accepted, items.size() / 5);
  EXPECT_GT(items.size() - accepted, items.size() / 10);
}

TEST_F(HashServerTest, IntegerSpellingsAcceptedExactlyLikeTheServer) {
  struct Kind {
    const char* name;
    DistKind kind;
    size_t max_digits;
  };
  for (const Kind& k :
       {Kind{"int2", DistKind::Int2, 5}, Kind{"int4", DistKind::Int4, 10}, Kind{"int8", DistKind::Int8, 19}}) {
    SCOPED_TRACE(k.name);
    const auto& [name, kind, max_digits] = k;
    std::vector<std::string> items;
    while (items.size() < kValuesPerType) items.push_back(random_int_spelling(rng_, max_digits));
    expect_same_verdicts(items, server(std::string("pg_temp.try_hash('") + name + "', v)", "text", items), kind);
  }
}

TEST_F(HashServerTest, UuidSpellingsAcceptedExactlyLikeTheServer) {
  std::vector<std::string> items;
  while (items.size() < kValuesPerType) items.push_back(random_uuid_spelling(rng_));
  expect_same_verdicts(items, server("pg_temp.try_hash('uuid', v)", "text", items), DistKind::Uuid);
}

}  // namespace
}  // namespace pgload
