#!/usr/bin/env bash
# Mutation testing of the modules that guard water, access and the numbers users trust:
# each module is mutated in turn (mutmut 3, in ./mutants) and judged by its fast tests
# (the table in scripts/mutation.py), then a score per module is printed.
# Usage: scripts/mutation.sh [MODULE...]     e.g. scripts/mutation.sh web/security.py
# Slow (minutes per module): run by hand, never in CI. MUTATION_JOBS=2 uses two workers.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.venv/numba-cache}"

if [ $# -eq 0 ]; then
    mapfile -t modules < <("$PY" scripts/mutation.py modules)
else
    modules=("$@")
fi

rc=0
for module in "${modules[@]}"; do
    echo "== $module"
    # One module at a time, at the lowest priority: the box may be doing real work.
    nice -n 19 "$PY" scripts/mutation.py run "$module" || rc=$?
done
echo
echo "== Mutation scores (killed / total)"
"$PY" scripts/mutation.py score "${modules[@]}" || rc=$?
exit "$rc"
