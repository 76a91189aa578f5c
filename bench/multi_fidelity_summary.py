#!/usr/bin/env python3
"""Table of bench/multi_fidelity.sh: usage multi_fidelity_summary.py OUT CASE... -- VARIANT...

Per case and variant (off = without multi-fidelity): trials, pruned trials, evaluation
samples scored (off: trials x samples, none cached in these runs), the factor of samples
saved against `off`, search seconds, and whether the winners (best trial, or the feasible
front as a set of objective vectors) equal those of `off` -- for `tpe`, those of the
exhaustive `large` run when it is in OUT (else those of tpe's `off`). Exit 1 when a safe-bound run changed the winners."""
import json
import os
import sys


def load(out, case, variant):
    d = os.path.join(out, f"{case}.{variant}.run")
    best = json.load(open(os.path.join(d, "best.json")))
    return best


def winners(best):
    return sorted(json.dumps(t["values"]) for t in best["trials"])


def main():
    out = sys.argv[1]
    sep = sys.argv.index("--")
    cases, variants = sys.argv[2:sep], sys.argv[sep + 1:]
    bad = False
    print(f"{'case':12} {'variant':8} {'trials':>7} {'pruned':>7} {'samples':>11} {'saved':>6} {'search s':>9}  winners")
    for case in cases:
        off = load(out, case, "off")
        n = off["provenance"]["num_samples"]
        off_samples = off["summary"]["trials"] * n
        reference, exhaustive = off, False
        if case == "tpe" and os.path.isdir(os.path.join(out, "large.off.run")):
            reference, exhaustive = load(out, "large", "off"), True
        for v in variants:
            b = off if v == "off" else load(out, case, v)
            s = b["summary"]
            samples = s.get("samples_evaluated", s["trials"] * n)
            same = winners(b) == winners(reference)
            if v == "safe" and case != "tpe" and not same:
                bad = True
            what = ("same" if same else "DIFFERENT") + (" as exhaustive" if exhaustive else "")
            if exhaustive and not same:
                what += f" (best {b['trials'][0]['values']} vs {reference['trials'][0]['values']})"
            print(f"{case:12} {v:8} {s['trials']:7d} {s.get('pruned', 0):7d} {samples:11d} "
                  f"{off_samples / max(samples, 1):5.2f}x {s['seconds']:9.2f}  {what} ({len(b['trials'])} winners)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
