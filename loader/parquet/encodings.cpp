#include "loader/parquet/encodings.h"

#include <cstring>

#include "loader/parquet/parquet_error.h"

namespace pgload::parquet {
namespace {

[[noreturn]] void short_data(const char* what) {
  throw ParquetError(std::string(what) + " data ends before its values do");
}

}  // namespace

uint64_t read_uleb(const uint8_t*& p, const uint8_t* end) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) short_data("ULEB128");
    uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  throw ParquetError("a ULEB128 integer is longer than 10 bytes");
}

void unpack_bits(const uint8_t* data, size_t size, int bit_width, size_t n, uint64_t* out) {
  if (bit_width == 0) {
    std::memset(out, 0, n * sizeof(uint64_t));
    return;
  }
  if (bit_width < 0 || bit_width > 64) throw ParquetError("bit width " + std::to_string(bit_width) + " is impossible");
  const unsigned __int128 bits = static_cast<unsigned __int128>(n) * static_cast<unsigned>(bit_width);
  if (bits > static_cast<unsigned __int128>(size) * 8) short_data("bit-packed");
  const uint64_t mask = bit_width == 64 ? ~uint64_t{0} : (uint64_t{1} << bit_width) - 1;
  uint64_t pos = 0;
  for (size_t i = 0; i < n; ++i, pos += static_cast<uint64_t>(bit_width)) {
    const size_t byte = pos >> 3;
    const unsigned shift = pos & 7;
    uint64_t v;
    if (bit_width <= 56 && byte + 8 <= size) {
      std::memcpy(&v, data + byte, 8);
      v >>= shift;
    } else {
      // Near the end, or wider than one load holds: byte by byte.
      unsigned __int128 acc = 0;
      const size_t nbytes = (shift + static_cast<unsigned>(bit_width) + 7) / 8;
      for (size_t k = 0; k < nbytes && byte + k < size; ++k)
        acc |= static_cast<unsigned __int128>(data[byte + k]) << (8 * k);
      v = static_cast<uint64_t>(acc >> shift);
    }
    out[i] = v & mask;
  }
}

RleDecoder::RleDecoder(const uint8_t* data, size_t size, int bit_width)
    : p_(data), end_(data + size), width_(bit_width) {
  if (bit_width < 0 || bit_width > 32)
    throw ParquetError("RLE bit width " + std::to_string(bit_width) + " is impossible");
}

bool RleDecoder::next_run() {
  if (p_ >= end_) return false;
  uint64_t header = read_uleb(p_, end_);
  if (header & 1) {
    const uint64_t groups = header >> 1;
    if (groups == 0 || groups > (uint64_t{1} << 28)) throw ParquetError("RLE bit-packed run of impossible length");
    const uint64_t values = groups * 8;
    const uint64_t bytes = groups * static_cast<uint64_t>(width_);
    // The last run of a page may be cut short: only the bytes present are values.
    const auto avail = static_cast<size_t>(end_ - p_);
    const size_t have = bytes <= avail
                            ? static_cast<size_t>(values)
                            : (width_ ? avail * 8 / static_cast<size_t>(width_) : static_cast<size_t>(values));
    if (have == 0) return false;
    unpacked_.resize(have);
    unpack_bits(p_, avail, width_, have, unpacked_.data());
    p_ += bytes <= avail ? bytes : avail;
    unpacked_pos_ = 0;
    run_left_ = have;
    packed_ = true;
  } else {
    const uint64_t count = header >> 1;
    if (count == 0) throw ParquetError("RLE run of length 0");
    const int nbytes = (width_ + 7) / 8;
    if (end_ - p_ < nbytes) short_data("RLE");
    uint32_t v = 0;
    for (int k = 0; k < nbytes; ++k) v |= static_cast<uint32_t>(p_[k]) << (8 * k);
    p_ += nbytes;
    if (width_ < 32 && (v >> width_) != 0) throw ParquetError("RLE run value is wider than its bit width");
    run_value_ = v;
    run_left_ = count > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(count);
    packed_ = false;
  }
  return true;
}

void RleDecoder::get(uint32_t* out, size_t n) {
  while (n > 0) {
    if (run_left_ == 0 && !next_run()) short_data("RLE/bit-packed");
    size_t take = n < run_left_ ? n : run_left_;
    if (packed_) {
      for (size_t i = 0; i < take; ++i) out[i] = static_cast<uint32_t>(unpacked_[unpacked_pos_ + i]);
      unpacked_pos_ += take;
    } else {
      for (size_t i = 0; i < take; ++i) out[i] = run_value_;
    }
    run_left_ -= take;
    out += take;
    n -= take;
  }
}

