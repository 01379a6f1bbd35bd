#include "loader/parquet/http_range.h"

#include <curl/curl.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

namespace pgload::parquet {
namespace {

std::once_flag g_curl_init;

struct Response {
  long status = 0;
  std::string content_range, etag, last_modified;
  uint8_t* out = nullptr;  // the caller's buffer
  size_t cap = 0, got = 0;
  bool overflow = false;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect): forget the last one's headers
    r->content_range.clear();
    r->etag.clear();
    r->last_modified.clear();
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  if (name == "content-range") r->content_range = value;
  if (name == "etag") r->etag = value;
  if (name == "last-modified") r->last_modified = value;
  return size * n;
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  const size_t len = size * n;
  if (len > r->cap - r->got) {
    r->overflow = true;
    return 0;  // more than asked for (a 200 with the whole file): stop the transfer
  }
  std::memcpy(r->out + r->got, data, len);
  r->got += len;
  return len;
}

class HttpRange : public RandomAccess {
 public:
  HttpRange(std::string url, SourceOptions opts, std::string display)
      : url_(std::move(url)), display_(std::move(display)), opts_(std::move(opts)) {
    if (display_.empty()) display_ = url_for_messages(url_);
    std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    // Four bytes (the magic), not one: some S3-compatible servers answer "bytes=0-0" with the whole object.
    uint8_t magic[4];
    Response r = fetch(0, sizeof magic, magic, true);
    // "bytes 0-3/12345"
    const size_t slash = r.content_range.rfind('/');
    if (slash == std::string::npos || r.content_range.compare(slash + 1, std::string::npos, "*") == 0)
      throw SourceError(display_ + ": the server gave no file size in its Content-Range", 0);
    size_ = std::stoull(r.content_range.substr(slash + 1));
    etag_ = r.etag;
    last_modified_ = r.last_modified;
    id_.etag = etag_;
    id_.last_modified = last_modified_;
    id_.size = std::to_string(size_);
  }

  uint64_t size() const override { return size_; }
  SourceIdentity identity() const override { return id_; }
  void read(uint64_t offset, size_t len, uint8_t* out) override {
    if (len == 0) return;
    fetch(offset, len, out, false);
  }

 private:
  Response fetch(uint64_t offset, size_t len, uint8_t* out, bool probe) {
    const std::string& where = display_;
    for (int attempt = 0;; ++attempt) {
      Response r;
      r.out = out;
      r.cap = len;
      CURL* c = curl_easy_init();
      if (!c) throw SourceError(where + ": cannot start libcurl", offset);
      char errbuf[CURL_ERROR_SIZE] = {};
      const std::string range = std::to_string(offset) + "-" + std::to_string(offset + len - 1);
      curl_slist* headers = nullptr;
      // Later requests must read the file the probe saw: If-Range turns a changed file into a 200.
      if (!probe && !(etag_.empty() && last_modified_.empty()))
        headers = curl_slist_append(headers, ("If-Range: " + (etag_.empty() ? last_modified_ : etag_)).c_str());
      if (opts_.request_headers)
        for (const std::string& h : opts_.request_headers()) headers = curl_slist_append(headers, h.c_str());
      curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
      curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts_.connect_timeout_ms));
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>((opts_.stall_timeout_ms + 999) / 1000));
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(c, CURLOPT_USERAGENT, "pgload/0.1");
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, opts_.insecure ? 0L : 1L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, opts_.insecure ? 0L : 2L);
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
      curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_write);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
      const CURLcode rc = curl_easy_perform(c);
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_cleanup(c);
      curl_slist_free_all(headers);
      r.status = status;
      if (status >= 400) throw SourceError(where + ": HTTP " + std::to_string(status) + " for bytes " + range, offset);
      if (status == 200 || r.overflow) {
        throw SourceError(where + (probe ? ": the server does not support Range requests (HTTP 200 to a Range "
                                           "request); Parquet needs them: download the file first"
                                         : ": the file changed on the server while it was being loaded"),
                          offset);
      }
      if (rc == CURLE_OK && status == 206 && (r.got == len || probe)) return r;  // a file under 4 bytes: its size
      if (attempt >= opts_.max_retries)
        throw SourceError(where + ": bytes " + range + ": " +
                              (rc != CURLE_OK ? std::string(errbuf[0] ? errbuf : curl_easy_strerror(rc))
                                              : "HTTP " + std::to_string(status) + " with " + std::to_string(r.got) +
                                                    " of " + std::to_string(len) + " bytes"),
                          offset);
      std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
    }
  }

  std::string url_, display_;
  SourceOptions opts_;
  uint64_t size_ = 0;
  std::string etag_, last_modified_;
  SourceIdentity id_;
};

}  // namespace

std::unique_ptr<RandomAccess> http_range_access(const std::string& url, const SourceOptions& opts,
                                                const std::string& display) {
  return std::make_unique<HttpRange>(url, opts, display);
}

}  // namespace pgload::parquet
