// Parquet pages that lie: a decompression bomb (a small ZSTD page that inflates far past the size its header
// declares) stops at the declared size; a header declaring more than the cap is refused before any allocation; a
// page running past its column chunk, and a page with more values than the row group has rows, are refused.
#include <gtest/gtest.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "loader/parquet/codecs.h"
#include "loader/parquet/column_reader.h"
#include "loader/parquet/parquet_error.h"
#include "tests/support/parquet_page_bytes.h"

namespace pgload::parquet {
namespace {

using test::data_page_header;

LeafColumn int64_leaf() {
  LeafColumn leaf;
  leaf.name = leaf.path = "v";
  leaf.element.type = Physical::Int64;
  return leaf;
}

TEST(ParquetPages, ADecompressionBombStopsAtTheDeclaredSize) {
  const std::string zeros(64u << 20, '\0');  // 64 MiB of zeros: a few KiB compressed
  std::string bomb(ZSTD_compressBound(zeros.size()), '\0');
  bomb.resize(ZSTD_compress(bomb.data(), bomb.size(), zeros.data(), zeros.size(), 3));
  ASSERT_LT(bomb.size(), 64u << 10);
  std::vector<uint8_t> out(800);
  try {
    decompress(Codec::Zstd, reinterpret_cast<const uint8_t*>(bomb.data()), bomb.size(), out.data(), out.size());
    FAIL() << "the bomb inflated";
  } catch (const ParquetError& e) {
    EXPECT_STREQ(e.what(), "ZSTD page inflates to more than the 800 bytes its header says");
  }
  // The same page in a column chunk: 100 int64 values declared, 800 bytes.
  ColumnMeta meta;
  meta.type = Physical::Int64;
  meta.codec = Codec::Zstd;
  std::string chunk = data_page_header(800, static_cast<int32_t>(bomb.size()), 100) + bomb;
  ColumnValues values;
  try {
    read_column_chunk(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size(), int64_leaf(), meta, 100, values);
    FAIL() << "the bomb was read";
  } catch (const ParquetError& e) {
    EXPECT_STREQ(e.what(), "page 0: ZSTD page inflates to more than the 800 bytes its header says");
  }
}

TEST(ParquetPages, HeadersThatLieAreRefused) {
  ColumnMeta meta;
  meta.type = Physical::Int64;
  ColumnValues values;
  auto read = [&](const std::string& chunk, int64_t rows) {
    try {
      read_column_chunk(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size(), int64_leaf(), meta, rows, values);
    } catch (const ParquetError& e) {
      return std::string(e.what());
    }
    return std::string("read");
  };
  const std::string eight(8, '\x01');
  EXPECT_EQ(read(data_page_header(8, 8, 1) + eight, 1), "read");
  EXPECT_EQ(values.ints.size(), 1u);
  EXPECT_EQ(read(data_page_header(1 << 30, 8, 1) + eight, 1),
            "page 0: page declares 1073741824 uncompressed bytes (at most 268435456)");
  EXPECT_EQ(read(data_page_header(8, 9, 1) + eight, 1), "page 0: page of 9 bytes runs past its column chunk");
  EXPECT_EQ(read(data_page_header(8, 8, 2) + eight, 1),
            "page 0: page holds 2 values, more than the 1 rows left in the row group");
  EXPECT_EQ(read(data_page_header(8, 8, 1) + eight, 2),
            "page 1: the column chunk ends after 1 of the row group's 2 rows");
  EXPECT_EQ(read(data_page_header(16, 16, 2) + eight + eight.substr(0, 7) + "\x01", 2), "read");
  EXPECT_EQ(read(data_page_header(7, 7, 1) + eight.substr(0, 7), 1),
            "page 0: PLAIN values end before the page's value count");
  EXPECT_EQ(read(eight.substr(0, 3), 1), "page 0: Thrift metadata is truncated or corrupt");
}

}  // namespace
}  // namespace pgload::parquet
