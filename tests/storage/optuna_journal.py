#!/usr/bin/python3
"""Optuna's side of the journal interop test (tests/storage/optuna_journal_test.cpp).

  optuna_journal.py dump PATH STUDY OUT.json
      Loads the study with optuna.load_study on a JournalStorage(JournalFileStorage(PATH))
      and writes what Optuna sees of each trial (number, state, params, values, user
      attrs, the `constraints` system attr) plus the names of the plots Optuna built on it.
  optuna_journal.py optimize PATH STUDY N_TRIALS SEED
      Runs N_TRIALS trials of Optuna's RandomSampler on the 3 x 4 x 5 test space
      (a in x/y/z, b in 0..3, c in 10..14; objective: the configuration's mixed-radix
      index; user attr `accuracy`), creating the study if needed. Several processes may
      run it on one file at once.

Runs on Debian's /usr/bin/python3 with python3-optuna (3.1) and python3-plotly.
"""
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


try:  # Optuna >= 4.0 (JournalFileStorage is deprecated there, removed in 6.0)
    from optuna.storages.journal import JournalFileBackend as _FileBackend
except ImportError:  # Optuna 3.x
    _FileBackend = optuna.storages.JournalFileStorage


def storage(path):
    return optuna.storages.JournalStorage(_FileBackend(path))


def plain(v):
    """JSON without Python's NaN/Infinity tokens (the C++ side reads strict JSON)."""
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def trial_views(study):
    """What Optuna sees of each trial (also used by tests/cli/optuna_interop.py)."""
    return [{
        "number": t.number,
        "state": t.state.name,
        "params": t.params,
        "values": t.values,
        "user_attrs": t.user_attrs,
        "constraints": t.system_attrs.get("constraints"),
    } for t in study.get_trials(deepcopy=False)]


def dump(path, study_name, out):
    study = optuna.load_study(study_name=study_name, storage=storage(path))
    trials = trial_views(study)
    plots = []
    directions = study.directions
    if len(directions) > 1:
        fig = optuna.visualization.plot_pareto_front(
            study, constraints_func=lambda t: t.system_attrs.get("constraints", [0.0]))
        plots.append(["pareto_front", len(fig.data)])
        fig = optuna.visualization.plot_optimization_history(
            study, target=lambda t: t.values[0], target_name="objective 0")
    else:
        fig = optuna.visualization.plot_optimization_history(study)
    plots.append(["optimization_history", len(fig.data)])
    with open(out, "w") as f:
        json.dump(plain({"directions": [d.name for d in directions], "trials": trials, "plots": plots}), f)


def optimize(path, study_name, n_trials, seed):
    study = optuna.create_study(study_name=study_name, storage=storage(path), direction="minimize",
                                load_if_exists=True, sampler=optuna.samplers.RandomSampler(seed=seed))

    def objective(trial):
        a = trial.suggest_categorical("a", ["x", "y", "z"])
        b = trial.suggest_int("b", 0, 3)
        c = trial.suggest_int("c", 10, 14)
        trial.set_user_attr("accuracy", 0.5 + 0.01 * b)
        return float("xyz".index(a) * 20 + b * 5 + (c - 10))

    study.optimize(objective, n_trials=n_trials)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 6 and sys.argv[1] == "optimize":
        optimize(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(__doc__)
