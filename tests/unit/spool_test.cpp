// Spool: io_uring and pread/pwrite give identical bytes, short transfers are looped over, and the consumer can read
// while the producer writes and re-read from the start (the retry path of a failed target).
#include "mover/copy/spool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "tests/support/test_cluster.h"

using pgload::FileIo;
using pgload::Spool;
using pgload::SpoolIoMode;

namespace {
std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

bool uring_available() {
  try {
    FileIo io(SpoolIoMode::Uring);
    return true;
  } catch (const std::system_error&) {
    return false;
  }
}

struct TempFile {
  std::string dir = pgload::test::temp_dir("pgload-spool");
  int fd = -1;
  TempFile() { fd = ::open((dir + "/f").c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600); }
  ~TempFile() { ::close(fd); }
};

// Writes `data` in uneven pieces, then reads it back in uneven pieces.
std::string roundtrip(FileIo& writer, FileIo& reader, const std::string& data) {
  TempFile f;
  size_t off = 0, piece = 1;
  while (off < data.size()) {
    size_t n = std::min(piece, data.size() - off);
    writer.write_all(f.fd, off, std::string_view(data).substr(off, n));
    off += n;
    piece = piece * 3 + 1;
  }
  std::string out(data.size() + 100, '\0');
  size_t got = 0;
  piece = 5;
  while (true) {
    size_t n = reader.read_full(f.fd, got, out.data() + got, std::min(piece, out.size() - got));
    got += n;
    if (n < piece || got == out.size()) break;
    piece = piece * 2 + 3;
  }
  out.resize(got);
  return out;
}
}  // namespace

TEST(Spool, PosixRoundTripIsExact) {
  auto data = random_bytes(3 * 1024 * 1024 + 17, 1);
  FileIo w(SpoolIoMode::Posix), r(SpoolIoMode::Posix);
  EXPECT_FALSE(w.uses_uring());
  EXPECT_EQ(roundtrip(w, r, data), data);
}

TEST(Spool, UringAndPosixGiveIdenticalBytes) {
  if (!uring_available()) GTEST_SKIP() << "kernel refuses io_uring here; the fallback is covered above";
  auto data = random_bytes(3 * 1024 * 1024 + 17, 2);
  FileIo uw(SpoolIoMode::Uring), ur(SpoolIoMode::Uring), pw(SpoolIoMode::Posix), pr(SpoolIoMode::Posix);
  EXPECT_TRUE(uw.uses_uring());
  EXPECT_EQ(roundtrip(uw, pr, data), data);  // written by io_uring, read by pread
  EXPECT_EQ(roundtrip(pw, ur, data), data);  // written by pwrite, read by io_uring
  EXPECT_EQ(roundtrip(uw, ur, data), data);
}

TEST(Spool, AutoModeFallsBackOrUsesUring) {
  FileIo io(SpoolIoMode::Auto);
  EXPECT_EQ(io.uses_uring(), uring_available());
}

TEST(Spool, ShortTransfersAreLoopedOver) {
  auto data = random_bytes(100'003, 3);
  for (auto mode : {SpoolIoMode::Posix, SpoolIoMode::Uring}) {
    if (mode == SpoolIoMode::Uring && !uring_available()) continue;
    FileIo w(mode), r(mode);
    w.set_max_request_bytes(7);  // every request transfers at most 7 bytes: write_all/read_full must loop
    r.set_max_request_bytes(7);
    EXPECT_EQ(roundtrip(w, r, data), data);
  }
}

TEST(Spool, ReadPastEndIsShortNotAnError) {
  TempFile f;
  FileIo io(SpoolIoMode::Auto);
  io.write_all(f.fd, 0, "hello");
  char buf[16];
  EXPECT_EQ(io.read_full(f.fd, 3, buf, sizeof buf), 2u);
  EXPECT_EQ(std::string(buf, 2), "lo");
  EXPECT_EQ(io.read_full(f.fd, 5, buf, sizeof buf), 0u);
}

// The producer appends while the consumer reads with a small buffer; then the consumer reads it all again.
TEST(Spool, ConsumerFollowsProducerAndCanReplay) {
  for (auto mode : {SpoolIoMode::Posix, SpoolIoMode::Auto}) {
    auto dir = pgload::test::temp_dir("pgload-spool");
    auto data = random_bytes(2 * 1024 * 1024 + 5, 4);
    Spool spool(dir, mode);
    spool.set_max_request_bytes(4093);
    std::thread producer([&] {
      for (size_t off = 0; off < data.size(); off += 65'537) spool.append(std::string_view(data).substr(off, 65'537));
      spool.finish();
    });
    auto drain = [&] {
      std::string out;
      char buf[10'000];
      uint64_t off = 0;
      while (size_t n = spool.read(off, buf, sizeof buf)) {
        out.append(buf, n);
        off += n;
      }
      return out;
    };
    std::string first = drain();
    producer.join();
    EXPECT_EQ(first, data);
    EXPECT_EQ(drain(), data);  // replay from the start: what a retried target reads
    EXPECT_EQ(spool.size(), data.size());
    // unlinked at once: nothing in the directory
    EXPECT_EQ(pgload::test::run_command("ls -A " + dir).output, "");
  }
}

TEST(Spool, ProducerFailureReachesConsumerAfterTheData) {
  Spool spool(pgload::test::temp_dir("pgload-spool"));
  spool.append("abc");
  spool.fail("source 127.0.0.1:1 went away");
  char buf[8];
  EXPECT_EQ(spool.read(0, buf, sizeof buf), 3u);
  try {
    (void)spool.read(3, buf, sizeof buf);
    FAIL() << "expected the producer's error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("went away"), std::string::npos);
  }
}
