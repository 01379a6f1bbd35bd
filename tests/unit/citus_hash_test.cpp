// PostgreSQL hashing against golden values from a real Citus 13 / PostgreSQL 15 cluster (hash_vectors.csv,
// catalog.txt) and a few checked-in server outputs, plus the input-function edge cases hash_text_value must match.
#include "common/citus_hash.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/shard_map.h"
#include "tests/support/test_cluster.h"

namespace pgload {
namespace {

// Minimal RFC 4180 reader: fields separated by ',', optionally quoted with '"', quotes doubled inside quotes.
std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  for (size_t i = 0; i < data.size(); ++i) {
    const char ch = data[i];
    if (quoted) {
      if (ch == '"' && i + 1 < data.size() && data[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch == '"') {
      quoted = true;
      field_started = true;
    } else if (ch == ',') {
      row.push_back(field);
      field.clear();
      field_started = false;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      if (!row.empty() || field_started || !field.empty()) {
        row.push_back(field);
        rows.push_back(row);
      }
      row.clear();
      field.clear();
      field_started = false;
    } else {
      field += ch;
      field_started = true;
    }
  }
  if (!row.empty() || field_started || !field.empty()) {
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

struct Vector {
  std::string tbl, keytype, key;
  int32_t hash;
  int64_t shard_id;
  int32_t shard_min, shard_max;
};

std::vector<Vector> load_vectors() {
  auto rows = read_csv(test::reference_path("hash_vectors.csv"));
  EXPECT_GE(rows.size(), 2u);
  const auto& header = rows.at(0);
  EXPECT_EQ(header.at(0), "tbl");
  EXPECT_EQ(header.at(4), "hash");
  std::vector<Vector> out;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& r = rows[i];
    EXPECT_EQ(r.size(), header.size()) << "row " << i;
    out.push_back(Vector{r.at(0), r.at(1), r.at(2), static_cast<int32_t>(std::stol(r.at(4))), std::stoll(r.at(5)),
                         static_cast<int32_t>(std::stol(r.at(6))), static_cast<int32_t>(std::stol(r.at(7)))});
  }
  return out;
}

TEST(CitusHash, ReferenceVectorsHashAndShard) {
  const auto vectors = load_vectors();
  ASSERT_EQ(vectors.size(), 16u);
  const ShardMap users(ShardMap::uniform_ranges(32, 102008));
  ASSERT_TRUE(users.uniform());

  // t_text is a second table with 32 uniform shards; its first shard id is read off the vectors themselves.
  int64_t text_first_id = -1;
  for (const auto& v : vectors) {
    if (v.tbl != "t_text") continue;
    const int64_t first = v.shard_id - users.index_of(v.hash);  // same uniform ranges, other ids
    if (text_first_id < 0) text_first_id = first;
    EXPECT_EQ(first, text_first_id) << v.key;
  }
  EXPECT_EQ(text_first_id, 102040);
  const ShardMap texts(ShardMap::uniform_ranges(32, text_first_id));

  int bigint_rows = 0, text_rows = 0;
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.tbl + " key=" + v.key);
    int32_t h = 0;
    const ShardMap* map = nullptr;
    if (v.keytype == "bigint") {
      ++bigint_rows;
      const PgInput key = parse_pg_input(ColumnType{PgType::Int8}, v.key);
      ASSERT_EQ(key.status, PgInput::Status::Value);
      EXPECT_EQ(hash_int8(key.i), v.hash);
      ASSERT_TRUE(hash_text_value(DistKind::Int8, v.key, h));
      map = &users;
    } else {
      ASSERT_EQ(v.keytype, "text");
      ++text_rows;
      EXPECT_EQ(hash_text(v.key), v.hash);
      ASSERT_TRUE(hash_text_value(DistKind::Text, v.key, h));
      map = &texts;
    }
    EXPECT_EQ(h, v.hash);
    const int index = map->index_of(v.hash);
    ASSERT_GE(index, 0);
    const ShardRange& r = map->ranges()[index];
    EXPECT_EQ(r.shard_id, v.shard_id);
    EXPECT_EQ(r.min_value, v.shard_min);
    EXPECT_EQ(r.max_value, v.shard_max);
  }
  EXPECT_EQ(bigint_rows, 10);
  EXPECT_EQ(text_rows, 6);
}

TEST(CitusHash, UnicodeKeyIsHashedAsUtf8Bytes) {
  // "ünïcødé" is 7 characters but 11 UTF-8 bytes: the hash covers bytes, including lookup3's 11-byte tail case.
  const std::string key =
      "\xc3\xbc"
      "n"
      "\xc3\xaf"
      "c"
      "\xc3\xb8"
      "d"
      "\xc3\xa9";
  ASSERT_EQ(key.size(), 11u);
  EXPECT_EQ(hash_text(key), -1156658761);
}

TEST(CitusHash, UniformRangesMatchCatalogTxt) {
  // pg_dist_shard of payment_users as printed in catalog.txt: " payment_users |  102008 | t | -2147483648 | ..."
  std::ifstream in(test::reference_path("catalog.txt"));
  ASSERT_TRUE(in.good());
  std::vector<ShardRange> catalog;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, '|')) {
      const auto b = cell.find_first_not_of(' ');
      const auto e = cell.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
    }
    if (cells.size() == 5 && cells[0] == "payment_users" && cells[2] == "t")
      catalog.push_back(ShardRange{std::stoll(cells[1]), static_cast<int32_t>(std::stol(cells[3])),
                                   static_cast<int32_t>(std::stol(cells[4]))});
  }
  const auto expected = ShardMap::uniform_ranges(32, 102008);
  ASSERT_EQ(catalog.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(catalog[i].shard_id, expected[i].shard_id);
    EXPECT_EQ(catalog[i].min_value, expected[i].min_value);
    EXPECT_EQ(catalog[i].max_value, expected[i].max_value);
  }
  EXPECT_TRUE(ShardMap(catalog).uniform());
}

