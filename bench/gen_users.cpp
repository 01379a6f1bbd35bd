// gen_users: a deterministic users.csv of the seed's shape (user_id,url,login,avatar_url; ~108 bytes a row) for the
// benchmarks, the demo and the tests. Row i depends only on (seed, i), so --shuffle emits the same rows reordered.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr uint64_t kIdStride = 20;  // mean gap between ids; 5M rows reach id ~100M like a GitHub users export
constexpr uint64_t kQuotedOneIn = 200;  // 0.5% of logins carry a comma, a quote or a newline
constexpr size_t kOutBufferBytes = 1 << 20;
constexpr std::string_view kUrlPrefix = "https://api.github.com/users/";
constexpr std::string_view kAvatarPrefix = "https://avatars.githubusercontent.com/u/";
constexpr std::string_view kAvatarSuffix = "?v=4\n";
constexpr char kLoginAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-";  // 37 characters

// splitmix64 finaliser: a bijective 64-bit mixer, good enough to drive every per-row choice.
inline uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A bijection of [0, n) keyed by the seed: a 4-round Feistel network on the next even power of two, cycle-walked.
class Permutation {
 public:
  Permutation(uint64_t n, uint64_t key) : n_(n), key_(key) {
    unsigned bits = 2;
    while (bits < 64 && (uint64_t{1} << bits) < n) bits += 2;
    half_bits_ = bits / 2;
    half_mask_ = (uint64_t{1} << half_bits_) - 1;
  }
  uint64_t operator()(uint64_t x) const {
    do {
      uint64_t left = x >> half_bits_;
      uint64_t right = x & half_mask_;
      for (uint64_t round = 0; round < 4; ++round) {
        const uint64_t next = left ^ (mix(right ^ key_ ^ (round << 58)) & half_mask_);
        left = right;
        right = next;
      }
      x = (left << half_bits_) | right;
    } while (x >= n_);
    return x;
  }

 private:
  uint64_t n_, key_;
  unsigned half_bits_;
  uint64_t half_mask_;
};

class Writer {
 public:
  explicit Writer(int fd) : fd_(fd), buf_(new char[kOutBufferBytes]) {}
  ~Writer() { delete[] buf_; }
  // Room for one row (a row is < 256 bytes).
  char* reserve() {
    if (used_ + 256 > kOutBufferBytes) flush();
    return buf_ + used_;
  }
  void commit(char* end) { used_ = static_cast<size_t>(end - buf_); }
  void flush() {
    size_t off = 0;
    while (off < used_) {
      const ssize_t n = write(fd_, buf_ + off, used_ - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        std::fprintf(stderr, "gen_users: write failed: %s\n", std::strerror(errno));
        std::exit(1);
      }
      off += static_cast<size_t>(n);
    }
    used_ = 0;
  }

 private:
  int fd_;
  char* buf_;
  size_t used_ = 0;
};

inline char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

inline char* put_u64(char* p, uint64_t v) { return std::to_chars(p, p + 20, v).ptr; }

// Writes login as a CSV field of `prefix + login`, quoted (and quotes doubled) when it holds a special character.
inline char* put_field(char* p, std::string_view prefix, const char* login, size_t len, bool quoted) {
  if (!quoted) return put(put(p, prefix), std::string_view(login, len));
  *p++ = '"';
  p = put(p, prefix);
  for (size_t i = 0; i < len; ++i) {
    if (login[i] == '"') *p++ = '"';
    *p++ = login[i];
  }
  *p++ = '"';
  return p;
}

// Row `index` of the ascending order: everything derives from (key, index).
char* put_row(char* p, uint64_t key, uint64_t index) {
  const uint64_t id = index * kIdStride + 1 + mix(key ^ (index * 3 + 0)) % kIdStride;
  const uint64_t shape = mix(key ^ (index * 3 + 1));
  const uint64_t chars = mix(key ^ (index * 3 + 2));
  const uint64_t more_chars = mix(chars);

  // Length 4..15, skewed short (min of two uniform draws) like real logins; mean ~7.5.
  const size_t a = shape % 12;
  const size_t b = (shape >> 8) % 12;
  const size_t len = 4 + (a < b ? a : b);
  char login[16];
  for (size_t i = 0; i < len; ++i) {
    const uint64_t bits = i < 10 ? chars >> (6 * i) : more_chars >> (6 * (i - 10));
    login[i] = kLoginAlphabet[((bits & 63) * 37) >> 6];
  }
  if (login[0] == '-') login[0] = 'g';
  if (login[len - 1] == '-') login[len - 1] = 'h';
  const bool quoted = (shape >> 16) % kQuotedOneIn == 0;
  if (quoted) {
    static constexpr char kSpecial[] = {',', '"', '\n'};
    login[1 + (shape >> 32) % (len - 2)] = kSpecial[(shape >> 40) % 3];
  }

  p = put_u64(p, id);
  *p++ = ',';
  p = put_field(p, kUrlPrefix, login, len, quoted);
  *p++ = ',';
  p = put_field(p, "", login, len, quoted);
  *p++ = ',';
  p = put(p, kAvatarPrefix);
  p = put_u64(p, id);
  return put(p, kAvatarSuffix);
}

[[noreturn]] void usage(const char* error) {
  if (error) std::fprintf(stderr, "gen_users: %s\n", error);
  std::fprintf(stderr,
               "usage: gen_users --rows N [--seed S] [--out FILE] [--shuffle]\n"
               "  Writes N rows of user_id,url,login,avatar_url (no header) to FILE or stdout.\n"
               "  Ids ascend with random gaps unless --shuffle; the output is a pure function of N, S, --shuffle.\n");
  std::exit(2);
}

uint64_t parse_count(const char* flag, std::string_view text) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    usage((std::string(flag) + " needs a non-negative integer, got '" + std::string(text) + "'").c_str());
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 0;
  bool have_rows = false;
  uint64_t seed = 1;
  std::string out;
  bool shuffle = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> std::string_view {
      if (has_value) return value;
      if (i + 1 >= argc) usage((std::string(arg) + " needs a value").c_str());
      return argv[++i];
    };
    if (arg == "--rows") {
      rows = parse_count("--rows", next());
      have_rows = true;
    } else if (arg == "--seed") {
      seed = parse_count("--seed", next());
    } else if (arg == "--out") {
      out = std::string(next());
    } else if (arg == "--shuffle") {
      shuffle = true;
    } else if (arg == "--help" || arg == "-h") {
      usage(nullptr);
    } else {
      usage(("unknown option " + std::string(arg)).c_str());
    }
  }
  if (!have_rows) usage("--rows is required");

  int fd = STDOUT_FILENO;
  if (!out.empty() && out != "-") {
    fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::fprintf(stderr, "gen_users: cannot create %s: %s\n", out.c_str(), std::strerror(errno));
      return 1;
    }
  }

  const uint64_t key = mix(seed ^ 0x5eed5eed5eed5eedULL);
  Writer writer(fd);
  if (shuffle) {
    const Permutation order(rows, mix(key));
    for (uint64_t i = 0; i < rows; ++i) writer.commit(put_row(writer.reserve(), key, order(i)));
  } else {
    for (uint64_t i = 0; i < rows; ++i) writer.commit(put_row(writer.reserve(), key, i));
  }
  writer.flush();
  if (fd != STDOUT_FILENO && close(fd) != 0) {
    std::fprintf(stderr, "gen_users: cannot write %s: %s\n", out.c_str(), std::strerror(errno));
    return 1;
  }
  return 0;
}