size_t decode_delta_binary(const uint8_t* data, size_t size, size_t n, std::vector<int64_t>& out) {
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  const uint64_t block = read_uleb(p, end);
  const uint64_t minis = read_uleb(p, end);
  const uint64_t total = read_uleb(p, end);
  const uint64_t first_z = read_uleb(p, end);
  if (block == 0 || block % 128 != 0 || block > (1u << 20) || minis == 0 || block % minis != 0 ||
      (block / minis) % 32 != 0)
    throw ParquetError("DELTA_BINARY_PACKED header has block size " + std::to_string(block) + " and " +
                       std::to_string(minis) + " miniblocks");
  if (total < n)
    throw ParquetError("DELTA_BINARY_PACKED holds " + std::to_string(total) + " values, the page needs " +
                       std::to_string(n));
  const auto per_mini = static_cast<size_t>(block / minis);
  uint64_t value = (first_z >> 1) ^ (~(first_z & 1) + 1);
  const size_t base = out.size();
  out.resize(base + n);
  if (n == 0) return static_cast<size_t>(p - data);
  out[base] = static_cast<int64_t>(value);
  size_t done = 1;
  std::vector<uint64_t> deltas(per_mini);
  std::vector<uint8_t> widths(static_cast<size_t>(minis));
  while (done < n) {
    const uint64_t min_z = read_uleb(p, end);
    const uint64_t min_delta = (min_z >> 1) ^ (~(min_z & 1) + 1);
    if (static_cast<uint64_t>(end - p) < minis) short_data("DELTA_BINARY_PACKED");
    std::memcpy(widths.data(), p, widths.size());
    p += minis;
    for (size_t m = 0; m < widths.size() && done < n; ++m) {
      const int w = widths[m];
      if (w > 64) throw ParquetError("DELTA_BINARY_PACKED miniblock bit width " + std::to_string(w));
      const size_t bytes = per_mini * static_cast<size_t>(w) / 8;
      if (static_cast<size_t>(end - p) < bytes) short_data("DELTA_BINARY_PACKED");
      unpack_bits(p, bytes, w, per_mini, deltas.data());
      p += bytes;
      for (size_t k = 0; k < per_mini && done < n; ++k) {
        value += min_delta + deltas[k];  // wraps as the writer's arithmetic does
        out[base + done++] = static_cast<int64_t>(value);
      }
    }
  }
  return static_cast<size_t>(p - data);
}

void decode_delta_length(const uint8_t* data, size_t size, size_t n, std::vector<std::string_view>& out) {
  std::vector<int64_t> lengths;
  size_t pos = decode_delta_binary(data, size, n, lengths);
  const char* s = reinterpret_cast<const char*>(data);
  for (int64_t len : lengths) {
    if (len < 0 || static_cast<uint64_t>(len) > size - pos) short_data("DELTA_LENGTH_BYTE_ARRAY");
    out.emplace_back(s + pos, static_cast<size_t>(len));
    pos += static_cast<size_t>(len);
  }
}

void decode_delta_byte_array(const uint8_t* data, size_t size, size_t n, std::vector<std::string_view>& out,
                             std::deque<std::string>& buffers) {
  std::vector<int64_t> prefixes;
  size_t pos = decode_delta_binary(data, size, n, prefixes);
  std::vector<std::string_view> suffixes;
  decode_delta_length(data + pos, size - pos, n, suffixes);
  // Offsets into one buffer first (it grows), views once it is complete.
  std::string& buf = buffers.emplace_back();
  std::vector<std::pair<size_t, size_t>> spans(n);
  size_t prev_off = 0, prev_len = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t pre = prefixes[i];
    if (pre < 0 || static_cast<uint64_t>(pre) > prev_len)
      throw ParquetError("DELTA_BYTE_ARRAY prefix length " + std::to_string(pre) + " is longer than the value before");
    if (buf.size() + static_cast<size_t>(pre) + suffixes[i].size() > (size_t{1} << 31))
      throw ParquetError("DELTA_BYTE_ARRAY page rebuilds to more than 2 GiB");
    const size_t off = buf.size();
    buf.append(buf, prev_off, static_cast<size_t>(pre));
    buf.append(suffixes[i]);
    prev_off = off;
    prev_len = buf.size() - off;
    spans[i] = {off, prev_len};
  }
  for (const auto& [off, len] : spans) out.emplace_back(buf.data() + off, len);
}

void decode_byte_stream_split(const uint8_t* data, size_t size, size_t n, size_t width, uint8_t* out) {
  if (width == 0 || n > size / width) short_data("BYTE_STREAM_SPLIT");
  // Stream k (byte k of every value) starts at k * n.
  const size_t stride = n;
  for (size_t k = 0; k < width; ++k) {
    const uint8_t* stream = data + k * stride;
    for (size_t i = 0; i < n; ++i) out[i * width + k] = stream[i];
  }
}

}  // namespace pgload::parquet
