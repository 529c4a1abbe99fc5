"""What the HIL tests share: the season's start, the store compared across a fault, the
field's coils, open alarms and events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from controller.simulation.season import Season
from controller.store import EXPORT_TABLES, Store

# Tables whose committed rows never change after insertion; runs change state, events get
# acknowledged, so for those only the row's existence (and its id) is compared.
IMMUTABLE = ("decisions", "audit", "water_balance", "readings")
MID_SEASON = dt.date(2026, 6, 10)  # jointing: the crop is up and the balance is running


def snapshot(store: Store) -> dict[str, dict[int, dict[str, Any]]]:
    """Every committed row of every export table, by id."""
    store.flush()
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for table in EXPORT_TABLES:
        rows = store.rows_after(table, 0, limit=1_000_000)
        out[table] = {r.id: r.model_dump() for r in rows}  # type: ignore[attr-defined]
    return out


def assert_nothing_lost(before: dict[str, dict[int, dict[str, Any]]], store: Store) -> None:
    """Every row committed before is still there (unchanged where rows are immutable)."""
    after = snapshot(store)
    for table, rows in before.items():
        missing = sorted(set(rows) - set(after[table]))
        assert not missing, f"{table}: committed rows lost: {missing[:10]}"
        if table in IMMUTABLE:
            changed = [i for i, row in rows.items() if after[table][i] != row]
            assert not changed, f"{table}: committed rows changed: {changed[:10]}"


def coils(season: Season) -> list[float]:
    assert season.sim is not None
    relay = season.sim.devices["relay1"]
    return [relay.get(f"ch{i}") for i in range(1, 9)]


def open_codes(season: Season) -> set[str]:
    assert season.store is not None
    return {e.code for e in season.store.open_alarms()}


def event_codes(season: Season) -> set[str]:
    assert season.store is not None
    return {e.code for e in season.store.events()}


def advance_until(
    season: Season, done: Callable[[], bool], within_s: float, step_s: float
) -> float:
    """Let virtual time pass in steps of ``step_s`` until ``done()``: the seconds it took.

    A fault's detection time is measured this way (resolution ``step_s``);
    AssertionError if ``done()`` is still false after ``within_s``."""
    waited_s = 0.0
    while not done():
        if waited_s >= within_s:
            raise AssertionError(f"not within {within_s:.0f} s of virtual time")
        season.advance(step_s)
        waited_s += step_s
    return waited_s
