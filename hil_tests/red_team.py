"""The red-team figures: every fault the box is tried with, and what came of it, as JSON.

``python -m hil_tests.red_team [--quick] [--seed N]`` runs the red-team part of the
suite — field faults on the simulated site, clock faults (1970, stale time, NTP steps),
implausible probes, kill -9 of the store's
writer, of the whole daemon over its relays and of the office pull, Modbus, config and API
fuzzing, the authorisation matrix, the control loop under load — with the sizes below,
and prints one JSON object of figures added up from what each test measured
(:mod:`tests.helpers.figures`). ``--junit REPORT`` only adds up an existing pytest
``--junitxml`` report (``scripts/test.sh`` writes one for the whole suite, which runs the
quick sizes).

Every figure named in :data:`MUST_BE_ZERO` must be 0, every fault tried must have been
alarmed and every test must pass; otherwise the exit status is 1. The figures and what
the box does for each fault kind: docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.helpers.figures import JunitSummary, figures_from_junit

ROOT = Path(__file__).resolve().parents[1]

# The red-team part of the suite (each file records its figures).
SUITE = (
    "hil_tests/test_faults.py",
    "hil_tests/test_output_faults.py",
    "hil_tests/test_clock_faults.py",
    "tests/controller/test_plausibility_field.py",
    "tests/integration/test_store_kill_cycles.py",
    "tests/integration/test_crash_consistency.py",
    "tests/office/test_pull_kill9_cycles.py",
    "tests/integration/test_load.py",
    "tests/drivers/test_codec_fuzz.py",
    "tests/drivers/test_bus_fuzz.py",
    "tests/controller/test_config_fuzz.py",
    "tests/web/test_api_fuzz.py",
    "tests/web/pages/test_authz_matrix.py",
)
FUZZ_FILES = (
    "tests/drivers/test_codec_fuzz.py",
    "tests/drivers/test_bus_fuzz.py",
    "tests/controller/test_config_fuzz.py",
    "tests/web/test_api_fuzz.py",
)
# Sizes: (store writer kills, whole-daemon kills, office-pull kills, load clients, load s, rows)
SIZES = {
    "quick": {
        "QANAT_STORE_KILL_CYCLES": "50",
        "QANAT_CRASH_CYCLES": "3",
        "QANAT_LOAD_CLIENTS": "10",
        "QANAT_LOAD_SECONDS": "5",
        "QANAT_LOAD_ROWS": "20000",
    },
    "full": {
        "QANAT_STORE_KILL_CYCLES": "1000",
        "QANAT_CRASH_CYCLES": "10",
        "QANAT_LOAD_CLIENTS": "50",
        "QANAT_LOAD_SECONDS": "60",
        "QANAT_LOAD_ROWS": "200000",
    },
}
MUST_BE_ZERO = (
    "unsafe_water_events",
    "records_lost",
    "records_doubled",
    "outputs_left_open",
    "ledger_error_m3",
    "runs_left_open",
    "store_corrupt",
    "api_5xx",
    "authz_violations",
    "crashes",
    "tests_failed",
)
REPORTED = (
    "faults_tried",
    "faults_alarmed",
    "unsafe_water_events",
    "sensor_fault_detect_s_max",
    "output_mismatch_detect_s_max",
    "kill_cycles",
    "records_lost",
    "records_doubled",
    "outputs_left_open",
    "ledger_error_m3",
    "api_fuzz_cases",
    "api_5xx",
    "authz_cases",
    "authz_violations",
    "modbus_fuzz_cases",
    "config_fuzz_cases",
    "crashes",
    "tick_p99_late_ms_under_load",
)


def summarize(report: JunitSummary) -> dict[str, Any]:
    """The figures of a suite report, with the counts the report itself gives."""
    out: dict[str, Any] = {name: 0 for name in REPORTED}
    out.update({k: _plain(v) for k, v in report.figures.items()})
    out["crashes"] = sum(len(report.failed.get(f, [])) for f in FUZZ_FILES)
    out["tests_run"] = sum(report.tests.values())
    out["tests_failed"] = sum(len(v) for v in report.failed.values())
    out["failed"] = sorted(f"{f}::{n}" for f, names in report.failed.items() for n in names)
    return out


def verdict(figures: dict[str, Any]) -> list[str]:
    """What is wrong with ``figures``: a zero that is not, a fault not alarmed."""
    wrong = [f"{name} = {figures.get(name, 0)}" for name in MUST_BE_ZERO if figures.get(name)]
    if figures.get("faults_alarmed", 0) < figures.get("faults_tried", 0):
        wrong.append(f"faults alarmed {figures['faults_alarmed']} of {figures['faults_tried']}")
    if not figures.get("tests_run"):
        wrong.append("no test ran")
    return wrong


def run_suite(size: str, seed: int, junit: Path) -> int:
    """The red-team tests at ``size`` into the report ``junit``; pytest's exit status."""
    env = {**os.environ, **SIZES[size], "QANAT_CRASH_SEED": str(seed)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p"]
    command += ["no:cacheprovider", "-o", "timeout=1800", f"--junitxml={junit}", *SUITE]
    return subprocess.call(command, cwd=ROOT, env=env, stdout=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the CI sizes (a few minutes)")
    parser.add_argument("--seed", type=int, help="kill points and fuzz draws (default random)")
    parser.add_argument("--junit", type=Path, help="only add up this pytest --junitxml report")
    args = parser.parse_args(argv)
    if args.junit is not None:
        figures = summarize(figures_from_junit(args.junit))
        size = "suite"
    else:
        seed = args.seed if args.seed is not None else random.randrange(1_000_000)
        size = "quick" if args.quick else "full"
        with tempfile.TemporaryDirectory() as tmp:
            junit = Path(tmp) / "red-team.xml"
            run_suite(size, seed, junit)
            figures = summarize(figures_from_junit(junit))
        figures["seed"] = seed
    figures["size"] = size
    wrong = verdict(figures)
    figures["verdict"] = "pass" if not wrong else "fail: " + "; ".join(wrong)
    print(json.dumps(figures, indent=1))
    return 0 if not wrong else 1


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


if __name__ == "__main__":
    sys.exit(main())
