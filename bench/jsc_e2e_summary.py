"""Table of bench/jsc_e2e.sh's runs: qdse against the peer on jsc-tiny (SYNTHETIC data:
timings mean something, accuracies do not).

    /usr/bin/python3 bench/jsc_e2e_summary.py OUT_DIR --samples N... --cases CASE... [--repeats R]

Per sample count N (0 = whole test split), case (bruteforce, random, tpe) and side (qdse
once per storage: "qdse" = default SQLite study.db in the run directory, "qdse_memory" =
--storage memory:; "peer" = mase_search.py), the repeat with the median trials/s:
  trials; unique configs; evals = configs really evaluated (qdse answers repeats from its
  result cache, the peer re-evaluates them); search s = the search loop only (sampling,
  evaluation, storage; no process start-up, data loading or output writing); trials/s
  (with the min-max over the repeats); eval ms = mean time of one real evaluation (qdse:
  per-trial eval_seconds of its uncached trials; peer: eval_ms = rebuild + evaluation +
  metrics); other ms = (search s - real evaluation time) / trials, i.e. sampler, cache
  look-ups, storage; process wall s and peak RSS (/usr/bin/time -v); best objective,
  its accuracy and config.
Then per qdse side the ratios to the peer (medians): trials/s (the goal: >= 50x), time per
real evaluation (the evaluator alone), process wall.
Checks over every repeat (exit 1 if one fails): the float model's accuracy on the same N
test rows is equal on both sides (loss to 1e-6 relative); every config evaluated by both
sides has the same accuracy; where both sides covered the whole space, the optimum
(objective to 1e-9 and config) is the same.
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_summary import time_v  # noqa: E402  (same /usr/bin/time -v parsing)


def cfg_key(cfg):
    """{layer: (weight_width, data_in_width)} -> hashable, printable key."""
    return tuple(sorted(cfg.items()))


def cfg_text(key):
    return " ".join(f"{l}:w{w}d{d}" for l, (w, d) in key)


def qdse_config(params, layers):
    return cfg_key({l: (int(params[f"{l}/config/weight_width"]), int(params[f"{l}/config/data_in_width"]))
                    for l in layers})


def qdse_side(runs, name, tag, layers):
    run = os.path.join(runs, f"{name}.{tag}.run")
    best = json.load(open(os.path.join(run, "best.json")))
    trials = json.load(open(os.path.join(run, "trials.json")))
    s = best["summary"]
    b = best["trials"][0]
    acc = {}
    real = []  # eval seconds of the trials really evaluated (not answered from the cache)
    for t in trials:
        if t.get("state", "").upper() != "COMPLETE":
            continue
        acc[qdse_config(t["params"], layers)] = t["metrics"]["accuracy"]
        if not t["metrics"].get("cached", 0):
            real.append(t["eval_seconds"])
    if len(real) != s["trials"] - s["cached"]:
        raise SystemExit(f"{run}: {len(real)} uncached trials in trials.json, summary says "
                         f"{s['trials'] - s['cached']}")
    wall, rss = time_v(os.path.join(runs, f"{name}.{tag}.time"))
    return {"trials": s["trials"], "unique": len(acc), "evals": len(real), "search_s": s["seconds"],
            "eval_s": sum(real), "best": b["values"][0], "best_accuracy": b["metrics"]["accuracy"],
            "config": qdse_config(b["params"], layers), "wall_s": wall, "rss_mb": rss, "acc": acc,
            "float_acc": best["float_metrics"]["accuracy"], "float_loss": best["float_metrics"]["loss"],
            "num_samples": best["provenance"]["num_samples"]}


def peer_side(runs, name):
    d = json.load(open(os.path.join(runs, f"{name}.peer.json")))
    s = d["summary"]
    trials = d["trials"]
    acc = {}
    for t in trials:
        acc[cfg_key({l: (c["weight_width"], c["data_in_width"]) for l, c in t["config"].items()})] = \
            t["metrics"]["accuracy"]
    bc = cfg_key({l: (c["weight_width"], c["data_in_width"]) for l, c in s["best_config"].items()})
    wall, rss = time_v(os.path.join(runs, f"{name}.peer.time"))
    return {"trials": s["n_trials"], "unique": s["n_unique_configs"], "evals": s["n_trials"],
            "search_s": s["total_wall_s"], "eval_s": sum(t["eval_ms"] for t in trials) / 1e3,
            "best": s["best_scalar_objective"], "best_accuracy": s["best_metrics"]["accuracy"], "config": bc,
            "wall_s": wall, "rss_mb": rss, "acc": acc, "float_acc": d["model"]["fp32_eval"]["accuracy"],
            "float_loss": d["model"]["fp32_eval"]["loss"], "num_samples": d["eval"]["num_samples"],
            "layers": d["model"]["layers"], "space_size": d["space"]["size"]}


def tps(r):
    return r["trials"] / r["search_s"]


def eval_ms(r):
    return 1e3 * r["eval_s"] / max(r["evals"], 1)


def median_run(rs):
    """The repeat with the median trials/s (lower median for an even count)."""
    return sorted(rs, key=tps)[(len(rs) - 1) // 2]


def check(name, side, q, p, problems):
    """Compare one qdse repeat with one peer repeat; returns a one-line verdict."""
    if q["num_samples"] != p["num_samples"]:
        problems.append(f"{name} {side}: {q['num_samples']} eval samples, peer {p['num_samples']}")
    if q["float_acc"] != p["float_acc"] or abs(q["float_loss"] - p["float_loss"]) > 1e-6 * abs(p["float_loss"]):
        problems.append(f"{name} {side}: float acc/loss {q['float_acc']}/{q['float_loss']}, "
                        f"peer {p['float_acc']}/{p['float_loss']}")
    common = set(q["acc"]) & set(p["acc"])
    diff = [k for k in common if q["acc"][k] != p["acc"][k]]
    for k in diff:
        problems.append(f"{name} {side}: {cfg_text(k)} accuracy {q['acc'][k]}, peer {p['acc'][k]}")
    line = (f"float acc {q['float_acc']:.5f} vs {p['float_acc']:.5f}, "
            f"{len(common) - len(diff)}/{len(common)} common configs with equal accuracy")
    if q["unique"] == p["space_size"] and p["unique"] == p["space_size"]:
        same = abs(q["best"] - p["best"]) <= 1e-9 and q["config"] == p["config"]
        line += f", optimum {'SAME' if same else 'DIFFERENT'}"
        if not same:
            problems.append(f"{name} {side}: optimum {q['best']} {cfg_text(q['config'])}, "
                            f"peer {p['best']} {cfg_text(p['config'])}")
    return line


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--samples", nargs="+", required=True)
    ap.add_argument("--cases", nargs="+", required=True)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    runs = os.path.join(args.out, "runs")
    problems = []
    ratios = []  # (case name, qdse tag, median trials/s ratio)
    print(f"\njsc-tiny, peer small space (6 configs), seed 0, 1 thread, {args.repeats} repeat(s), "
          f"median shown; SYNTHETIC data (timings only)")
    for n in args.samples:
        for case in args.cases:
            base = f"{case}.n{n}"
            reps = [f"{base}.r{i}" for i in range(1, args.repeats + 1)]
            peers = [peer_side(runs, r) for r in reps]
            layers = peers[0]["layers"]
            tags = sorted({f.split(".")[3] for f in os.listdir(runs)
                           if f.startswith(reps[0] + ".qdse") and f.endswith(".run")})
            sides = {t: [qdse_side(runs, r, t, layers) for r in reps] for t in tags}
            sides["peer"] = peers
            title = f"{case}, {peers[0]['num_samples']} eval samples" + (" (whole test split)" if n == "0" else "")
            print(f"\n{title}")
            print(f"  {'side':11s} {'trials':>6s} {'unique':>6s} {'evals':>5s} {'search s':>8s} "
                  f"{'trials/s':>8s} {'(min-max)':>15s} {'eval ms':>7s} {'other ms':>8s} {'wall s':>6s} "
                  f"{'RSS MB':>6s} {'best obj':>9s} {'acc':>7s}  config")
            med = {}
            for side, rs in sides.items():
                r = med[side] = median_run(rs)
                lo, hi = min(map(tps, rs)), max(map(tps, rs))
                other = 1e3 * (r["search_s"] - r["eval_s"]) / r["trials"]
                print(f"  {side:11s} {r['trials']:6d} {r['unique']:6d} {r['evals']:5d} {r['search_s']:8.4f} "
                      f"{tps(r):8.1f} {f'({lo:.0f}-{hi:.0f})':>15s} {eval_ms(r):7.3f} {other:8.3f} "
                      f"{r['wall_s']:6.2f} {r['rss_mb']:6.0f} {r['best']:9.6f} {r['best_accuracy']:7.5f}  "
                      f"{cfg_text(r['config'])}")
            p = med["peer"]
            for side in tags:
                q = med[side]
                speed = statistics.median(map(tps, sides[side])) / statistics.median(map(tps, peers))
                ev = statistics.median(map(eval_ms, peers)) / statistics.median(map(eval_ms, sides[side]))
                wall = statistics.median(r["wall_s"] for r in peers) / statistics.median(r["wall_s"] for r in sides[side])
                ratios.append((base, side, speed))
                print(f"  {side}/peer: trials/s x{speed:.1f}, per real evaluation x{ev:.1f} faster, "
                      f"process wall x{wall:.2f} faster, peak RSS x{q['rss_mb'] / p['rss_mb']:.2f}")
            for side in tags:
                verdicts = {check(base, side, q, pr, problems) for q in sides[side] for pr in peers}
                for v in sorted(verdicts):
                    print(f"  check {side} vs peer: {v}")
    print("\ngoal >= 50x trials/s (qdse/peer, medians):")
    for tag in sorted({t for _, t, _ in ratios}):
        rs = [(n, r) for n, t, r in ratios if t == tag]
        met = sum(r >= 50 for _, r in rs)
        print(f"  {tag:11s} met in {met}/{len(rs)}: " + ", ".join(f"{n} x{r:.0f}" for n, r in rs))
    if problems:
        print("\nMISMATCHES:")
        for pr in problems:
            print("  " + pr)
    print(f"\nrun files in {runs}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
