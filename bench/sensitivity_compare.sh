#!/usr/bin/env bash
# Issue 17 bench: the `sensitivity` sampler against qdse TPE (default and with
# tpe.ordered_categoricals) and NSGA-II on the fmnist-mlp LARGE space (27 000
# configurations, first 2000 test samples, the peer's objective accuracy - 0.00625 x
# average_bitwidth, peer weights): bench/configs/fmnist_mlp_peer_large.toml.
# `qdse compare` runs brute force once (the exhaustive optimum, 0.842069) and every other
# sampler with seeds 0..REPEATS-1, N_TRIALS trials each, on one shared evaluator. Every
# trial counts, the sensitivity pass's included (its trials are ordinary trials).
# Also TPE with warm_start = true (the predicted model-size front of `qdse sensitivity` first).
# Two tolerances: 0.5% of the optimum (TOL_REL, the issue's goal: 0.00421) and the
# absolute 0.005 that docs/search.md's TPE figures used.
#
#   bash bench/sensitivity_compare.sh          # ~5 min on 2 cores
# Environment: BUILD (default build), PEER_DIR (default ../shared/bench/peer), OUT
# (default a new /tmp/qdse-sens-* dir), REPEATS (10), N_TRIALS (300).
# Prints compare's table per run and a summary of the medians (bench/sensitivity_summary.py).
set -euo pipefail
source "$(dirname "$0")/common.sh"
weights="$peer/models/fmnist-mlp.json"
out="${OUT:-$(mktemp -d /tmp/qdse-sens-XXXXXX)}"
repeats="${REPEATS:-10}"
n_trials="${N_TRIALS:-300}"
config=bench/configs/fmnist_mlp_peer_large.toml
mkdir -p "$out"
# TPE with distance kernels for the ordered widths (its best setting on this space).
ordered="$out/fmnist_mlp_peer_large_ordered.toml"
{ cat "$config"; printf '[search.strategy.tpe]\nordered_categoricals = true\n'; } > "$ordered"
# TPE warm-started from the predicted front (its table measured once here, 91 evaluations
# that `qdse compare` counts before each warm-started run's trials: the table's recorded evaluations).
"$qdse" --threads 1 -q sensitivity --config "$config" --load "$weights" --out "$out/sens"
warm="$out/fmnist_mlp_peer_large_warm.toml"
# The front's cost is model_size_bits: the objective's average_bitwidth is model_size_bits /
# the parameter count, so that front holds the objective's optimum candidates.
{ cat "$config"; printf '[search.strategy.tpe]\nwarm_start = true\nwarm_start_table = "sens/sensitivity.json"\n'
  printf '[search.strategy.sensitivity]\ncost = "model_size_bits"\n'; } > "$warm"
for tol in 0.00421 0.005; do
  "$qdse" --threads 1 -q compare --config "$config" --load "$weights" \
    --strategies bruteforce,sensitivity,tpe,nsgaii --repeats "$repeats" --n-trials "$n_trials" \
    --tolerance "$tol" --out "$out/default-$tol"
  "$qdse" --threads 1 -q compare --config "$ordered" --load "$weights" \
    --strategies bruteforce,tpe --repeats "$repeats" --n-trials "$n_trials" \
    --tolerance "$tol" --out "$out/ordered-$tol"
  "$qdse" --threads 1 -q compare --config "$warm" --load "$weights" \
    --strategies bruteforce,tpe --repeats "$repeats" --n-trials "$n_trials" \
    --tolerance "$tol" --out "$out/warm-$tol"
done
echo "outputs in $out"
