#!/usr/bin/env bash
# Makes .venv: current Optuna and optuna-dashboard from PyPI over Debian's packages, for
# checking qdse journal files against Optuna 5.x (docs/storage.md, "Versions"; tests
# Optuna5/OptunaInterop and OptunaDashboard). Run by scripts/install-deps.sh; ~3 s with a
# fast link to PyPI (nothing cached), ~9 s on a slow one.
#
# /usr/bin/python3 explicitly: another python3 first on PATH (pyenv) has none of Debian's
# packages, so pip would pull numpy 2, SQLAlchemy and alembic too (~30 s). --without-pip
# plus Debian's pip (`pip --python`) skips ensurepip's copy of pip (~10 s).
# Needs python3-venv and python3-pip. Idempotent: an existing .venv with both is kept.
# When PyPI cannot be reached it exits 1 and leaves no .venv (not a half-made one that
# would import Debian's Optuna 3.1 through --system-site-packages); the tests then name
# the missing .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

optuna_version="${QDSE_OPTUNA_VERSION:-5.0.0}"
dashboard_version="${QDSE_OPTUNA_DASHBOARD_VERSION:-0.21.0}"

if .venv/bin/python -c "import optuna, optuna_dashboard, sys
sys.exit(optuna.__version__ != '$optuna_version' or optuna_dashboard.__version__ != '$dashboard_version')" 2>/dev/null; then
  echo "optuna-venv: .venv has optuna $optuna_version and optuna-dashboard $dashboard_version"
  exit 0
fi
/usr/bin/python3 -m venv --system-site-packages --without-pip --clear .venv
# Few retries and a short timeout: an unreachable index fails in seconds, not minutes.
if ! /usr/bin/python3 -m pip --python .venv/bin/python install -q --no-input --retries 1 --timeout 15 \
  "optuna==$optuna_version" "optuna-dashboard==$dashboard_version"; then
  rm -rf .venv
  echo "optuna-venv: could not install optuna $optuna_version and optuna-dashboard $dashboard_version from PyPI; no .venv" >&2
  exit 1
fi
echo "optuna-venv: .venv has optuna $optuna_version and optuna-dashboard $dashboard_version"
