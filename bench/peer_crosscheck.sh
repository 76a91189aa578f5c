#!/usr/bin/env bash
# Per-sample cross-check of qdse's quantized predictions against the PyTorch peer
# (bench/peer_crosscheck.py; see bench/README.md). Builds qdse_predictions_dump in
# BUILD (default build-bench, configured with -DQDSE_BUILD_BENCH=ON) under the shared
# build lock if it is missing, then compares labels sample by sample. Extra arguments
# go to peer_crosscheck.py (e.g. --num-samples 2000 --json out.json).
# Exit 0 = no mismatch, 1 = mismatches or failure, 77 = skipped (no python/torch/peer).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$root/build-bench}"
peer="${PEER_DIR:-$root/../shared/bench/peer}"
python="${PYTHON:-/usr/bin/python3}"
dump="$build/bench/qdse_predictions_dump"

if ! "$python" -c "import torch, numpy" 2>/dev/null; then
  echo "skip: $python cannot import torch and numpy"; exit 77
fi
if [ ! -f "$peer/quant.py" ] || [ ! -f "$peer/models/fmnist-mlp.json" ]; then
  echo "skip: no peer harness with trained weights at $peer"; exit 77
fi
if [ ! -x "$dump" ]; then
  if [ ! -f "$build/build.ninja" ]; then
    flock /tmp/qdse-build.lock cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DQDSE_BUILD_BENCH=ON -DQDSE_BUILD_TESTS=OFF >/dev/null
  fi
  flock /tmp/qdse-build.lock ninja -C "$build" -j2 qdse_predictions_dump
fi
cd "$root"
exec "$python" "$root/bench/peer_crosscheck.py" --dump "$dump" --peer "$peer" "$@"
