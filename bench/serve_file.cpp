// serve_file: a loopback HTTP/1.1 file server for the demo, the benchmarks and fault tests. It sends with
// sendfile(2) so it never limits a benchmark, and can drop, refuse ranges or fail on request to test the loader.
// Like nginx it sends ETag and Last-Modified and honours If-Range; --replace-after-cut swaps in another file at the
// drop, as if the file had been replaced on the server between the drop and the client's retry.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace {

constexpr size_t kMaxHeaderBytes = 64 << 10;
constexpr std::string_view kRedirectPrefix = "/redirect/";

struct Options {
  std::string file;
  int port = 0;
  std::optional<uint64_t> cut_after_bytes;  // first GET only
  bool no_range = false;
  int status = 0;  // 0: serve the file
  std::string content_encoding;
  std::optional<uint64_t> max_requests;
  std::string replace_after_cut;  // served from the cut on
  bool no_etag = false;
  bool ignore_if_range = false;
};

// One file as served: its bytes and validators, fixed when it was opened.
struct Served {
  int fd = -1;
  uint64_t bytes = 0;
  std::string etag, last_modified;
};

Options g_opts;
std::mutex g_served_mu;
std::shared_ptr<const Served> g_served;  // guarded by g_served_mu; requests keep their snapshot
std::atomic<bool> g_cut_pending{false};
std::atomic<uint64_t> g_requests{0};
int g_stop_pipe[2] = {-1, -1};

void request_stop() {
  const char c = 'x';
  [[maybe_unused]] const ssize_t n = write(g_stop_pipe[1], &c, 1);
}

extern "C" void on_signal(int) { request_stop(); }

