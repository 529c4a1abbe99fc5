"""The daemon under load: page and API clients, an office pull, a run — nothing disturbed.

A short version of ``benchmarks/load.py`` (10 clients for 5 s, 20,000 readings pulled;
``QANAT_LOAD_CLIENTS``, ``QANAT_LOAD_SECONDS`` and ``QANAT_LOAD_ROWS`` for more);
the benchmark runs the full one (50 clients for 60 s, a year of telemetry) and reports
the control tick's lateness. No timing is asserted here (docs/testing.md): only that every
request answered, the pull completed, the run ended as planned and control raised nothing.
"""

from __future__ import annotations

import os

from tests.helpers.figures import Figures
from tests.helpers.load import percentile, run_load


def test_clients_and_a_pull_do_not_disturb_a_run(figures: Figures) -> None:
    result = run_load(
        clients=int(os.environ.get("QANAT_LOAD_CLIENTS", "10")),
        seconds=float(os.environ.get("QANAT_LOAD_SECONDS", "5")),
        telemetry_rows=int(os.environ.get("QANAT_LOAD_ROWS", "20000")),
        run_min=0.25,
        workdir=None,
    )
    if result.tick_late_s:
        figures.max("tick_p99_late_ms_under_load", 1000 * percentile(result.tick_late_s, 0.99))
    assert result.requests >= 5 * 3 + 5 * 4  # every client asked each of its paths
    assert result.errors == []
    assert result.pull_error == "" and result.pulled_rows >= 20_000
    assert (result.run_state, result.run_end_reason.split(";")[0]) == (
        "done",
        "planned time reached",
    )
    assert result.control_errors == []
    assert result.tick_late_s  # the control loop kept ticking throughout
