#!/usr/bin/env bash
# End-to-end search benchmark on jsc-tiny, qdse against the PyTorch + Optuna peer, in one
# go from a clean state: the goal measured is "jsc-tiny-sized models (where the baseline
# is dominated by Python overhead): >= 50x trials/s".
#
# DATA ARE SYNTHETIC: the real JSC file is not on this machine and there is no network,
# so bench/jsc_synth.py writes 100 000 JSC-shaped rows (16 named features, 5 one-hot
# classes with class-dependent Gaussian means; seeded): jsc.csv for qdse, the same rows
# as jsc.npz for the peer (its CSV path needs pandas, which /usr/bin/python3 lacks).
# Only the timings mean something; the accuracies do not.
#
# Steps (all under OUT):
#   1. synthetic data (OUT/jsc/jsc.csv for qdse, OUT/jsc_peer/jsc.npz for the peer);
#   2. the peer's train_models.py trains jsc-tiny (5 epochs) into OUT/models
#      (jsc-tiny.pt for the peer, jsc-tiny.json state-dict JSON for qdse --load): both
#      sides use the same weights;
#   3. per eval sample count N in JSC_SAMPLES (default "2000 0"; 0 = the whole 20 000-row
#      test split) and per case in JSC_CASES (default "bruteforce random tpe"):
#        bruteforce: all 6 configs      qdse --sampler bruteforce   peer --sampler bruteforce
#        random:     N_TRIALS (200)     qdse --sampler random       peer --sampler random
#        tpe:        N_TRIALS (200)     qdse --sampler tpe          peer --sampler tpe
#      seed 0, 1 thread on both sides, the peer's "small" space (jsc-tiny has one linear
#      layer, seq_blocks_2: weight {2,4,8} x data_in {4,8}, frac = width // 2, bias = weight
#      format: 6 configs; qdse: bench/configs/jsc_tiny_peer_small.toml with num_samples = N),
#      objective accuracy - 0.2 * average_bitwidth / 32. qdse runs twice per case: with its
#      default storage (SQLite study.db in the run directory) and with --storage memory:.
#      Every process runs under /usr/bin/time -v (process wall, peak RSS). The whole set
#      runs REPEATS times (default 3; the searches are deterministic, the timings are not):
#      the table shows, per side, the repeat with the median trials/s.
#   4. bench/jsc_e2e_summary.py prints the table and the qdse/peer ratios and checks:
#      float accuracy/loss of the weights on the same test rows equal on both sides, every
#      config evaluated by both sides has the same accuracy, and when both sides covered
#      the whole space the optimum (objective and config) is the same. Exit 1 otherwise.
#
# Note: qdse evaluates a configuration once (result cache); Optuna's random/TPE repeat
# configurations and the peer re-evaluates them. With 6 configs, 200 random/TPE trials
# are mostly repeats on qdse's side: the table therefore also gives the unique configs
# and the time per real evaluation (eval ms), whose ratio is the evaluator speed-up alone.
#
#   bash bench/jsc_e2e.sh                       # ~2.5 min
#   OUT=/tmp/x JSC_SAMPLES=2000 JSC_CASES="random" N_TRIALS=500 bash bench/jsc_e2e.sh
# Environment: BUILD (default build, holds qdse), PEER_DIR (default
# ../shared/bench/peer from the project root), OUT (default a new /tmp/qdse-jsc-e2e-* dir), JSC_ROWS (100000),
# JSC_SAMPLES, JSC_CASES, N_TRIALS, JSC_STORAGES (default "default memory:"), REPEATS (3).
set -euo pipefail
source "$(dirname "$0")/common.sh"
qdse="$build/qdse"
config="$root/bench/configs/jsc_tiny_peer_small.toml"
out="${OUT:-$(mktemp -d /tmp/qdse-jsc-e2e-XXXXXX)}"
samples="${JSC_SAMPLES:-2000 0}"
cases="${JSC_CASES:-bruteforce random tpe}"
n_trials="${N_TRIALS:-200}"
storages="${JSC_STORAGES:-default memory:}"
repeats="${REPEATS:-3}"
rows="${JSC_ROWS:-100000}"

