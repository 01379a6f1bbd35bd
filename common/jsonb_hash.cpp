// A small JSON parser building the value as jsonb keeps it (a tree with canonical object order), then the walk
// of JsonbIteratorNext that jsonb_hash/JsonbHashScalarValue hash over.
#include "common/jsonb_hash.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/citus_hash.h"
#include "common/pg_numeric.h"
#include "common/utf8.h"

namespace pgload {
namespace {

constexpr uint32_t kObjectFlag = 0x20000000;  // JB_FOBJECT
constexpr uint32_t kArrayFlag = 0x40000000;   // JB_FARRAY
constexpr int kMaxDepth = 1000;               // deeper documents go to the server's error path, not ours

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

class Parser {
 public:
  Parser(std::string_view s, Tree& t) noexcept : s_(s), t_(t) {}

  bool document(uint32_t& root) {
    skip_ws();
    if (!value(root, 0)) return false;
    skip_ws();
    return i_ == s_.size();
  }

 private:
  void skip_ws() noexcept {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool literal(std::string_view word) noexcept {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  uint32_t add_scalar(uint32_t h) {
    t_.nodes.push_back({Kind::Scalar, h, 0, 0});
    return static_cast<uint32_t>(t_.nodes.size() - 1);
  }

  bool value(uint32_t& out, int depth) {
    if (i_ >= s_.size() || depth > kMaxDepth) return false;
    const char ch = s_[i_];
    if (ch == '{') return object(out, depth);
    if (ch == '[') return array(out, depth);
    if (ch == '"') {
      std::string str;
      if (!string(str)) return false;
      out = add_scalar(hash_bytes(str.data(), str.size()));
      return true;
    }
    if (literal("true")) return out = add_scalar(0x02), true;
    if (literal("false")) return out = add_scalar(0x04), true;
    if (literal("null")) return out = add_scalar(0x01), true;
    return number(out);
  }

  // json_lex_number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, then numeric_in of the token.
  bool number(uint32_t& out) {
    const size_t start = i_;
    auto digits = [&] {
      const size_t from = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - from;
    };
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (digits() == 0) {
      return false;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (digits() == 0) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (digits() == 0) return false;
    }
    // A letter or digit glued to the number ("01", "1x") is one bad token for the server's lexer.
    if (i_ < s_.size() && ((s_[i_] >= '0' && s_[i_] <= '9') || (s_[i_] >= 'a' && s_[i_] <= 'z') ||
                           (s_[i_] >= 'A' && s_[i_] <= 'Z') || s_[i_] == '_'))
      return false;
    int32_t h = 0;
    if (!hash_pg_numeric_text(s_.substr(start, i_ - start), -1, h)) return false;
    out = add_scalar(static_cast<uint32_t>(h));
    return true;
  }

  static int hex(char ch) noexcept {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  }
  bool hex4(uint32_t& cp) noexcept {
    if (i_ + 4 > s_.size()) return false;
    cp = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hex(s_[i_ + k]);
      if (h < 0) return false;
      cp = cp << 4 | static_cast<uint32_t>(h);
    }
    i_ += 4;
    return true;
  }

  // A JSON string, unescaped as jsonb stores it (UTF-8 database: \uXXXX becomes UTF-8, pairs combined).
  bool string(std::string& out) {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      const auto ch = static_cast<unsigned char>(s_[i_]);
      if (ch == '"') {
        ++i_;
        return true;
      }
      if (ch < 0x20) return false;
      if (ch != '\\') {
        out.push_back(static_cast<char>(ch));
        ++i_;
        continue;
      }
      if (++i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp) || cp == 0) return false;  // jsonb cannot hold \u0000
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = 0;
            if (i_ + 2 > s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u') return false;
            i_ += 2;
            if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool array(uint32_t& out, int depth) {
    ++i_;
    std::vector<uint32_t> elems;
    skip_ws();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
    } else {
      for (;;) {
        skip_ws();
        uint32_t v = 0;
        if (!value(v, depth + 1)) return false;
        elems.push_back(v);
        skip_ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == ']') {
          ++i_;
          break;
        }
        return false;
      }
    }
    Node n{Kind::Array, 0, static_cast<uint32_t>(t_.kids.size()), static_cast<uint32_t>(elems.size())};
    t_.kids.insert(t_.kids.end(), elems.begin(), elems.end());
    t_.nodes.push_back(n);
    out = static_cast<uint32_t>(t_.nodes.size() - 1);
    return true;
  }

  bool object(uint32_t& out, int depth) {
    ++i_;
    std::vector<uint32_t> mems;
    skip_ws();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
    } else {
      for (;;) {
        skip_ws();
        if (i_ >= s_.size() || s_[i_] != '"') return false;
        std::string key;
        if (!string(key)) return false;
        skip_ws();
        if (i_ >= s_.size() || s_[i_] != ':') return false;
        ++i_;
        skip_ws();
        Member m{static_cast<uint32_t>(t_.keys.size()), static_cast<uint32_t>(key.size()), 0};
        t_.keys += key;
        if (!value(m.value, depth + 1)) return false;
        t_.members.push_back(m);
        mems.push_back(static_cast<uint32_t>(t_.members.size() - 1));
        skip_ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == '}') {
          ++i_;
          break;
        }
        return false;
      }
    }
    // jsonb's order: shorter keys first, then bytewise; of equal keys the last one written stays.
    auto key_of = [&](uint32_t m) {
      return std::string_view(t_.keys).substr(t_.members[m].key_off, t_.members[m].key_len);
    };
    std::stable_sort(mems.begin(), mems.end(), [&](uint32_t a, uint32_t b) {
      const std::string_view ka = key_of(a), kb = key_of(b);
      return ka.size() != kb.size() ? ka.size() < kb.size() : ka < kb;
    });
    std::vector<uint32_t> unique;
    for (size_t k = 0; k < mems.size(); ++k)
      if (k + 1 == mems.size() || key_of(mems[k]) != key_of(mems[k + 1])) unique.push_back(mems[k]);
    Node n{Kind::Object, 0, static_cast<uint32_t>(t_.kids.size()), static_cast<uint32_t>(unique.size())};
    t_.kids.insert(t_.kids.end(), unique.begin(), unique.end());
    t_.nodes.push_back(n);
    out = static_cast<uint32_t>(t_.nodes.size() - 1);
    return true;
  }

  std::string_view s_;
  Tree& t_;
  size_t i_ = 0;
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
    Parser p(text, tree);
    uint32_t root = 0;
    if (!p.document(root)) return false;
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
