// Parquet's value and level encodings: the RLE/bit-packed hybrid (levels, dictionary indexes, booleans),
// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT. Each decoder reads only
// inside the bytes it is given and throws ParquetError when they run out or a header is impossible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace pgload::parquet {

// `n` values of `bit_width` (0..64) bits each, packed LSB first from `data`, into `out`.
void unpack_bits(const uint8_t* data, size_t size, int bit_width, size_t n, uint64_t* out);

// The RLE/bit-packed hybrid of values `bit_width` (0..32) bits wide.
class RleDecoder {
 public:
  RleDecoder(const uint8_t* data, size_t size, int bit_width);
  // The next n values into out; throws when the data holds fewer.
  void get(uint32_t* out, size_t n);

 private:
  bool next_run();
  const uint8_t* p_;
  const uint8_t* end_;
  int width_;
  size_t run_left_ = 0;
  bool packed_ = false;
  uint32_t run_value_ = 0;
  std::vector<uint64_t> unpacked_;
  size_t unpacked_pos_ = 0;
};

// ULEB128 from [p, end); advances p.
uint64_t read_uleb(const uint8_t*& p, const uint8_t* end);

// DELTA_BINARY_PACKED: exactly `n` values into out (int32 columns wrap at 32 bits: the caller narrows). Returns
// the bytes consumed (to the end of the last miniblock used).
size_t decode_delta_binary(const uint8_t* data, size_t size, size_t n, std::vector<int64_t>& out);

// DELTA_LENGTH_BYTE_ARRAY: `n` views into data.
void decode_delta_length(const uint8_t* data, size_t size, size_t n, std::vector<std::string_view>& out);

// DELTA_BYTE_ARRAY: `n` values rebuilt from prefix lengths and suffixes into a new buffer of `buffers`.
void decode_delta_byte_array(const uint8_t* data, size_t size, size_t n, std::vector<std::string_view>& out,
                             std::deque<std::string>& buffers);

// BYTE_STREAM_SPLIT of `n` values `width` bytes wide, reassembled into `out` (n * width bytes).
void decode_byte_stream_split(const uint8_t* data, size_t size, size_t n, size_t width, uint8_t* out);

}  // namespace pgload::parquet
