#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every CTest test (each integration test binary starts
# the PostgreSQL clusters it needs on free loopback ports and stops them), then fuzzes each target briefly.
#   ./test.sh                  all tests (unit, integration, fault) + 60 s per fuzz target
#   ./test.sh -L unit          any ctest arguments select tests; fuzzing runs only without arguments
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps
echo "== building"
scripts/build
echo "== running tests"
(cd build && ctest --output-on-failure --timeout 1500 "$@")
if [ $# -eq 0 ] && [ "${PGLOAD_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzzing (60 s per target)"
  fuzz/run --seconds 60
fi
