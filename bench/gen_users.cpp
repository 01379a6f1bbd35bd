// gen_users: the seed's data, deterministic: users.csv (user_id,url,login,avatar_url; ~108 bytes a row), and with
// --kind the seed's other tables: events.csv (payment_events, JSON in a CSV field) and merchants.csv (a reference
// table). Row i depends only on (seed, i), so --shuffle emits the same rows reordered.
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

constexpr uint64_t kIdStride = 20;      // mean gap between ids; 5M rows reach id ~100M like a GitHub users export
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

// The user_id of users row `index`: ascending with random gaps.
uint64_t user_id(uint64_t key, uint64_t index) {
  return index * kIdStride + 1 + mix(key ^ (index * 3 + 0)) % kIdStride;
}

// Row `index` of the ascending order: everything derives from (key, index).
char* put_row(char* p, uint64_t key, uint64_t index) {
  const uint64_t id = user_id(key, index);
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

constexpr std::string_view kEventTypes[] = {"PushEvent", "PullRequestEvent", "IssuesEvent",  "WatchEvent",
                                            "ForkEvent", "CreateEvent",      "PaymentEvent", "RefundEvent"};
constexpr std::string_view kCountries[] = {"US", "DE", "FR", "JP", "BR", "IN", "GB", "NL"};
constexpr std::string_view kCurrencies[] = {"USD", "EUR", "JPY", "BRL", "INR", "GBP"};

// payment_events row `index`: event_id,event_type,user_id,merchant_id,event_details (jsonb, quotes doubled),created_at.
// user_id is the id of an existing users row (of `users` rows); merchant_id lies in [1, merchants].
char* put_event(char* p, uint64_t key, uint64_t index, uint64_t users, uint64_t merchants) {
  const uint64_t r = mix(key ^ (index * 5 + 0x0e));
  const uint64_t r2 = mix(r);
  p = put_u64(p, index + 1);
  *p++ = ',';
  p = put(p, kEventTypes[r % 8]);
  *p++ = ',';
  p = put_u64(p, user_id(key, (r >> 3) % (users ? users : 1)));
  *p++ = ',';
  p = put_u64(p, 1 + (r2 % (merchants ? merchants : 1)));
  p = put(p, ",\"{\"\"amount\"\": ");
  p = put_u64(p, (r2 >> 8) % 100000);
  *p++ = '.';
  const uint64_t cents = (r2 >> 24) % 100;
  *p++ = static_cast<char>('0' + cents / 10);
  *p++ = static_cast<char>('0' + cents % 10);
  p = put(p, ", \"\"currency\"\": \"\"");
  p = put(p, kCurrencies[(r2 >> 32) % 6]);
  p = put(p, "\"\", \"\"note\"\": \"\"order, \\\"\"gift\\\"\"\"\"}\",");
  // created_at within November 2026.
  const uint64_t second = (r2 >> 40) % (uint64_t{30} * 86400);
  char stamp[32];
  const int n = std::snprintf(stamp, sizeof stamp, "2026-11-%02u %02u:%02u:%02u\n", unsigned(1 + second / 86400),
                              unsigned(second / 3600 % 24), unsigned(second / 60 % 60), unsigned(second % 60));
  return put(p, std::string_view(stamp, static_cast<size_t>(n)));
}

// merchants row `index`: merchant_id,name,country.
char* put_merchant(char* p, uint64_t key, uint64_t index) {
  const uint64_t r = mix(key ^ (index * 7 + 0x3e));
  p = put_u64(p, index + 1);
  p = put(p, ",Merchant ");
  p = put_u64(p, index + 1);
  *p++ = ',';
  p = put(p, kCountries[r % 8]);
  *p++ = '\n';
  return p;
}

[[noreturn]] void usage(const char* error) {
  if (error) std::fprintf(stderr, "gen_users: %s\n", error);
  std::fprintf(stderr,
               "usage: gen_users --rows N [--kind users|events|merchants] [--users U] [--merchants M] [--seed S]\n"
               "                 [--out FILE] [--shuffle]\n"
               "  Writes N rows (no header) to FILE or stdout: users: user_id,url,login,avatar_url;\n"
               "  events: event_id,event_type,user_id,merchant_id,event_details,created_at (user_id one of the\n"
               "  first U users of the same seed, merchant_id in 1..M); merchants: merchant_id,name,country.\n"
               "  Ids ascend unless --shuffle; the output is a pure function of the arguments.\n");
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
  std::string kind = "users";
  uint64_t users = 1000000, merchants = 1000;
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
    } else if (arg == "--kind") {
      kind = std::string(next());
      if (kind != "users" && kind != "events" && kind != "merchants")
        usage(("--kind is users, events or merchants, got '" + kind + "'").c_str());
    } else if (arg == "--users") {
      users = parse_count("--users", next());
    } else if (arg == "--merchants") {
      merchants = parse_count("--merchants", next());
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
  const Permutation order(rows, mix(key));
  for (uint64_t i = 0; i < rows; ++i) {
    const uint64_t index = shuffle ? order(i) : i;
    char* p = writer.reserve();
    if (kind == "users")
      p = put_row(p, key, index);
    else if (kind == "events")
      p = put_event(p, key, index, users, merchants);
    else
      p = put_merchant(p, key, index);
    writer.commit(p);
  }
  writer.flush();
  if (fd != STDOUT_FILENO && close(fd) != 0) {
    std::fprintf(stderr, "gen_users: cannot write %s: %s\n", out.c_str(), std::strerror(errno));
    return 1;
  }
  return 0;
}
