#!/usr/bin/env bash
# Issue 17 goal on a network with >= 20 quantizable layers: resnet18 adapted to
# Fashion-MNIST (21 conv/linear layers, weight width 4/6/8 each, 3^21 configurations;
# configs/resnet18_fmnist.toml), objectives accuracy (max) and BitOPs (min). The
# `sensitivity` sampler with SENS_TRIALS evaluations (its pass of 1 + 21 x 2 single-layer
# trials counted) against qdse TPE with TPE_TRIALS, same seed, same NUM_SAMPLES
# evaluation samples. Prints each run's wall time, front size and hypervolume
# (bench/front_hypervolume.py: BitOPs over the float model's, reference point accuracy 0.1
# = chance and BitOPs = the float model's), also after the first k trials.
#
#   bash bench/sensitivity_resnet18.sh      # ~8 min on one core at NUM_SAMPLES=1000
# Environment: BUILD (default build), OUT (default a new /tmp/qdse-sens18-* dir),
# NUM_SAMPLES (1000, the config's own), SENS_TRIALS (100), TPE_TRIALS (300), SEED (0).
set -euo pipefail
source "$(dirname "$0")/common.sh"
out="${OUT:-$(mktemp -d /tmp/qdse-sens18-XXXXXX)}"
samples="${NUM_SAMPLES:-1000}"
sens_trials="${SENS_TRIALS:-100}"
tpe_trials="${TPE_TRIALS:-300}"
seed="${SEED:-0}"
mkdir -p "$out"
[ -f models/resnet18_op13.onnx ] ||
  /usr/bin/python3 scripts/export-torchvision.py models --models resnet18 --opsets 13 --train-epochs 1 --train-limit 10000
# The README's config with the model path made absolute (the copy lives in $out) and the
# evaluation samples set; no timeout.
config="$out/resnet18_bench.toml"
sed -e "s|^model = \"../models/|model = \"$root/models/|" -e "s|^num_samples = 1000$|num_samples = $samples|" \
    -e "s|^timeout = .*|timeout = 0|" configs/resnet18_fmnist.toml > "$config"
grep -q "num_samples = $samples" "$config" || { echo "sensitivity_resnet18: could not set num_samples" >&2; exit 1; }
run() {  # name sampler trials
  local t0 t1
  t0=$(date +%s.%N)
  "$qdse" -q search --config "$config" --sampler "$2" --n-trials "$3" --seed "$seed" --storage memory: \
    --out "$out/$1" > "$out/$1.log" 2>&1 || { cat "$out/$1.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$1: $3 trials in $(echo "$t1 - $t0" | bc) s"
}
run sensitivity sensitivity "$sens_trials"
run tpe tpe "$tpe_trials"
/usr/bin/python3 bench/front_hypervolume.py "$out/sensitivity" "$out/tpe"
echo "runs in $out"
