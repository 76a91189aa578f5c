#!/usr/bin/env bash
# AddressSanitizer check of the ONNX importer: builds scripts/asan (the importer,
# src/core, src/ir, the executor and the ONNX fuzz + error tests, not the rest of
# qdse) into build-asan with -fsanitize=address and runs the tests. Every malformed
# model the tests feed the importer must end in a qdse::Error with no memory error.
# Extra arguments go to the test binary (e.g. --gtest_filter=OnnxFuzz.*).
# libtorch is not instrumented; its allocations at exit are not ours, so leak
# detection is off.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${QDSE_ASAN_BUILD_DIR:-build-asan}
JOBS=${QDSE_JOBS:-$(nproc)}
# RelWithDebInfo at -O1 -g1 (line tables for the reports): 3 min to build on 2
# cores, half the time of the default -O2 -g; the tests then run in about a second.
cmake -S scripts/asan -B "$BUILD" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address -fno-omit-frame-pointer" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target qdse_onnx_asan_tests
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
"$BUILD/qdse_onnx_asan_tests" --gtest_filter='OnnxFuzz.*:OnnxErrors.*:OnnxNaming.*:OnnxDescribe.*' "$@"
