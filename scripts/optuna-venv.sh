#!/usr/bin/env bash
# Makes .venv: current Optuna and optuna-dashboard from PyPI over Debian's packages, for
# checking qdse journal files against Optuna 5.x (docs/storage.md, "Versions"; tests
# Optuna5/OptunaInterop and OptunaDashboard), and hls4ml for the bit-exact export proof
# (docs/hardware.md, "Bit-exact export"; test Hls4mlBitexact, which uses Debian's
# python3-torch and numpy through --system-site-packages). Run by scripts/install-deps.sh;
# ~3 s for Optuna with a fast link to PyPI (nothing cached), ~9 s on a slow one; hls4ml
# and its dependencies (h5py, quantizers, pyDigitalWaveTools) add ~5-60 s (measured in
# docs/hardware.md).
#
# /usr/bin/python3 explicitly: another python3 first on PATH (pyenv) has none of Debian's
# packages, so pip would pull numpy 2, SQLAlchemy and alembic too (~30 s). --without-pip
# plus Debian's pip (`pip --python`) skips ensurepip's copy of pip (~10 s).
# Needs python3-venv and python3-pip. Idempotent: an existing .venv with all three at
# their versions is kept; one that lacks a package (an older .venv without hls4ml) gets
# it added in place. When PyPI cannot be reached it exits 1 and leaves no new .venv (not
# a half-made one that would import Debian's Optuna 3.1 through --system-site-packages);
# an existing .venv keeps what it had. The tests then name what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

optuna_version="${QDSE_OPTUNA_VERSION:-5.0.0}"
dashboard_version="${QDSE_OPTUNA_DASHBOARD_VERSION:-0.21.0}"
hls4ml_version="${QDSE_HLS4ML_VERSION:-1.3.0}"
what="optuna $optuna_version, optuna-dashboard $dashboard_version and hls4ml $hls4ml_version"

if .venv/bin/python -c "import optuna, optuna_dashboard, hls4ml, sys
sys.exit(optuna.__version__ != '$optuna_version' or optuna_dashboard.__version__ != '$dashboard_version'
         or hls4ml.__version__ != '$hls4ml_version')" 2>/dev/null; then
  echo "optuna-venv: .venv has $what"
  exit 0
fi
fresh=0
if ! .venv/bin/python -c "import optuna, optuna_dashboard, sys
sys.exit(optuna.__version__ != '$optuna_version' or optuna_dashboard.__version__ != '$dashboard_version')" 2>/dev/null; then
  /usr/bin/python3 -m venv --system-site-packages --without-pip --clear .venv
  fresh=1
fi
# Few retries and a short timeout: an unreachable index fails in seconds, not minutes.
if ! /usr/bin/python3 -m pip --python .venv/bin/python install -q --no-input --retries 1 --timeout 15 \
  "optuna==$optuna_version" "optuna-dashboard==$dashboard_version" "hls4ml==$hls4ml_version"; then
  if [ "$fresh" -eq 1 ]; then rm -rf .venv; fi
  echo "optuna-venv: could not install $what from PyPI;" \
    "$([ "$fresh" -eq 1 ] && echo "no .venv" || echo ".venv kept as it was")" >&2
  exit 1
fi
echo "optuna-venv: .venv has $what"
