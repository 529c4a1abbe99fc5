"""The daemon under load: page and API clients, an office pull, a run — nothing disturbed.

A short version of ``benchmarks/load.py`` (10 clients for 5 s, 20,000 readings pulled);
the benchmark runs the full one (50 clients for 60 s, a year of telemetry) and reports
the control tick's lateness. No timing is asserted here (docs/testing.md): only that every
request answered, the pull completed, the run ended as planned and control raised nothing.
"""

from __future__ import annotations

from tests.helpers.load import run_load


def test_clients_and_a_pull_do_not_disturb_a_run() -> None:
    result = run_load(clients=10, seconds=5, telemetry_rows=20_000, run_min=0.25, workdir=None)
    assert result.requests >= 5 * 3 + 5 * 4  # every client asked each of its paths
    assert result.errors == []
    assert result.pull_error == "" and result.pulled_rows >= 20_000
    assert (result.run_state, result.run_end_reason.split(";")[0]) == (
        "done",
        "planned time reached",
    )
    assert result.control_errors == []
    assert result.tick_late_s  # the control loop kept ticking throughout
