// The exit codes of both tools and the error that means "bad command line". One enum so the two tools cannot
// drift: the values are contracts (scripts test them), so names may be added but numbers never change.
#pragma once

#include <stdexcept>

namespace pgload {

enum ExitCode : int {
  kExitOk = 0,
  kExitLoaded = 0,       // pgload: loaded (or dry run finished)
  kExitInputErrors = 1,  // pgload: bad rows past --max-errors, malformed input; nothing loaded
  kExitMoveFailed = 1,   // pgmove: a move failed and was rolled back
  kExitUsage = 2,        // both: bad options, unknown table/column/shard/node; nothing done
  kExitCluster = 3,      // both: coordinator or worker unreachable, server rejected the work
  kExitSource = 4,       // pgload: the input could not be read (HTTP error, drop without Range, truncated gzip)
  kExitInDoubt = 5,      // pgload: commit decided but some COMMIT PREPARED failed: run `pgload recover`
};

// Bad command line (or a value in it): reported as "TOOL: message", exit kExitUsage.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace pgload
