// Parquet page headers written by hand (Thrift compact protocol) for the tests that feed the column reader pages
// without a file: a field header with its id delta, zigzag varints, and a DATA_PAGE (v1) header.
#pragma once

#include <cstdint>
#include <string>

namespace pgload::test {

inline void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// An i32 field `delta` ids after the previous one.
inline void i32_field(std::string& out, int delta, int64_t v) {
  out.push_back(static_cast<char>((delta << 4) | 5));
  varint(out, static_cast<uint64_t>((v << 1) ^ (v >> 63)));
}

// A DATA_PAGE header (v1): type, sizes, then DataPageHeader{num_values, PLAIN, RLE, RLE}.
inline std::string data_page_header(int32_t uncompressed, int32_t compressed, int32_t values) {
  std::string h;
  i32_field(h, 1, 0);
  i32_field(h, 1, uncompressed);
  i32_field(h, 1, compressed);
  h.push_back(static_cast<char>((2 << 4) | 12));  // field 5: struct
  i32_field(h, 1, values);
  i32_field(h, 1, 0);
  i32_field(h, 1, 3);
  i32_field(h, 1, 3);
  h.push_back(0);  // end of DataPageHeader
  h.push_back(0);  // end of PageHeader
  return h;
}

}  // namespace pgload::test
