#include "loader/s3_source.h"

#include <curl/curl.h>
#include <fnmatch.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <utility>

#include "common/exit_code.h"
#include "common/utf8.h"
#include "loader/aws_config.h"
#include "loader/http_source.h"

namespace pgload {
namespace {

constexpr long kListTimeoutMs = 120000;
constexpr size_t kMaxListBodyBytes = 64 << 20;  // one ListObjectsV2 page is ~1000 keys: far below this

struct S3Path {
  std::string bucket;
  std::string key;
};

S3Path parse(const std::string& url) {
  const std::string rest = url.substr(5);  // after "s3://"
  const size_t slash = rest.find('/');
  S3Path p{rest.substr(0, slash), slash == std::string::npos ? "" : rest.substr(slash + 1)};
  if (p.bucket.empty()) throw UsageError("--url " + url + ": no bucket (s3://BUCKET/KEY)");
  if (p.bucket.find_first_of("@:") != std::string::npos)
    throw UsageError("--url " + redact_url(url) +
                     ": an s3:// URL carries no credentials (they come from AWS_ACCESS_KEY_ID and "
                     "AWS_SECRET_ACCESS_KEY or an AWS profile)");
  return p;
}

// Where requests for a bucket go, and how they are signed.
class S3Endpoint {
 public:
  S3Endpoint(const std::string& bucket, const SourceOptions& opts)
      : config_(find_aws_config(opts.s3_region, opts.s3_endpoint)), insecure_(opts.insecure) {
    std::string scheme = "https", authority = "s3." + config_.region + ".amazonaws.com";
    if (!config_.endpoint.empty()) {
      const size_t sep = config_.endpoint.find("://");
      if (sep == std::string::npos) throw UsageError("--s3-endpoint " + config_.endpoint + ": not a URL");
      scheme = config_.endpoint.substr(0, sep);
      authority = config_.endpoint.substr(sep + 3);
      authority = authority.substr(0, authority.find('/'));
    }
    if (opts.s3_addressing != "" && opts.s3_addressing != "path" && opts.s3_addressing != "virtual")
      throw UsageError("--s3-addressing must be path or virtual, not " + opts.s3_addressing);
    const bool path_style = opts.s3_addressing == "path" || (opts.s3_addressing.empty() && !config_.endpoint.empty());
    host_ = path_style ? authority : bucket + "." + authority;
    base_ = scheme + "://" + host_;
    prefix_ = path_style ? "/" + aws_uri_encode(bucket, false) : "";
  }

  // The encoded path of `key` (may be empty: the bucket itself).
  std::string path(const std::string& key) const { return prefix_ + "/" + aws_uri_encode(key, true); }
  std::string url(const std::string& path, const std::string& query) const {
    return base_ + path + (query.empty() ? "" : "?" + query);
  }
  std::vector<std::string> headers(const std::string& path,
                                   const std::vector<std::pair<std::string, std::string>>& query) const {
    if (!config_.credentials) return {};  // no credentials anywhere: an anonymous request (a public bucket)
    AwsRequest r;
    r.host = host_;
    r.path = path;
    r.query = query;
    return sign_s3_request(r, *config_.credentials, config_.region, std::time(nullptr));
  }
  // What a refusal's message adds: where the credentials came from and where the request went.
  std::string context() const {
    std::string from = !config_.credentials ? "no credentials (anonymous requests)"
                       : std::getenv("AWS_ACCESS_KEY_ID") != nullptr
                           ? "credentials from AWS_ACCESS_KEY_ID"
                           : "credentials of profile '" + config_.profile + "'";
    return from + ", region " + config_.region + ", endpoint " + base_;
  }
  bool insecure() const { return insecure_; }

 private:
  AwsConfig config_;
  bool insecure_;
  std::string host_, base_, prefix_;
};

std::string xml_unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    const size_t end = s.find(';', i);
    if (end == std::string_view::npos) {
      out.push_back('&');
      continue;
    }
    const std::string_view ent = s.substr(i + 1, end - i - 1);
    if (ent == "amp") {
      out.push_back('&');
    } else if (ent == "lt") {
      out.push_back('<');
    } else if (ent == "gt") {
      out.push_back('>');
    } else if (ent == "quot") {
      out.push_back('"');
    } else if (ent == "apos") {
      out.push_back('\'');
    } else if (ent.size() > 1 && ent[0] == '#') {
      const bool hexa = ent[1] == 'x';
      const unsigned long cp = std::strtoul(std::string(ent.substr(hexa ? 2 : 1)).c_str(), nullptr, hexa ? 16 : 10);
      append_utf8(out, static_cast<uint32_t>(cp));  // keys are UTF-8
    } else {
      out.append(s.substr(i, end - i + 1));
    }
    i = end;
  }
  return out;
}

// The text of the first <tag>...</tag> in `xml` from `from`, unescaped; nullopt if absent.
std::optional<std::string> element(std::string_view xml, const std::string& tag, size_t from = 0) {
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  const size_t a = xml.find(open, from);
  if (a == std::string_view::npos) return std::nullopt;
  const size_t b = xml.find(close, a + open.size());
  if (b == std::string_view::npos) return std::nullopt;
  return xml_unescape(xml.substr(a + open.size(), b - a - open.size()));
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxListBodyBytes) return 0;
  body->append(data, size * n);
  return size * n;
}