const char* reason_of(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 416:
      return "Range Not Satisfiable";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool send_all(int fd, std::string_view data, bool more) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Opens `path` and derives its validators: ETag from inode, size and mtime (ns), Last-Modified as an HTTP-date.
std::shared_ptr<const Served> open_served(const std::string& path, std::string& error) {
  auto f = std::make_shared<Served>();
  f->fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (f->fd < 0 || fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = f->fd < 0 ? std::strerror(errno) : "not a regular file";
    return nullptr;
  }
  f->bytes = static_cast<uint64_t>(st.st_size);
  char buf[96];
  std::snprintf(buf, sizeof buf, "\"%llx-%llx-%llx%09lx\"", static_cast<unsigned long long>(st.st_ino),
                static_cast<unsigned long long>(st.st_size), static_cast<unsigned long long>(st.st_mtim.tv_sec),
                static_cast<long>(st.st_mtim.tv_nsec));
  f->etag = buf;
  struct tm tm {};
  gmtime_r(&st.st_mtim.tv_sec, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  f->last_modified = buf;
  return f;
}

std::shared_ptr<const Served> served() {
  std::lock_guard lk(g_served_mu);
  return g_served;
}

bool send_file_range(int fd, const Served& file, uint64_t offset, uint64_t count) {
  auto off = static_cast<off_t>(offset);
  while (count > 0) {
    const ssize_t n = sendfile(fd, file.fd, &off, static_cast<size_t>(std::min<uint64_t>(count, 1 << 30)));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    if (n == 0) return false;  // the file shrank under us
    count -= static_cast<uint64_t>(n);
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Request {
  std::string method, target;
  bool keep_alive = true;
  std::optional<std::string> range;
  std::optional<std::string> if_range;
};

// Parses the head (request line + headers, without the final blank line).
std::optional<Request> parse_request(std::string_view head) {
  Request req;
  const size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return std::nullopt;
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  req.keep_alive = line.substr(sp2 + 1) == "HTTP/1.1";
  size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view header = head.substr(pos, end - pos);
    pos = end + 2;
    const size_t colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(header.substr(0, colon));
    const std::string_view value = trim(header.substr(colon + 1));
    if (iequals(name, "range")) req.range = std::string(value);
    if (iequals(name, "if-range")) req.if_range = std::string(value);
    if (iequals(name, "connection")) {
      if (iequals(value, "close")) req.keep_alive = false;
      if (iequals(value, "keep-alive")) req.keep_alive = true;
    }
  }
  return req;
}

// Answers one request; returns false when the connection must be closed.
bool respond(int fd, const Request& req) {
  const bool head_only = req.method == "HEAD";
  std::string h;
  auto simple = [&](int status, std::string_view extra_headers) {
    const std::string body = std::to_string(status) + " " + reason_of(status) + "\n";
    h = "HTTP/1.1 " + std::to_string(status) + " " + reason_of(status) + "\r\nContent-Type: text/plain\r\n" +
        "Content-Length: " + std::to_string(body.size()) + "\r\n" + std::string(extra_headers) +
        (req.keep_alive ? "" : "Connection: close\r\n") + "\r\n";
    if (!head_only) h += body;
    return send_all(fd, h, false) && req.keep_alive;
  };
  if (req.method != "GET" && !head_only) return simple(405, "Allow: GET, HEAD\r\n");
  if (std::string_view(req.target).starts_with(kRedirectPrefix)) {
    return simple(302, "Location: /" + req.target.substr(kRedirectPrefix.size()) + "\r\n");
  }
  if (g_opts.status != 0) return simple(g_opts.status, "");

  const std::shared_ptr<const Served> file = served();
  const uint64_t file_bytes = file->bytes;
  int status = 200;
  uint64_t first = 0;
  uint64_t count = file_bytes;
  std::string content_range;
  // If-Range (RFC 9110 13.1.5): the range only if the validator matches (an ETag strongly), else the whole file.
  bool if_range_ok = true;
  if (req.if_range && !g_opts.ignore_if_range) {
    const std::string& v = *req.if_range;
    if_range_ok =
        v.starts_with("\"") ? !g_opts.no_etag && v == file->etag : !v.starts_with("W/") && v == file->last_modified;
  }
  if (req.range && if_range_ok && !g_opts.no_range && std::string_view(*req.range).starts_with("bytes=") &&
      req.range->find(',') == std::string::npos) {
    const std::string_view spec = std::string_view(*req.range).substr(6);
    const size_t dash = spec.find('-');
    const auto start = dash == std::string_view::npos ? std::nullopt : parse_u64(spec.substr(0, dash));
    if (start) {
      uint64_t last = file_bytes == 0 ? 0 : file_bytes - 1;
      if (const auto end = parse_u64(spec.substr(dash + 1)); end && *end < last) last = *end;
      if (*start >= file_bytes || last < *start) {
        return simple(416, "Content-Range: bytes */" + std::to_string(file_bytes) + "\r\n");
      }
      status = 206;
      first = *start;
      count = last - *start + 1;
      content_range = "Content-Range: bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                      std::to_string(file_bytes) + "\r\n";
    }
  }
  h = "HTTP/1.1 " + std::to_string(status) + " " + reason_of(status) + "\r\n" +
      "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(count) + "\r\n" + content_range +
      (g_opts.no_range ? "" : "Accept-Ranges: bytes\r\n") + (g_opts.no_etag ? "" : "ETag: " + file->etag + "\r\n") +
      "Last-Modified: " + file->last_modified + "\r\n" +
      (g_opts.content_encoding.empty() ? "" : "Content-Encoding: " + g_opts.content_encoding + "\r\n") +
      (req.keep_alive ? "" : "Connection: close\r\n") + "\r\n";
  if (head_only) return send_all(fd, h, false) && req.keep_alive;
  if (!send_all(fd, h, true)) return false;
  bool expected = true;
  if (g_opts.cut_after_bytes && g_cut_pending.compare_exchange_strong(expected, false)) {
    // Simulated drop: part of the promised body, then FIN.
    send_file_range(fd, *file, first, std::min(count, *g_opts.cut_after_bytes));
    if (!g_opts.replace_after_cut.empty()) {
      std::string error;
      if (auto next = open_served(g_opts.replace_after_cut, error)) {
        std::lock_guard lk(g_served_mu);
        g_served = std::move(next);  // the old file's fd stays open: in-flight snapshots may still use it
      } else {
        std::fprintf(stderr, "serve_file: cannot serve %s: %s\n", g_opts.replace_after_cut.c_str(), error.c_str());
      }
    }
    shutdown(fd, SHUT_WR);
    return false;
  }
  return send_file_range(fd, *file, first, count) && req.keep_alive;
}

void serve_connection(int fd) {
  std::string buf;
  char chunk[16 << 10];
  bool open = true;
  while (open) {
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > kMaxHeaderBytes) {
        close(fd);
        return;
      }
      const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close(fd);
        return;
      }
      buf.append(chunk, static_cast<size_t>(n));
    }
    const auto req = parse_request(std::string_view(buf).substr(0, head_end));
    buf.erase(0, head_end + 4);
    if (!req) {
      const std::string_view bad = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      send_all(fd, bad, false);
      open = false;
    } else {
      open = respond(fd, *req);
    }
    const uint64_t served = g_requests.fetch_add(1) + 1;
    if (!open) close(fd);
    if (g_opts.max_requests && served >= *g_opts.max_requests) {
      if (open) close(fd);
      request_stop();
      return;
    }
  }
}