[ -x "$qdse" ] || { echo "no $qdse: build it first (scripts/build.sh)"; exit 1; }
[ -x /usr/bin/time ] || { echo "no /usr/bin/time (GNU time) for process wall and peak RSS"; exit 1; }
"$python" -c "import torch, optuna, numpy" || { echo "$python cannot import torch, optuna and numpy"; exit 1; }
[ -f "$peer/mase_search.py" ] || { echo "no peer at $peer"; exit 1; }
mkdir -p "$out"
# Clean state: a previous run's files in OUT would be resumed (qdse study) or mixed in.
rm -rf "$out/jsc" "$out/jsc_peer" "$out/models" "$out/runs" "$out/qdse"
mkdir -p "$out/runs"
# Run a copy of the binary, so that a rebuild of BUILD during the run cannot pull it away.
cp "$qdse" "$out/qdse"
qdse="$out/qdse"

run() { bench_run "$out/runs" "$@"; }  # run NAME CMD...: common.sh

# 1. data, 2. weights
run synth "$python" "$root/bench/jsc_synth.py" --csv "$out/jsc/jsc.csv" --npz "$out/jsc_peer/jsc.npz" \
  --rows "$rows" --seed 0
cat "$out/runs/synth.out" >&2
run train env JSC_DIR="$out/jsc_peer" "$python" "$peer/train_models.py" --models jsc-tiny --threads 1 \
  --outdir "$out/models"
tail -1 "$out/runs/train.out" >&2
[ -f "$out/models/jsc-tiny.pt" ] && [ -f "$out/models/jsc-tiny.json" ] || { echo "training wrote no weights"; exit 1; }

# 3. searches; repeats outermost, so that background load spreads over all cases alike
for n in $samples; do
  # qdse's config with num_samples = N (no CLI flag for it); no relative paths inside.
  cfg="$out/runs/jsc_tiny_peer_small_n$n.toml"
  sed -E "s/^num_samples = .*/num_samples = $n/" "$config" > "$cfg"
  grep -q "^num_samples = $n\$" "$cfg" || { echo "could not set num_samples in $cfg"; exit 1; }
done
for rep in $(seq 1 "$repeats"); do
  for n in $samples; do
    cfg="$out/runs/jsc_tiny_peer_small_n$n.toml"
    peer_n=(); [ "$n" != 0 ] && peer_n=(--num-samples "$n")
    for c in $cases; do
      case $c in
        bruteforce) trials=6 ;;
        random|tpe) trials=$n_trials ;;
        *) echo "unknown case $c (bruteforce, random, tpe)"; exit 1 ;;
      esac
      name="$c.n$n.r$rep"
      for st in $storages; do
        if [ "$st" = default ]; then tag=qdse; extra=(); else tag="qdse_${st//[^a-z]/}"; extra=(--storage "$st"); fi
        run "$name.$tag" "$qdse" --threads 1 -q search --config "$cfg" --data "$out/jsc" \
          --load "$out/models/jsc-tiny.json" --out "$out/runs/$name.$tag.run" \
          --sampler "$c" --n-trials "$trials" --seed 0 "${extra[@]}"
      done
      run "$name.peer" env JSC_DIR="$out/jsc_peer" "$python" "$peer/mase_search.py" --model jsc-tiny \
        --models-dir "$out/models" --threads 1 --compact --objective scalar --space small --seed 0 \
        --sampler "$c" --n-trials "$trials" "${peer_n[@]}" --out "$out/runs/$name.peer.json"
    done
  done
done

# 4. table + checks
"$python" "$root/bench/jsc_e2e_summary.py" "$out" --samples $samples --cases $cases --repeats "$repeats"
