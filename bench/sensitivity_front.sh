#!/usr/bin/env bash
# Issue 17, two-objective goal: the fmnist-mlp SMALL space (216 configurations, full test
# split, peer weights) with the Optuna peer's objectives, accuracy up and average bit width
# down (bench/configs/fmnist_mlp_peer_small_multi.toml). Hypervolume with the peer's
# reference point (accuracy 0, bit width 32: `--hv-reference 0,32`), so the figures compare
# with ../shared/bench/peer/results/summary.md (exhaustive front 24.162; Optuna TPE after 60
# trials 23.81, NSGA-II 23.76). Goal: >= 24.10 after 20 evaluations, every evaluation of
# the sensitivity pass counted (its pass is its first 10 trials).
# `qdse compare` runs brute force once and every other sampler with seeds 0..REPEATS-1;
# TOL = 0.00258 makes "within tolerance" mean hypervolume >= 24.10 (24.1624 x (1 - TOL)).
#
#   bash bench/sensitivity_front.sh          # ~30 s on 2 cores
# Environment: BUILD (default build), PEER_DIR (default ../shared/bench/peer), OUT (default
# a new /tmp/qdse-front-* dir), REPEATS (10).
set -euo pipefail
source "$(dirname "$0")/common.sh"
weights="$peer/models/fmnist-mlp.json"
out="${OUT:-$(mktemp -d /tmp/qdse-front-XXXXXX)}"
repeats="${REPEATS:-10}"
config=bench/configs/fmnist_mlp_peer_small_multi.toml
for n in 20 60; do
  echo "== hypervolume after $n trials (final column), reference (accuracy 0, bit width 32)"
  "$qdse" --threads 1 -q compare --config "$config" --load "$weights" \
    --strategies bruteforce,sensitivity,tpe,nsgaii --repeats "$repeats" --n-trials "$n" \
    --hv-reference 0,32 --tolerance 0.00258 --out "$out/n$n"
done
echo "outputs in $out"
