// Parquet's page compression codecs. A page is inflated into a buffer of the size its header declares, and the
// codec must fill it exactly: a page that would inflate to more (a decompression bomb) or less is an error, so
// memory is bounded by the declared size, which the reader caps first.
#pragma once

#include <cstddef>
#include <cstdint>

#include "loader/parquet/metadata.h"

namespace pgload::parquet {

// True for the codecs this reader decodes.
bool codec_supported(Codec c) noexcept;

// Decompresses `in` into exactly `out_size` bytes at `out`. Throws ParquetError saying what went wrong.
void decompress(Codec codec, const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size);

}  // namespace pgload::parquet
