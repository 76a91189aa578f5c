"""Write a synthetic, JSC-shaped data set for bench/jsc_e2e.sh (the real JSC file is not
on this machine and there is no network), in two files holding the same rows:

    /usr/bin/python3 bench/jsc_synth.py --csv DIR_A/jsc.csv --npz DIR_B/jsc.npz [--rows 100000] [--seed 0]

  jsc.csv  for qdse (dataset = "jsc", dataset_path = DIR_A): the 16 JSC feature columns
           and the 5 one-hot label columns j_g..j_t, as docs/datasets.md describes;
  jsc.npz  for the peer (JSC_DIR = DIR_B): arrays X [rows, 16] float64 and y [rows] int64.
           The peer's data.py reads a CSV only through pandas, which /usr/bin/python3
           lacks here (h5py too), so it gets the npz form its loader also accepts
           ("raw": 80/20 split with seed 42, then train-split standardisation, as for CSV).
           Keep the two in separate directories: the peer loads the first file it can
           parse in JSC_DIR and would try (and fail) to import pandas for a CSV.

SYNTHETIC DATA: only the timings measured on it mean something; accuracies do not.

Columns: the 16 JSC feature names and the 5 one-hot label columns j_g..j_t, in the order
of MASE / the peer's data.py (JSC_INPUTS + JSC_LABELS). Rows: 5 balanced classes, each
feature = offset_f + scale_f * (mu[class, f] + N(0, 1)), with class means mu ~ N(0, 0.6^2)
and per-feature offsets/scales (so standardisation matters, as on the real data);
j_multiplicity is a positive integer, as in the real file. Deterministic for a seed.

Every value lies on the 1/1024 grid with |v| < 2^13, so it is exactly a float32 and is
written as an exact, short decimal: the peer (float64 npz) and qdse (CSV parsed, then
float32) hold bit-identical raw features. No row is repeated (both tools drop duplicate
rows, the peer's npz path does not; the generator checks there are none). The CSV is
read back and compared exactly with the npz before the script exits 0.
"""

import argparse
import os
import sys

import numpy as np

JSC_INPUTS = [
    "j_zlogz", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt",
    "j_c2_b2_mmdt", "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt",
    "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt", "j_m2_b2_mmdt", "j_n2_b1_mmdt",
    "j_n2_b2_mmdt", "j_mass_mmdt", "j_multiplicity",
]
JSC_LABELS = ["j_g", "j_q", "j_w", "j_z", "j_t"]
GRID = 1024.0


def make(rows, seed):
    rng = np.random.RandomState(seed)
    nf, nc = len(JSC_INPUTS), len(JSC_LABELS)
    mu = rng.normal(0.0, 0.6, size=(nc, nf))
    offset = rng.uniform(-2.0, 5.0, size=nf)
    scale = np.exp(rng.uniform(np.log(0.05), np.log(20.0), size=nf))
    offset[-1], scale[-1] = 30.0, 8.0  # j_multiplicity ~ 30 +- 8 (rounded to an integer below)
    y = rng.randint(0, nc, size=rows)
    x = offset + scale * (mu[y] + rng.normal(0.0, 1.0, size=(rows, nf)))
    x = np.round(x * GRID) / GRID
    x[:, -1] = np.maximum(np.round(x[:, -1]), 1.0)
    assert np.all(np.abs(x) < 2 ** 13), "values must stay exact in float32"
    assert np.array_equal(x.astype(np.float32).astype(np.float64), x)
    return x, y


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", required=True, help="CSV for qdse (name it jsc.csv inside a directory)")
    ap.add_argument("--npz", required=True, help="npz for the peer (alone in its directory)")
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    x, y = make(args.rows, args.seed)
    if len(np.unique(np.concatenate([x, y[:, None]], axis=1), axis=0)) != len(x):
        print("duplicate rows generated; pick another seed", file=sys.stderr)
        sys.exit(1)
    for p in (args.csv, args.npz):
        os.makedirs(os.path.dirname(os.path.abspath(p)), exist_ok=True)
    onehot = ["1,0,0,0,0", "0,1,0,0,0", "0,0,1,0,0", "0,0,0,1,0", "0,0,0,0,1"]
    with open(args.csv, "w") as f:
        f.write(",".join(JSC_INPUTS + JSC_LABELS) + "\n")
        for r in range(len(x)):
            # k/1024 has at most 10 decimals, so "%.10f" is exact; strip the trailing zeros
            f.write(",".join(("%.10f" % v).rstrip("0").rstrip(".") for v in x[r]) + "," + onehot[y[r]] + "\n")
    np.savez(args.npz, X=x, y=y.astype(np.int64))
    # Read the CSV back (correctly rounded parse, as qdse's reader) and compare with the npz.
    back = np.loadtxt(args.csv, delimiter=",", skiprows=1, dtype=np.float64)
    d = np.load(args.npz)
    if not (np.array_equal(back[:, :16], d["X"]) and np.array_equal(back[:, 16:].argmax(1), d["y"])
            and np.all(back[:, 16:].sum(1) == 1)):
        print(f"{args.csv} and {args.npz} differ", file=sys.stderr)
        sys.exit(1)
    print(f"wrote {args.csv} and {args.npz}: {len(x)} rows (SYNTHETIC), classes {np.bincount(y).tolist()}")


if __name__ == "__main__":
    main()
