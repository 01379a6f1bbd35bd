// http(s) byte source: libcurl on a producer thread filling a bounded ring, resuming drops with Range requests.
#pragma once

#include <memory>
#include <string>

#include "loader/source.h"

namespace pgload {

// Starts the download of `url` and waits for the response headers: HTTP errors (status >= 400), connection refused
// and TLS failures throw SourceError from here; later failures are thrown by read().
std::unique_ptr<ByteSource> open_http_source(const std::string& url, const SourceOptions& opts);

}  // namespace pgload
