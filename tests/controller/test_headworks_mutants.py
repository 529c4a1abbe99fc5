"""The backflush at its bounds (:mod:`controller.runtime.headworks`): the pump's settling, the
dp's threshold and hold, the pumping interval, the backflush's length, what ends it early,
a valve that does not switch off, the deferrals announced, and the status. The demo site's
head (backflush at dp > 50 kPa held 10 s, for 60 s, 30 min apart, every 8 h of pumping) over
outputs that record what is switched, a :class:`LiveState` fed by hand and a real store on
a :class:`VirtualClock`; one tick a second unless a test says otherwise."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.runtime.headworks import (
    DP_HOLD_S,
    PUMP_SETTLE_S,
    HeadWorks,
    RunsView,
    pump_hours,
)
from controller.runtime.live import LiveState
from controller.runtime.outputs import Outputs
from controller.runtime.sequencer import ActiveRun
from controller.store import Event, Run, RunPhase, RunState, Severity, Store
from drivers.errors import FieldIOError
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
VALVE = "backflush_valve"


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    return load_site(DEMO_SITE)


class FakeOutputs:
    """Outputs by role, switched at once; ``off`` fails while ``refuse_off`` is set."""

    def __init__(self, roles: list[str]) -> None:
        self.state = dict.fromkeys(roles, False)
        self.refuse_off = False

    def roles(self) -> list[str]:
        return list(self.state)

    def is_on(self, role: str) -> bool:
        return self.state[role]

    def on(self, role: str) -> None:
        self.state[role] = True

    def off(self, role: str) -> None:
        if self.refuse_off:
            raise FieldIOError("relay1: no answer within 0.3 s")
        self.state[role] = False


class Head:
    """The head works of the demo site, the pump on, the filter's dp set by hand."""

    def __init__(self, site: SiteConfig, store: Store, clock: VirtualClock, roles: list[str]):
        self.clock, self.store, self.live = clock, store, LiveState()
        self.outputs = FakeOutputs(roles)
        self.runs: list[ActiveRun] = []
        self.outputs.state["pump"] = True
        self.works = HeadWorks(
            site, cast(Outputs, self.outputs), self.live, store, clock, cast(RunsView, self)
        )

    def active(self) -> list[ActiveRun]:
        return self.runs

    def dp(self, kpa: float) -> None:
        now = self.clock.now()
        self.live.update(
            Reading(device, "line_pressure", v, "kPa", Quality.OK, now, decoded=v)
            for device, v in (("press0", 200.0 + kpa), ("press1", 200.0))
        )

    def tick(self, seconds: float = 1.0) -> None:
        self.clock.advance(seconds)
        self.works.tick()

    def valve_on(self) -> bool:
        return self.outputs.state.get(VALVE, False)

    def events(self, code: str) -> list[Event]:
        return [e for e in self.store.events() if e.code == code]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(T0)) as s:
        yield s


@pytest.fixture
def head(demo: SiteConfig, store: Store) -> Head:
    clock = cast(VirtualClock, store.clock)
    h = Head(demo, store, clock, ["pump", VALVE, "injector_power", "dosing:n"])
    h.works.tick()  # the pump is seen on at 0 s
    return h


def opened_at(head: Head, seconds: int, kpa: float | None) -> int | None:
    """The tick (s since the pump came on) the valve opens at, the dp held at ``kpa``."""
    for t in range(1, seconds + 1):
        if kpa is not None:
            head.dp(kpa)
        head.tick()
        if head.valve_on():
            return t
    return None


# ------------------------------------------------------------------ when it starts


def test_a_dp_exactly_at_the_threshold_is_no_clog(head: Head) -> None:
    assert opened_at(head, 120, 50.0) is None


def test_a_high_dp_backflushes_once_the_pump_settled_and_the_dp_held(
    head: Head, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="controller.runtime.headworks"):
        assert opened_at(head, 120, 60.0) == PUMP_SETTLE_S + DP_HOLD_S
    message = "filter backflush for 60 s: filter dp 60 kPa > 50 kPa; dp 60.0 kPa"
    assert [e.message for e in head.events("backflush")] == [message]
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.INFO, message)]
    status = head.works.status()
    assert (status.filter_dp_kpa, status.backflushing, status.pumping_since_backflush_h) == (
        60.0,
        True,
        0.0,
    )


