"""Table of bench/search_e2e.sh's runs: qdse against the peer per case.

    /usr/bin/python3 bench/e2e_summary.py OUT_DIR CASE...   (CASE: small, exhaustive, tpe, cnn)

Per case and side (qdse once per storage: "qdse" = the default SQLite study.db in the
run directory, "qdse_memory" = --storage memory:): trials, search seconds (the search loop only: sampling + evaluation,
no process start-up, data loading or output writing), trials/s, process wall time and
peak RSS (/usr/bin/time -v), best objective and its config, the trial that first
reached it; then the ratios and the float-only forward time of the same samples.
For the exhaustive cases (small and cnn brute force, large exhaustive) qdse's optimum must
equal the peer's: same objective value (to 1e-9) and the same config, else exit 1.
"""

import json
import os
import re
import sys

def time_v(path):
    """(wall seconds, peak RSS MiB) from a /usr/bin/time -v report."""
    text = open(path).read()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text).group(1)
    secs = 0.0
    for part in wall.split(":"):
        secs = secs * 60 + float(part)
    return secs, rss


def cfg_text(cfg):
    return " ".join(f"{l[-1]}:w{cfg[l][0]}d{cfg[l][1]}" for l in sorted(cfg))


def first_reaching(values, best, tol=1e-12):
    for i, v in enumerate(values):
        if v >= best - tol:
            return i + 1
    return None


def qdse_sides(out, case):
    """{tag: record} for every qdse run of the case (tag qdse = default storage)."""
    tags = sorted({f.split(".")[1] for f in os.listdir(out)
                   if f.startswith(case + ".qdse") and f.endswith(".run") and not f.split(".")[1].endswith("float")})
    return {t: qdse_side(out, case, t) for t in tags}


def qdse_side(out, case, tag="qdse"):
    run = os.path.join(out, f"{case}.{tag}.run")
    best = json.load(open(os.path.join(run, "best.json")))
    trials = json.load(open(os.path.join(run, "trials.json")))
    s = best["summary"]
    b = best["trials"][0]
    layers = [k.split("/")[0] for k in b["params"] if k.endswith("/config/weight_width")]  # the searched layers
    cfg = {l: (b["params"][f"{l}/config/weight_width"], b["params"][f"{l}/config/data_in_width"]) for l in layers}
    values = [t["values"][0] for t in sorted(trials, key=lambda t: t["number"]) if t.get("values")]
    unique = len({json.dumps({k: v for k, v in t["params"].items()}, sort_keys=True) for t in trials})
    wall, rss = time_v(os.path.join(out, f"{case}.{tag}.time"))
    return {"trials": s["trials"], "search_s": s["seconds"], "sampler_s": s["sampler_seconds"],
            "eval_s": s["eval_seconds"], "cached": s["cached"], "unique": unique, "best": b["values"][0],
            "best_accuracy": b["metrics"]["accuracy"], "best_bw": b["metrics"]["average_bitwidth"],
            "config": cfg, "reach": first_reaching(values, b["values"][0]), "wall_s": wall, "rss_mb": rss}


def peer_side(out, case):
    d = json.load(open(os.path.join(out, f"{case}.peer.json")))
    s = d["summary"]
    cfg = {l: (c["weight_width"], c["data_in_width"]) for l, c in s["best_config"].items()}
    trials = sorted(d["trials"], key=lambda t: t["number"])
    values = [t["metrics"]["scalar_objective"] for t in trials]
    sampler_s = sum(t["sampler_ms"] for t in trials) / 1e3
    eval_s = sum(t["eval_ms"] for t in trials) / 1e3
    wall, rss = time_v(os.path.join(out, f"{case}.peer.time"))
    return {"trials": s["n_trials"], "search_s": s["total_wall_s"], "sampler_s": sampler_s, "eval_s": eval_s,
            "cached": 0, "unique": s["n_unique_configs"], "best": s["best_scalar_objective"],
            "best_accuracy": s["best_metrics"]["accuracy"], "best_bw": s["best_metrics"]["average_bitwidth"],
            "config": cfg, "reach": first_reaching(values, s["best_scalar_objective"]), "wall_s": wall,
            "rss_mb": rss}


def float_ms(out, case):
    q = p = None
    qp = os.path.join(out, f"{case}.qdse_float.out")
    if os.path.exists(qp):
        for line in open(qp):
            if line.startswith("float "):
                q = float(line.split()[2])
    pp = os.path.join(out, f"{case}.peer_float.out")
    if os.path.exists(pp):
        p = json.loads(open(pp).read().strip().splitlines()[-1])["median_ms"]
    return q, p


def main():
    out, cases = sys.argv[1], sys.argv[2:]
    ok = True
    titles = {"small": "a) brute force, small space (216), 10000 samples",
              "exhaustive": "b) exhaustive, large space (27000), 2000 samples",
              "tpe": "c) TPE 1000 trials, large space, 2000 samples, seed 0",
              "cnn": "d) fmnist-cnn brute force, small space (216), 10000 samples"}
    for case in cases:
        qs, p = qdse_sides(out, case), peer_side(out, case)
        print(f"\n{titles.get(case, case)}")
        print(f"  {'':11s} {'trials':>6s} {'unique':>6s} {'search s':>9s} {'sampler s':>9s} {'eval s':>8s} "
              f"{'trials/s':>9s} {'wall s':>7s} {'RSS MB':>7s} {'best obj':>10s} {'acc':>7s} {'avg bw':>7s} "
              f"{'at trial':>8s}  config")
        for name, r in list(qs.items()) + [("peer", p)]:
            print(f"  {name:11s} {r['trials']:6d} {r['unique']:6d} {r['search_s']:9.2f} {r['sampler_s']:9.2f} "
                  f"{r['eval_s']:8.2f} {r['trials'] / r['search_s']:9.1f} {r['wall_s']:7.1f} {r['rss_mb']:7.0f} "
                  f"{r['best']:10.6f} {r['best_accuracy']:7.4f} {r['best_bw']:7.3f} {str(r['reach']):>8s}  "
                  f"{cfg_text(r['config'])}")
        for name, q in qs.items():
            speed = (q["trials"] / q["search_s"]) / (p["trials"] / p["search_s"])
            print(f"  {name}/peer: trials/s x{speed:.2f}, process wall x{p['wall_s'] / q['wall_s']:.2f} faster, "
                  f"peak RSS x{q['rss_mb'] / p['rss_mb']:.2f}")
        fq, fp = float_ms(out, case)
        if fp is not None:
            fq_text = f"{fq:.2f} ms" if fq is not None else "n/a (qdse_eval_bench not built)"
            ratio = f", peer/qdse x{fp / fq:.2f}" if fq else ""
            print(f"  float-only forward of the same samples (median of 5): qdse {fq_text}, peer {fp:.2f} ms{ratio}")
        for name, q in qs.items():
            if case in ("small", "exhaustive", "cnn"):
                same_value = abs(q["best"] - p["best"]) <= 1e-9
                same_cfg = q["config"] == p["config"]
                print(f"  optimum {name} vs peer: {'SAME' if same_value and same_cfg else 'DIFFERENT'} "
                      f"(objective {'equal' if same_value else 'differs'}, config {'equal' if same_cfg else 'differs'})")
                ok &= same_value and same_cfg
            else:
                print(f"  best found: {name} {q['best']:.6f} at trial {q['reach']}, peer {p['best']:.6f} at trial "
                      f"{p['reach']} (different random streams: equal optima are not expected)")
    print(f"\nrun files in {out}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
