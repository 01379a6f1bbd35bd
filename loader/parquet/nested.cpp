#include "loader/parquet/nested.h"

#include <algorithm>
#include <cstring>

#include "loader/parquet/parquet_error.h"

namespace pgload::parquet {
namespace {

using Kind = NestedShape::Kind;
using Node = NestedShape::Node;

constexpr const char* kDisagree = "the levels of the nested column's leaves disagree (a malformed file)";

void skip_subtree(const std::vector<SchemaElement>& s, size_t& pos) {
  const int32_t n = s.at(pos).num_children;
  ++pos;
  for (int32_t k = 0; k < n; ++k) skip_subtree(s, pos);
}

// Builds the node tree of one top-level field from the depth-first schema list, as the format's LogicalTypes.md
// lays out LIST and MAP (its backward-compatibility rules for two-level lists included).
class Builder {
 public:
  Builder(const FileMeta& meta, const std::vector<LeafColumn>& leaves, NestedShape& out)
      : s_(meta.schema), leaves_(leaves), out_(out) {}

  // The node of the element at pos (advanced past it); pdef/prep are its parent's levels; `repeat_taken`: its
  // repetition is already counted (it is a list's repeated field standing for the element).
  int node(size_t& pos, int pdef, int prep, bool repeat_taken) {
    const SchemaElement& e = s_.at(pos);
    if (e.repetition == 2 && !repeat_taken) {
      // A repeated field outside LIST/MAP annotations: a list of it, never NULL itself.
      const int id = add(Kind::List, e.name, pdef);
      out_.nodes[static_cast<size_t>(id)].elem_def = pdef + 1;
      out_.nodes[static_cast<size_t>(id)].elem_rep = prep + 1;
      const int child = node(pos, pdef + 1, prep + 1, true);
      finish(id, {child});
      return id;
    }
    const int def = pdef + (e.repetition == 1 ? 1 : 0);
    const std::string where = "schema field \"" + e.name + "\"";
    ++pos;
    if (e.num_children == 0) {
      const int id = add(Kind::Leaf, e.name, def);
      const int leaf = next_leaf_++;
      if (static_cast<size_t>(leaf) >= out_.leaves.size()) throw ParquetError(where + ": more leaves than the schema");
      const LeafColumn& lc = leaves_[static_cast<size_t>(out_.leaves[static_cast<size_t>(leaf)])];
      if (lc.max_def != def || lc.max_rep != prep) throw ParquetError(where + ": its levels disagree with the schema");
      out_.nodes[static_cast<size_t>(id)].leaf = leaf;
      finish(id, {});
      return id;
    }
    if (e.logical == Logical::List || e.logical == Logical::Map) {
      const bool map = e.logical == Logical::Map;
      const SchemaElement* r = pos < s_.size() ? &s_[pos] : nullptr;
      if (e.num_children != 1 || !r || r->repetition != 2 || (map && (r->num_children < 1 || r->num_children > 2)))
        throw ParquetError(where + std::string(map ? ": a MAP group must hold one repeated key_value group"
                                                   : ": a LIST group must hold one repeated field"));
      const int id = add(map ? Kind::Map : Kind::List, e.name, def);
      out_.nodes[static_cast<size_t>(id)].elem_def = def + 1;
      out_.nodes[static_cast<size_t>(id)].elem_rep = prep + 1;
      std::vector<int> children;
      if (map) {
        const int32_t n = r->num_children;
        ++pos;
        for (int32_t k = 0; k < n; ++k) children.push_back(node(pos, def + 1, prep + 1, false));
      } else if (r->num_children == 0 || r->num_children > 1 || r->name == "array" || r->name == e.name + "_tuple") {
        children.push_back(node(pos, def + 1, prep + 1, true));  // the repeated field is the element
      } else {
        ++pos;  // three-level list: the repeated group's one field is the element
        children.push_back(node(pos, def + 1, prep + 1, false));
      }
      finish(id, children);
      return id;
    }
    const int id = add(Kind::Struct, e.name, def);
    std::vector<int> children;
    for (int32_t k = 0; k < e.num_children; ++k) children.push_back(node(pos, def, prep, false));
    finish(id, children);
    return id;
  }

 private:
  int add(Kind kind, const std::string& name, int def) {
    Node n;
    n.kind = kind;
    n.name = name;
    n.def = def;
    n.first_leaf = next_leaf_;
    out_.nodes.push_back(std::move(n));
    return static_cast<int>(out_.nodes.size()) - 1;
  }
  void finish(int id, std::vector<int> children) {
    Node& n = out_.nodes[static_cast<size_t>(id)];
    n.children = std::move(children);
    n.end_leaf = next_leaf_;
    if (n.end_leaf == n.first_leaf) throw ParquetError("schema field \"" + n.name + "\" holds no leaf column");
  }