TEST(CitusHash, GoldenServerValues) {
  // Taken from PostgreSQL 15.18: SELECT hashint2(...), hashint4(...), uuid_hash(...), hashtext(...).
  EXPECT_EQ(hash_int2(-32768), 193646934);
  EXPECT_EQ(hash_int2(32767), 1289782602);
  EXPECT_EQ(hash_int2(-1), 385747274);
  EXPECT_EQ(hash_int4(INT32_MIN), -1524351049);
  EXPECT_EQ(hash_int4(INT32_MAX), -96758253);
  EXPECT_EQ(hash_text("abcdefghijkl"), -1586087212);  // exactly one 12-byte block, empty tail
  EXPECT_EQ(hash_text("abcdefghijk"), -1483803693);
  EXPECT_EQ(hash_text("abcdefghijklm"), 405849808);
  int32_t h = 0;
  ASSERT_TRUE(hash_text_value(DistKind::Uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", h));
  EXPECT_EQ(h, 1154666245);
  ASSERT_TRUE(hash_text_value(DistKind::Uuid, "00000000-0000-0000-0000-000000000000", h));
  EXPECT_EQ(h, 1353656403);
  ASSERT_TRUE(hash_text_value(DistKind::Uuid, "ffffffff-ffff-ffff-ffff-ffffffffffff", h));
  EXPECT_EQ(h, -682383255);
  // hashbpchar('ab   '::bpchar) == hashtext('ab') == 1718550461, but a trailing tab counts.
  EXPECT_EQ(hash_bpchar("ab   "), 1718550461);
  EXPECT_EQ(hash_text("ab"), 1718550461);
  EXPECT_EQ(hash_text("ab\t"), 676287154);
  EXPECT_EQ(hash_bpchar("ab\t"), 676287154);
}

TEST(CitusHash, IntegerWidthsAgreeLikeCrossTypeHashJoins) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{42}, int64_t{-32768}, int64_t{32767},
                    int64_t{INT32_MIN}, int64_t{INT32_MAX}}) {
    EXPECT_EQ(hash_int8(v), hash_int4(static_cast<int32_t>(v))) << v;
    if (v >= INT16_MIN && v <= INT16_MAX) {
      EXPECT_EQ(hash_int2(static_cast<int16_t>(v)), hash_int4(static_cast<int32_t>(v))) << v;
    }
  }
  // The fold: 2^31 and -(2^31)-1 and INT64_MIN collide with values of the low half, as the CSV shows.
  EXPECT_EQ(hash_int8(INT64_MIN), hash_int8(INT32_MAX));
  EXPECT_EQ(hash_int8(INT64_MAX), hash_int8(int64_t{1} << 31));
}

