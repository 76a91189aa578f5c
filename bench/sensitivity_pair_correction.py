#!/usr/bin/env python3
"""Does an inter-layer pair correction of the additive sensitivity prior rank trials better?
(issue 17, item 2, "optionally corrected by a pairwise/interaction term"; docs/search.md).

RUN_DIR: a `qdse search` run directory that also holds `qdse sensitivity --out RUN_DIR`'s
sensitivity.json. Prior (as `qdse report` scores it): predicted accuracy = the float
reference's accuracy - sum over layers of the layer's damage (-d_accuracy of the row the
trial's choices select). Correction: one coefficient per pair of layers on the product of
their damages, plus an intercept, least squares on the residuals of the first k trials (trial
order); both are then scored on the remaining trials (Spearman's rank correlation, mean
absolute error).

    python3 bench/sensitivity_pair_correction.py RUN_DIR [k ...]     (default k: 25 50 100 150)

Pure Python (no numpy): a handful of features, a few hundred trials.
"""
import itertools
import json
import sys


def row_label(params, group):
    # As sensitivity.json labels rows: the keys with more than one choice, "key=value".
    keyed = []
    for j, p in enumerate(group["params"]):
        if len({tuple(c["choice"])[j] for c in group["choices"]}) > 1:
            keyed.append(p.split("/config/")[1] + "=" + json.dumps(params[p]))
    return " ".join(keyed) if keyed else "(single choice)"


def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    out = [0.0] * len(v)
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def pearson(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    sab = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    saa = sum((x - ma) ** 2 for x in a)
    sbb = sum((y - mb) ** 2 for y in b)
    return sab / (saa * sbb) ** 0.5


def solve(a, b):
    """Gaussian elimination with partial pivoting."""
    n = len(a)
    m = [row[:] + [bb] for row, bb in zip(a, b)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * z for x, z in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def main():
    run = sys.argv[1]
    splits = [int(k) for k in sys.argv[2:]] or [25, 50, 100, 150]
    table = json.load(open(run + "/sensitivity.json"))
    trials = [t for t in json.load(open(run + "/trials.json")) if t["state"] == "COMPLETE"]
    trials.sort(key=lambda t: t["number"])
    ref = table["reference"]["metrics"]["accuracy"]
    damages, measured = [], []
    for t in trials:
        d = []
        for g in table["groups"]:
            label = row_label(t["params"], g)
            d.append(-next(c for c in g["choices"] if c["label"] == label)["d_accuracy"])
        damages.append(d)
        measured.append(t["metrics"]["accuracy"])
    layers = [i for i in range(len(damages[0])) if len({d[i] for d in damages}) > 1]
    pairs = list(itertools.combinations(layers, 2))
    features = lambda d: [1.0] + [d[i] * d[j] for i, j in pairs]
    prior = [ref - sum(d) for d in damages]
    print(f"{run}: {len(trials)} trials, {len(layers)} layers with a damage, {len(pairs)} pair terms")
    for k in splits:
        if k >= len(trials) - 1:
            continue
        x = [features(d) for d in damages[:k]]
        res = [measured[i] - prior[i] for i in range(k)]
        n = len(x[0])
        a = [[sum(r[p] * r[q] for r in x) + (1e-9 if p == q else 0.0) for q in range(n)] for p in range(n)]
        w = solve(a, [sum(r[p] * e for r, e in zip(x, res)) for p in range(n)])
        rest = range(k, len(trials))
        y = [measured[i] for i in rest]
        for name, pred in (("prior", [prior[i] for i in rest]),
                           ("prior + pair terms", [prior[i] + sum(c * f for c, f in zip(w, features(damages[i])))
                                                   for i in rest])):
            mae = sum(abs(p - m) for p, m in zip(pred, y)) / len(y)
            print(f"  fit on the first {k}, scored on {len(y)}: {name:18s} Spearman {pearson(ranks(pred), ranks(y)):.4f}"
                  f"  mean |error| {mae:.4f}")


if __name__ == "__main__":
    main()
