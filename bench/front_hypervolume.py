#!/usr/bin/env python3
"""Hypervolume of the accuracy/BitOPs front of qdse run directories (bench/sensitivity_resnet18.sh).

Each run's feasible COMPLETE trials from trials.json; BitOPs divided by the float model's
(best.json float_metrics), so that the reference point (accuracy 0.1 = chance on 10 classes,
relative BitOPs 1.0 = the float model) is the same for every run. Also the hypervolume after
the first k trials for a few k, so runs of different lengths can be read side by side.
"""
import json
import sys


def front_hypervolume(points, ref_acc=0.1, ref_cost=1.0):
    """Area dominated by (accuracy, cost) points (maximise accuracy, minimise cost) up to the
    reference point; returns (area, number of points on the front)."""
    stair = []  # by increasing cost, each point more accurate than every cheaper one
    for c, a in sorted((c, a) for a, c in points if a > ref_acc and c < ref_cost):
        if not stair or a > stair[-1][1]:
            stair.append((c, a))
    hv = 0.0
    for i, (c, a) in enumerate(stair):
        c_next = stair[i + 1][0] if i + 1 < len(stair) else ref_cost
        hv += (c_next - c) * (a - ref_acc)
    return hv, len(stair)


def run_points(run_dir):
    trials = json.load(open(f"{run_dir}/trials.json"))
    best = json.load(open(f"{run_dir}/best.json"))
    float_bitops = best["float_metrics"]["bitops"]
    out = []
    for t in sorted(trials, key=lambda t: t["number"]):
        if t.get("state") != "COMPLETE" or not t.get("feasible", True):
            continue
        m = t["metrics"]
        out.append((m["accuracy"], m["bitops"] / float_bitops))
    return out


def main():
    for run_dir in sys.argv[1:]:
        pts = run_points(run_dir)
        hv, n = front_hypervolume(pts)
        ks = [k for k in (43, 50, 100, 200, 300) if k <= len(pts)]
        at = ", ".join(f"{k}: {front_hypervolume(pts[:k])[0]:.5f}" for k in ks)
        print(f"{run_dir}: {len(pts)} trials, front {n} points, hypervolume {hv:.5f} (after k trials: {at})")


if __name__ == "__main__":
    main()