TEST(CitusHash, HashUint32EqualsFourByteHashBytes) {
  for (uint32_t k : {0u, 1u, 0x80000000u, 0xdeadbeefu, 0xffffffffu}) {
    const unsigned char le[4] = {static_cast<unsigned char>(k), static_cast<unsigned char>(k >> 8),
                                 static_cast<unsigned char>(k >> 16), static_cast<unsigned char>(k >> 24)};
    EXPECT_EQ(hash_uint32(k), hash_bytes(le, 4)) << k;
  }
}

TEST(CitusHash, HashBytesIgnoresAlignment) {
  // PostgreSQL has an aligned and an unaligned code path; both must give the same answer for every tail length.
  alignas(8) char buf[64];
  const char* text = "the quick brown fox jumps over the lazy dog!";
  for (size_t len = 0; len <= 40; ++len) {
    std::memcpy(buf, text, len);
    const uint32_t aligned = hash_bytes(buf, len);
    for (size_t shift = 1; shift < 4; ++shift) {
      std::memcpy(buf + shift, text, len);
      EXPECT_EQ(hash_bytes(buf + shift, len), aligned) << "len " << len << " shift " << shift;
    }
  }
}

TEST(CitusHash, DistKindForType) {
  EXPECT_EQ(dist_kind_for_type(21), DistKind::Int2);
  EXPECT_EQ(dist_kind_for_type(23), DistKind::Int4);
  EXPECT_EQ(dist_kind_for_type(20), DistKind::Int8);
  EXPECT_EQ(dist_kind_for_type(25), DistKind::Text);
  EXPECT_EQ(dist_kind_for_type(1043), DistKind::Text);
  EXPECT_EQ(dist_kind_for_type(1042), DistKind::Bpchar);
  EXPECT_EQ(dist_kind_for_type(2950), DistKind::Uuid);
  EXPECT_EQ(dist_kind_for_type(1700), DistKind::Numeric);
  EXPECT_EQ(dist_kind_for_type(1082), DistKind::Date);
  EXPECT_EQ(dist_kind_for_type(1184), DistKind::Timestamptz);
  EXPECT_EQ(dist_kind_for_type(3802), DistKind::Jsonb);
  EXPECT_EQ(dist_kind_for_type(650), DistKind::Cidr);
  EXPECT_FALSE(dist_kind_for_type(1186).has_value());  // interval
  EXPECT_FALSE(dist_kind_for_type(114).has_value());   // json: no hash opclass
  EXPECT_FALSE(dist_kind_for_type(0).has_value());
}

