#!/usr/bin/python3
"""Optuna's side of the CLI interop test (tests/cli/optuna_interop_test.cpp).

  optuna_interop.py view PATH STUDY OUT.json
      Loads the study with optuna.load_study on JournalStorage(JournalFileStorage(PATH))
      and writes what Optuna sees: directions, and per trial number, state, params (as
      the user sees them), values, user attrs and the `constraints` system attr; then
      builds optuna.visualization's Pareto front (several objectives), optimization
      history and param importances (fANOVA: needs scikit-learn) and lists each plot
      with its number of traces.
  optuna_interop.py optimize PATH STUDY N_TRIALS SEED
      N_TRIALS trials of Optuna's RandomSampler(SEED) over the params qdse's small CLI
      search names (tests/cli/small_search.hpp; MASE's flattened names, as the peer
      harness ../shared/bench/peer/mase_search.py suggests them per layer), direction
      maximize, with user attrs `accuracy` and `average_bitwidth`. The objective is a
      made-up function of the widths (this checks the file format, not the model).
      Several processes may run it on one file at once.

Runs on Debian's /usr/bin/python3 with python3-optuna (3.1), python3-plotly and
python3-sklearn, and on the .venv of scripts/optuna-venv.sh (Optuna 5.x from PyPI over
those packages).
"""
import json
import os
import sys

import optuna

# storage(), plain() and trial_views() are shared with the storage-level interop test.
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "storage"))
from optuna_journal import plain, storage, trial_views  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)

LAYERS = ["seq_blocks_1", "seq_blocks_3"]
WEIGHT_WIDTHS = [2, 4, 8]
DATA_IN_WIDTHS = [4, 8]


def view(path, study_name, out):
    study = optuna.load_study(study_name=study_name, storage=storage(path))
    trials = trial_views(study)
    vis = optuna.visualization
    plots = []
    target = None
    if len(study.directions) > 1:
        fig = vis.plot_pareto_front(study, constraints_func=lambda t: t.system_attrs.get("constraints", [0.0]))
        plots.append(["pareto_front", len(fig.data)])
        target = lambda t: t.values[0]  # noqa: E731 (the first objective)
    fig = vis.plot_optimization_history(study, target=target, target_name="objective 0")
    plots.append(["optimization_history", len(fig.data)])
    fig = vis.plot_param_importances(study, target=target, target_name="objective 0")
    plots.append(["param_importances", len(fig.data)])
    with open(out, "w") as f:
        json.dump(plain({"directions": [d.name for d in study.directions], "trials": trials, "plots": plots}), f)


def optimize(path, study_name, n_trials, seed):
    study = optuna.create_study(study_name=study_name, storage=storage(path), direction="maximize",
                                load_if_exists=True, sampler=optuna.samplers.RandomSampler(seed=seed))

    def objective(trial):
        bits = 0.0
        for layer in LAYERS:
            bits += trial.suggest_categorical(f"{layer}/config/data_in_width", DATA_IN_WIDTHS)
            bits += trial.suggest_categorical(f"{layer}/config/weight_width", WEIGHT_WIDTHS)
        average = bits / (2 * len(LAYERS))
        accuracy = 0.9 - 0.4 / average
        trial.set_user_attr("accuracy", accuracy)
        trial.set_user_attr("average_bitwidth", average)
        return accuracy - 0.00625 * average

    study.optimize(objective, n_trials=n_trials)


# command -> (function, converters of its arguments)
COMMANDS = {"view": (view, (str, str, str)), "optimize": (optimize, (str, str, int, int))}

if __name__ == "__main__":
    command = COMMANDS.get(sys.argv[1] if len(sys.argv) > 1 else "")
    if command is None or len(sys.argv) != 2 + len(command[1]):
        sys.exit(__doc__)
    command[0](*(convert(a) for convert, a in zip(command[1], sys.argv[2:])))
