#!/usr/bin/env bash
# The README's test command: builds (with tests) and runs every test with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DQDSE_BUILD_TESTS=ON
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
