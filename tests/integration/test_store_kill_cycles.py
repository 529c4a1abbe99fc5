"""The store's writer killed with -9 over and over: nothing acknowledged lost or doubled.

:mod:`hil_tests.kill_cycles` forks a writer that does what the daemon does to the store
and kills it at random moments. ``QANAT_STORE_KILL_CYCLES`` (default 50, about 20 s; ``python -m
hil_tests.red_team`` runs 1000) and ``QANAT_CRASH_SEED`` as in the other kill tests. The
checks are shown to bite: a row removed, doubled or changed between two cycles is found.
"""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest

from hil_tests.kill_cycles import store_kill_cycles
from tests.helpers.figures import Figures


def _seed() -> int:
    seed = int(os.environ.get("QANAT_CRASH_SEED", str(random.randrange(1_000_000))))
    print(f"QANAT_CRASH_SEED={seed}")
    return seed


def test_kill_9_of_the_writer_loses_and_doubles_nothing(tmp_path: Path, figures: Figures) -> None:
    cycles = int(os.environ.get("QANAT_STORE_KILL_CYCLES", "50"))
    found = store_kill_cycles(tmp_path, cycles, _seed())
    figures.add("kill_cycles", found.kill_cycles)
    figures.add("records_lost", found.records_lost)
    figures.add("records_doubled", found.records_doubled)
    figures.max("ledger_error_m3", found.ledger_error_m3)
    figures.add("runs_left_open", found.runs_left_open)
    figures.add("store_corrupt", found.store_corrupt)
    assert found.kill_cycles == cycles
    assert found.acknowledged > cycles  # the writers got work done between the kills
    assert found.problems == []
    assert (
        found.records_lost,
        found.records_doubled,
        found.ledger_error_m3,
        found.runs_left_open,
        found.store_corrupt,
    ) == (0, 0, 0.0, 0, 0)


def _sql(data: Path, statement: str) -> None:
    with sqlite3.connect(data / "qanat.db") as conn:
        conn.execute(statement)


@pytest.mark.parametrize(
    ("damage", "figure"),
    [
        ("DELETE FROM audit WHERE actor = 'kill-cycle'", "records_lost"),
        ("DELETE FROM readings WHERE device = 'kill-cycle'", "records_lost"),
        ("DELETE FROM runs", "records_lost"),
        (
            "INSERT INTO events (time, severity, code, source, message, latched)"
            " SELECT time, severity, code, source, message, latched FROM events"
            " WHERE code = 'kill_cycle'",
            "records_doubled",
        ),
        ("UPDATE runs SET applied_m3 = applied_m3 + 0.5", "ledger_error_m3"),
    ],
)
def test_the_checks_find_a_damaged_store(tmp_path: Path, damage: str, figure: str) -> None:
    def spoil(data: Path, cycle: int) -> None:
        if cycle == 2:
            _sql(data, damage)

    figures = store_kill_cycles(tmp_path, 3, seed=7, after_kill=spoil)
    assert getattr(figures, figure) > 0, figures.as_dict()
    assert figures.problems