[[noreturn]] void usage(const std::string& error) {
  if (!error.empty()) std::fprintf(stderr, "serve_file: %s\n", error.c_str());
  std::fprintf(
      stderr,
      "usage: serve_file --file F [--port P] [--cut-after BYTES] [--no-range] [--status CODE]\n"
      "                  [--content-encoding gzip] [--max-requests N] [--replace-after-cut F2]\n"
      "                  [--no-etag] [--ignore-if-range]\n"
      "  Serves F for GET/HEAD of any path on 127.0.0.1:P (0 = a free port, printed first on stdout).\n"
      "  --cut-after: the first GET gets only BYTES body bytes, then the connection closes.\n"
      "  --no-range: ignore Range headers.  --status: answer every request with CODE.\n"
      "  --content-encoding: label the (already encoded) file bytes with this Content-Encoding.\n"
      "  Paths under /redirect/X answer 302 to /X.  --max-requests: exit after N answers.\n"
      "  Responses carry ETag and Last-Modified; If-Range is honoured (a mismatch gets 200 and the whole\n"
      "  file). --replace-after-cut: from the cut on, serve F2 instead (a file replaced on the server).\n"
      "  --no-etag: send no ETag.  --ignore-if-range: serve ranges whatever If-Range says (a broken server).\n");
  std::exit(2);
}

uint64_t parse_number(const std::string& flag, std::string_view text) {
  const auto v = parse_u64(text);
  if (!v) usage(flag + " needs a non-negative integer, got '" + std::string(text) + "'");
  return *v;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (const size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto next = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--file") {
      g_opts.file = next();
    } else if (arg == "--port") {
      const uint64_t port = parse_number(arg, next());
      if (port > 65535) usage("--port must be at most 65535");
      g_opts.port = static_cast<int>(port);
    } else if (arg == "--cut-after") {
      g_opts.cut_after_bytes = parse_number(arg, next());
    } else if (arg == "--no-range") {
      g_opts.no_range = true;
    } else if (arg == "--status") {
      const uint64_t status = parse_number(arg, next());
      if (status < 100 || status > 999) usage("--status must be a 3-digit HTTP status");
      g_opts.status = static_cast<int>(status);
    } else if (arg == "--content-encoding") {
      g_opts.content_encoding = next();
    } else if (arg == "--max-requests") {
      g_opts.max_requests = parse_number(arg, next());
    } else if (arg == "--replace-after-cut") {
      g_opts.replace_after_cut = next();
    } else if (arg == "--no-etag") {
      g_opts.no_etag = true;
    } else if (arg == "--ignore-if-range") {
      g_opts.ignore_if_range = true;
    } else if (arg == "--help" || arg == "-h") {
      usage("");
    } else {
      usage("unknown option " + arg);
    }
  }
  if (g_opts.file.empty()) usage("--file is required");
  g_cut_pending = g_opts.cut_after_bytes.has_value();

  std::string error;
  g_served = open_served(g_opts.file, error);
  if (!g_served) {
    std::fprintf(stderr, "serve_file: cannot serve %s: %s\n", g_opts.file.c_str(), error.c_str());
    return 1;
  }

  if (pipe2(g_stop_pipe, O_CLOEXEC) != 0) {
    std::perror("serve_file: pipe");
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(g_opts.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t addr_len = sizeof addr;
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 128) != 0 || getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) {
    std::fprintf(stderr, "serve_file: cannot listen on 127.0.0.1:%d: %s\n", g_opts.port, std::strerror(errno));
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  for (;;) {
    pollfd fds[2] = {{listener, POLLIN, 0}, {g_stop_pipe[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("serve_file: poll");
      return 1;
    }
    if (fds[1].revents != 0) break;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(serve_connection, conn).detach();
  }
  // Connection threads may still be running: leave without running static destructors under them.
  std::fflush(stdout);
  _exit(0);
}
