"""The frozen-meter rule at its seam: :class:`FrozenMeters` over a real :class:`LiveState` fed
by hand, one check a second, the demo site's TUF-2000M ``flow1`` (integer total + fraction)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import cast

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.runtime.fieldio import FieldIO
from controller.runtime.frozenmeter import (
    FRACTION_STEP_M3,
    FROZEN_MIN_POLLS,
    FROZEN_STEPS,
    FrozenMeters,
)
from controller.runtime.live import LiveState
from controller.runtime.outputs import Outputs
from controller.runtime.safety import SETTLE_S, Supervisor
from controller.runtime.trip_messages import trip_parts
from controller.store import Store
from drivers.reading import Quality, Reading
from tests.helpers.fakebus import FakeBus, SimpleFieldIO
from tests.helpers.site import DEMO_SITE

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
FLOW_M3_H = 3.6  # 1 L/s: the fraction's FROZEN_STEPS steps (50 L) pass in 50 s


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    return load_site(DEMO_SITE)


class Meter:
    """flow1 as the poller leaves it in the live state, and the rule checked each second."""

    def __init__(self, site: SiteConfig, flow_m3_h: float = FLOW_M3_H) -> None:
        self.live = LiveState()
        self.rule = FrozenMeters(site, self.live)
        self.t_s = 0.0
        self.total_m3 = 1234.5
        self.flow_m3_h = flow_m3_h

    def publish(self, points: dict[str, float]) -> None:
        now = T0 + dt.timedelta(seconds=self.t_s)
        self.live.update(
            Reading("flow1", p, v, "", Quality.OK, now, decoded=v) for p, v in points.items()
        )

    def second(self, *, advances: bool, fraction: bool = True, polled: bool = True) -> str | None:
        """One second at ``flow_m3_h``: the meter polled (its total advancing or not), checked."""
        self.t_s += 1
        if advances:
            self.total_m3 += self.flow_m3_h / 3600
        if polled:
            whole = float(int(self.total_m3))
            points = {"flow_rate": self.flow_m3_h, "total": whole}
            if fraction:
                points["total_fraction"] = self.total_m3 - whole
            self.publish(points)
        now = T0 + dt.timedelta(seconds=self.t_s)
        return self.rule.check(["flow1"], now, self.t_s)


def seconds_to_trip(meter: Meter, limit_s: int, **kw: bool) -> int | None:
    for s in range(1, limit_s + 1):
        if meter.second(**kw) is not None:
            return s
    return None


def test_a_totalizer_still_while_the_rate_says_water_passes_is_frozen(demo: SiteConfig) -> None:
    meter = Meter(demo)
    meter.second(advances=True)  # the first reading anchors the watch
    expected_s = FROZEN_STEPS * FRACTION_STEP_M3 / (FLOW_M3_H / 3600)
    tripped_s = seconds_to_trip(meter, 200, advances=False)
    assert tripped_s is not None
    assert expected_s <= tripped_s <= expected_s + 2  # not a second of margin early
    why = meter.second(advances=False)
    assert why is not None and "flow1" in why and "frozen at 1234.501" in why


def test_a_steady_rate_repeated_to_the_last_digit_is_no_frozen_meter(demo: SiteConfig) -> None:
    """The rate register is the same every poll; the totalizer moves as the rate says."""
    meter = Meter(demo)
    assert seconds_to_trip(meter, 900, advances=True) is None


def test_a_meter_polled_every_few_seconds_whose_flow_stops_is_no_frozen_meter(
    demo: SiteConfig,
) -> None:
    """100 m3/h, polled every 5 s (0.14 m3 a poll, FROZEN_STEPS steps), checked every second;
    then the water stops: the next polls read 0 and a total that moves no more."""
    meter = Meter(demo, flow_m3_h=100.0)
    for s in range(116):  # the last second a poll: the rate read then is 100 m3/h
        assert meter.second(advances=True, polled=s % 5 == 0) is None
    meter.flow_m3_h = 0.0
    for s in range(1, 121):  # 4 s with that rate read and no poll, then polls of 0
        assert meter.second(advances=False, polled=s % 5 == 0) is None


def test_a_few_repeated_polls_are_not_enough(demo: SiteConfig) -> None:
    """Water for many steps but fewer than FROZEN_MIN_POLLS readings of the same total (a
    slowly polled meter): not judged yet."""
    meter = Meter(demo)
    meter.second(advances=True)
    for _ in range(FROZEN_MIN_POLLS - 1):
        assert meter.second(advances=False) is None  # one fresh poll each
        for _ in range(60):  # a minute between polls: many steps of water
            assert meter.second(advances=False, polled=False) is None
    assert meter.second(advances=False) is not None  # the FROZEN_MIN_POLLS-th repeat


def test_an_integer_totalizer_is_judged_on_its_whole_cubic_metres(demo: SiteConfig) -> None:
    """Without a fresh fraction the step is the integer's 1 m3: FROZEN_STEPS m3 of water."""
    meter = Meter(demo)
    meter.second(advances=True, fraction=False)
    expected_s = FROZEN_STEPS * 1.0 / (FLOW_M3_H / 3600)
    tripped_s = seconds_to_trip(meter, 6000, advances=False, fraction=False)
    assert tripped_s is not None and expected_s <= tripped_s <= expected_s + 2


