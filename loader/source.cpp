// open_source(): picks the transport (http(s), local file, stdin) and the decoder for a URL. Local files and stdin
// are read with plain read(2) into the caller's buffer: the kernel's read-ahead is all the buffering they need.
#include "loader/source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/exit_code.h"
#include "common/hex.h"
#include "loader/decompress.h"
#include "loader/http_source.h"
#include "loader/s3_source.h"

namespace pgload {

SourceError::SourceError(std::string what, uint64_t byte_offset)
    : std::runtime_error(std::move(what)), byte_offset_(byte_offset) {}

namespace {

SourceIdentity identity_of(const struct stat& st) {
  SourceIdentity id;
  id.size = std::to_string(st.st_size);
  char mtime[48];
  std::snprintf(mtime, sizeof mtime, "%lld.%09ld", static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
  id.mtime = mtime;
  return id;
}

// A file descriptor (a file, a pipe or stdin); owns it unless it is stdin.
class FdSource final : public ByteSource {
 public:
  FdSource(int fd, bool owned, std::string name, uint64_t start_offset = 0)
      : fd_(fd), owned_(owned), name_(std::move(name)) {
    struct stat st {};
    if (fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
      size_ = static_cast<uint64_t>(st.st_size);
      identity_ = identity_of(st);
      posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    if (start_offset > 0) {
      if (lseek(fd_, static_cast<off_t>(start_offset), SEEK_SET) < 0) {
        const std::string why = std::strerror(errno);
        if (owned_) close(fd_);
        throw SourceError("cannot seek " + name_ + " to byte " + std::to_string(start_offset) + ": " + why,
                          start_offset);
      }
      bytes_in_.store(start_offset, std::memory_order_relaxed);
    }
  }
  ~FdSource() override {
    if (owned_) close(fd_);
  }
  FdSource(const FdSource&) = delete;
  FdSource& operator=(const FdSource&) = delete;

  size_t read(char* buf, size_t len) override {
    for (;;) {
      const ssize_t n = ::read(fd_, buf, len);
      if (n >= 0) {
        bytes_in_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
        return static_cast<size_t>(n);
      }
      if (errno == EINTR) continue;
      const uint64_t at = bytes_in();
      throw SourceError("read error on " + name_ + " after " + std::to_string(at) + " bytes: " + std::strerror(errno),
                        at);
    }
  }
  std::optional<uint64_t> size_hint() const override { return size_; }
  uint64_t bytes_in() const override { return bytes_in_.load(std::memory_order_relaxed); }
  SourceIdentity identity() const override { return identity_; }

 private:
  int fd_;
  bool owned_;
  std::string name_;
  SourceIdentity identity_;
  std::optional<uint64_t> size_;
  std::atomic<uint64_t> bytes_in_{0};
};

// file://PATH, file:///abs, file://localhost/abs; %XX escapes decoded.
std::string path_of_file_url(const std::string& url) {
  std::string rest = url.substr(7);
  if (rest.starts_with("localhost/")) rest = rest.substr(9);
  std::string path;
  path.reserve(rest.size());
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size()) {
      const int hi = hex_value(rest[i + 1]);
      const int lo = hex_value(rest[i + 2]);
      if (hi >= 0 && lo >= 0) {
        path.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    path.push_back(rest[i]);
  }
  return path;
}

bool starts_with_ci(const std::string& s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    const char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (c != prefix[i]) return false;
  }
  return true;
}

// The lower-cased scheme of "scheme://...", or "" for a plain path or "-".
std::string scheme_of(const std::string& url) {
  const size_t end = url.find("://");
  if (end == std::string::npos || end == 0) return "";
  std::string scheme;
  for (size_t i = 0; i < end; ++i) {
    const char c = url[i];
    const bool ok = std::isalpha(static_cast<unsigned char>(c)) ||
                    (i > 0 && (std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'));
    if (!ok) return "";  // not an RFC 3986 scheme: a path that happens to contain "://"
    scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return scheme;
}

void check_scheme(const std::string& url) {
  const std::string scheme = scheme_of(url);
  if (!scheme.empty() && scheme != "http" && scheme != "https" && scheme != "s3" && scheme != "file")
    throw UsageError("--url " + redact_url(url) + ": unsupported scheme '" + scheme +
                     "://' (supported: http://, https://, s3://, file://, a path, or - for stdin)");
}

// Opens a local file for reading; the SourceError names the path.
int open_local(const std::string& path, const std::string& name) {
  if (path.empty()) throw SourceError("empty path in source URL '" + name + "'", 0);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SourceError("cannot open " + path + ": " + std::strerror(errno), 0);
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    throw SourceError("cannot read " + path + ": it is a directory", 0);
  }
  return fd;
}

}  // namespace

size_t ByteSource::append_to(std::string& buf, size_t len) {
  const size_t old = buf.size();
  buf.resize(old + len);
  const size_t n = read(buf.data() + old, len);
  buf.resize(old + n);
  return n;
}

bool ByteSource::swap_block(std::string&, size_t&) { return false; }

void check_url_scheme(const std::string& url) { check_scheme(url); }

void check_source(const std::string& url) {
  check_scheme(url);
  if (is_s3_url(url)) return check_s3_url(url);
  if (url == "-" || starts_with_ci(url, "http://") || starts_with_ci(url, "https://")) return;
  close(open_local(starts_with_ci(url, "file://") ? path_of_file_url(url) : url, redact_url(url)));
}

std::optional<SourceIdentity> local_file_identity(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return identity_of(st);
}

std::optional<std::string> local_path_of(const std::string& url) {
  if (url == "-" || starts_with_ci(url, "http://") || starts_with_ci(url, "https://") || is_s3_url(url))
    return std::nullopt;
  return starts_with_ci(url, "file://") ? path_of_file_url(url) : url;
}

std::string redact_url(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const size_t authority = scheme_end + 3;
  const size_t authority_end = url.find_first_of("/?#", authority);
  const size_t at = url.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end - 1);
  if (at == std::string::npos || at < authority) return url;
  return url.substr(0, authority) + "***" + url.substr(at);
}

std::string url_for_messages(const std::string& url) {
  std::string shown = redact_url(url);
  if (shown.find("://") == std::string::npos) return shown;  // a path: no query string
  const size_t query = shown.find_first_of("?#");
  if (query != std::string::npos) shown = shown.substr(0, query) + "?***";
  return shown;
}

std::unique_ptr<ByteSource> open_source(const std::string& url, const SourceOptions& opts) {
  const Compression compression = compression_for(url);
  const std::string name = redact_url(url);
  std::unique_ptr<ByteSource> raw;
  check_scheme(url);
  if (opts.start_offset > 0 && url == "-") throw UsageError("stdin cannot be resumed at an offset");
  if (opts.start_offset > 0 && compression != Compression::None)
    throw UsageError("--url " + name + ": compressed input cannot be resumed at an offset");
  if (starts_with_ci(url, "http://") || starts_with_ci(url, "https://")) {
    raw = open_http_source(url, opts);
  } else if (is_s3_url(url)) {
    raw = open_s3_object(url, opts);
  } else if (url == "-") {
    raw = std::make_unique<FdSource>(STDIN_FILENO, false, "stdin");
  } else {
    const std::string path = starts_with_ci(url, "file://") ? path_of_file_url(url) : url;
    raw = std::make_unique<FdSource>(open_local(path, name), true, path, opts.start_offset);
  }
  return wrap_decompressor(compression, std::move(raw), name, opts.buffer_bytes);
}

}  // namespace pgload
