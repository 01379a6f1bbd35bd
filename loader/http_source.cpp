// A download runs on its own thread: curl's write callback copies into a ring of ring_buffers * buffer_bytes and
// blocks while the ring is full (TCP flow control then slows the server), and read() drains the ring. A dropped
// connection is resumed with `Range: bytes=<delivered>-`; a server that answers 200 to that fails the load clearly.
// A resumed request carries `If-Range` (the first response's strong ETag, else its Last-Modified), and its answer
// must show the same entity (ETag, Last-Modified, total size): bytes of a replaced file are never spliced on.
#include "loader/http_source.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace pgload {
namespace {

constexpr long kCurlBufferBytes = 512 << 10;  // libcurl's largest receive buffer (CURL_MAX_READ_SIZE in 7.88)
constexpr long kMaxRedirects = 10;
constexpr int64_t kFirstBackoffMs = 100;
constexpr int64_t kMaxBackoffMs = 5000;

std::once_flag g_curl_global_init;

struct CurlCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlHandle = std::unique_ptr<CURL, CurlCleanup>;
struct SlistCleanup {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlHeaders = std::unique_ptr<curl_slist, SlistCleanup>;

// The standard reason phrase, for HTTP/2 responses that carry none.
const char* standard_reason(long status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    const char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

class HttpSource final : public ByteSource {
 public:
  HttpSource(std::string url, const SourceOptions& opts)
      : url_(std::move(url)),
        shown_url_(url_for_messages(url_)),
        opts_(opts),
        capacity_(std::max<size_t>(opts.ring_buffers, 1) * std::max<size_t>(opts.buffer_bytes, 64 << 10)),
        ring_(std::make_unique_for_overwrite<char[]>(capacity_)),
        bytes_in_(opts.start_offset),
        delivered_(opts.start_offset) {
    std::call_once(g_curl_global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    thread_ = std::thread([this] { run(); });
    std::unique_lock lk(mu_);
    data_cv_.wait(lk, [&] { return headers_ready_ || finished_; });
    if (!headers_ready_ && error_) {
      SourceError e(*error_, error_offset_);
      lk.unlock();
      thread_.join();
      throw e;
    }
  }

  ~HttpSource() override {
    {
      std::lock_guard lk(mu_);
      cancelled_.store(true);
    }
    space_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  HttpSource(const HttpSource&) = delete;
  HttpSource& operator=(const HttpSource&) = delete;

  size_t read(char* buf, size_t len) override {
    if (len == 0) return 0;
    uint64_t at = 0;
    size_t n = 0;
    {
      std::unique_lock lk(mu_);
      data_cv_.wait(lk, [&] { return write_pos_ != read_pos_ || finished_; });
      const uint64_t available = write_pos_ - read_pos_;
      if (available == 0) {
        if (error_) throw SourceError(*error_, error_offset_);
        return 0;
      }
      at = read_pos_;
      n = static_cast<size_t>(std::min<uint64_t>(len, available));
    }
    // The producer never writes into [read_pos_, write_pos_), so the copy needs no lock.
    const auto off = static_cast<size_t>(at % capacity_);
    const size_t first = std::min(n, capacity_ - off);
    std::memcpy(buf, ring_.get() + off, first);
    std::memcpy(buf + first, ring_.get(), n - first);
    {
      std::lock_guard lk(mu_);
      read_pos_ += n;
    }
    space_cv_.notify_one();
    return n;
  }

  std::optional<uint64_t> size_hint() const override {
    const int64_t v = size_hint_.load(std::memory_order_relaxed);
    if (v < 0) return std::nullopt;
    return static_cast<uint64_t>(v);
  }
  uint64_t bytes_in() const override { return bytes_in_.load(std::memory_order_relaxed); }
  // Written once by the producer before headers_ready_ is published under mu_, which the constructor waited for.
  SourceIdentity identity() const override { return identity_; }

 private:
  enum class Outcome { Done, Retry, Fatal, Cancelled };

  // Producer thread: attempts until done, a fatal error, too many drops without progress, or cancellation.
  void run() {
    int failures = 0;
    for (;;) {
      const uint64_t start = delivered_;
      std::string message;
      const Outcome outcome = attempt(message);
      if (outcome == Outcome::Done || outcome == Outcome::Cancelled) return finish(std::nullopt);
      if (outcome == Outcome::Fatal) return finish(message);
      if (delivered_ > start) failures = 0;
      if (any_encoded_ && delivered_ > 0) {
        return finish("connection to " + shown_url_ + " dropped after " + std::to_string(delivered_) + " bytes (" +
                      message + ") and the response was Content-Encoding compressed, which cannot be resumed");
      }
      if (++failures > opts_.max_retries) {
        return finish("connection to " + shown_url_ + " dropped after " + std::to_string(delivered_) + " bytes (" +
                      message + "); gave up after " + std::to_string(opts_.max_retries) + " retries");
      }
      const int64_t backoff_ms = std::min(kMaxBackoffMs, kFirstBackoffMs << std::min(failures - 1, 10));
      std::unique_lock lk(mu_);
      space_cv_.wait_for(lk, std::chrono::milliseconds(backoff_ms), [&] { return cancelled_.load(); });
      if (cancelled_.load()) return;
    }
  }

  void finish(std::optional<std::string> error) {
    {
      std::lock_guard lk(mu_);
      finished_ = true;
      error_ = std::move(error);
      error_offset_ = delivered_;
    }
    data_cv_.notify_all();
  }

  // One curl transfer from `delivered_` on. `message` explains a fatal or retryable outcome.
  Outcome attempt(std::string& message) {
    CurlHandle handle(curl_easy_init());
    if (!handle) {
      message = "cannot create a libcurl handle for " + shown_url_;
      return Outcome::Fatal;
    }
    CURL* c = handle.get();
    curl_ = c;
    attempt_start_ = delivered_;
    response_checked_ = false;
    stalled_ = false;
    last_downloaded_ = -1;
    last_progress_ = std::chrono::steady_clock::now();
    fatal_.clear();
    reset_response();
    errbuf_[0] = '\0';

    curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, kMaxRedirects);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // all encodings curl decodes, e.g. Content-Encoding: gzip
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts_.connect_timeout_ms));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, kCurlBufferBytes);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "pgload/0.1");
    curl_easy_setopt(c, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, opts_.insecure ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, opts_.insecure ? 0L : 2L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf_);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &HttpSource::on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &HttpSource::on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &HttpSource::on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    CurlHeaders headers;
    auto add_header = [&](const std::string& h) {
      curl_slist* l = curl_slist_append(headers.get(), h.c_str());
      if (l == nullptr) return false;
      (void)headers.release();  // l is the same list, grown
      headers.reset(l);
      return true;
    };
    // Signed requests (s3://) are signed anew for every attempt: a signature is valid for 15 minutes.
    if (opts_.request_headers)
      for (const std::string& h : opts_.request_headers())
        if (!add_header(h)) {
          message = "cannot build the request headers for " + shown_url_;
          return Outcome::Fatal;
        }
    if (attempt_start_ > 0) {
      curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(attempt_start_));
      // Resuming within this run: ask for the rest only if it is still the entity the first bytes came from.
      // If-Range needs a strong validator (RFC 9110 13.1.5): a weak ETag falls back to Last-Modified.
      if_range_.clear();
      if (ever_responded_) {
        if (!identity_.etag.empty() && !identity_.etag.starts_with("W/"))
          if_range_ = identity_.etag;
        else if (!identity_.last_modified.empty())
          if_range_ = identity_.last_modified;
      }
      // S3 ignores If-Range; it answers If-Match on the ETag with 412 when the object was replaced.
      const bool if_match = opts_.resume_if_match && ever_responded_ && !identity_.etag.empty();
      if ((!if_range_.empty() && !add_header("If-Range: " + if_range_)) ||
          (if_match && !add_header("If-Match: " + identity_.etag))) {
        message = "cannot build the request headers for " + shown_url_;
        return Outcome::Fatal;
      }
    }
    if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