// Hashes of the newer types, from SELECT <the type's hash support function>(v::type) on PostgreSQL 15.
TEST(CitusHash, KnownVectorsOfTheNewerTypes) {
  struct Vector {
    DistKind kind;
    const char* text;
    int32_t hash;
  };
  const Vector vectors[] = {
      {DistKind::Date, "2000-01-01", -272711505},
      {DistKind::Date, "1970-01-01", -1538670306},
      {DistKind::Date, "infinity", -96758253},
      {DistKind::Date, "-infinity", -1524351049},
      {DistKind::Date, "4713-01-01 BC", -1738125746},
      {DistKind::Date, "2024-02-29", 1456914585},
      {DistKind::Time, "00:00:00", -272711505},
      {DistKind::Time, "23:59:59.999999", 38296624},
      {DistKind::Time, "24:00:00", -2053980660},
      {DistKind::Time, "12:34:56.0000005", 1578700661},
      {DistKind::Timestamp, "2000-01-01 00:00:00", -272711505},
      {DistKind::Timestamp, "infinity", -1524351049},
      {DistKind::Timestamp, "1999-01-08 04:05:06.789", -965094853},
      {DistKind::Timestamptz, "2000-01-01 00:00:00+00", -272711505},
      {DistKind::Timestamptz, "1999-01-08 04:05:06-08", 1641825832},
      {DistKind::Timestamptz, "2020-06-01T12:00:00+05:30", -949342186},
      {DistKind::Numeric, "0", -1},
      {DistKind::Numeric, "NaN", 0},
      {DistKind::Numeric, "1", 1324868424},
      {DistKind::Numeric, "1.50", 692967894},
      {DistKind::Numeric, "0.1", 1951971037},
      {DistKind::Numeric, "-12345.6789", -2041232919},
      {DistKind::Numeric, "1e100", 1324868433},
      {DistKind::Numeric, "123456789012345678901234567890", 1568555724},
      {DistKind::Bool, "true", -1905060026},
      {DistKind::Bool, "false", -272711505},
      {DistKind::Float8, "0", 0},
      {DistKind::Float8, "NaN", -1275764840},
      {DistKind::Float8, "1", 376496956},
      {DistKind::Float8, "0.1", -573871567},
      {DistKind::Float8, "-Infinity", -1377680656},
      {DistKind::Float8, "4.9e-324", 1656029872},
      {DistKind::Float4, "0.5", 109745130},
      {DistKind::Float4, "0.1", -222057114},
      {DistKind::Float4, "Infinity", -2133226302},
      {DistKind::Oid, "0", -272711505},
      {DistKind::Oid, "4294967295", 385747274},
      {DistKind::Bytea, "", -1477818771},
      {DistKind::Bytea, "\\xdeadbeef", 517622086},
      {DistKind::Bytea, "abc\\\\def\\001", 478900900},
      {DistKind::Jsonb, "{}", 0},
      {DistKind::Jsonb, "[]", 0},
      {DistKind::Jsonb, "1", -822615224},
      {DistKind::Jsonb, "\"a\"", -1072467791},
      {DistKind::Jsonb, "{\"b\":1,\"a\":[true,null]}", -1207216375},
      {DistKind::Jsonb, "[1,[2,{}]]", -880884149},
      {DistKind::Inet, "1.2.3.4", 575497230},
      {DistKind::Inet, "10.0.0.0/8", 853331015},
      {DistKind::Inet, "::1", 1984372031},
      {DistKind::Inet, "2001:db8::/32", 616351084},
  };
  for (const Vector& v : vectors) {
    int32_t h = 0;
    DistType t{v.kind};
    t.default_offset_secs = 0;
    ASSERT_TRUE(hash_text_value(t, v.text, h)) << dist_kind_name(v.kind) << " '" << v.text << "'";
    EXPECT_EQ(h, v.hash) << dist_kind_name(v.kind) << " '" << v.text << "'";
  }
}

// Accepted spellings hash like the canonical value; rejected ones leave hash_out alone.
void expect_same(DistKind kind, std::string_view spelling, std::string_view canonical) {
  int32_t a = 0, b = 0;
  ASSERT_TRUE(hash_text_value(kind, canonical, b)) << canonical;
  EXPECT_TRUE(hash_text_value(kind, spelling, a)) << "'" << spelling << "' should be accepted";
  EXPECT_EQ(a, b) << "'" << spelling << "'";
}
void expect_rejected(DistKind kind, std::string_view spelling) {
  int32_t h = 12345;
  EXPECT_FALSE(hash_text_value(kind, spelling, h)) << "'" << spelling << "' should be rejected";
  EXPECT_EQ(h, 12345);
}