// One signed GET whose whole answer is small (a listing page); returns the body of a 2xx answer.
std::string get_small(const S3Endpoint& ep, const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& query, const std::string& shown) {
  std::string q;
  for (const auto& [name, value] : query)
    q += (q.empty() ? "" : "&") + aws_uri_encode(name, false) + "=" + aws_uri_encode(value, false);
  const std::string url = ep.url(path, q);
  std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
  if (!c) throw SourceError("cannot create a libcurl handle to list " + shown, 0);
  for (const std::string& h : ep.headers(path, query)) {
    curl_slist* l = curl_slist_append(headers.get(), h.c_str());
    if (l == nullptr) throw SourceError("cannot build the request headers to list " + shown, 0);
    (void)headers.release();
    headers.reset(l);
  }
  std::string body;
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, kListTimeoutMs);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c.get(), CURLOPT_USERAGENT, "pgload/0.1");
  curl_easy_setopt(c.get(), CURLOPT_SSL_VERIFYPEER, ep.insecure() ? 0L : 1L);
  curl_easy_setopt(c.get(), CURLOPT_SSL_VERIFYHOST, ep.insecure() ? 0L : 2L);
  const CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK)
    throw SourceError(
        "listing " + shown + " failed: " + curl_easy_strerror(rc) + (errbuf[0] ? std::string(": ") + errbuf : ""), 0);
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300)
    throw SourceError("listing " + shown + " was refused: HTTP " + std::to_string(status) + " " +
                          element(body, "Code").value_or("") + ": " + element(body, "Message").value_or("") + " (" +
                          ep.context() + ")",
                      0);
  return body;
}

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

bool is_s3_url(const std::string& url) { return url.size() > 5 && url.compare(0, 5, "s3://") == 0; }

void check_s3_url(const std::string& url) { (void)parse(url); }

std::unique_ptr<ByteSource> open_s3_object(const std::string& url, const SourceOptions& opts) {
  const S3Path p = parse(url);
  if (p.key.empty() || p.key.back() == '/') throw UsageError("--url " + url + ": no object key (s3://BUCKET/KEY)");
  auto ep = std::make_shared<const S3Endpoint>(p.bucket, opts);
  const std::string path = ep->path(p.key);
  SourceOptions o = opts;
  o.request_headers = [ep, path] { return ep->headers(path, {}); };
  o.resume_if_match = true;
  try {
    return open_http_source(ep->url(path, ""), o);
  } catch (const SourceError& e) {
    throw SourceError(url + ": " + e.what() + " (" + ep->context() + ")", e.byte_offset());
  }
}

std::string s3_object_http_url(const std::string& url, SourceOptions& opts) {
  const S3Path p = parse(url);
  if (p.key.empty() || p.key.back() == '/') throw UsageError("--url " + url + ": no object key (s3://BUCKET/KEY)");
  auto ep = std::make_shared<const S3Endpoint>(p.bucket, opts);
  const std::string path = ep->path(p.key);
  opts.request_headers = [ep, path] { return ep->headers(path, {}); };
  return ep->url(path, "");
}

std::vector<S3Object> list_s3_objects(const std::string& url, const SourceOptions& opts) {
  const S3Path p = parse(url);
  const S3Endpoint ep(p.bucket, opts);
  const size_t wild = p.key.find_first_of("*?[");
  const std::string prefix = p.key.substr(0, wild);
  std::vector<S3Object> out;
  std::string token;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> query = {{"list-type", "2"}, {"prefix", prefix}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    const std::string body = get_small(ep, ep.path(""), query, "s3://" + p.bucket + "/" + prefix);
    for (size_t at = body.find("<Contents>"); at != std::string::npos; at = body.find("<Contents>", at + 1)) {
      const size_t end = body.find("</Contents>", at);
      const std::string_view item =
          std::string_view(body).substr(at, end == std::string::npos ? std::string::npos : end - at);
      const auto key = element(item, "Key");
      if (!key) continue;
      if (has_wildcard(p.key) ? fnmatch(p.key.c_str(), key->c_str(), FNM_PATHNAME) != 0 : *key != p.key) continue;
      S3Object o;
      o.url = "s3://" + p.bucket + "/" + *key;
      o.size = std::strtoull(element(item, "Size").value_or("0").c_str(), nullptr, 10);
      o.etag = element(item, "ETag").value_or("");
      out.push_back(std::move(o));
    }
    if (element(body, "IsTruncated").value_or("false") != "true") break;
    token = element(body, "NextContinuationToken").value_or("");
    if (token.empty())
      throw SourceError("listing s3://" + p.bucket + "/" + prefix + ": a truncated page without a continuation token",
                        0);
  }
  std::sort(out.begin(), out.end(), [](const S3Object& a, const S3Object& b) { return a.url < b.url; });
  return out;
}

}  // namespace pgload
