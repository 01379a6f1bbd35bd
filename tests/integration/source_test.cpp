// The byte source end to end: real files, pipes and a real HTTP server (serve_file) with its fault switches, plus
// the gen_users generator the benchmarks rely on. No PostgreSQL needed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <csignal>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "loader/source.h"
#include "tests/support/test_cluster.h"

namespace pgload {
namespace {

// ---- helpers -------------------------------------------------------------------------------------------------

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Reads the whole source with reads of `chunk` bytes.
std::string read_all(ByteSource& src, size_t chunk = 1 << 20) {
  std::string out;
  std::vector<char> buf(chunk);
  for (;;) {
    const size_t n = src.read(buf.data(), buf.size());
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

std::string read_url(const std::string& url, const SourceOptions& opts = {}, size_t chunk = 1 << 20) {
  auto src = open_source(url, opts);
  return read_all(*src, chunk);
}

// The message of the SourceError that reading `url` to the end throws ("" if none).
std::string read_error(const std::string& url, const SourceOptions& opts = {}, uint64_t* offset = nullptr) {
  try {
    read_url(url, opts);
  } catch (const SourceError& e) {
    if (offset) *offset = e.byte_offset();
    return e.what();
  }
  return "";
}

std::string gzip(std::string_view data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// A scratch directory plus a users.csv made by gen_users, shared by every test of this binary.
struct Fixture {
  std::string dir;
  std::string csv_path;
  std::string csv;
  Fixture() {
    dir = test::temp_dir("pgload-source");
    csv_path = dir + "/users.csv";
    const auto r = test::run_command(std::string(GEN_USERS_BIN) + " --rows 100000 --seed 42 --out " + csv_path);
    if (r.exit_code != 0) throw std::runtime_error("gen_users failed: " + r.output);
    csv = slurp(csv_path);
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

Fixture& fx() {
  static Fixture f;
  return f;
}

// serve_file as a child process; the port comes from its first stdout line. Stopped with SIGTERM.
class ServeFile {
 public:
  explicit ServeFile(const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {SERVE_FILE_BIN, "--file", file};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    close(out[0]);
    const std::string prefix = "listening on 127.0.0.1:";
    if (!line.starts_with(prefix)) throw std::runtime_error("serve_file did not start: '" + line + "'");
    port_ = std::stoi(line.substr(prefix.size()));
  }
  ~ServeFile() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  ServeFile(const ServeFile&) = delete;
  ServeFile& operator=(const ServeFile&) = delete;

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// ---- transports --------------------------------------------------------------------------------------------

TEST(Source, HttpWholeFileIsByteEqual) {
  ServeFile server(fx().csv_path);
  auto src = open_source(server.url("/users.csv"), {});
  ASSERT_TRUE(src->size_hint().has_value());
  EXPECT_EQ(*src->size_hint(), fx().csv.size());
  EXPECT_EQ(read_all(*src), fx().csv);
  EXPECT_EQ(src->bytes_in(), fx().csv.size());
}

TEST(Source, HttpEmptyFileIsEmptyStream) {
  const std::string path = fx().dir + "/empty.csv";
  spit(path, "");
  ServeFile server(path);
  EXPECT_EQ(read_url(server.url("/empty.csv")), "");
}

TEST(Source, HttpFollowsRedirects) {
  ServeFile server(fx().csv_path);
  EXPECT_EQ(read_url(server.url("/redirect/users.csv")), fx().csv);
}

TEST(Source, FileUrlAndPlainPathAreByteEqual) {
  EXPECT_EQ(read_url("file://" + fx().csv_path), fx().csv);
  auto src = open_source(fx().csv_path, {});
  EXPECT_EQ(src->size_hint().value_or(0), fx().csv.size());
  // Odd read sizes: nothing lost or duplicated at read boundaries.
  EXPECT_EQ(read_all(*src, 4093), fx().csv);
  EXPECT_EQ(src->bytes_in(), fx().csv.size());
}

TEST(Source, StdinThroughAPipeIsByteEqual) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const int saved_stdin = dup(STDIN_FILENO);
  ASSERT_GE(saved_stdin, 0);
  ASSERT_EQ(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
  close(fds[0]);
  std::thread writer([fd = fds[1]] {
    std::string_view data = fx().csv;
    while (!data.empty()) {
      const ssize_t n = write(fd, data.data(), std::min<size_t>(data.size(), 100000));
      if (n <= 0) break;
      data.remove_prefix(static_cast<size_t>(n));
    }
    close(fd);
  });
  std::string got;
  std::optional<uint64_t> hint;
  try {
    auto src = open_source("-", {});
    hint = src->size_hint();
    got = read_all(*src);
  } catch (...) {
    got = "exception";
  }
  writer.join();
  dup2(saved_stdin, STDIN_FILENO);
  close(saved_stdin);
  EXPECT_FALSE(hint.has_value());  // a pipe has no size
  EXPECT_EQ(got, fx().csv);
}

TEST(Source, MissingFileNamesPathAndErrno) {
  const std::string path = fx().dir + "/no-such.csv";
  try {
    open_source(path, {});
    FAIL() << "opened a missing file";
  } catch (const SourceError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
  }
}

// ---- decompression -----------------------------------------------------------------------------------------

TEST(Source, GzipFileInflates) {
  const std::string path = fx().dir + "/users.csv.gz";
  spit(path, gzip(fx().csv));
  auto src = open_source(path, {});
  EXPECT_EQ(src->size_hint().value_or(0), std::filesystem::file_size(path));  // progress counts compressed bytes
  EXPECT_EQ(read_all(*src), fx().csv);
  EXPECT_EQ(src->bytes_in(), std::filesystem::file_size(path));
}

TEST(Source, GzipTinyReadsAndSmallInputChunks) {
  const std::string path = fx().dir + "/tiny.csv.gz";
  const std::string data = fx().csv.substr(0, 300000);
  spit(path, gzip(data));
  SourceOptions opts;
  opts.buffer_bytes = 1;  // clamped to the smallest input chunk
  EXPECT_EQ(read_url(path, opts, 7), data);
}

TEST(Source, MultiMemberGzipInflatesEveryMember) {
  const std::string path = fx().dir + "/multi.csv.GZ";
  const std::string a = fx().csv.substr(0, 1000000);
  const std::string b = fx().csv.substr(1000000, 500000);
  spit(path, gzip(a) + gzip(b));
  EXPECT_EQ(read_url(path), a + b);
}

TEST(Source, ZstdFileDecodes) {
  const std::string path = fx().dir + "/users.csv.zst";
  spit(path, zstd(fx().csv));
  EXPECT_EQ(read_url(path), fx().csv);
  const std::string path2 = fx().dir + "/two-frames.csv.zstd";
  spit(path2, zstd("first frame\n") + zstd("second frame\n"));
  EXPECT_EQ(read_url(path2, {}, 5), "first frame\nsecond frame\n");
}

TEST(Source, GzipOverHttpInflatesByExtension) {
  const std::string path = fx().dir + "/served.csv.gz";
  spit(path, gzip(fx().csv));
  ServeFile server(path);
  EXPECT_EQ(read_url(server.url("/served.csv.gz?token=1")), fx().csv);
}

TEST(Source, ContentEncodingGzipIsDecodedByCurl) {
  const std::string path = fx().dir + "/encoded.bin";
  spit(path, gzip(fx().csv));
  ServeFile server(path, {"--content-encoding", "gzip"});
  EXPECT_EQ(read_url(server.url("/users.csv")), fx().csv);
}

TEST(Source, TruncatedGzipIsAnErrorNotEof) {
  const std::string full = gzip(fx().csv);
  const std::string path = fx().dir + "/cut.csv.gz";
  spit(path, std::string_view(full).substr(0, full.size() / 2));
  uint64_t offset = 0;
  const std::string msg = read_error(path, {}, &offset);
  EXPECT_NE(msg.find("truncated gzip stream after " + std::to_string(full.size() / 2) + " compressed bytes"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_EQ(offset, full.size() / 2);
  // Cut inside the 8-byte trailer: all data decodes, yet the stream is still incomplete.
  spit(path, std::string_view(full).substr(0, full.size() - 3));
  EXPECT_NE(read_error(path).find("truncated gzip stream"), std::string::npos);
}

TEST(Source, TruncatedZstdIsAnErrorNotEof) {
  const std::string full = zstd(fx().csv);
  const std::string path = fx().dir + "/cut.csv.zst";
  spit(path, std::string_view(full).substr(0, full.size() - 100));
  EXPECT_NE(read_error(path).find("truncated zstd stream"), std::string::npos);
}

TEST(Source, CorruptGzipSaysCorrupt) {
  std::string bad = gzip(fx().csv.substr(0, 100000));
  for (size_t i = 20; i < 60; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
  const std::string path = fx().dir + "/corrupt.csv.gz";
  spit(path, bad);
  EXPECT_NE(read_error(path).find("corrupt gzip stream"), std::string::npos);
}

// ---- HTTP errors and drops ---------------------------------------------------------------------------------

TEST(Source, Http404And500NameStatusAndUrl) {
  {
    ServeFile server(fx().csv_path, {"--status", "404"});
    const std::string url = server.url("/x.csv");
    EXPECT_EQ(read_error(url), "HTTP 404 Not Found for " + url);
  }
  {
    ServeFile server(fx().csv_path, {"--status", "500"});
    const std::string url = server.url("/x.csv");
    EXPECT_EQ(read_error(url), "HTTP 500 Internal Server Error for " + url);
  }
}

TEST(Source, ConnectionRefusedNamesTheUrl) {
  // A port that was free a moment ago and has no listener.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x.csv";
  const std::string msg = read_error(url);
  EXPECT_NE(msg.find("cannot connect to " + url), std::string::npos) << msg;
}

TEST(Source, ServerThatNeverAnswersIsAStallNotAHang) {
  // The kernel accepts connections to a listening socket; nobody ever reads the request or answers.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  SourceOptions opts;
  opts.stall_timeout_ms = 1500;
  opts.max_retries = 1;
  const std::string msg = read_error("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x.csv", opts);
  close(fd);
  EXPECT_NE(msg.find("no data for 1500 ms"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gave up after 1 retries"), std::string::npos) << msg;
}

TEST(Source, DropResumesWithRangeAndBytesAreEqual) {
  ServeFile server(fx().csv_path, {"--cut-after", "1000003"});
  auto src = open_source(server.url("/users.csv"), {});
  EXPECT_EQ(read_all(*src, 65536), fx().csv);
  EXPECT_EQ(src->bytes_in(), fx().csv.size());
}

// The same bytes with every digit changed: a replacement of the file with the same size.
std::string same_size_other_file() {
  std::string other = fx().csv;
  for (char& c : other)
    if (c >= '0' && c <= '9') c = static_cast<char>('0' + (c - '0' + 1) % 10);
  const std::string path = fx().dir + "/replacement.csv";
  spit(path, other);
  // Ten seconds newer, so Last-Modified differs even when both files were written within one second.
  const auto later = std::filesystem::last_write_time(fx().csv_path) + std::chrono::seconds(10);
  std::filesystem::last_write_time(path, later);
  return path;
}

// The file replaced (same size) between a drop and the retry: If-Range with the first ETag gets the whole new file
// (200), which must fail the read at the drop's offset rather than splice the new file's end onto the old start.
TEST(Source, FileReplacedAfterADropFailsInsteadOfSplicing) {
  ServeFile server(fx().csv_path, {"--cut-after", "100000", "--replace-after-cut", same_size_other_file()});
  uint64_t offset = 0;
  const std::string msg = read_error(server.url("/users.csv?token=s3cr3t"), {}, &offset);
  EXPECT_NE(msg.find(server.url("/users.csv?***") + " changed while it was being read"), std::string::npos) << msg;
  EXPECT_NE(msg.find("dropped after 100000 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("If-Range: \""), std::string::npos) << msg;
  EXPECT_NE(msg.find("answered 200"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("s3cr3t"), std::string::npos) << msg;
  EXPECT_EQ(offset, 100000u);
}

// Without an ETag the resumed request sends Last-Modified as its If-Range validator.
TEST(Source, FileReplacedWithoutETagIsCaughtByLastModified) {
  ServeFile server(fx().csv_path,
                   {"--cut-after", "100000", "--no-etag", "--replace-after-cut", same_size_other_file()});
  const std::string msg = read_error(server.url("/users.csv"));
  EXPECT_NE(msg.find("changed while it was being read"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("If-Range: \""), std::string::npos) << msg;  // not an ETag
  EXPECT_NE(msg.find(" GMT) found another file"), std::string::npos) << msg;
}

// A server that ignores If-Range answers 206 from the new file: its ETag gives it away.
TEST(Source, ServerIgnoringIfRangeIsCaughtByTheETag) {
  ServeFile server(fx().csv_path,
                   {"--cut-after", "100000", "--ignore-if-range", "--replace-after-cut", same_size_other_file()});
  const std::string msg = read_error(server.url("/users.csv"));
  EXPECT_NE(msg.find("changed while it was being read"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ETag was \""), std::string::npos) << msg;
}

// The same file after a drop: If-Range matches and the bytes are the file's.
TEST(Source, UnchangedFileAfterADropResumesWithIfRange) {
  ServeFile server(fx().csv_path, {"--cut-after", "250001", "--no-etag"});
  auto src = open_source(server.url("/users.csv"), {});
  EXPECT_EQ(read_all(*src, 65536), fx().csv);
}

TEST(Source, DropWithoutRangeSupportFailsClearly) {
  ServeFile server(fx().csv_path, {"--cut-after", "100000", "--no-range"});
  const std::string url = server.url("/users.csv");
  uint64_t offset = 0;
  const std::string msg = read_error(url, {}, &offset);
  EXPECT_EQ(msg, "connection to " + url +
                     " dropped after 100000 bytes and the server does not support Range requests; cannot resume");
  EXPECT_EQ(offset, 100000u);
}

TEST(Source, ExhaustedRetriesSayHowManyBytesArrived) {
  // With max_retries 0 the first drop is final, even though the server could resume.
  ServeFile server(fx().csv_path, {"--cut-after", "5000"});
  SourceOptions opts;
  opts.max_retries = 0;
  const std::string msg = read_error(server.url("/users.csv"), opts);
  EXPECT_NE(msg.find("dropped after 5000 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gave up after 0 retries"), std::string::npos) << msg;
}

TEST(Source, SlowReaderGetsEveryByteThroughASmallRing) {
  ServeFile server(fx().csv_path);
  SourceOptions opts;
  opts.ring_buffers = 2;
  opts.buffer_bytes = 64 << 10;
  const uint64_t ring_bytes = opts.ring_buffers * opts.buffer_bytes;
  const uint64_t curl_buffer_bytes = 512 << 10;  // one receive buffer may be in flight beyond the ring
  auto src = open_source(server.url("/users.csv"), opts);
  std::string got;
  std::vector<char> buf(10000);
  uint64_t max_ahead = 0;
  for (int reads = 0;; ++reads) {
    const size_t n = src->read(buf.data(), buf.size());
    if (n == 0) break;
    got.append(buf.data(), n);
    // Back-pressure: the download never runs further ahead of the reader than the ring plus curl's buffer.
    const uint64_t received = src->bytes_in();
    ASSERT_GE(received, got.size());
    const uint64_t ahead = received - got.size();
    max_ahead = std::max(max_ahead, ahead);
    ASSERT_LE(ahead, ring_bytes + curl_buffer_bytes) << "after " << got.size() << " bytes";
    if (reads % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(got, fx().csv);
}

TEST(Source, ClosingMidStreamStopsTheDownload) {
  ServeFile server(fx().csv_path);
  SourceOptions opts;
  opts.ring_buffers = 2;
  opts.buffer_bytes = 64 << 10;
  auto src = open_source(server.url("/users.csv"), opts);
  std::vector<char> buf(1000);
  ASSERT_EQ(src->read(buf.data(), buf.size()), buf.size());
  EXPECT_EQ(std::string_view(buf.data(), buf.size()), std::string_view(fx().csv).substr(0, buf.size()));
  src.reset();  // must not hang on the producer blocked on a full ring
  SUCCEED();
}

TEST(Source, RedactUrlHidesCredentials) {
  EXPECT_EQ(redact_url("https://alice:s3cret@example.com/a.csv"), "https://***@example.com/a.csv");
  EXPECT_EQ(redact_url("http://tok@h:8080/x?y=z@w"), "http://***@h:8080/x?y=z@w");
  EXPECT_EQ(redact_url("http://h/x@y"), "http://h/x@y");
  EXPECT_EQ(redact_url("/tmp/plain.csv"), "/tmp/plain.csv");
}

TEST(Source, UrlForMessagesHidesCredentialsAndQueryString) {
  EXPECT_EQ(url_for_messages("https://alice:s3cret@example.com/a.csv?sig=abc&exp=1"),
            "https://***@example.com/a.csv?***");
  EXPECT_EQ(url_for_messages("http://h/x.csv#frag"), "http://h/x.csv?***");
  EXPECT_EQ(url_for_messages("http://h/x.csv"), "http://h/x.csv");
  EXPECT_EQ(url_for_messages("/tmp/a?b.csv"), "/tmp/a?b.csv");
}

TEST(Source, HttpErrorMessagesNeverShowThePassword) {
  ServeFile server(fx().csv_path, {"--status", "404"});
  const std::string url = "http://bob:hunter2@127.0.0.1:" + std::to_string(server.port()) + "/x.csv";
  const std::string msg = read_error(url);
  EXPECT_NE(msg.find("HTTP 404"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;
}

// ---- gen_users ---------------------------------------------------------------------------------------------

// RFC 4180 records of a CSV text.
std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
    } else {
      field.push_back(c);
    }
  }
  EXPECT_TRUE(field.empty() && record.empty()) << "the text does not end with a newline";
  return records;
}

std::string gen_users(const std::string& args) {
  const std::string path = fx().dir + "/gen.csv";
  const auto r = test::run_command(std::string(GEN_USERS_BIN) + " " + args + " --out " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return slurp(path);
}

TEST(GenUsers, SameSeedSameBytesOtherSeedOtherBytes) {
  const std::string a = gen_users("--rows 20000 --seed 7");
  EXPECT_EQ(a, gen_users("--rows 20000 --seed 7"));
  EXPECT_NE(a, gen_users("--rows 20000 --seed 8"));
  // Rows are a function of (seed, index): a longer run starts with the shorter one.
  EXPECT_TRUE(gen_users("--rows 30000 --seed 7").starts_with(a));
}

TEST(GenUsers, RowsHaveTheUsersShape) {
  const std::string text = gen_users("--rows 20000 --seed 3");
  const auto records = parse_csv(text);
  ASSERT_EQ(records.size(), 20000u);
  int64_t previous_id = 0;
  size_t special = 0;
  for (const auto& r : records) {
    ASSERT_EQ(r.size(), 4u);
    const int64_t id = std::stoll(r[0]);
    ASSERT_GT(id, previous_id);
    previous_id = id;
    EXPECT_EQ(r[1], "https://api.github.com/users/" + r[2]);
    EXPECT_EQ(r[3], "https://avatars.githubusercontent.com/u/" + r[0] + "?v=4");
    ASSERT_GE(r[2].size(), 4u);
    ASSERT_LE(r[2].size(), 15u);
    if (r[2].find_first_of(",\"\n") != std::string::npos) ++special;
  }
  // ~0.5% quoted logins: 100 expected of 20000.
  EXPECT_GT(special, 40u);
  EXPECT_LT(special, 200u);
  const double bytes_per_row = static_cast<double>(text.size()) / 20000.0;
  EXPECT_GT(bytes_per_row, 90.0);
  EXPECT_LT(bytes_per_row, 115.0);
}

TEST(GenUsers, ShuffleKeepsTheSameRowsInAnotherOrder) {
  const std::string sorted = gen_users("--rows 5000 --seed 11");
  const std::string shuffled = gen_users("--rows 5000 --seed 11 --shuffle");
  EXPECT_NE(sorted, shuffled);
  auto a = parse_csv(sorted);
  auto b = parse_csv(shuffled);
  ASSERT_EQ(b.size(), 5000u);
  std::set<std::string> ids;
  for (const auto& r : b) ids.insert(r[0]);
  EXPECT_EQ(ids.size(), 5000u);  // unique
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace pgload
