// Random access to a Parquet file over http(s): the footer and each column chunk are fetched with `Range`
// requests (a server that answers one with the whole file is refused), every later request pinned to the first
// one's ETag/Last-Modified with If-Range, so a file replaced meanwhile fails the load instead of mixing two files.
#pragma once

#include <memory>
#include <string>

#include "loader/parquet/parquet_file.h"

namespace pgload::parquet {

// Probes `url` with a one-byte Range request; every request carries opts.request_headers() when set (s3://: signed
// anew each time). Messages name `display` (the s3:// URL) when given. Throws SourceError (HTTP errors, no Range
// support).
std::unique_ptr<RandomAccess> http_range_access(const std::string& url, const SourceOptions& opts,
                                                const std::string& display = "");

}  // namespace pgload::parquet
