#include "loader/parquet/codecs.h"

#include <brotli/decode.h>
#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <climits>
#include <cstring>
#include <string>

#include "loader/parquet/parquet_error.h"

namespace pgload::parquet {
namespace {

// `got` past `want` only says "more" (the codec stopped at the buffer's end).
[[noreturn]] void size_mismatch(Codec c, size_t got, size_t want) {
  throw ParquetError(std::string(codec_name(c)) + " page inflates to " +
                     (got > want ? "more than" : std::to_string(got) + " bytes, not") + " the " + std::to_string(want) +
                     " bytes its header says");
}

void inflate_gzip(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  if (in_size > UINT_MAX || out_size > UINT_MAX) throw ParquetError("GZIP page is larger than 4 GiB");
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw ParquetError("GZIP: cannot initialise zlib");
  z.next_in = const_cast<Bytef*>(in);
  z.avail_in = static_cast<uInt>(in_size);
  z.next_out = out;
  z.avail_out = static_cast<uInt>(out_size);
  int rc = inflate(&z, Z_FINISH);
  size_t got = out_size - z.avail_out;
  bool more = rc == Z_BUF_ERROR && z.avail_out == 0 && z.avail_in > 0;
  inflateEnd(&z);
  if (rc == Z_STREAM_END) {
    if (got != out_size) size_mismatch(Codec::Gzip, got, out_size);
    return;
  }
  if (more) size_mismatch(Codec::Gzip, out_size + 1, out_size);
  throw ParquetError(std::string("GZIP page is corrupt (zlib: ") + (z.msg ? z.msg : "truncated stream") + ")");
}

}  // namespace

bool codec_supported(Codec c) noexcept {
  switch (c) {
    case Codec::Uncompressed:
    case Codec::Snappy:
    case Codec::Gzip:
    case Codec::Brotli:
    case Codec::Zstd:
    case Codec::Lz4Raw:
      return true;
    default:
      return false;
  }
}

void decompress(Codec codec, const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  switch (codec) {
    case Codec::Uncompressed:
      if (in_size != out_size) size_mismatch(codec, in_size, out_size);
      if (in_size) std::memcpy(out, in, in_size);
      return;
    case Codec::Snappy: {
      size_t n = 0;
      if (snappy_uncompressed_length(reinterpret_cast<const char*>(in), in_size, &n) != SNAPPY_OK)
        throw ParquetError("SNAPPY page is corrupt (no valid length)");
      if (n != out_size) size_mismatch(codec, n, out_size);
      size_t cap = out_size;
      if (snappy_uncompress(reinterpret_cast<const char*>(in), in_size, reinterpret_cast<char*>(out), &cap) !=
              SNAPPY_OK ||
          cap != out_size)
        throw ParquetError("SNAPPY page is corrupt");
      return;
    }
    case Codec::Gzip:
      inflate_gzip(in, in_size, out, out_size);
      return;
    case Codec::Zstd: {
      size_t n = ZSTD_decompress(out, out_size, in, in_size);
      if (ZSTD_isError(n)) {
        if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall) size_mismatch(codec, out_size + 1, out_size);
        throw ParquetError(std::string("ZSTD page is corrupt (") + ZSTD_getErrorName(n) + ")");
      }
      if (n != out_size) size_mismatch(codec, n, out_size);
      return;
    }
    case Codec::Lz4Raw: {
      if (in_size > INT_MAX || out_size > INT_MAX) throw ParquetError("LZ4_RAW page is larger than 2 GiB");
      int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(out),
                                  static_cast<int>(in_size), static_cast<int>(out_size));
      if (n < 0) throw ParquetError("LZ4_RAW page is corrupt or inflates past its declared size");
      if (static_cast<size_t>(n) != out_size) size_mismatch(codec, static_cast<size_t>(n), out_size);
      return;
    }
    case Codec::Brotli: {
      size_t n = out_size;
      BrotliDecoderResult rc = BrotliDecoderDecompress(in_size, in, &n, out);
      if (rc != BROTLI_DECODER_RESULT_SUCCESS)
        throw ParquetError("BROTLI page is corrupt or inflates past its declared size");
      if (n != out_size) size_mismatch(codec, n, out_size);
      return;
    }
    default:
      break;
  }
  throw ParquetError(std::string("compression codec ") + codec_name(codec) + " is not supported");
}

}  // namespace pgload::parquet
