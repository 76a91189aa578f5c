#!/usr/bin/env bash
# End-to-end search benchmark, qdse against the PyTorch + Optuna peer (issue 8), in one
# go, 1 thread on both sides, same model weights (the peer's), same space, same split,
# same objective (accuracy - 0.2 * average_bitwidth / 32), frac = width // 2:
#   a) brute force, small space (216 configs), full 10k test split
#      qdse: configs/fmnist_mlp_peer_small.toml    peer: --sampler bruteforce --space small
#   b) exhaustive large space (27 000 configs), 2000 samples; only with E2E_EXHAUSTIVE=1
#      (the peer takes ~4 min)
#      qdse: bench/configs/fmnist_mlp_peer_large.toml --sampler bruteforce --n-trials 27000
#      peer: --sampler exhaustive --space large --num-samples 2000
#   c) TPE, 1000 trials, large space, 2000 samples, seed 0
#      qdse: bench/configs/fmnist_mlp_peer_large.toml     peer: --sampler tpe --space large
#   d) fmnist-cnn, brute force, small space (216 configs), full 10k test split; only with
#      E2E_CASES=cnn (issue 15; the peer takes ~2.5 min), the peer's fmnist-cnn weights
#      qdse: bench/configs/fmnist_cnn_peer_small.toml   peer: --model fmnist-cnn --sampler bruteforce --space small
# Every run goes through /usr/bin/time -v (peak RSS, process wall time). The float-only
# forward time of the same samples is measured on both sides too (qdse_eval_bench
# --float-only if built in BENCH_BUILD, peer: bench/peer_float_time.py).
# bench/e2e_summary.py prints the table: search seconds (sampling + evaluation, no
# start-up), trials/s, ratio, process wall, peak RSS, best objective, and checks that
# qdse's optimum equals the peer's for a) and b) (exit 1 if not).
#
#   bash bench/search_e2e.sh            # a) and c), ~2 min
#   E2E_EXHAUSTIVE=1 bash bench/search_e2e.sh
# qdse runs once per study storage in E2E_STORAGES (default "default memory:"):
# "default" is what `qdse search` uses without --storage (SQLite study.db in the run
# directory), anything else is passed as --storage (memory: = in-process, no file).
# Environment: BUILD (default build, holds qdse), BENCH_BUILD (default build-bench),
# PEER_DIR (default ../shared/bench/peer from the project root), OUT (default a new /tmp/qdse-e2e-* dir),
# E2E_CASES (default "small tpe", plus "exhaustive" with E2E_EXHAUSTIVE=1; "cnn"), E2E_STORAGES,
# E2E_THREADS (qdse's --threads, default 1; the peer always runs 1 thread).
set -euo pipefail
source "$(dirname "$0")/common.sh"
bench_build="${BENCH_BUILD:-$root/build-bench}"
model=fmnist-mlp  # the network of the case being run (cnn: fmnist-cnn)
weights="$peer/models/$model.json"
qdse_threads="${E2E_THREADS:-1}"
out="${OUT:-$(mktemp -d /tmp/qdse-e2e-XXXXXX)}"
mkdir -p "$out"
cases="${E2E_CASES:-small tpe}"
storages="${E2E_STORAGES:-default memory:}"
if [ "${E2E_EXHAUSTIVE:-0}" = 1 ]; then cases="$cases exhaustive"; fi

[ -x "$qdse" ] || { echo "no $qdse: build it first (scripts/build.sh)"; exit 1; }
"$python" -c "import torch, optuna" || { echo "$python cannot import torch and optuna"; exit 1; }
[ -f "$weights" ] || { echo "no peer weights at $weights"; exit 1; }

run() { bench_run "$out" "$@"; }  # run NAME CMD...: common.sh

qdse_search() {  # qdse_search NAME CONFIG [flags...]: once per storage in $storages
  local name=$1 config=$2; shift 2
  local st tag extra
  for st in $storages; do
    if [ "$st" = default ]; then tag=qdse; extra=(); else tag="qdse_${st//[^a-z]/}"; extra=(--storage "$st"); fi
    rm -rf "$out/$name.$tag.run"
    run "$name.$tag" "$qdse" --threads "$qdse_threads" -q search --config "$config" --load "$weights" \
      --out "$out/$name.$tag.run" "${extra[@]}" "$@"
  done
}
peer_search() {  # peer_search NAME [flags...]
  local name=$1; shift
  run "$name.peer" "$python" "$peer/mase_search.py" --model "$model" --threads 1 --compact \
    --objective scalar --seed 0 --out "$out/$name.peer.json" "$@"
}
float_time() {  # float_time NAME NUM_SAMPLES
  local name=$1 n=$2
  if [ -x "$bench_build/bench/qdse_eval_bench" ]; then
    run "$name.qdse_float" "$bench_build/bench/qdse_eval_bench" --float-only --repeats 5 --threads 1 \
      --num-samples "$n" --weights "$weights"
  fi
  run "$name.peer_float" "$python" "$root/bench/peer_float_time.py" --peer "$peer" --num-samples "$n" --repeats 5
}

for c in $cases; do
  case $c in
    small)
      qdse_search small configs/fmnist_mlp_peer_small.toml
      peer_search small --sampler bruteforce --space small
      float_time small 0 ;;
    exhaustive)
      qdse_search exhaustive bench/configs/fmnist_mlp_peer_large.toml --sampler bruteforce --n-trials 27000
      peer_search exhaustive --sampler exhaustive --space large --num-samples 2000
      float_time exhaustive 2000 ;;
    tpe)
      qdse_search tpe bench/configs/fmnist_mlp_peer_large.toml --sampler tpe --n-trials 1000 --seed 0
      peer_search tpe --sampler tpe --space large --num-samples 2000 --n-trials 1000
      float_time tpe 2000 ;;
    cnn)  # float-only timing of the CNN: bench/cnn_bench.sh
      model=fmnist-cnn; weights="$peer/models/$model.json"
      qdse_search cnn bench/configs/fmnist_cnn_peer_small.toml
      peer_search cnn --sampler bruteforce --space small
      model=fmnist-mlp; weights="$peer/models/$model.json" ;;
    *) echo "unknown case $c (small, exhaustive, tpe, cnn)"; exit 1 ;;
  esac
done
"$python" "$root/bench/e2e_summary.py" "$out" $cases
