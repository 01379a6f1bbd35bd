// The Parquet encodings on the byte sequences of the format's own examples (parquet-format Encodings.md), and
// their refusals of bytes that end early or lie.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loader/parquet/encodings.h"
#include "loader/parquet/parquet_error.h"

namespace pgload::parquet {
namespace {

TEST(ParquetEncodings, RleAndBitPackedRuns) {
  // 8 x 5 as an RLE run, then 0..7 bit-packed 3 bits wide (the spec's example bytes).
  const std::vector<uint8_t> bytes = {0x10, 0x05, 0x03, 0x88, 0xC6, 0xFA};
  RleDecoder d(bytes.data(), bytes.size(), 3);
  std::vector<uint32_t> v(16);
  d.get(v.data(), v.size());
  EXPECT_EQ(v, (std::vector<uint32_t>{5, 5, 5, 5, 5, 5, 5, 5, 0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_THROW(d.get(v.data(), 1), ParquetError);  // nothing left
  const std::vector<uint8_t> wide = {0x02, 0x09};  // a run value of 9 in a 3-bit column
  RleDecoder w(wide.data(), wide.size(), 3);
  EXPECT_THROW(w.get(v.data(), 1), ParquetError);
}

TEST(ParquetEncodings, DeltaBinaryPacked) {
  // 1, 2, 3, 4, 5: block 128, 4 miniblocks, 5 values, first 1; min delta 1, every width 0.
  const std::vector<uint8_t> bytes = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00};
  std::vector<int64_t> out;
  EXPECT_EQ(decode_delta_binary(bytes.data(), bytes.size(), 5, out), bytes.size());
  EXPECT_EQ(out, (std::vector<int64_t>{1, 2, 3, 4, 5}));
  out.clear();
  EXPECT_THROW(decode_delta_binary(bytes.data(), bytes.size(), 6, out), ParquetError);  // the header holds 5
  const std::vector<uint8_t> bad_block = {0x81, 0x01, 0x04, 0x05, 0x02};                // block of 129
  EXPECT_THROW(decode_delta_binary(bad_block.data(), bad_block.size(), 5, out), ParquetError);
}

TEST(ParquetEncodings, DeltaLengthAndDeltaByteArray) {
  // "Hello", "World", "Foobar", "ABCDEF": lengths 5, 5, 6, 6 (deltas 0, 1, 0 in one 1-bit miniblock).
  std::vector<uint8_t> dla = {0x80, 0x01, 0x04, 0x04, 0x0A, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
  for (char ch : std::string("HelloWorldFoobarABCDEF")) dla.push_back(static_cast<uint8_t>(ch));
  std::vector<std::string_view> out;
  decode_delta_length(dla.data(), dla.size(), 4, out);
  EXPECT_EQ(out, (std::vector<std::string_view>{"Hello", "World", "Foobar", "ABCDEF"}));
  out.clear();
  EXPECT_THROW(decode_delta_length(dla.data(), dla.size() - 1, 4, out), ParquetError);

  // "axis", "axle", "babble", "babyhood": prefixes 0, 2, 0, 3; suffixes "axis", "le", "babble", "yhood".
  std::vector<uint8_t> dba = {0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, 0x44, 0x01};
  dba.resize(dba.size() + 10, 0);
  const std::vector<uint8_t> suffix_lengths = {0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 0x03, 0x00, 0x00, 0x00, 0x70};
  dba.insert(dba.end(), suffix_lengths.begin(), suffix_lengths.end());
  dba.resize(dba.size() + 11, 0);
  for (char ch : std::string("axislebabbleyhood")) dba.push_back(static_cast<uint8_t>(ch));
  std::deque<std::string> buffers;
  out.clear();
  decode_delta_byte_array(dba.data(), dba.size(), 4, out, buffers);
  EXPECT_EQ(out, (std::vector<std::string_view>{"axis", "axle", "babble", "babyhood"}));
}

TEST(ParquetEncodings, ByteStreamSplit) {
  // Two 4-byte values: stream k holds byte k of each.
  const std::vector<uint8_t> bytes = {0x01, 0x11, 0x02, 0x12, 0x03, 0x13, 0x04, 0x14};
  uint8_t out[8];
  decode_byte_stream_split(bytes.data(), bytes.size(), 2, 4, out);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 8), (std::vector<uint8_t>{0x01, 0x02, 0x03, 0x04, 0x11, 0x12, 0x13, 0x14}));
  EXPECT_THROW(decode_byte_stream_split(bytes.data(), 7, 2, 4, out), ParquetError);
}

}  // namespace
}  // namespace pgload::parquet
