#!/usr/bin/env bash
# Set up qanat on a fresh Debian machine and run the demonstration site:
# the simulated field devices (`qanat sim`) and the commissioning poll
# (`qanat poll`) against deploy/examples/demo-site.toml.
# Usage: scripts/demo.sh [--once]     (--once: one round of readings, then exit)
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .

SITE=deploy/examples/demo-site.toml
.venv/bin/qanat check-config "$SITE"

.venv/bin/qanat sim --config "$SITE" &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null || true; wait $SIM_PID 2>/dev/null || true' EXIT
.venv/bin/qanat sim --config "$SITE" --wait-ready 20

if [ "${1:-}" = "--once" ]; then
    .venv/bin/qanat poll --config "$SITE" --once
else
    .venv/bin/qanat poll --config "$SITE" --interval 5
fi