  const std::vector<SchemaElement>& s_;
  const std::vector<LeafColumn>& leaves_;
  NestedShape& out_;
  int next_leaf_ = 0;
};

}  // namespace

int NestedShape::array_dims() const {
  int dims = 0;
  size_t at = 0;
  while (nodes[at].kind == Kind::List) {
    ++dims;
    at = static_cast<size_t>(nodes[at].children[0]);
  }
  return nodes[at].kind == Kind::Leaf ? dims : 0;
}

NestedShape nested_shape(const FileMeta& meta, const std::vector<LeafColumn>& leaves, int top) {
  NestedShape shape;
  for (size_t l = 0; l < leaves.size(); ++l)
    if (leaves[l].top == top) shape.leaves.push_back(static_cast<int>(l));
  size_t pos = 1;
  for (int k = 0; k < top; ++k) skip_subtree(meta.schema, pos);
  const SchemaElement& e = meta.schema.at(pos);
  shape.name = e.name;
  shape.kind = e.repetition == 2            ? "repeated field"
               : e.logical == Logical::List ? "LIST"
               : e.logical == Logical::Map  ? "MAP"
                                            : "struct";
  Builder b(meta, leaves, shape);
  b.node(pos, 0, 0, false);
  return shape;
}

NestedRows::NestedRows(const NestedShape& shape, const std::vector<LeafColumn>& leaves,
                       std::vector<const ColumnValues*> cols)
    : shape_(shape), cols_(std::move(cols)) {
  const size_t n = shape.leaves.size();
  for (int l : shape.leaves) leaf_.push_back(&leaves[static_cast<size_t>(l)]);
  row_start_.assign(n, 0);
  row_end_.assign(n, 0);
  value_start_.assign(n, 0);
  value_next_.assign(n, 0);
  value_at_.assign(n, 0);
  ranges_.assign(shape.nodes.size() + 2, std::vector<Range>(n));
  dims_.resize(kMaxArrayDims + 1);
}

bool NestedRows::next_row() {
  for (size_t l = 0; l < cols_.size(); ++l) {
    const ColumnValues& c = *cols_[l];
    const uint32_t start = row_end_[l];
    if (start >= c.def_levels.size()) return false;
    uint32_t end = start + 1;
    if (!c.rep_levels.empty())
      while (end < c.rep_levels.size() && c.rep_levels[end] != 0) ++end;
    const int max = leaf_[l]->max_def;
    size_t values = 0;
    for (uint32_t k = start; k < end; ++k) values += c.def_levels[k] == max;
    row_start_[l] = start;
    row_end_[l] = end;
    value_start_[l] = value_next_[l];
    value_next_[l] = value_start_[l] + values;
  }
  return true;
}

bool NestedRows::null() const { return def_at(0, row_start_[0]) < shape_.nodes[0].def; }

int NestedRows::def_at(int leaf, uint32_t entry) const { return cols_[static_cast<size_t>(leaf)]->def_levels[entry]; }

bool NestedRows::value(int leaf, RawValue& v) {
  const auto l = static_cast<size_t>(leaf);
  const ColumnValues& c = *cols_[l];
  const size_t k = value_at_[l]++;
  switch (*leaf_[l]->element.type) {
    case Physical::Boolean:
    case Physical::Int32:
    case Physical::Int64:
      if (k >= c.ints.size()) return false;
      v.i = c.ints[k];
      return true;
    case Physical::Float:
    case Physical::Double:
      if (k >= c.reals.size()) return false;
      v.r = c.reals[k];
      return true;
    default:
      if (k >= c.bytes.size()) return false;
      v.b = c.bytes[k];
      return true;
  }
}

int NestedRows::next_element(const Node& n, int depth, bool first) {
  const std::vector<Range>& outer = ranges_[static_cast<size_t>(depth)];
  std::vector<Range>& inner = ranges_[static_cast<size_t>(depth) + 1];
  const auto f = static_cast<size_t>(n.first_leaf);
  const bool more = (first ? outer[f].first : inner[f].second) < outer[f].second;
  for (auto l = static_cast<size_t>(n.first_leaf); l < static_cast<size_t>(n.end_leaf); ++l) {
    const uint32_t at = first ? outer[l].first : inner[l].second;
    if ((at < outer[l].second) != more) return -1;
    if (!more) continue;
    const std::vector<uint8_t>& rep = cols_[l]->rep_levels;
    if (rep.empty()) return -1;
    uint32_t end = at + 1;
    while (end < outer[l].second && rep[end] > n.elem_rep) ++end;
    inner[l] = {at, end};
  }
  return more ? 1 : 0;
}

const char* NestedRows::json(int ni, int depth, std::string& out) {
  const Node& n = shape_.nodes[static_cast<size_t>(ni)];
  const std::vector<Range>& r = ranges_[static_cast<size_t>(depth)];
  const auto f = static_cast<size_t>(n.first_leaf);
  if (r[f].first >= r[f].second) return kDisagree;
  const int d = def_at(n.first_leaf, r[f].first);
  if (d < n.def) {
    out += "null";
    return nullptr;
  }
  switch (n.kind) {
    case Kind::Leaf: {
      if (r[static_cast<size_t>(n.leaf)].second - r[static_cast<size_t>(n.leaf)].first != 1) return kDisagree;
      RawValue v;
      if (!value(n.leaf, v)) return kDisagree;
      return append_json_value(out, *leaf_[static_cast<size_t>(n.leaf)], v);
    }
    case Kind::Struct:
      out += '{';
      for (size_t k = 0; k < n.children.size(); ++k) {
        if (k) out += ',';
        append_json_string(out, shape_.nodes[static_cast<size_t>(n.children[k])].name);
        out += ':';
        if (const char* bad = json(n.children[k], depth, out)) return bad;
      }
      out += '}';
      return nullptr;
    case Kind::List:
    case Kind::Map: {
      const bool map = n.kind == Kind::Map;
      out += map ? '{' : '[';
      for (bool first = true; d >= n.elem_def; first = false) {
        const int more = next_element(n, depth, first);
        if (more < 0) return kDisagree;
        if (more == 0) break;
        if (!first) out += ',';
        if (!map) {
          if (const char* bad = json(n.children[0], depth + 1, out)) return bad;
          continue;
        }
        std::string key;  // a key as a JSON string: text as it is, a number or boolean as its JSON text
        if (const char* bad = json(n.children[0], depth + 1, key)) return bad;
        if (key == "null") return "a MAP key is NULL";
        if (key[0] == '"') {
          out += key;
        } else {
          append_json_string(out, key);
        }
        out += ':';
        if (n.children.size() < 2) {
          out += "null";
        } else if (const char* bad = json(n.children[1], depth + 1, out)) {
          return bad;
        }
      }
      out += map ? '}' : ']';
      return nullptr;
    }
  }
  return kDisagree;
}

const char* NestedRows::append_json(std::string& out, bool jsonb) {
  text_.clear();
  for (size_t l = 0; l < cols_.size(); ++l) {
    ranges_[0][l] = {row_start_[l], row_end_[l]};
    value_at_[l] = value_start_[l];
  }
  if (const char* bad = json(0, 0, text_)) return bad;
  const size_t len = text_.size() + (jsonb ? 1 : 0);
  const uint32_t be = __builtin_bswap32(static_cast<uint32_t>(len));
  out.append(reinterpret_cast<const char*>(&be), 4);
  if (jsonb) out.push_back(1);  // jsonb_recv's version number
  out += text_;
  return nullptr;
}

const char* NestedRows::array(int ni, int depth, int dim) {
  const Node& n = shape_.nodes[static_cast<size_t>(ni)];
  const std::vector<Range>& r = ranges_[static_cast<size_t>(depth)];
  const auto f = static_cast<size_t>(n.first_leaf);
  if (r[f].first >= r[f].second) return kDisagree;
  const int d = def_at(n.first_leaf, r[f].first);
  if (n.kind == Kind::Leaf) {
    if (r[f].second - r[f].first != 1) return kDisagree;
    ++count_;
    if (d < n.def) {
      elems_.append("\xff\xff\xff\xff", 4);
      has_null_ = true;
      return nullptr;
    }
    RawValue v;
    if (!value(n.leaf, v)) return kDisagree;
    conv_.bytes = {};
    conv_.numeric_text.clear();
    return append_pg_field(elems_, *leaf_[static_cast<size_t>(n.leaf)], *element_, v, conv_);
  }
  if (d < n.def) return "a NULL inner list cannot go into a PostgreSQL array";
  int count = 0;
  for (bool first = true; d >= n.elem_def; first = false) {
    const int more = next_element(n, depth, first);
    if (more < 0) return kDisagree;
    if (more == 0) break;
    ++count;
    if (const char* bad = array(n.children[0], depth + 1, dim + 1)) return bad;
  }
  auto& seen = dims_[static_cast<size_t>(dim)];
  if (seen < 0) {
    seen = count;
  } else if (seen != count) {
    return "inner lists of different lengths cannot go into a PostgreSQL array (its dimensions are rectangular)";
  }
  return nullptr;
}

const char* NestedRows::append_array(std::string& out, const ColumnType& element, uint32_t element_oid) {
  const int ndims = shape_.array_dims();
  element_ = &element;
  elems_.clear();
  has_null_ = false;
  count_ = 0;
  std::fill(dims_.begin(), dims_.end(), -1);
  for (size_t l = 0; l < cols_.size(); ++l) {
    ranges_[0][l] = {row_start_[l], row_end_[l]};
    value_at_[l] = value_start_[l];
  }
  if (const char* bad = array(0, 0, 0)) return bad;
  // array_send's layout: ndim, has-nulls flag, element type, (length, lower bound 1) per dimension, then the
  // elements; an array without elements has no dimensions.
  const int nd = count_ == 0 ? 0 : ndims;
  auto put = [&out](uint32_t v) {
    const uint32_t be = __builtin_bswap32(v);
    out.append(reinterpret_cast<const char*>(&be), 4);
  };
  put(static_cast<uint32_t>(12 + 8 * nd + elems_.size()));
  put(static_cast<uint32_t>(nd));
  put(has_null_ ? 1 : 0);
  put(element_oid);
  for (int k = 0; k < nd; ++k) {
    put(static_cast<uint32_t>(dims_[static_cast<size_t>(k)]));
    put(1);
  }
  out += elems_;
  return nullptr;
}

}  // namespace pgload::parquet