def test_the_pumping_interval_is_due_at_its_hour_exactly(head: Head) -> None:
    """No dp known: the 8 h of pumping decide, ticks an hour apart."""
    for hour in range(1, 8):
        head.tick(3600)
        assert not head.valve_on(), hour
    assert head.works.status().pumping_since_backflush_h == 7.0
    head.tick(3600)
    assert head.valve_on()
    (event,) = head.events("backflush")
    assert event.message == (
        "filter backflush for 60 s: 8.0 h of pumping since the last backflush; dp unknown"
    )


def test_the_hours_in_the_message_are_the_seconds_over_3600(head: Head) -> None:
    head.tick(3600 * 8.0502)  # 8.0502 h: 8.1 said (over 3601 s it would be 8.0)
    (event,) = head.events("backflush")
    assert "8.1 h of pumping" in event.message


def test_a_due_interval_waits_for_the_pump_to_settle_after_a_restart(head: Head) -> None:
    head.tick(8 * 3600 - 0.5)  # just short of the interval
    head.outputs.state["pump"] = False
    head.tick()
    head.outputs.state["pump"] = True
    head.tick()  # on again: settling from here
    head.tick()  # the interval is passed, the pump not settled
    assert not head.valve_on()
    for _ in range(int(PUMP_SETTLE_S) - 2):
        head.tick()
    assert not head.valve_on()
    head.tick()
    assert head.valve_on()


def test_outputs_without_the_backflush_valve_never_backflush(
    demo: SiteConfig, store: Store
) -> None:
    h = Head(demo, store, cast(VirtualClock, store.clock), ["pump"])
    h.works.tick()
    assert opened_at(h, 60, 80.0) is None
    assert h.events("backflush") == []


# ------------------------------------------------------------------ how it ends


def test_a_backflush_lasts_backflush_s_exactly_and_ends_without_an_event(
    head: Head, caplog: pytest.LogCaptureFixture
) -> None:
    assert opened_at(head, 60, 60.0) == 25
    for _ in range(59):
        head.tick()
        assert head.valve_on()
    with caplog.at_level(logging.INFO, logger="controller.runtime.headworks"):
        head.tick()
    assert not head.valve_on()
    assert head.events("backflush_ended") == []
    assert caplog.messages == ["filter backflush done after 60 s"]


@pytest.mark.parametrize(
    ("role", "why"),
    [("injector_power", "the dosing pump is powered"), ("dosing:n", "dosing:n is on")],
)
def test_injection_starting_ends_the_backflush_and_says_why(
    head: Head, role: str, why: str
) -> None:
    assert opened_at(head, 60, 60.0) == 25
    head.tick()
    head.outputs.state[role] = True
    head.tick()
    assert not head.valve_on()
    (event,) = head.events("backflush_ended")
    assert event.message == f"filter backflush ended after 2 s: {why}"


def test_a_valve_switched_off_elsewhere_ends_it_once(head: Head) -> None:
    assert opened_at(head, 60, 60.0) == 25
    head.outputs.state[VALVE] = False  # a safety trip
    head.tick()
    head.tick()
    (event,) = head.events("backflush_ended")
    assert event.message.endswith("the valve was switched off elsewhere")
    assert opened_at(head, 120, 60.0) is None  # and the minimum gap holds


def test_a_valve_that_does_not_switch_off_is_a_warning(
    head: Head, caplog: pytest.LogCaptureFixture
) -> None:
    assert opened_at(head, 60, 60.0) == 25
    head.outputs.refuse_off = True
    with caplog.at_level(logging.INFO, logger="controller.runtime.headworks"):
        for _ in range(60):
            head.tick()
    message = "backflush valve not switched off: relay1: no answer within 0.3 s"
    (event,) = head.events("backflush_failed")
    assert (event.severity, event.source, event.message) == (
        Severity.WARNING.value,
        "headworks",
        message,
    )
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.WARNING, message)]


# ------------------------------------------------------------------ deferrals


def test_each_deferral_is_announced_once(head: Head) -> None:
    """Due while the dosing pump is powered: deferred (one event), started once it is off;
    due again past the minimum gap with it powered: deferred again (another event)."""
    head.outputs.state["injector_power"] = True
    assert opened_at(head, 30, 60.0) is None
    assert len(head.events("backflush_deferred")) == 1
    head.outputs.state["injector_power"] = False
    head.tick()
    assert head.valve_on()
    head.outputs.state["injector_power"] = True  # ends it, then defers the next
    head.tick()
    head.tick(30 * 60)
    assert opened_at(head, 30, 60.0) is None
    assert len(head.events("backflush_deferred")) == 2


