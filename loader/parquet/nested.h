// LIST, MAP and struct columns (and bare repeated fields): the shape of a top-level nested field from the schema,
// and its rows assembled from its leaves' repetition and definition levels (Dremel record assembly) into a
// json/jsonb value or a PostgreSQL array.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "loader/parquet/column_reader.h"
#include "loader/parquet/metadata.h"
#include "loader/parquet/pg_value.h"

namespace pgload::parquet {

// PostgreSQL's MAXDIM: an array has at most 6 dimensions.
inline constexpr int kMaxArrayDims = 6;

struct NestedShape {
  enum class Kind : uint8_t { Leaf, Struct, List, Map };
  struct Node {
    Kind kind = Kind::Leaf;
    std::string name;                  // the schema field's name (a struct member's JSON key)
    int def = 0;                       // definition level from which this node is not NULL
    int elem_def = 0;                  // List/Map: the definition level from which it holds at least one element
    int elem_rep = 0;                  // List/Map: the repetition level that starts each of its elements
    int leaf = -1;                     // Leaf: index into `leaves`
    int first_leaf = 0, end_leaf = 0;  // the leaves under it: [first_leaf, end_leaf) of `leaves`
    std::vector<int> children;         // Struct: its members; List: the element; Map: key (and value)
  };
  std::string name;
  std::string kind;         // "LIST", "MAP", "struct" or "repeated field", for messages
  std::vector<Node> nodes;  // nodes[0] is the field itself
  std::vector<int> leaves;  // the file's leaf columns under it, in schema order

  // For a LIST of LISTs ... of a primitive: how many LISTs (a PostgreSQL array's dimensions); 0 otherwise.
  int array_dims() const;
};

// The shape of top-level field `top` (LeafColumn::top) of an opened file's schema. Throws ParquetError when a
// LIST or MAP group is not laid out as the format's spec says.
NestedShape nested_shape(const FileMeta& meta, const std::vector<LeafColumn>& leaves, int top);

// A row group's rows of one nested field, in order. Not thread-safe: one per row group being converted.
class NestedRows {
 public:
  // cols[k]: the decoded chunk of shape.leaves[k] in this row group.
  NestedRows(const NestedShape& shape, const std::vector<LeafColumn>& leaves, std::vector<const ColumnValues*> cols);

  // Moves to the next row; call once per row whether or not its value is used. False when the levels have no
  // more rows (the reader checked each chunk's row count, so only for a malformed file).
  bool next_row();
  // Whether the current row's value is NULL.
  bool null() const;
  // The current row's value as a binary COPY json (jsonb: with its version byte) field. Returns nullptr, or why
  // it cannot go in (the row is rejected).
  const char* append_json(std::string& out, bool jsonb);
  // The current row's value as a binary COPY array field of `element` values of type oid `element_oid`; the
  // field must be a LIST of array_dims() levels. Returns nullptr, or why it cannot go in.
  const char* append_array(std::string& out, const ColumnType& element, uint32_t element_oid);

 private:
  using Range = std::pair<uint32_t, uint32_t>;  // level entries [first, second) of one leaf
  const char* json(int node, int depth, std::string& out);
  const char* array(int node, int depth, int dim);
  // Node n's next element (the first one when `first`): its leaves' ranges at depth + 1 cut from theirs at depth.
  // 1 when there is one, 0 when there are no more, -1 when the leaves disagree.
  int next_element(const NestedShape::Node& n, int depth, bool first);
  int def_at(int leaf, uint32_t entry) const;
  bool value(int leaf, RawValue& v);  // the leaf's next value; false past its values

  const NestedShape& shape_;
  std::vector<const LeafColumn*> leaf_;
  std::vector<const ColumnValues*> cols_;
  std::vector<uint32_t> row_start_, row_end_;  // per leaf: the current row's level entries
  std::vector<size_t> value_start_, value_next_,
      value_at_;                            // per leaf: the row's first value, the next row's, the cursor
  std::vector<std::vector<Range>> ranges_;  // per depth, per leaf
  std::string text_, elems_;
  const ColumnType* element_ = nullptr;
  std::vector<int> dims_;
  bool has_null_ = false;
  int64_t count_ = 0;
  Converted conv_;
};

}  // namespace pgload::parquet
