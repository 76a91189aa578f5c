#!/usr/bin/env bash
# Sampler cost, qdse against Optuna, in one run (issues 4 and 8): qdse_sampler_bench
# (bench/sampler_bench.cpp) and bench/optuna_sampler_bench.py on the same space (the
# fmnist-mlp large space shape, 6 categorical params, 27 000 configs), the same
# synthetic objective and histories of 100 / 1000 / 5000 finished trials; then one
# table: qdse ask, qdse ask+tell (Study + InMemoryStorage), Optuna ask+suggest+tell,
# and Optuna / qdse. Goal (issue 4): TPE ask < 2 ms at 1000 trials.
#   bash bench/sampler_vs_optuna.sh        # ~3 min; BENCH_BUILD (default build-bench)
# Environment: SIZES (default 100,1000,5000), OUT (default a new /tmp dir).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bench_build="${BENCH_BUILD:-$root/build-bench}"
sizes="${SIZES:-100,1000,5000}"
out="${OUT:-$(mktemp -d /tmp/qdse-sampler-XXXXXX)}"
mkdir -p "$out"
bin="$bench_build/bench/qdse_sampler_bench"
if [ ! -x "$bin" ]; then
  if [ ! -f "$bench_build/build.ninja" ]; then
    flock /tmp/qdse-build.lock cmake -S "$root" -B "$bench_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DQDSE_BUILD_BENCH=ON -DQDSE_BUILD_TESTS=OFF >/dev/null
  fi
  flock /tmp/qdse-build.lock ninja -C "$bench_build" -j2 qdse_sampler_bench
fi
filter="/($(echo "$sizes" | tr ',' '|'))(/|$)"
echo "== qdse_sampler_bench" >&2
"$bin" --benchmark_filter="$filter" --benchmark_format=json --benchmark_out="$out/qdse.json" \
  --benchmark_out_format=json > /dev/null
echo "== optuna_sampler_bench.py" >&2
/usr/bin/python3 "$root/bench/optuna_sampler_bench.py" --sizes "$sizes" --iters 20 --json "$out/optuna.json" >&2
/usr/bin/python3 - "$out/qdse.json" "$out/optuna.json" <<'PY'
import json, re, sys
q = json.load(open(sys.argv[1]))
o = json.load(open(sys.argv[2]))
us = {}
for b in q["benchmarks"]:
    m = re.match(r"BM_(\w+?)(AskTell|Ask)/(\d+)", b["name"])
    if not m or b.get("run_type") == "aggregate":
        continue
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b["time_unit"]]
    us[(m.group(1), m.group(2), int(m.group(3)))] = b["real_time"] * scale
names = {"tpe": "Tpe", "tpe-mv": "TpeMultivariate", "motpe": "Motpe", "nsgaii": "NsgaII", "random": "Random"}
print(f"{'sampler':8s} {'trials':>6s} {'qdse ask ms':>12s} {'qdse ask+tell ms':>17s} "
      f"{'optuna ms':>10s} {'optuna median':>13s} {'optuna/qdse':>11s}")
for r in o["results"]:
    k = names[r["sampler"]]
    ask = us.get((k, "Ask", r["history"]))
    at = us.get((k, "AskTell", r["history"]))
    ratio = f"{r['ms_per_trial'] / (at / 1e3):11.3g}" if at else f"{'n/a':>11s}"
    fmt = lambda v: f"{v / 1e3:.3f}" if v is not None else "n/a"
    print(f"{r['sampler']:8s} {r['history']:6d} {fmt(ask):>12s} {fmt(at):>17s} "
          f"{r['ms_per_trial']:10.3f} {r['ms_per_trial_median']:13.3f} {ratio}")
print("optuna ms = mean of study.ask() + 6 x suggest_categorical + study.tell() "
      f"(optuna {o['optuna']}); ratio = optuna mean / qdse ask+tell")
PY
echo "raw results in $out" >&2
