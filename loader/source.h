// The loader's byte source: one pull interface over http(s), file://, plain paths and stdin, with transparent
// .gz/.zst decompression, so the parsing pipeline never knows where its bytes come from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgload {

// Tunables of a source; the defaults suit a multi-GB load over a LAN or the internet.
struct SourceOptions {
  bool insecure = false;               // https: skip certificate and host name verification
  int max_retries = 5;                 // http(s): reconnects (with Range) after a drop without progress in between
  int64_t connect_timeout_ms = 10000;  // http(s): TCP + TLS connect timeout
  int64_t stall_timeout_ms = 60000;    // http(s): no byte for this long (reader not blocking us) counts as a drop
  size_t ring_buffers = 8;             // http(s): the download ring holds ring_buffers * buffer_bytes
  size_t buffer_bytes = 4 << 20;       // also the read size for files and the compressed input chunk
  uint64_t start_offset = 0;           // begin at this byte (lseek, or an HTTP Range): a resumed load
  // s3:// (see loader/aws_config.h for what is found when these are empty): --s3-endpoint, --s3-region, and the
  // addressing style, "path", "virtual", or "" = path style with a custom endpoint, virtual-hosted style on AWS.
  std::string s3_endpoint;
  std::string s3_region;
  std::string s3_addressing;
  // http(s): headers added to every request, computed anew for each attempt (the S3 source's signature).
  std::function<std::vector<std::string>()> request_headers;
  bool resume_if_match = false;  // http(s): a resumed request also sends If-Match with the first ETag (S3)
};

// What identifies the bytes behind a URL, to tell whether a resumed load reads the input it started on. Each field
// is empty when unknown: http(s) gives etag / last_modified / size (Content-Length) as the server sends them, a
// file gives size and mtime.
struct SourceIdentity {
  std::string etag;
  std::string last_modified;
  std::string size;   // bytes, decimal
  std::string mtime;  // file modification time, seconds.nanoseconds since the epoch
};

// The identity of the local file at `path` as a file source reports it (size and mtime), or nullopt when it cannot
// be stat'ed or is not a regular file.
std::optional<SourceIdentity> local_file_identity(const std::string& path);

// A failure of the byte stream. what() says what happened and where (redacted URL or path); byte_offset() is the
// offset in the raw (still compressed) stream at which it happened.
class SourceError : public std::runtime_error {
 public:
  SourceError(std::string what, uint64_t byte_offset);
  uint64_t byte_offset() const noexcept { return byte_offset_; }

 private:
  uint64_t byte_offset_;
};

// A sequential stream of bytes. Not thread-safe: one consumer calls read(); size_hint()/bytes_in() may be polled
// from a progress reporter thread.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to len bytes of the (decompressed) stream; 0 only at end of stream. Throws SourceError.
  virtual size_t read(char* buf, size_t len) = 0;
  // read() appended to buf. A source that holds its bytes already overrides it to skip zero-filling buf first.
  virtual size_t append_to(std::string& buf, size_t len);
  // The stream's next bytes as a whole buffer, handed over instead of copied: `block` becomes a buffer whose bytes
  // from `begin` on are the next ones (the `begin` bytes before them are free for the caller), and the buffer it
  // held goes to the source for reuse. False, with nothing taken, when the source has no whole buffer to give (it
  // reads into the caller's, or part of its buffer was read, or the stream is at its end).
  virtual bool swap_block(std::string& block, size_t& begin);
  // Total raw (compressed) bytes if known, for progress/ETA.
  virtual std::optional<uint64_t> size_hint() const = 0;
  // Raw bytes received so far, in the same unit as size_hint() counted from byte 0 (a resumed source starts at
  // start_offset).
  virtual uint64_t bytes_in() const = 0;
  // The input's identity as far as the transport knows it (known once open_source returned).
  virtual SourceIdentity identity() const { return {}; }
};

// Opens `url`: http://, https://, file://PATH, a plain path, or "-" for stdin. A name ending in .gz is inflated,
// .zst/.zstd is zstd-decoded. http(s) errors such as 404 or connection refused are thrown from here; another
// scheme throws UsageError. A start_offset past 0 is refused (UsageError) for stdin and compressed input.
std::unique_ptr<ByteSource> open_source(const std::string& url, const SourceOptions& opts);

// Throws UsageError for a URL whose scheme pgload does not read (ftp://, ...), naming the ones it does.
void check_url_scheme(const std::string& url);

// Checks `url` before anything connects: an unsupported scheme (ftp://, s3://, ...) throws UsageError; a local
// file that cannot be opened throws the SourceError open_source would throw. http(s) and stdin are not probed.
void check_source(const std::string& url);

// The local path `url` names (a plain path, or file://PATH with %XX decoded); nullopt for http(s), s3:// and stdin.
std::optional<std::string> local_path_of(const std::string& url);

// `url` with any user:password@ replaced by ***@, safe for messages and logs.
std::string redact_url(const std::string& url);
// redact_url without the query string and fragment either (they may hold tokens or signatures): `?***` marks
// that there was one. For error messages about a URL.
std::string url_for_messages(const std::string& url);

}  // namespace pgload
