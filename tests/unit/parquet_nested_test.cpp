// Nested Parquet columns without a file: a nested leaf's page read into repetition and definition levels (and the
// checks on them), and rows of LIST, MAP and struct fields assembled from levels (Dremel) into JSON and into
// PostgreSQL's binary array format, NULL at every level, empty lists, lists of different lengths.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loader/parquet/column_reader.h"
#include "loader/parquet/nested.h"
#include "loader/parquet/parquet_error.h"
#include "tests/support/parquet_page_bytes.h"

namespace pgload::parquet {
namespace {

// An uncompressed DATA_PAGE (v1) header.
std::string data_page_header(int32_t size, int32_t values) { return test::data_page_header(size, size, values); }
std::string le32(uint32_t v) { return {reinterpret_cast<const char*>(&v), 4}; }
std::string be32(uint32_t v) { return le32(__builtin_bswap32(v)); }

SchemaElement group(const std::string& name, int repetition, int children, Logical logical = Logical::None) {
  SchemaElement e;
  e.name = name;
  e.repetition = repetition;
  e.num_children = children;
  e.logical = logical;
  return e;
}
SchemaElement leaf(const std::string& name, int repetition, Physical type, Logical logical = Logical::None) {
  SchemaElement e;
  e.name = name;
  e.repetition = repetition;
  e.type = type;
  e.logical = logical;
  return e;
}

TEST(ParquetNested, ANestedLeafsPageGivesItsLevelsAndItsRowsAreCounted) {
  LeafColumn lc;
  lc.name = "li";
  lc.path = "li.list.element";
  lc.element.type = Physical::Int32;
  lc.max_def = 3;
  lc.max_rep = 1;
  lc.nested = true;
  ColumnMeta meta;
  meta.type = Physical::Int32;
  meta.num_values = 4;
  // Rows NULL, [], [NULL], [7, 8]... cut to four entries: rep 0 0 0 1, def 0 1 2 3 (bit-packed runs of 8).
  const std::string rep = le32(2) + "\x03\x08";
  const std::string def = le32(3) + std::string("\x03\xe4\x00", 3);
  const std::string values = le32(7);
  const std::string page = rep + def + values;
  const std::string chunk = data_page_header(static_cast<int32_t>(page.size()), 4) + page;
  ColumnValues out;
  read_column_chunk(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size(), lc, meta, 3, out);
  EXPECT_EQ(out.def_levels, (std::vector<uint8_t>{0, 1, 2, 3}));
  EXPECT_EQ(out.rep_levels, (std::vector<uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(out.ints, (std::vector<int64_t>{7}));
  try {
    read_column_chunk(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size(), lc, meta, 4, out);
    FAIL() << "4 rows read from 3";
  } catch (const ParquetError& e) {
    EXPECT_STREQ(e.what(), "the column chunk holds 3 rows, the row group 4");
  }
  lc.max_def = 2;  // the same levels are now above the maximum
  try {
    read_column_chunk(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size(), lc, meta, 3, out);
    FAIL() << "a level above the maximum was read";
  } catch (const ParquetError& e) {
    EXPECT_STREQ(e.what(), "page 0: level 3 above the column's maximum");
  }
}

struct Fixture {
  FileMeta meta;
  std::vector<LeafColumn> leaves;
};

// li: optional LIST of optional int32; m: optional MAP string -> optional int32; st: optional struct
// {a: optional int32, tags: optional LIST of string (two-level, legacy)}.
Fixture schema() {
  Fixture f;
  auto& s = f.meta.schema;
  s.push_back(group("root", 0, 3));
  s.push_back(group("li", 1, 1, Logical::List));
  s.push_back(group("list", 2, 1));
  s.push_back(leaf("element", 1, Physical::Int32));
  s.push_back(group("m", 1, 1, Logical::Map));
  s.push_back(group("key_value", 2, 2));
  s.push_back(leaf("key", 0, Physical::ByteArray, Logical::String));
  s.push_back(leaf("value", 1, Physical::Int32));
  s.push_back(group("st", 1, 2));
  s.push_back(leaf("a", 1, Physical::Int32));
  s.push_back(group("tags", 1, 1, Logical::List));
  s.push_back(leaf("str", 2, Physical::ByteArray, Logical::String));
  f.leaves = leaf_columns(f.meta);
  return f;
}

// Rows of one field as JSON text ("NULL" for a NULL field, "!reason" for a rejected one).
std::vector<std::string> json_rows(const NestedShape& shape, const std::vector<LeafColumn>& leaves,
                                   const std::vector<const ColumnValues*>& cols, int rows) {
  NestedRows r(shape, leaves, cols);
  std::vector<std::string> out;
  for (int k = 0; k < rows; ++k) {
    EXPECT_TRUE(r.next_row());
    std::string field;
    if (r.null()) {
      out.emplace_back("NULL");
    } else if (const char* why = r.append_json(field, false)) {
      out.push_back(std::string("!") + why);
    } else {
      out.push_back(field.substr(4));
    }
  }
  EXPECT_FALSE(r.next_row());
  return out;
}

TEST(ParquetNested, ListsMapsAndStructsAssembleIntoJsonWithNullAtEveryLevel) {
  const Fixture f = schema();
  ASSERT_EQ(f.leaves.size(), 5u);
  const NestedShape li = nested_shape(f.meta, f.leaves, 0);
  EXPECT_EQ(li.kind, "LIST");
  EXPECT_EQ(li.array_dims(), 1);
  ColumnValues lv;  // NULL, [], [NULL], [1, 2]
  lv.def_levels = {0, 1, 2, 3, 3};
  lv.rep_levels = {0, 0, 0, 0, 1};
  lv.ints = {1, 2};
  EXPECT_EQ(json_rows(li, f.leaves, {&lv}, 4), (std::vector<std::string>{"NULL", "[]", "[null]", "[1,2]"}));

  const NestedShape m = nested_shape(f.meta, f.leaves, 1);
  EXPECT_EQ(m.kind, "MAP");
  EXPECT_EQ(m.array_dims(), 0);
  ColumnValues keys, values;  // {"a": 1, "b\"": null}, NULL, {}
  keys.def_levels = {2, 2, 0, 1};
  keys.rep_levels = {0, 1, 0, 0};
  keys.bytes = {"a", "b\""};
  values.def_levels = {3, 2, 0, 1};
  values.rep_levels = {0, 1, 0, 0};
  values.ints = {1};
  EXPECT_EQ(json_rows(m, f.leaves, {&keys, &values}, 3),
            (std::vector<std::string>{R"({"a":1,"b\"":null})", "NULL", "{}"}));
  // Leaves that disagree on a row's entries reject that row (the value leaf's first row has one entry, the key's two).
  values.def_levels = {3, 0, 1};
  values.rep_levels = {0, 0, 0};
  EXPECT_EQ(json_rows(m, f.leaves, {&keys, &values}, 3)[0],
            "!the levels of the nested column's leaves disagree (a malformed file)");

  const NestedShape st = nested_shape(f.meta, f.leaves, 2);
  EXPECT_EQ(st.kind, "struct");
  ColumnValues a, tags;  // {"a": 5, "tags": ["x", "y"]}, NULL, {"a": null, "tags": null}, {"a": 6, "tags": []}
  a.def_levels = {2, 0, 1, 2};
  a.ints = {5, 6};
  tags.def_levels = {3, 3, 0, 1, 2};
  tags.rep_levels = {0, 1, 0, 0, 0};
  tags.bytes = {"x", "y"};
  EXPECT_EQ(json_rows(st, f.leaves, {&a, &tags}, 4),
            (std::vector<std::string>{R"({"a":5,"tags":["x","y"]})", "NULL", R"({"a":null,"tags":null})",
                                      R"({"a":6,"tags":[]})"}));
}

TEST(ParquetNested, ListsOfListsBecomeRectangularArraysOrRejectTheRow) {
  // ll: optional LIST of optional LIST of optional int64.
  FileMeta meta;
  meta.schema = {group("root", 0, 1), group("ll", 1, 1, Logical::List),
                 group("list", 2, 1), group("element", 1, 1, Logical::List),
                 group("list", 2, 1), leaf("element", 1, Physical::Int64)};
  const std::vector<LeafColumn> leaves = leaf_columns(meta);
  ASSERT_EQ(leaves[0].max_def, 5);
  ASSERT_EQ(leaves[0].max_rep, 2);
  const NestedShape ll = nested_shape(meta, leaves, 0);
  ASSERT_EQ(ll.array_dims(), 2);
  // [[1, NULL], [3, 4]], [], [[1], [2, 3]], [[1], NULL], [[], []]
  ColumnValues v;
  v.def_levels = {5, 4, 5, 5, 1, 5, 5, 5, 5, 2, 3, 3};
  v.rep_levels = {0, 2, 1, 2, 0, 0, 1, 2, 0, 1, 0, 1};
  v.ints = {1, 3, 4, 1, 2, 3, 1};
  const ColumnType int8 = *target_for(20, -1);
  NestedRows r(ll, leaves, {&v});
  std::vector<std::string> out;
  for (int k = 0; k < 5; ++k) {
    ASSERT_TRUE(r.next_row());
    std::string field;
    const char* why = r.append_array(field, int8, 20);
    out.push_back(why ? why : field);
  }
  const std::string i8 = be32(8);
  EXPECT_EQ(out[0], be32(12 + 16 + 3 * 12 + 4) + be32(2) + be32(1) + be32(20) + be32(2) + be32(1) + be32(2) + be32(1) +
                        i8 + be32(0) + be32(1) + be32(0xffffffff) + i8 + be32(0) + be32(3) + i8 + be32(0) + be32(4));
  EXPECT_EQ(out[1], be32(12) + be32(0) + be32(0) + be32(20));
  EXPECT_EQ(out[2],
            "inner lists of different lengths cannot go into a PostgreSQL array (its dimensions are rectangular)");
  EXPECT_EQ(out[3], "a NULL inner list cannot go into a PostgreSQL array");
  EXPECT_EQ(out[4], be32(12) + be32(0) + be32(0) + be32(20));
}

TEST(ParquetNested, AListGroupNotLaidOutAsTheSpecSaysIsRefusedNamingIt) {
  FileMeta meta;
  meta.schema = {group("root", 0, 1), group("li", 1, 1, Logical::List), leaf("element", 1, Physical::Int32)};
  const std::vector<LeafColumn> leaves = leaf_columns(meta);
  try {
    (void)nested_shape(meta, leaves, 0);
    FAIL() << "a LIST without a repeated field was accepted";
  } catch (const ParquetError& e) {
    EXPECT_STREQ(e.what(), "schema field \"li\": a LIST group must hold one repeated field");
  }
}

}  // namespace
}  // namespace pgload::parquet
