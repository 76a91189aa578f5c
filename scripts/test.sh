#!/usr/bin/env bash
# The README's test command: builds (with tests) and runs every test with CTest.
# Prints how many tests were skipped, and which (a skipped test says why). With
# QDSE_REQUIRE_ALL=1 (set by .ci/run) a test whose prerequisite is missing fails
# instead of skipping (tests/support/prerequisites.hpp).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DQDSE_BUILD_TESTS=ON
log=build/ctest.log
status=0
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@" 2>&1 | tee "$log" || status=$?
skipped=$(grep -c '(Skipped)' "$log" || true)
echo "test.sh: ${skipped} skipped test(s)"
grep '(Skipped)' "$log" | sed 's/^/  /' || true
exit "$status"
