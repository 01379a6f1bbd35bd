#!/usr/bin/env bash
# The test command: installs what is missing, builds (warnings are errors), runs every CTest test (each integration
# test binary starts the PostgreSQL clusters it needs on free loopback ports and stops them); without arguments also
# lints, builds and exercises the Debian package, runs the ASan+UBSan tree (unit tests, one load and two moves, then
# 60 s of each libFuzzer target, built in the same tree) and the TSan tree. Every step runs even if an earlier one
# failed (but nothing runs without dependencies and a build); the exit status is non-zero if any failed, and the last
# lines give each step's time and which failed.
#   ./test.sh                  every step below
#   ./test.sh -L unit          any ctest arguments select tests; only dependencies, build and tests run
# PGLOAD_SKIP_LINT=1, PGLOAD_SKIP_PACKAGE=1, PGLOAD_SKIP_SANITIZE=1 (ASan, fuzzing, TSan) leave steps out;
# PGLOAD_TEST_JOBS sets how many test binaries run at once (default 3).
#
# What each step cost in a bare-clone `bash .ci/run` on this kind of machine (2 cores, idle), 2026-12-06 18:06: 32 min
# 36 s in all (56-58 min before the sanitizer trees moved to clang -O1 and the tests ran three at a time).
#   dependencies  0 s when installed (a first install takes minutes; a busy package manager is waited for)
#   build         6 min 55 s  GCC, RelWithDebInfo, -Werror, Ninja
#   lint          8 min 09 s  clang-format; clang-tidy over every translation unit, -j2
#   tests         5 min 30 s  ctest -j3, the longest first (move_fault_test alone takes ~3 min)
#   package         16 s      cpack -G DEB, apt-get install, a load and a move with the installed tools, apt-get remove
#   asan          4 min 47 s  clang ASan+UBSan -O1 tree with the fuzz targets; unit tests + 4 integration cases
#   fuzz          4 min 11 s  the 7 fuzz/*_fuzz.cpp targets x 60 s, two at a time (4 rounds), in the ASan tree (the
#                             Parquet target's seeds written by DuckDB first); an 8th target costs nothing, a 9th +60 s
#   tsan          2 min 48 s  clang TSan -O1 tree; unit tests + 3 move cases
set -euo pipefail
cd "$(dirname "$0")"

failed=()
report=()
step() {  # step NAME COMMAND...: runs it, times it, remembers a failure instead of stopping
  local name=$1 start=$SECONDS rc=0
  shift
  echo "== $name"
  "$@" || rc=$?
  local took=$((SECONDS - start))
  [[ $rc -eq 0 ]] || failed+=("$name")
  report+=("$(printf '%-13s %3d min %02d s%s' "$name" $((took / 60)) $((took % 60)) "$([[ $rc -eq 0 ]] || echo '   FAILED')")")
  echo "== $name: $((took / 60)) min $((took % 60)) s$([[ $rc -eq 0 ]] || echo ", FAILED (exit $rc)")"
  return 0
}
summary() {
  echo "== time per step"
  printf '   %s\n' "${report[@]}"
  printf '   %-13s %3d min %02d s\n' total $((SECONDS / 60)) $((SECONDS % 60))
}
all=$([[ $# -eq 0 ]] && echo 1 || echo 0)
wants() { [[ $all -eq 1 && "${!1:-0}" != 1 ]]; }  # wants SKIP_VARIABLE: a full run that does not skip this step

step dependencies scripts/install-deps
[[ ${#failed[@]} -eq 0 ]] && step build scripts/build -DPGLOAD_WERROR=ON
if [[ ${#failed[@]} -gt 0 ]]; then
  summary
  printf 'test.sh: FAILED: %s (nothing else can run)\n' "${failed[@]}"
  exit 1
fi

wants PGLOAD_SKIP_LINT && step lint scripts/lint
# Most of a test binary's time is PostgreSQL doing I/O and the tools waiting on it, so three at a time keep the two
# cores busy; ctest prints each binary's output only when it fails.
ctest_log=$(mktemp)
step tests bash -c 'cd build && ctest --output-on-failure --timeout 1500 -j"${PGLOAD_TEST_JOBS:-3}" "$@" 2>&1 |
  tee "'"$ctest_log"'"; exit "${PIPESTATUS[0]}"' ctest "$@"
wants PGLOAD_SKIP_PACKAGE && step package scripts/package-check build
if wants PGLOAD_SKIP_SANITIZE; then
  step asan scripts/sanitize asan
  step fuzz fuzz/run --seconds 60 --jobs 2
  step tsan scripts/sanitize tsan
fi

summary
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'test.sh: FAILED: %s\n' "${failed[@]}"
else
  echo "test.sh: all steps passed"
fi
# Last, the main test run's counts as one plain line (the sanitizer runs repeat a subset of the same tests).
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$ctest_log" | tail -n 1)
bad=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$ctest_log" | tail -n 1)
skipped=$(grep -c '(Skipped)$' "$ctest_log" || true)
rm -f "$ctest_log"
[[ -z $total || -z $bad ]] || echo "tests: $((total - bad - skipped)) passed, $bad failed, $skipped skipped"
[[ ${#failed[@]} -eq 0 ]]