def test_a_meter_no_longer_flowing_starts_afresh(demo: SiteConfig) -> None:
    meter = Meter(demo)
    meter.second(advances=True)
    for _ in range(40):
        assert meter.second(advances=False) is None
    now = T0 + dt.timedelta(seconds=meter.t_s)
    assert meter.rule.check([], now, meter.t_s) is None  # the pump stopped: forgotten
    tripped_s = seconds_to_trip(meter, 200, advances=False)
    assert tripped_s is not None and tripped_s > 40  # counted from the new first reading


# ------------------------------------------------------------------ the supervisor's rule


class Runs:
    """The sequencer's side of the supervisor: the aborts it was told."""

    def __init__(self) -> None:
        self.aborted: list[str] = []

    def abort_all(self, reason: str) -> None:
        self.aborted.append(reason)

    def injection_stopped(self, reason: str) -> None:
        raise AssertionError(f"injection stopped: {reason}")


def test_the_supervisor_judges_the_head_meter_only_past_the_pipe_fill(
    demo: SiteConfig, tmp_path: Path
) -> None:
    """Valve and pump on, flow1's registers frozen from the start (100 m3/h claimed): no
    trip while the pump is within SETTLE_S, then flow_meter_frozen stops everything."""
    clock = VirtualClock(T0)
    clock.advance(100.0)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        bus = FakeBus()
        fio = cast(FieldIO, SimpleFieldIO(bus))
        live = LiveState()
        outputs = Outputs(demo, fio, clock)
        sup = Supervisor(demo, outputs, live, store, fio, clock)
        runs = Runs()
        sup.attach(runs)
        outputs.on("valve:z1")
        outputs.on("master_valve")
        outputs.on("pump")
        values = {"flow_rate": 100.0, "total": 77.0, "total_fraction": 0.25}
        codes: list[list[str]] = []
        for _ in range(int(SETTLE_S) + FROZEN_MIN_POLLS + 1):
            clock.advance(1.0)
            now = clock.now()
            live.update(
                Reading("flow1", p, v, "", Quality.OK, now, decoded=v) for p, v in values.items()
            )
            live.update(
                Reading(d, p, v, "", Quality.OK, now, decoded=v)
                for (d, p), v in {("press1", "line_pressure"): 200.0}.items()
            )
            codes.append([t.code for t in sup.check()])
        # judged from SETTLE_S on; FROZEN_MIN_POLLS repeats of the total after its first read
        first = int(SETTLE_S) - 1 + FROZEN_MIN_POLLS
        assert codes[:first] == [[]] * first
        assert codes[first] == ["flow_meter_frozen"]
        assert outputs.on_roles() == [] and "safety flow_meter_frozen" in runs.aborted[0]
        (event,) = [e for e in store.events() if e.source == "safety"]
        (part,) = trip_parts(event.message)  # the pages say it from its code and values
        assert part.code == "flow_meter_frozen"
        assert (part.values["meter"], part.values["total_m3"]) == ("flow1", "77.250")
        ok, why = sup.may_start("z2")
        assert not ok and "flow_meter_frozen" in why
