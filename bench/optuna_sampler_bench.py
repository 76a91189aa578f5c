"""Optuna's per-trial sampler cost on the fmnist-mlp "large" space, for comparison with
qdse_sampler_bench (bench/sampler_bench.cpp): same space (3 layers x weight_width
{2,3,4,5,6,8} x data_in_width {3,4,5,6,8}), same synthetic objective, a history of
N finished trials (uniformly random, fixed seed), then ITERS timed trials of
study.ask() + 6 x trial.suggest_categorical() + study.tell() (independent TPE and
random sample inside suggest_*, so ask alone would measure nothing).

    /usr/bin/python3 bench/optuna_sampler_bench.py [--sizes 100,1000,5000] [--iters 20]
        [--samplers tpe,tpe-mv,motpe,nsgaii,random] [--max-seconds 15] [--json out.json]

Prints one line per (sampler, N): mean ms per trial (ask+suggest+tell) and the mean of
the tell part alone. Runs with the system interpreter (torch is not needed).
"""

import argparse
import json
import time
import warnings

import numpy as np
import optuna

LAYERS = ["seq_blocks_1", "seq_blocks_3", "seq_blocks_5"]
WEIGHT = [2, 3, 4, 5, 6, 8]
DATA_IN = [3, 4, 5, 6, 8]


def space():
    d = {}
    for layer in LAYERS:
        d[f"{layer}/config/weight_width"] = optuna.distributions.CategoricalDistribution(WEIGHT)
        d[f"{layer}/config/data_in_width"] = optuna.distributions.CategoricalDistribution(DATA_IN)
    return d


def objectives(params, n_objectives):
    """Same formula as sampler_bench.cpp: error falls with the bits (later params weigh
    more), size grows with them; one objective = error + 0.01 * size."""
    error, size = 0.0, 0.0
    for p, name in enumerate(space()):
        bits = params[name]
        error += 1.0 / (bits * bits) * (p + 1)
        size += bits
    return [error + 0.01 * size] if n_objectives == 1 else [error, size]


SAMPLERS = {  # name -> (factory, objectives)
    "tpe": (lambda: optuna.samplers.TPESampler(seed=1), 1),
    "tpe-mv": (lambda: optuna.samplers.TPESampler(seed=1, multivariate=True), 1),
    "motpe": (lambda: optuna.samplers.TPESampler(seed=1), 2),
    "nsgaii": (lambda: optuna.samplers.NSGAIISampler(seed=1), 2),
    "random": (lambda: optuna.samplers.RandomSampler(seed=1), 1),
}


def make_study(sampler_name, n_history):
    factory, n_obj = SAMPLERS[sampler_name]
    dists = space()
    study = optuna.create_study(sampler=factory(), directions=["minimize"] * n_obj)
    rng = np.random.RandomState(42)
    trials = []
    for i in range(n_history):
        params = {name: d.choices[rng.randint(len(d.choices))] for name, d in dists.items()}
        values = objectives(params, n_obj)
        # NSGA-II reads generations from a system attr; give the history the generations
        # an NSGA-II run with the default population (50) would have written.
        attrs = {"nsga2:generation": i // 50} if sampler_name == "nsgaii" else {}
        trials.append(optuna.trial.create_trial(params=params, distributions=dists, values=values,
                                                system_attrs=attrs))
    study.add_trials(trials)
    return study, n_obj


def measure(sampler_name, n_history, iters, max_seconds):
    study, n_obj = make_study(sampler_name, n_history)
    dists = space()
    total, tell = [], []
    start = time.perf_counter()
    for i in range(iters):
        if i >= 3 and time.perf_counter() - start > max_seconds:
            break  # slow cells (MOTPE at 5000) stop early; the line says how many ran
        t0 = time.perf_counter()
        trial = study.ask()
        params = {name: trial.suggest_categorical(name, d.choices) for name, d in dists.items()}
        t1 = time.perf_counter()
        values = objectives(params, n_obj)
        t2 = time.perf_counter()
        study.tell(trial, values if n_obj > 1 else values[0])
        t3 = time.perf_counter()
        total.append((t1 - t0 + t3 - t2) * 1e3)
        tell.append((t3 - t2) * 1e3)
    return {"sampler": sampler_name, "history": n_history, "iters": len(total),
            "ms_per_trial": float(np.mean(total)), "ms_per_trial_median": float(np.median(total)),
            "tell_ms": float(np.mean(tell))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--max-seconds", type=float, default=15.0,
                    help="per (sampler, N): stop after this long (at least 3 trials)")
    ap.add_argument("--samplers", default="tpe,tpe-mv,motpe,nsgaii,random")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    results = []
    for s in args.samplers.split(","):
        for n in (int(v) for v in args.sizes.split(",")):
            r = measure(s, n, args.iters, args.max_seconds)
            results.append(r)
            print(f"optuna {s:8s} history {n:5d}: {r['ms_per_trial']:9.3f} ms/trial "
                  f"(median {r['ms_per_trial_median']:.3f}, tell {r['tell_ms']:.3f}, {r['iters']} trials)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"optuna": optuna.__version__, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
