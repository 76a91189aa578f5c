#!/usr/bin/env bash
# Issue 17, solver time on networks with >= 20 quantizable layers: `qdse sensitivity` (the
# pass, NUM_SAMPLES validation samples, default 200: the pass costs 1 + 3 x layers
# evaluations of the whole network) then `qdse plan --sensitivity` for the whole predicted
# front against BitOPs and model size, REPEATS times each (the solver's time is printed as
# solver_ms; goal <= 100 ms). Networks: configs/resnet18_fmnist.toml (21 layers x weight
# {4,6,8}, 3^21 configurations) and configs/mobilenet_v2_fmnist.toml (53 layers, 3^53);
# models/ is made by scripts/export-torchvision.py (see the configs' headers).
#
#   bash bench/sensitivity_plan_nets.sh      # ~1 min on 2 cores
# Environment: BUILD (default build), OUT (default a new /tmp/qdse-plan-* dir),
# NUM_SAMPLES (200), REPEATS (3).
set -euo pipefail
source "$(dirname "$0")/common.sh"
out="${OUT:-$(mktemp -d /tmp/qdse-plan-XXXXXX)}"
samples="${NUM_SAMPLES:-200}"
repeats="${REPEATS:-3}"
mkdir -p "$out"
for net in resnet18 mobilenet_v2; do
  config="$out/${net}.toml"
  # The shipped config with fewer samples; its model path made absolute (it is relative to configs/).
  sed -e "s|^model = \"../models/|model = \"$root/models/|" -e "s/^num_samples = 1000/num_samples = $samples/" \
    "configs/${net}_fmnist.toml" > "$config"
  "$qdse" --threads 1 -q sensitivity --config "$config" --out "$out/$net" | tail -2
  for cost in bitops model_size; do
    for r in $(seq "$repeats"); do
      "$qdse" --threads 1 -q --json plan --sensitivity "$out/$net/sensitivity.json" --cost "$cost" > "$out/$net-$cost-$r.json"
      python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(f\"$net $cost run $r: {len(j['plans'])} plans, solver {j['solver_ms']:.3f} ms\")" "$out/$net-$cost-$r.json"
    done
  done
done
echo "outputs in $out"
