#!/usr/bin/env bash
# Peak RSS of a long search with few samples (issue 13, item 13): random search over
# the large space (bench/configs/fmnist_mlp_peer_large.toml, 27 000 configurations)
# with num_samples = 512 and `--storage memory:`, 30 000 trials, 1 thread. Each trial
# is cheap, so the memo turns over (evicts and refills) thousands of times while the
# trial records keep growing: the case where heap fragmentation used to make RSS grow
# with the number of trials (2.5 GB at 30 000 trials).
#
# Two runs: memo_budget_mb = MEM_BUDGET_MB (default 384, the default budget) and
# memo_budget_mb = 0 (no memo). The memo-off run measures what legitimately grows with
# the trials (trial records, result cache): records = its peak - its RSS after trial 1.
# The bound checked (docs/performance.md):
#   peak <= 1.2 x (RSS after trial 1 + records + memo budget)
# with the peak and the first-trial RSS that `qdse search` records in best.json
# (summary.peak_rss_mb: the search itself, before trials.json and the report). The
# process peak (/usr/bin/time -v, report included) and an RSS timeline (VmRSS every 2 s,
# <name>.rss) are printed too. Exit 1 when the bound is exceeded.
#
#   bash bench/memory_e2e.sh    # memo run ~1 min, memo-off run ~5 min (2-core VM)
#   MEM_TRIALS=3000 bash bench/memory_e2e.sh
# Environment: BUILD (default build, holds qdse), PEER_DIR (default ../shared/bench/peer
# from the project root), OUT (default a new /tmp/qdse-mem-* dir), MEM_TRIALS (30000),
# MEM_SAMPLES (512), MEM_BUDGET_MB (384), MEM_SEED (0).
set -euo pipefail
source "$(dirname "$0")/common.sh"
weights="$peer/models/fmnist-mlp.json"
out="${OUT:-$(mktemp -d /tmp/qdse-mem-XXXXXX)}"
trials="${MEM_TRIALS:-30000}"
samples="${MEM_SAMPLES:-512}"
budget="${MEM_BUDGET_MB:-384}"
seed="${MEM_SEED:-0}"
mkdir -p "$out"
[ -x "$qdse" ] || { echo "no $qdse: build it first (scripts/build.sh)"; exit 1; }
[ -f "$weights" ] || { echo "no peer weights at $weights"; exit 1; }

run_case() {  # run_case NAME MEMO_MB
  local name=$1 memo=$2 cfg="$out/$1.toml"
  sed -e "s/^num_samples = .*/num_samples = $samples/" \
      -e "s/^name = \"optuna\"$/name = \"optuna\"\nmemo_budget_mb = $memo/" \
      "$root/bench/configs/fmnist_mlp_peer_large.toml" > "$cfg"
  grep -q "^memo_budget_mb = $memo$" "$cfg" || { echo "could not set memo_budget_mb in $cfg"; exit 1; }
  rm -rf "$out/$name.run"
  echo "== $name: $trials random trials, $samples samples, memo_budget_mb = $memo" >&2
  /usr/bin/time -v -o "$out/$name.time" "$qdse" --threads 1 -q search --config "$cfg" --load "$weights" \
    --sampler random --seed "$seed" --n-trials "$trials" --storage memory: --out "$out/$name.run" \
    > "$out/$name.out" 2> "$out/$name.err" &
  local timer=$! pid="" t=0
  : > "$out/$name.rss"
  while kill -0 "$timer" 2>/dev/null; do
    [ -n "$pid" ] || pid=$(pgrep -P "$timer" -x qdse || true)
    if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
      awk -v t="$t" '/^VmRSS/ { printf "%d %.0f\n", t, $2 / 1024 }' "/proc/$pid/status" >> "$out/$name.rss" || true
    fi
    sleep 2
    t=$((t + 2))
  done
  wait "$timer" || { echo "$name failed:"; tail -20 "$out/$name.err"; exit 1; }
}

run_case memo "$budget"
run_case nomemo 0

/usr/bin/python3 - "$out" "$budget" <<'EOF'
import json, re, sys
out, budget = sys.argv[1], float(sys.argv[2])

def case(name):
    s = json.load(open(f"{out}/{name}.run/best.json"))["summary"]
    text = open(f"{out}/{name}.time").read()
    proc = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    rss = [tuple(map(float, l.split())) for l in open(f"{out}/{name}.rss") if l.strip()]
    return s, proc, wall, rss

memo, nomemo = case("memo"), case("nomemo")
records = nomemo[0]["peak_rss_mb"] - nomemo[0]["rss_after_first_trial_mb"]
first = memo[0]["rss_after_first_trial_mb"]
bound = 1.2 * (first + records + budget)
print(f"{'run':<8} {'trials':>7} {'search s':>9} {'after trial 1 MB':>17} {'search peak MB':>15} "
      f"{'process peak MB':>16} {'wall':>8}")
for name, (s, proc, wall, _) in (("memo", memo), ("nomemo", nomemo)):
    print(f"{name:<8} {s['trials']:>7} {s['seconds']:>9.1f} {s['rss_after_first_trial_mb']:>17.0f} "
          f"{s['peak_rss_mb']:>15.0f} {proc:>16.0f} {wall:>8}")
for name, (_, _, _, rss) in (("memo", memo), ("nomemo", nomemo)):
    if rss:
        pick = [rss[min(len(rss) - 1, int(len(rss) * q))] for q in (0.1, 0.25, 0.5, 0.75, 1.0)]
        print(f"{name} VmRSS timeline (s: MB): " + ", ".join(f"{t:.0f}: {m:.0f}" for t, m in pick))
print(f"records (memo-off growth) {records:.0f} MB; bound 1.2 x ({first:.0f} + {records:.0f} + {budget:.0f}) "
      f"= {bound:.0f} MB; search peak {memo[0]['peak_rss_mb']:.0f} MB: "
      + ("within" if memo[0]["peak_rss_mb"] <= bound else "EXCEEDED"))
sys.exit(0 if memo[0]["peak_rss_mb"] <= bound else 1)
EOF
