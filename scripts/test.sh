#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run them.
# Usage: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(socat mbpoll chromium fonts-noto-cjk postgresql systemd mosquitto)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'

export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.venv/numba-cache}"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
if [ $# -gt 0 ]; then
    exec .venv/bin/python -m pytest "$@"
fi
# The whole suite: the simulated season tests (one process, a minute or two) run beside the
# rest, which is spread over two worker processes (pytest-xdist, a test file per worker at a
# time); the season's report follows the main one. Either failing fails the run.
mkdir -p artifacts
.venv/bin/python -m pytest -m season -p no:cacheprovider >artifacts/season-tests.log 2>&1 &
season_pid=$!
trap 'kill "$season_pid" 2>/dev/null || true' EXIT
rc=0
.venv/bin/python -m pytest -m "not season" -n 2 --dist loadfile --junitxml=artifacts/junit.xml || rc=$?
season_rc=0
wait "$season_pid" || season_rc=$?
trap - EXIT
echo "== season tests (pytest -m season) =="
cat artifacts/season-tests.log
echo "== red-team figures of this run (python -m hil_tests.red_team --junit) =="
.venv/bin/python -m hil_tests.red_team --junit artifacts/junit.xml || true
[ "$rc" -eq 0 ] || exit "$rc"
exit "$season_rc"