TEST(CitusHash, IntegerInputLikeInt8in) {
  for (auto kind : {DistKind::Int2, DistKind::Int4, DistKind::Int8}) {
    expect_same(kind, "  42", "42");
    expect_same(kind, "42 \t\n\r\f\v", "42");
    expect_same(kind, "+42", "42");
    expect_same(kind, " -0 ", "0");
    expect_same(kind, "000000000000000000000000000017", "17");
    expect_rejected(kind, "");
    expect_rejected(kind, "   ");
    expect_rejected(kind, "abc");
    expect_rejected(kind, "12abc");
    expect_rejected(kind, "4 2");
    expect_rejected(kind, "+-1");
    expect_rejected(kind, "--1");
    expect_rejected(kind, "- 1");
    expect_rejected(kind, "+");
    expect_rejected(kind, "1.0");
    expect_rejected(kind, "1e3");
    expect_rejected(kind, "0x10");  // PostgreSQL 16 accepts this; 15 does not
    expect_rejected(kind, "1_000");
    expect_rejected(kind, std::string_view("1\0", 2));
    expect_rejected(kind,
                    "\xc2\xa0"
                    "1");  // U+00A0 is not isspace() for the server
  }
  expect_same(DistKind::Int8, "9223372036854775807", "9223372036854775807");
  expect_same(DistKind::Int8, "-9223372036854775808", "-9223372036854775808");
  expect_rejected(DistKind::Int8, "9223372036854775808");
  expect_rejected(DistKind::Int8, "-9223372036854775809");
  expect_rejected(DistKind::Int8, "99999999999999999999999");
  expect_same(DistKind::Int4, "-2147483648", "-2147483648");
  expect_rejected(DistKind::Int4, "2147483648");
  expect_rejected(DistKind::Int4, "-2147483649");
  expect_same(DistKind::Int2, "-32768", "-32768");
  expect_same(DistKind::Int2, "32767", "32767");
  expect_rejected(DistKind::Int2, "32768");
  expect_rejected(DistKind::Int2, "-32769");

  const PgInput v8 = parse_pg_input(ColumnType{PgType::Int8}, " -9223372036854775808\n");
  ASSERT_EQ(v8.status, PgInput::Status::Value);
  EXPECT_EQ(v8.i, INT64_MIN);
  const PgInput v2 = parse_pg_input(ColumnType{PgType::Int2}, "-32768");
  ASSERT_EQ(v2.status, PgInput::Status::Value);
  EXPECT_EQ(v2.i, INT16_MIN);
}

