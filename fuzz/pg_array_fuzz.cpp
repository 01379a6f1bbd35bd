// Fuzz target: array_in's split (common/pg_array) and array_send (loader/binary_row) must stay in bounds, give
// dimensions whose product is the element count, and be stable: the split written back in canonical form (every
// element quoted and escaped) splits into the same elements and dimensions. An encoded array's framing must
// account for every byte.
// Input: byte 0 picks the element type, the rest is the array's text.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "common/pg_array.h"
#include "common/pg_input.h"
#include "loader/binary_row.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "pg_array_fuzz: %s\n", what);
  std::abort();
}

struct Split {
  int ndim = 0;
  std::vector<int32_t> dims;
  std::vector<std::optional<std::string>> elements;
};

std::optional<Split> split(std::string_view text) {
  const pgload::PgArray* a = nullptr;
  if (!pgload::parse_pg_array(text, a)) return std::nullopt;
  if (!a || a->ndim < 0 || a->ndim > pgload::PgArray::kMaxDims) fail("bad ndim");
  Split s;
  s.ndim = a->ndim;
  size_t product = a->ndim == 0 ? 0 : 1;
  for (int d = 0; d < a->ndim; ++d) {
    if (a->dims[d] <= 0) fail("empty dimension");
    product *= static_cast<size_t>(a->dims[d]);
    s.dims.push_back(a->dims[d]);
  }
  if (product != a->count()) fail("dimensions do not multiply to the element count");
  bool nulls = false;
  for (size_t i = 0; i < a->count(); ++i) {
    const auto e = a->element(i);
    nulls |= !e;
    s.elements.push_back(e ? std::optional<std::string>(std::string(*e)) : std::nullopt);
  }
  if (nulls != a->has_nulls) fail("has_nulls wrong");
  return s;
}

// The split written back as array_out would write it if it quoted every element.
std::string canonical(const Split& s) {
  if (s.ndim == 0) return "{}";
  std::string out;
  size_t next = 0;
  auto level = [&](auto& self, int d) -> void {
    out.push_back('{');
    for (int32_t k = 0; k < s.dims[static_cast<size_t>(d)]; ++k) {
      if (k) out.push_back(',');
      if (d + 1 < s.ndim) {
        self(self, d + 1);
        continue;
      }
      const auto& e = s.elements[next++];
      if (!e) {
        out += "NULL";
        continue;
      }
      out.push_back('"');
      for (char c : *e) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
      }
      out.push_back('"');
    }
    out.push_back('}');
  };
  level(level, 0);
  return out;
}

uint32_t be32(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) v = v << 8 | static_cast<unsigned char>(b[at + k]);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const uint32_t kElements[] = {23, 20, 25, 1700, 1114, 16, 2950, 1043, 17, 3802};
  const uint32_t element_oid = kElements[data[0] % (sizeof kElements / sizeof kElements[0])];
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::optional<Split> first = split(text);
  if (!first) return 0;
  const std::optional<Split> again = split(canonical(*first));
  if (!again || again->ndim != first->ndim || again->dims != first->dims || again->elements != first->elements)
    fail("the canonical form splits differently");

  const pgload::ColumnType t = pgload::column_type_for(0, element_oid == 1043 ? 7 + 4 : -1, element_oid, nullptr);
  if (t.type != pgload::PgType::Array) fail("not an array type");
  std::string field;
  if (!pgload::append_binary_field(field, t, std::optional<std::string_view>(text))) return 0;
  // int32 length, ndim, flags, element OID, (length, lower bound) per dimension, then one field per element.
  if (field.size() < 16 || be32(field, 0) != field.size() - 4) fail("length prefix");
  if (be32(field, 4) != static_cast<uint32_t>(first->ndim) || be32(field, 12) != element_oid) fail("header");
  size_t at = 16 + 8 * static_cast<size_t>(first->ndim);
  for (size_t i = 0; i < first->elements.size(); ++i) {
    if (at + 4 > field.size()) fail("element past the end");
    const uint32_t n = be32(field, at);
    at += 4;
    if (n == 0xFFFFFFFFu) {
      if (first->elements[i]) fail("NULL for a value");
      continue;
    }
    at += n;
  }
  if (at != field.size()) fail("trailing bytes");
  return 0;
}
