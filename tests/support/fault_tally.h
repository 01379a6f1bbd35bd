// The fault suites' shared tally, printed once per binary as
// `faults: N injected, N recovered, N rows lost, N duplicated` (the summary line the fault issue asks for).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>

namespace pgload::test {

struct FaultTally {
  int injected = 0, recovered = 0;
  int64_t lost = 0, duplicated = 0;
};

inline FaultTally& fault_tally() {
  static FaultTally tally;
  return tally;
}

// Registered by each fault binary: prints the tally after the last test.
class FaultTallyPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    const FaultTally& t = fault_tally();
    std::printf("faults: %d injected, %d recovered, %lld rows lost, %lld duplicated\n", t.injected, t.recovered,
                static_cast<long long>(t.lost), static_cast<long long>(t.duplicated));
    std::fflush(stdout);
  }
};

}  // namespace pgload::test
