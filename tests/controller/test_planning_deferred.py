"""An ET zone whose run the planner places beyond today is recorded as deferred with the time
of that run (``deferred_to``), the one its English sentence names as "at HH:MM (day N)": the
pages say when the run is planned from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.jobs import Agronomy
from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.store import Store
from models.planner.explain import first_event_at
from tests.helpers.agronomy import local, seed_balance, weather_day
from tests.helpers.site import DEMO_SITE

DAY = dt.date(2026, 6, 1)  # z1 (seed corn, planted 20 April): crop day 42, vegetative


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(DAY, 18)))
    yield s
    s.close()


def test_a_deferred_run_records_when_it_is_planned(store: Store) -> None:
    site = load_site(DEMO_SITE)
    for back in (3, 2, 1):
        weather_day(store, DAY - dt.timedelta(days=back))
    # a third of TAW depleted the day before: the trigger (half of it) is days ahead
    seed_balance(store, site, "z1", DAY - dt.timedelta(days=1), 0.3)
    Agronomy(site, store, VirtualClock(local(DAY, 18))).plan_all(local(DAY, 18))
    decision = max((d for d in store.decisions() if d.zone == "z1"), key=lambda d: d.id or 0)
    assert decision.action == "defer", decision.reason
    at = first_event_at(decision.reason)
    assert at is not None, decision.reason
    when = dt.datetime.fromisoformat(decision.inputs["deferred_to"])
    tz = site.site.tz
    start = local(DAY, 19)  # the plan's first slot: the next whole hour
    assert when.astimezone(tz).strftime("%H:%M") == at[0]
    assert (when - start) // dt.timedelta(days=1) == at[1] >= 1
