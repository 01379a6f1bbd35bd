// The value as jsonb keeps it (a tree with canonical object order), built from the JSON walk, then the walk of
// JsonbIteratorNext that jsonb_hash/JsonbHashScalarValue hash over.
#include "common/jsonb_hash.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/citus_hash.h"
#include "common/pg_json.h"
#include "common/pg_numeric.h"

namespace pgload {
namespace {

constexpr uint32_t kObjectFlag = 0x20000000;  // JB_FOBJECT
constexpr uint32_t kArrayFlag = 0x40000000;   // JB_FARRAY

enum class Kind : uint8_t { Scalar, Array, Object };

struct Node {
  Kind kind = Kind::Scalar;
  uint32_t scalar_hash = 0;       // JsonbHashScalarValue's tmp, for scalars
  uint32_t first = 0, count = 0;  // children in Tree::kids (object: key/value pairs as member indices)
};

struct Member {
  uint32_t key_off = 0, key_len = 0;  // in Tree::keys
  uint32_t value = 0;                 // node index
};

struct Tree {
  std::vector<Node> nodes;
  std::vector<uint32_t> kids;  // array elements: node indices; objects: member indices
  std::vector<Member> members;
  std::string keys;
};

inline uint32_t rotl1(uint32_t x) noexcept { return (x << 1) | (x >> 31); }

// Builds the tree from the walk's events: each open container keeps its children on `open_kids` until it closes.
class Builder {
 public:
  static constexpr bool kDecodeStrings = true;

  explicit Builder(Tree& t) noexcept : t_(t) {}
  uint32_t root() const noexcept { return root_; }

  bool begin_object() { return begin(Kind::Object); }
  bool begin_array() { return begin(Kind::Array); }
  bool key(std::string_view k) {
    open_.back().key_off = static_cast<uint32_t>(t_.keys.size());
    open_.back().key_len = static_cast<uint32_t>(k.size());
    t_.keys += k;
    return true;
  }
  bool string(std::string_view s) { return add(Kind::Scalar, hash_bytes(s.data(), s.size())); }
  // numeric_in of the token: a number it refuses is jsonb_in's error too.
  bool number(std::string_view token) {
    int32_t h = 0;
    return hash_pg_numeric_text(token, -1, h) && add(Kind::Scalar, static_cast<uint32_t>(h));
  }
  bool literal(JsonLiteral l) {
    return add(Kind::Scalar, l == JsonLiteral::Null ? 0x01 : l == JsonLiteral::True ? 0x02 : 0x04);
  }
  bool end_array() { return end(); }
  // jsonb's order: shorter keys first, then bytewise; of equal keys the last one written stays.
  bool end_object() {
    const auto first = open_kids_.begin() + static_cast<std::ptrdiff_t>(open_.back().first_kid);
    auto key_of = [&](uint32_t m) {
      return std::string_view(t_.keys).substr(t_.members[m].key_off, t_.members[m].key_len);
    };
    std::stable_sort(first, open_kids_.end(), [&](uint32_t a, uint32_t b) {
      const std::string_view ka = key_of(a), kb = key_of(b);
      return ka.size() != kb.size() ? ka.size() < kb.size() : ka < kb;
    });
    // keep the last of each run of equal keys
    auto kept = first;
    for (auto it = first; it != open_kids_.end(); ++it)
      if (it + 1 == open_kids_.end() || key_of(*it) != key_of(*(it + 1))) *kept++ = *it;
    open_kids_.erase(kept, open_kids_.end());
    return end();
  }

 private:
  struct Open {
    Kind kind;
    size_t first_kid;                   // its children start here in open_kids_
    uint32_t key_off = 0, key_len = 0;  // an object's current key
  };

  bool begin(Kind kind) {
    open_.push_back({kind, open_kids_.size()});
    return true;
  }
  bool end() {
    const Open o = open_.back();
    open_.pop_back();
    const auto first = static_cast<uint32_t>(t_.kids.size());
    t_.kids.insert(t_.kids.end(), open_kids_.begin() + static_cast<std::ptrdiff_t>(o.first_kid), open_kids_.end());
    open_kids_.resize(o.first_kid);
    return add(o.kind, 0, first, static_cast<uint32_t>(t_.kids.size() - first));
  }
  // A finished value: the root, an array's element or the value of the open object's current key.
  bool add(Kind kind, uint32_t scalar_hash, uint32_t first = 0, uint32_t count = 0) {
    t_.nodes.push_back({kind, scalar_hash, first, count});
    const auto node = static_cast<uint32_t>(t_.nodes.size() - 1);
    if (open_.empty()) {
      root_ = node;
    } else if (open_.back().kind == Kind::Array) {
      open_kids_.push_back(node);
    } else {
      t_.members.push_back({open_.back().key_off, open_.back().key_len, node});
      open_kids_.push_back(static_cast<uint32_t>(t_.members.size() - 1));
    }
    return true;
  }

  Tree& t_;
  std::vector<Open> open_;
  std::vector<uint32_t> open_kids_;
  uint32_t root_ = 0;
};

// JsonbIteratorNext order: a container's start token, then its keys/values/elements, nested containers inline.
void walk(const Tree& t, uint32_t node, uint32_t& hash) noexcept {
  const Node& n = t.nodes[node];
  switch (n.kind) {
    case Kind::Scalar:
      hash = rotl1(hash) ^ n.scalar_hash;
      return;
    case Kind::Array:
      hash ^= kArrayFlag;
      for (uint32_t k = 0; k < n.count; ++k) walk(t, t.kids[n.first + k], hash);
      return;
    case Kind::Object:
      hash ^= kObjectFlag;
      for (uint32_t k = 0; k < n.count; ++k) {
        const Member& m = t.members[t.kids[n.first + k]];
        hash = rotl1(hash) ^ hash_bytes(t.keys.data() + m.key_off, m.key_len);
        walk(t, m.value, hash);
      }
      return;
  }
}

}  // namespace

bool hash_jsonb_text(std::string_view text, int32_t& hash_out) noexcept {
  try {
    thread_local Tree tree;
    tree.nodes.clear();
    tree.kids.clear();
    tree.members.clear();
    tree.keys.clear();
    Builder builder(tree);
    if (walk_json(text, true, builder) != JsonEnd::Document) return false;
    const uint32_t root = builder.root();
    const Node& r = tree.nodes[root];
    if (r.kind != Kind::Scalar && r.count == 0) {
      hash_out = 0;  // JB_ROOT_COUNT == 0
      return true;
    }
    uint32_t hash = 0;
    if (r.kind == Kind::Scalar) hash ^= kArrayFlag;  // a scalar document is stored as a one-element raw array
    walk(tree, root, hash);
    hash_out = static_cast<int32_t>(hash);
    return true;
  } catch (...) {
    return false;  // out of memory: the row takes the error path
  }
}

}  // namespace pgload