    const CURLcode rc = curl_easy_perform(c);
    curl_off_t downloaded = 0;
    if (curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &downloaded) == CURLE_OK) note_bytes_in(downloaded);
    curl_ = nullptr;

    if (cancelled_.load()) return Outcome::Cancelled;
    if (!fatal_.empty()) {
      message = fatal_;
      return Outcome::Fatal;
    }
    if (stalled_) {
      message = "no data for " + std::to_string(opts_.stall_timeout_ms) + " ms";
      return Outcome::Retry;
    }
    std::string detail = curl_easy_strerror(rc);
    if (errbuf_[0] != '\0') detail += std::string(": ") + errbuf_;
    switch (rc) {
      case CURLE_OK:
        if (!response_checked_ && !check_response()) {
          message = fatal_;
          return Outcome::Fatal;
        }
        return Outcome::Done;
      case CURLE_PARTIAL_FILE:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
        message = detail;
        return Outcome::Retry;
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        // Unreachable before anything was ever answered: a wrong URL or a dead server, not a drop.
        if (!ever_responded_) {
          message = "cannot connect to " + shown_url_ + ": " + detail;
          return Outcome::Fatal;
        }
        message = detail;
        return Outcome::Retry;
      case CURLE_RANGE_ERROR:
        message = no_range_message();
        return Outcome::Fatal;
      default:
        message = detail + " for " + shown_url_ + " after " + std::to_string(delivered_) + " bytes";
        return Outcome::Fatal;
    }
  }

  std::string no_range_message() const {
    if (!ever_responded_)
      return "the server of " + shown_url_ + " does not support Range requests; cannot resume at byte " +
             std::to_string(attempt_start_);
    return "connection to " + shown_url_ + " dropped after " + std::to_string(attempt_start_) +
           " bytes and the server does not support Range requests; cannot resume";
  }

  // The entity behind the URL is not the one the first `delivered_` bytes came from.
  std::string changed_message(const std::string& evidence) const {
    return shown_url_ + " changed while it was being read: the connection dropped after " +
           std::to_string(attempt_start_) +
           " bytes and the resumed request (If-Range: " + (if_range_.empty() ? std::string("none") : if_range_) +
           ") found another file (" + evidence +
           "); not loaded, because its start and the new file's end would be spliced together. Load it again once "
           "it stops changing";
  }

  void reset_response() {
    status_ = 0;
    reason_.clear();
    location_ = false;
    encoded_ = false;
    content_length_.reset();
    etag_.clear();
    last_modified_.clear();
    range_start_.reset();
    range_total_.reset();
  }

  // At the end of the final response's headers: accept it or set fatal_ (the transfer is then aborted).
  bool check_response() {
    response_checked_ = true;
    if (status_ == 0 && curl_ != nullptr) curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status_);
    if (status_ == 412 && attempt_start_ > 0 && ever_responded_) {
      fatal_ = changed_message("the server answered 412 Precondition Failed to If-Match: " + identity_.etag);
      return false;
    }
    if (status_ < 200 || status_ >= 300) {
      std::string reason = reason_.empty() ? standard_reason(status_) : reason_;
      fatal_ = "HTTP " + std::to_string(status_) + (reason.empty() ? "" : " " + reason) + " for " + shown_url_;
      return false;
    }
    if (attempt_start_ > 0) {
      if (encoded_) {
        fatal_ = "the server sends " + shown_url_ + " Content-Encoding compressed, which cannot be resumed at byte " +
                 std::to_string(attempt_start_);
        return false;
      }
      if (status_ != 206) {
        // A 200 to If-Range means another entity, unless it carries the first response's validators: then the
        // server merely ignored Range.
        const bool same_entity =
            !identity_.etag.empty() ? etag_ == identity_.etag : last_modified_ == identity_.last_modified;
        fatal_ = ever_responded_ && !if_range_.empty() && !same_entity
                     ? changed_message("the server answered 200 with a whole file" +
                                       (etag_.empty() ? std::string() : ", ETag " + etag_))
                     : no_range_message();
        return false;
      }
      if (ever_responded_) {
        if (!identity_.etag.empty() && !etag_.empty() && etag_ != identity_.etag) {
          fatal_ = changed_message("ETag was " + identity_.etag + ", now " + etag_);
          return false;
        }
        if (!identity_.last_modified.empty() && !last_modified_.empty() && last_modified_ != identity_.last_modified) {
          fatal_ = changed_message("Last-Modified was " + identity_.last_modified + ", now " + last_modified_);
          return false;
        }
        if (!identity_.size.empty() && range_total_ && std::to_string(*range_total_) != identity_.size) {
          fatal_ = changed_message("size was " + identity_.size + " bytes, now " + std::to_string(*range_total_));
          return false;
        }
      }
      if (range_start_ && *range_start_ != attempt_start_) {
        fatal_ = "server resumed " + shown_url_ + " at byte " + std::to_string(*range_start_) + " instead of " +
                 std::to_string(attempt_start_) + "; cannot resume";
        return false;
      }
    }
    if (status_ == 206 && range_total_) {
      size_hint_.store(static_cast<int64_t>(*range_total_));
    } else if (content_length_) {
      size_hint_.store(static_cast<int64_t>(*content_length_ + (status_ == 206 ? attempt_start_ : 0)));
    }
    if (!ever_responded_) {
      identity_.etag = etag_;
      identity_.last_modified = last_modified_;
      if (const auto total = size_hint()) identity_.size = std::to_string(*total);
    }
    ever_responded_ = true;
    any_encoded_ = any_encoded_ || encoded_;
    {
      std::lock_guard lk(mu_);
      headers_ready_ = true;
    }
    data_cv_.notify_all();
    return true;
  }

  void on_header_line(std::string_view line) {
    line = trim(line);
    if (line.starts_with("HTTP/")) {
      reset_response();
      // "HTTP/1.1 404 Not Found" or "HTTP/2 404"
      const size_t sp = line.find(' ');
      if (sp == std::string_view::npos) return;
      std::string_view rest = line.substr(sp + 1);
      const size_t sp2 = rest.find(' ');
      const auto code = parse_u64(rest.substr(0, sp2));
      status_ = code ? static_cast<long>(*code) : 0;
      if (sp2 != std::string_view::npos) reason_ = std::string(trim(rest.substr(sp2 + 1)));
      return;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "location")) {
      location_ = true;
    } else if (iequals(name, "content-encoding")) {
      encoded_ = !value.empty() && !iequals(value, "identity");
    } else if (iequals(name, "etag")) {
      etag_ = std::string(value);
    } else if (iequals(name, "last-modified")) {
      last_modified_ = std::string(value);
    } else if (iequals(name, "content-length")) {
      content_length_ = parse_u64(value);
    } else if (iequals(name, "content-range") && value.starts_with("bytes ")) {
      // "bytes START-END/TOTAL" (TOTAL may be "*")
      const std::string_view spec = value.substr(6);
      const size_t dash = spec.find('-');
      const size_t slash = spec.find('/');
      if (dash != std::string_view::npos) range_start_ = parse_u64(spec.substr(0, dash));
      if (slash != std::string_view::npos) range_total_ = parse_u64(spec.substr(slash + 1));
    }
  }

  static size_t on_header(char* data, size_t size, size_t count, void* self_ptr) {
    auto* self = static_cast<HttpSource*>(self_ptr);
    const size_t n = size * count;
    const std::string_view line = trim(std::string_view(data, n));
    if (!line.empty()) {
      self->on_header_line(line);
      return n;
    }
    // End of one response's headers. Skip interim (1xx) responses and redirects curl is about to follow.
    if (self->status_ < 200 && self->status_ != 0) return n;
    if (self->status_ >= 300 && self->status_ < 400 && self->location_) return n;
    return self->check_response() ? n : 0;
  }

  static size_t on_write(char* data, size_t size, size_t count, void* self_ptr) {
    auto* self = static_cast<HttpSource*>(self_ptr);
    if (!self->response_checked_ && !self->check_response()) return CURL_WRITEFUNC_ERROR;
    // Count the bytes before they become readable, so bytes_in() never trails what the reader has seen.
    curl_off_t downloaded = 0;
    if (curl_easy_getinfo(self->curl_, CURLINFO_SIZE_DOWNLOAD_T, &downloaded) == CURLE_OK) {
      self->note_bytes_in(downloaded);
    }
    if (!self->any_encoded_)
      self->note_bytes_in(static_cast<curl_off_t>(self->delivered_ - self->attempt_start_ + size * count));
    return self->push(data, size * count);
  }

  // Called about once a second even when idle, never while push() blocks (same thread): a stall here is the
  // server's or the network's, not back-pressure from a slow reader.
  static int on_progress(void* self_ptr, curl_off_t, curl_off_t downloaded, curl_off_t, curl_off_t) {
    auto* self = static_cast<HttpSource*>(self_ptr);
    const auto now = std::chrono::steady_clock::now();
    if (downloaded != self->last_downloaded_) {
      self->last_downloaded_ = downloaded;
      self->last_progress_ = now;
    }
    self->note_bytes_in(downloaded);
    if (self->cancelled_.load()) return 1;
    if (self->opts_.stall_timeout_ms > 0 &&
        now - self->last_progress_ > std::chrono::milliseconds(self->opts_.stall_timeout_ms)) {
      self->stalled_ = true;
      return 1;
    }
    return 0;
  }

  void note_bytes_in(curl_off_t downloaded_in_attempt) {
    if (downloaded_in_attempt < 0) return;
    const uint64_t v = attempt_start_ + static_cast<uint64_t>(downloaded_in_attempt);
    if (v > bytes_in_.load(std::memory_order_relaxed)) bytes_in_.store(v, std::memory_order_relaxed);
  }

  // Copies n bytes into the ring, blocking while it is full. Returns n, or an error code when cancelled.
  size_t push(const char* data, size_t n) {
    size_t done = 0;
    while (done < n) {
      uint64_t at = 0;
      size_t room = 0;
      {
        std::unique_lock lk(mu_);
        const size_t want = std::min(n - done, capacity_);
        space_cv_.wait(lk, [&] { return cancelled_.load() || capacity_ - (write_pos_ - read_pos_) >= want; });
        if (cancelled_.load()) return CURL_WRITEFUNC_ERROR;
        at = write_pos_;
        room = capacity_ - static_cast<size_t>(write_pos_ - read_pos_);
      }
      const size_t k = std::min(room, n - done);
      const auto off = static_cast<size_t>(at % capacity_);
      const size_t first = std::min(k, capacity_ - off);
      std::memcpy(ring_.get() + off, data + done, first);
      std::memcpy(ring_.get(), data + done + first, k - first);
      {
        std::lock_guard lk(mu_);
        write_pos_ += k;
      }
      data_cv_.notify_one();
      done += k;
      delivered_ += k;
    }
    last_progress_ = std::chrono::steady_clock::now();  // time spent waiting for the reader is not a stall
    return n;
  }

  const std::string url_;        // as given (may hold credentials): for libcurl only
  const std::string shown_url_;  // redacted: for messages
  const SourceOptions opts_;
  const size_t capacity_;
  std::unique_ptr<char[]> ring_;

  // Shared between the producer thread and the consumer.
  std::mutex mu_;
  std::condition_variable data_cv_;   // consumer waits for data, headers or the end
  std::condition_variable space_cv_;  // producer waits for room or cancellation (and sleeps its backoff)
  uint64_t write_pos_ = 0;            // guarded by mu_; bytes ever written into the ring
  uint64_t read_pos_ = 0;             // guarded by mu_; bytes ever read out of the ring
  bool headers_ready_ = false;        // guarded by mu_
  bool finished_ = false;             // guarded by mu_
  std::optional<std::string> error_;  // guarded by mu_
  uint64_t error_offset_ = 0;         // guarded by mu_
  std::atomic<bool> cancelled_{false};
  std::atomic<int64_t> size_hint_{-1};
  std::atomic<uint64_t> bytes_in_{0};

  // Producer thread only.
  CURL* curl_ = nullptr;
  uint64_t delivered_ = 0;      // bytes pushed into the ring: the Range start of the next attempt
  uint64_t attempt_start_ = 0;  // delivered_ when the current attempt began
  bool ever_responded_ = false;
  bool any_encoded_ = false;
  bool response_checked_ = false;
  bool stalled_ = false;
  curl_off_t last_downloaded_ = -1;
  std::chrono::steady_clock::time_point last_progress_;
  std::string fatal_;
  long status_ = 0;
  std::string reason_;
  bool location_ = false;
  bool encoded_ = false;
  std::optional<uint64_t> content_length_, range_start_, range_total_;
  std::string etag_, last_modified_;  // of the current response
  std::string if_range_;              // the If-Range validator the current attempt sent, if any
  SourceIdentity identity_;           // of the first accepted response
  char errbuf_[CURL_ERROR_SIZE] = {};

  std::thread thread_;  // last: started after every member above exists
};

}  // namespace

std::unique_ptr<ByteSource> open_http_source(const std::string& url, const SourceOptions& opts) {
  return std::make_unique<HttpSource>(url, opts);
}

}  // namespace pgload
