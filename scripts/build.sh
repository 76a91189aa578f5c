#!/usr/bin/env bash
# Configures and builds qdse (Release, Ninja) into build/.
#   bash scripts/build.sh                      everything the configuration enables
#   bash scripts/build.sh --target qdse        only the tool (what the README's main command needs)
# Other arguments go to cmake's configure step (e.g. -DQDSE_BUILD_TESTS=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=()
cmake_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) targets+=(--target "$2"); shift 2 ;;
    *) cmake_args+=("$1"); shift ;;
  esac
done
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_args[@]}" >/dev/null
cmake --build build -j "$(nproc)" "${targets[@]}"
