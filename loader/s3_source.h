// s3://bucket/key: objects of AWS S3 and S3-compatible services (--s3-endpoint), read through the http(s) source
// with every request signed (SigV4) and resumed with Range + If-Match on the first ETag, and listed with
// ListObjectsV2 (continuation tokens) to expand a glob.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loader/source.h"

namespace pgload {

bool is_s3_url(const std::string& url);
// Throws UsageError for an s3:// URL without a bucket or with credentials in it (before anything connects).
void check_s3_url(const std::string& url);

// The raw (still compressed) bytes of one object. HTTP errors (403: credentials, region or policy; 404: no such
// key) throw SourceError naming the s3:// URL.
std::unique_ptr<ByteSource> open_s3_object(const std::string& url, const SourceOptions& opts);

// For readers that make their own requests (Parquet's Range reads): the http(s) URL of an s3:// object, and in
// `opts` the signer of every request to it (request_headers). Throws UsageError for a URL without a key.
std::string s3_object_http_url(const std::string& url, SourceOptions& opts);

struct S3Object {
  std::string url;  // s3://bucket/key
  uint64_t size = 0;
  std::string etag;
};

// The objects whose keys match the glob in `url` (`*`, `?` and `[...]` within one /-separated segment; the listing
// asks for the prefix before the first wildcard), in key order. Throws SourceError (listing refused, bad answer).
std::vector<S3Object> list_s3_objects(const std::string& url, const SourceOptions& opts);

}  // namespace pgload
