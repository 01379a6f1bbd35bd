// AWS Signature Version 4 for S3 requests (and S3-compatible services): the canonical request, the string to sign
// and the HMAC-SHA256 key chain of AWS's documentation, written here (not libcurl's CURLOPT_AWS_SIGV4) so that a
// signature can be checked against AWS's published worked examples at a fixed time.
#pragma once

#include <ctime>
#include <string>
#include <utility>
#include <vector>

namespace pgload {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

struct AwsRequest {
  std::string method = "GET";
  std::string host;                                          // the Host header's value (with :port if not default)
  std::string path = "/";                                    // URI-encoded path, as sent
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers to sign (e.g. range), any case
};

// The headers to send: x-amz-date, x-amz-content-sha256 (the empty body's hash: pgload only reads),
// x-amz-security-token when there is a session token, and Authorization; each as "Name: value".
std::vector<std::string> sign_s3_request(const AwsRequest& request, const AwsCredentials& credentials,
                                         const std::string& region, std::time_t now);

// S3's URI encoding of one path segment or query component (RFC 3986 unreserved characters kept; '/' kept only
// when `keep_slash`).
std::string aws_uri_encode(const std::string& s, bool keep_slash);

}  // namespace pgload
