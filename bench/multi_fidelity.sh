#!/usr/bin/env bash
# Multi-fidelity ([search.strategy.multi_fidelity], docs/search.md) against the same search
# without it, in one run, 1 thread, the peer's fmnist-mlp weights:
#   small    configs/fmnist_mlp_peer_small.toml: 216 configurations, full 10k test split
#   large    configs/fmnist_mlp_peer_large.toml: 27,000 configurations, first 2000 test samples
#   *_front  the same spaces with accuracy and average_bitwidth as two objectives
#   tpe      the large space, TPE, 1000 trials, seed 0
#   cnn      fmnist-cnn's small space (bench/configs/fmnist_cnn_peer_small.toml, 216
#            configurations, full 10k test split), the peer's fmnist-cnn weights; cnn_front
#            the same with two objectives
# each brute force (tpe: TPE) without multi-fidelity, with the safe bound and with the
# heuristic margins in MF_MARGINS (default "0.05 0.02"), rungs MF_RUNGS (default
# [0.125, 0.5, 1.0]). bench/multi_fidelity_summary.py prints per run: trials, pruned,
# evaluation samples scored (and the factor saved against the run without), search
# seconds, and whether the best trial / front equals the run without multi-fidelity
# (for tpe: the exhaustive optimum of `large`).
#
#   bash bench/multi_fidelity.sh          # ~2 min on one core
# Environment: BUILD (default build, holds qdse), PEER_DIR (default ../shared/bench/peer),
# OUT (default a new /tmp/qdse-mf-* dir), MF_CASES (default "small large small_front large_front tpe").
set -euo pipefail
source "$(dirname "$0")/common.sh"
peer_models="$peer/models"
weights="$peer_models/fmnist-mlp.json"
out="${OUT:-$(mktemp -d /tmp/qdse-mf-XXXXXX)}"
cases="${MF_CASES:-small large small_front large_front tpe}"
margins="${MF_MARGINS:-0.05 0.02}"
rungs="${MF_RUNGS:-[0.125, 0.5, 1.0]}"
mkdir -p "$out"
[ -x "$qdse" ] || { echo "no $qdse: build it first (scripts/build.sh)"; exit 1; }
[ -f "$weights" ] || { echo "no peer weights at $weights"; exit 1; }

base_config() {  # base_config CASE: the config without multi-fidelity, on stdout
  case "$1" in
    small) cat configs/fmnist_mlp_peer_small.toml ;;
    cnn) cat bench/configs/fmnist_cnn_peer_small.toml ;;
    large) cat configs/fmnist_mlp_peer_large.toml ;;
    small_front | large_front | cnn_front)  # two objectives: accuracy up, average bit width down
      base_config "${1%_front}" | sed -e 's/^sum_scaled_metrics = true/sum_scaled_metrics = false/' \
        -e 's/^average_bitwidth.scale = .*/average_bitwidth.scale = 1.0/' ;;
    tpe) base_config large | sed -e 's/^sampler = "bruteforce"/sampler = "tpe"\nseed = 0/' \
           -e 's/^n_trials = 27000/n_trials = 1000/' ;;
  esac
}

for c in $cases; do
  for v in off safe $margins; do
    cfg="$out/$c.$v.toml"
    base_config "$c" > "$cfg"
    if [ "$v" != off ]; then
      printf '[search.strategy.multi_fidelity]\nenabled = true\nrungs = %s\n' "$rungs" >> "$cfg"
      [ "$v" = safe ] || echo "margin = $v" >> "$cfg"
    fi
    rm -rf "$out/$c.$v.run"
    echo "== $c $v" >&2
    case "$c" in cnn*) w="$peer_models/fmnist-cnn.json" ;; *) w="$weights" ;; esac
    "$qdse" --threads 1 -q search --config "$cfg" --load "$w" --out "$out/$c.$v.run" --storage memory: \
      > "$out/$c.$v.out" 2> "$out/$c.$v.err" || { echo "$c $v failed:"; tail -5 "$out/$c.$v.err"; exit 1; }
  done
done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); runs in $out"
python3 "$root/bench/multi_fidelity_summary.py" "$out" $cases -- off safe $margins