TEST(CitusHash, UuidInputLikeUuidIn) {
  const char* canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
  expect_same(DistKind::Uuid, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", canonical);
  expect_same(DistKind::Uuid, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", canonical);
  expect_same(DistKind::Uuid, "a0eebc999c0b4ef8bb6d6bb9bd380a11", canonical);
  expect_same(DistKind::Uuid, "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", canonical);
  expect_same(DistKind::Uuid, "{a0eebc999c0b4ef8bb6d6bb9bd380a11}", canonical);
  expect_same(DistKind::Uuid, "a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11", canonical);
  expect_rejected(DistKind::Uuid, "");
  expect_rejected(DistKind::Uuid, " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  expect_rejected(DistKind::Uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ");
  expect_rejected(DistKind::Uuid, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  expect_rejected(DistKind::Uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}");
  expect_rejected(DistKind::Uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1");    // 31 digits
  expect_rejected(DistKind::Uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111");  // 33 digits
  expect_rejected(DistKind::Uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-");  // no dash after the last group
  expect_rejected(DistKind::Uuid, "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11");  // at most one dash
  expect_rejected(DistKind::Uuid, "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11");  // dash inside a group of 4
  expect_rejected(DistKind::Uuid, "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  expect_rejected(DistKind::Uuid, "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  expect_rejected(DistKind::Uuid, "{{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}}");

  const PgInput parsed = parse_pg_input(ColumnType{PgType::Uuid}, canonical);
  ASSERT_EQ(parsed.status, PgInput::Status::Value);
  EXPECT_EQ(parsed.uuid[0], 0xa0);
  EXPECT_EQ(parsed.uuid[15], 0x11);
}

TEST(CitusHash, TextInput) {
  int32_t h = 0;
  ASSERT_TRUE(hash_text_value(DistKind::Text, "", h));
  EXPECT_EQ(h, -1477818771);  // hash_vectors.csv, empty key
  ASSERT_TRUE(hash_text_value(DistKind::Text, " Woodgrove", h));
  EXPECT_NE(h, 484264629);  // text keeps leading whitespace
  expect_rejected(DistKind::Text, std::string_view("a\0b", 3));
  expect_rejected(DistKind::Bpchar, std::string_view("a\0", 2));
  expect_same(DistKind::Bpchar, "Woodgrove    ", "Woodgrove");
}

TEST(CitusHash, NewerTypeSpellings) {
  expect_same(DistKind::Date, " 2020-1-5 ", "2020-01-05");
  expect_same(DistKind::Date, "2020-01-05 23:59:59", "2020-01-05");
  expect_same(DistKind::Date, "EPOCH", "1970-01-01");
  expect_same(DistKind::Date, "0001-01-01 bc", "0001-01-01 BC");
  expect_rejected(DistKind::Date, "2020-02-30");
  expect_rejected(DistKind::Date, "Jan 8 1999");
  expect_rejected(DistKind::Date, "today");
  expect_rejected(DistKind::Date, "08/01/1999");  // DateStyle-dependent: never guessed
  expect_same(DistKind::Timestamptz, "2000-01-01T05:30:00+05:30", "2000-01-01 00:00:00Z");
  expect_same(DistKind::Timestamptz, "2000-01-01 05:30:00+0530", "2000-01-01 00:00:00+00");
  expect_same(DistKind::Timestamptz, "1999-12-31 19:00:00-05", "2000-01-01 00:00:00+00");
  expect_rejected(DistKind::Timestamptz, "2000-01-01 00:00:00");  // no offset and no known session offset
  expect_rejected(DistKind::Timestamptz, "2000-01-01 00:00:00 Europe/Berlin");
  expect_same(DistKind::Timestamp, "2000-01-01 00:00:00+05", "2000-01-01 00:00:00");       // the offset is ignored
  expect_same(DistKind::Timestamp, "2000-01-01 00:00:00.0000005", "2000-01-01 00:00:00");  // rint: half to even
  expect_same(DistKind::Timestamp, "2000-01-01 00:00:00.0000015", "2000-01-01 00:00:00.000002");
  expect_same(DistKind::Numeric, "1.500", "1.5");
  expect_same(DistKind::Numeric, "15e-1", "1.5");
  expect_same(DistKind::Numeric, "-1.5", "1.5");  // hash_numeric ignores the sign
  expect_same(DistKind::Numeric, " nan ", "NaN");
  expect_rejected(DistKind::Numeric, "1e");
  expect_rejected(DistKind::Numeric, ".");
  expect_same(DistKind::Bool, " YES ", "true");
  expect_same(DistKind::Bool, "of", "false");
  expect_rejected(DistKind::Bool, "o");
  expect_same(DistKind::Float8, "-0", "0");
  expect_same(DistKind::Float8, "-NaN", "NaN");
  expect_same(DistKind::Float8, "1e0", "1");
  expect_rejected(DistKind::Float8, "1e400");
  expect_same(DistKind::Float4, "0.5", "0.5");
  expect_same(DistKind::Bytea, "\\x616263", "abc");
  expect_same(DistKind::Bytea, "\\x61 62\n63", "\\141bc");
  expect_rejected(DistKind::Bytea, "\\x616");
  expect_rejected(DistKind::Bytea, "a\\b");
  expect_same(DistKind::Jsonb, "{\"a\":1,\"a\":2}", "{\"a\":2}");
  expect_same(DistKind::Jsonb, "{\"bb\":1,\"a\":2}", "{\"a\":2, \"bb\":1.0}");
  expect_same(DistKind::Jsonb, "\"\\u00e9\"", "\"\xc3\xa9\"");
  expect_rejected(DistKind::Jsonb, "\"\\u0000\"");
  expect_rejected(DistKind::Jsonb, "[1,]");
  expect_same(DistKind::Inet, "::ffff:1.2.3.4", "::ffff:102:304");
  expect_same(DistKind::Inet, "1.2.3.4", "1.2.3.4/32");
  expect_rejected(DistKind::Inet, "1.2.3.4/33");
  expect_rejected(DistKind::Cidr, "10.0.0.1/8");
}

}  // namespace
}  // namespace pgload
