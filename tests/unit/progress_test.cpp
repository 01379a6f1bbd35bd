// Progress without a terminal (tests never have one): nothing is drawn and the status callback is never called,
// but printed lines still come out whole and in order.
#include "common/progress.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include <unistd.h>

namespace pgload {
namespace {

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

TEST(Progress, NotATerminalDrawsNothingButPrintsLines) {
  if (isatty(2)) GTEST_SKIP() << "stderr is a terminal";
  std::atomic<int> renders{0};
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Progress p(/*requested=*/true,
               [&] {
                 ++renders;
                 return std::string("status");
               },
               1);
    EXPECT_FALSE(p.drawing());
    p.print(f, "NOTICE:  first");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    p.print(f, "second");
  }
  EXPECT_EQ(renders.load(), 0);
  EXPECT_EQ(read_all(f), "NOTICE:  first\nsecond\n");
  std::fclose(f);
}

TEST(Progress, StopIsIdempotent) {
  Progress p(
      false, [] { return std::string(); }, 10);
  p.stop();
  p.stop();
  EXPECT_FALSE(p.drawing());
}

}  // namespace
}  // namespace pgload
