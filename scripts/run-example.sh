#!/usr/bin/env bash
# The README's main command: installs dependencies, builds, trains the default
# model if no checkpoint is cached, then evaluates it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh --target qdse  # the tool only, no test binaries
CONFIG=${1:-configs/fmnist_mlp.toml}
./build/qdse train --config "$CONFIG" --if-missing
./build/qdse eval --config "$CONFIG"
./build/qdse search --config "$CONFIG"
