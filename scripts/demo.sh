#!/usr/bin/env bash
# Set up qanat on a fresh Debian machine and run the demonstration: the simulated
# Zhangye seed-corn field, the daemon and its HTTP API (`qanat demo`). It prints the
# API address and a technician token; Ctrl-C stops it with every output off.
# Usage: scripts/demo.sh [qanat demo options, e.g. --listen 127.0.0.1:8080 --for 60]
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .

export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.venv/numba-cache}"
exec .venv/bin/qanat demo "$@"