def test_a_dp_hovering_about_its_threshold_during_one_injection_is_one_deferral(
    head: Head,
) -> None:
    """50 min of one injection with the dp above 50 kPa for 20 s, then 5 s below, again and
    again: due, not due, due again, but one episode, one event (was one each 25 s)."""
    head.outputs.state["injector_power"] = True
    for t in range(50 * 60):
        head.dp(58.0 if t % 25 < 20 else 45.0)
        head.tick()
    assert not head.valve_on()
    assert len(head.events("backflush_deferred")) == 1
    # the injection ends with the dp fallen: no backflush, the episode over
    head.outputs.state["injector_power"] = False
    head.dp(40.0)
    head.tick()
    assert not head.valve_on()
    # the next injection with the dp high again: a new deferral, said again
    head.outputs.state["injector_power"] = True
    assert opened_at(head, 30, 60.0) is None
    assert len(head.events("backflush_deferred")) == 2


def test_a_fertigating_zone_defers_it(head: Head) -> None:
    head.runs = [cast(ActiveRun, SimpleNamespace(zone="z1", phase=_phase("inject")))]
    assert opened_at(head, 30, 60.0) is None
    (event,) = head.events("backflush_deferred")
    assert event.message.endswith("deferred: zone z1 is fertigating (inject)")


def _phase(value: str) -> RunPhase:
    return RunPhase(value)


# ------------------------------------------------------------------ pump hours


def _run(start_min: float, end_min: float | None, state: RunState) -> Run:
    return Run(
        created_at=T0,
        zone="z1",
        source="plan",
        state=state.value,
        planned_min=60,
        started_at=T0 + timedelta(minutes=start_min),
        ended_at=None if end_min is None else T0 + timedelta(minutes=end_min),
    )


def test_pump_hours_skip_a_run_without_an_end_that_is_not_running() -> None:
    now = T0 + timedelta(hours=10)
    runs = [_run(0, None, RunState.ABORTED), _run(60, 120, RunState.DONE)]
    assert pump_hours(runs, now) == 1.0


def test_pump_hours_stop_at_until_or_now_whichever_is_first() -> None:
    now = T0 + timedelta(hours=10)
    runs = [_run(0, 120, RunState.DONE), _run(540, None, RunState.RUNNING)]
    assert pump_hours(runs, now, until=T0 + timedelta(minutes=90)) == 1.5
    assert pump_hours(runs, now, until=now + timedelta(hours=5)) == 3.0


def _stored_run(store: Store, clock: VirtualClock, hours: float) -> None:
    run = store.plan_run("z1", "manual", hours * 60)
    assert run.id is not None
    store.start_run(run.id)
    clock.advance(hours * 3600)
    store.finish_run(run.id, RunState.DONE, "done")


def test_a_restart_counts_the_pumping_since_the_stored_backflush(
    demo: SiteConfig, store: Store
) -> None:
    """2 h of pumping, a backflush, an hour idle, 1 h of pumping, then a new process: 1 h
    since the backflush, 3 h in all."""
    clock = cast(VirtualClock, store.clock)
    _stored_run(store, clock, 2.0)
    backflush_at = clock.now()
    store.raise_event(Severity.INFO, "backflush", "headworks", "filter backflush for 60 s")
    clock.advance(3600)
    _stored_run(store, clock, 1.0)
    works = Head(demo, store, clock, ["pump", VALVE]).works
    status = works.status()
    assert (status.last_backflush, status.pumping_since_backflush_h) == (backflush_at, 1.0)
    assert (status.pump_hours, works.pump_hours(since=backflush_at)) == (3.0, 1.0)
    without = Head(demo, store, clock, ["pump"]).works  # no backflush valve: nothing kept
    assert without.status().pumping_since_backflush_h == 0.0


def test_a_backflush_older_than_the_lookback_is_not_the_last(
    demo: SiteConfig, store: Store
) -> None:
    """A backflush 8 days ago (past the 7 days a restart looks back), 1 h of pumping then and
    1 h now: no last backflush, and the pumping counted over the 7 days alone."""
    clock = cast(VirtualClock, store.clock)
    store.raise_event(Severity.INFO, "backflush", "headworks", "filter backflush for 60 s")
    _stored_run(store, clock, 1.0)
    clock.advance(8 * 24 * 3600)
    _stored_run(store, clock, 1.0)
    status = Head(demo, store, clock, ["pump", VALVE]).works.status()
    assert (status.last_backflush, status.pumping_since_backflush_h) == (None, 1.0)


def test_one_pressure_unread_is_no_dp(head: Head) -> None:
    head.live.update(
        [Reading("press1", "line_pressure", 200.0, "kPa", Quality.OK, head.clock.now(), 200.0)]
    )
    assert head.works.filter_dp_kpa() is None
