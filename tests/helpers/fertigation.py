"""Fertigation runs as the sequencer stores them, on the demo site's local time."""

from __future__ import annotations

import datetime as dt

from controller.agronomy.jobs import PlannedRun
from controller.clock import VirtualClock
from controller.store import RunPhase, RunSource, RunState, Store

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(day: dt.date, hhmm: str = "21:00") -> dt.datetime:
    h, m = (int(v) for v in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=SHANGHAI)


def planned(zone: str, start: dt.datetime, minutes: float) -> PlannedRun:
    return PlannedRun(zone, start.astimezone(dt.UTC), minutes, 20.0, 1, RunSource.PLAN)


def record_run(
    store: Store,
    zone: str,
    start: dt.datetime,
    fertilizer: dict[str, float] | None,
    state: RunState = RunState.DONE,
) -> int:
    """A run stored as the sequencer stores it, started at ``start``."""
    clock = store.clock
    assert isinstance(clock, VirtualClock)
    clock.set(start.astimezone(dt.UTC), allow_backwards=True)
    run = store.plan_run(zone, RunSource.PLAN, 90)
    assert run.id is not None
    store.start_run(run.id, RunPhase.PREWET if fertilizer is not None else RunPhase.WATER)
    if state is RunState.RUNNING:
        store.update_run_progress(run.id, 3.0, RunPhase.INJECT)
        return run.id
    clock.advance(90 * 60)
    store.finish_run(run.id, state, "test", applied_m3=150, fertilizer=fertilizer)
    return run.id
