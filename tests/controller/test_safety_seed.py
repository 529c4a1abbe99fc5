"""After a restart the supervisor starts from the flows of the zones' last runs, not from zero."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.runtime.live import LiveState
from controller.runtime.safety import LEARN_CLAMP, LEARN_MIN_SAMPLES, Supervisor, learned_from_runs
from controller.store import RunPhase, RunSource, RunState, Store
from tests.helpers.site import DEMO_SITE

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(T0)) as s:
        yield s


def run(
    store: Store,
    zone: str,
    start_h: float,
    minutes: float,
    m3: float,
    state: RunState = RunState.DONE,
) -> None:
    clock = store.clock
    assert isinstance(clock, VirtualClock)
    clock.set(T0 + dt.timedelta(hours=start_h), allow_backwards=True)
    r = store.plan_run(zone, RunSource.PLAN, minutes)
    assert r.id is not None
    store.start_run(r.id, RunPhase.WATER)
    clock.advance(minutes * 60)
    store.finish_run(r.id, state, "test", applied_m3=m3)


def test_flows_of_the_last_runs_that_ran_alone(site: SiteConfig, store: Store) -> None:
    run(store, "z1", 0, 60, 90.0)  # 90 m3/h
    run(store, "z1", 2, 60, 94.0)  # 94 m3/h
    run(store, "z1", 4, 10, 5.0)  # too short: the pipe filling
    run(store, "z1", 6, 60, 200.0, RunState.ABORTED)  # a burst that was stopped
    run(store, "z2", 8, 60, 96.0)
    run(store, "z3", 8.5, 60, 50.0)  # overlaps z2: the meter saw both, neither counts
    run(store, "z4", 12, 60, 1000.0)  # far above nominal: clamped
    learned = learned_from_runs(site, store, T0 + dt.timedelta(days=1))
    nominal = {z.name: z.nominal_flow_m3_h for z in site.zones}
    assert learned["z1"] == (pytest.approx(92.0), LEARN_MIN_SAMPLES)
    assert "z2" not in learned and "z3" not in learned
    assert learned["z4"] == (pytest.approx(LEARN_CLAMP[1] * nominal["z4"]), LEARN_MIN_SAMPLES)
    # runs older than the look-back are forgotten
    assert learned_from_runs(site, store, T0 + dt.timedelta(days=90)) == {}


def test_a_new_supervisor_uses_them_at_once(site: SiteConfig, store: Store) -> None:
    run(store, "z1", 0, 60, 90.0)
    clock = VirtualClock(T0 + dt.timedelta(days=1))
    # outputs and field I/O are not touched before the first check
    sup = Supervisor(site, None, LiveState(), store, None, clock)  # type: ignore[arg-type]
    assert sup.learned_nominal_m3_h("z1") == pytest.approx(90.0)
    assert sup.learned_nominal_m3_h("z2") is None
