// Streaming decompressors that wrap another ByteSource, chosen by the name's extension (.gz, .zst/.zstd).
// A truncated or corrupt compressed stream is an error, never a silent early end of data.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "loader/source.h"

namespace pgload {

enum class Compression { None, Gzip, Zstd };

// The compression a URL or path implies by its extension (query string and fragment of URLs ignored).
Compression compression_for(std::string_view url);

// Wraps `raw` in a decoder; `name` (already redacted) appears in error messages. Compression::None returns raw.
std::unique_ptr<ByteSource> wrap_decompressor(Compression kind, std::unique_ptr<ByteSource> raw, std::string name,
                                              size_t input_bytes);

}  // namespace pgload
