"""The rate-against-totalizer rule at its seam: :class:`RateChecks` over a real
:class:`LiveState` fed by hand, one poll and one check a second, the demo site's TUF-2000M
``flow1`` (integer total + fraction, or the integer alone)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from controller.config.site import SiteConfig, load_site
from controller.runtime.frozenmeter import FRACTION_STEP_M3
from controller.runtime.live import LiveState
from controller.runtime.ratecheck import (
    DISAGREE_CONFIRM_POLLS,
    DISAGREE_FRACTION,
    DISAGREE_SLACK_STEPS,
    DISAGREE_WINDOW_S,
    DISAGREE_WINDOW_STEPS,
    RateChecks,
)
from controller.runtime.trip_messages import trip_parts
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
NOMINAL_M3_H = 30.0


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    return load_site(DEMO_SITE)


class RateMeter:
    """flow1's registers each second: the true flow integrated by the totalizer, the rate
    register reading it with 1 % noise unless ``rate_held_at`` freezes it."""

    def __init__(self, site: SiteConfig, *, fraction: bool = True, seed: int = 1) -> None:
        self.live = LiveState()
        self.rule = RateChecks(site, self.live)
        self.rng = random.Random(seed)
        self.t_s = 0
        self.total_m3 = 5000.25
        self.true_m3_h = NOMINAL_M3_H
        self.rate_held_at: float | None = None
        self.fraction = fraction
        self.torn_m3 = 0.0  # added to the next reading's total only (a torn read)

    def second(self) -> str | None:
        self.t_s += 1
        self.total_m3 += self.true_m3_h / 3600
        read = self.true_m3_h * (1 + self.rng.gauss(0, 0.01))
        rate = read if self.rate_held_at is None else self.rate_held_at
        whole = float(int(self.total_m3))
        points = {"flow_rate": rate, "total": whole + self.torn_m3}
        self.torn_m3 = 0.0
        if self.fraction:
            points["total_fraction"] = self.total_m3 - whole
        now = T0 + dt.timedelta(seconds=self.t_s)
        self.live.update(
            Reading("flow1", p, v, "", Quality.OK, now, decoded=v) for p, v in points.items()
        )
        return self.rule.check(["flow1"], now, float(self.t_s))

    def seconds_to_trip(self, limit_s: int) -> int | None:
        for s in range(1, limit_s + 1):
            if self.second() is not None:
                return s
        return None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_healthy_meter_never_disagrees_over_an_hour(demo: SiteConfig, seed: int) -> None:
    """A noisy rate, a totalizer that integrates it, the flow stepping between zones."""
    meter = RateMeter(demo, seed=seed)
    for minute in range(60):
        meter.true_m3_h = NOMINAL_M3_H * (1.0, 0.6, 1.4)[minute % 3]
        assert meter.seconds_to_trip(60) is None


def test_a_rate_frozen_at_the_nominal_hides_a_burst_the_total_shows(demo: SiteConfig) -> None:
    meter = RateMeter(demo)
    assert meter.seconds_to_trip(300) is None
    meter.rate_held_at = NOMINAL_M3_H
    assert meter.seconds_to_trip(300) is None  # held, but still the true flow
    meter.true_m3_h = 2.5 * NOMINAL_M3_H  # a pipe off its fitting
    tripped_s = meter.seconds_to_trip(300)
    # d seconds into the burst the window (DISAGREE_WINDOW_S at q = NOMINAL_M3_H / 3600 m3/s)
    # holds 1.5 q d more than its rate says:
    # 1.5 q d > DISAGREE_SLACK_STEPS × 0.01 m3 + DISAGREE_FRACTION × q (DISAGREE_WINDOW_S + 1.5 d)
    q = NOMINAL_M3_H / 3600
    slack_s = DISAGREE_SLACK_STEPS * FRACTION_STEP_M3 / q
    expected_s = (slack_s + DISAGREE_FRACTION * DISAGREE_WINDOW_S) / (1.5 * (1 - DISAGREE_FRACTION))
    expected_s += DISAGREE_CONFIRM_POLLS - 1  # confirmed by the polls after the first
    assert tripped_s is not None and expected_s - 2 <= tripped_s <= expected_s + 2
    why = meter.second()
    assert why is not None
    (part,) = trip_parts(why)  # the pages say it from its code and values
    assert (part.code, part.values["meter"]) == ("flow_meter_disagrees", "flow1")
    assert float(part.values["rise_m3"]) > float(part.values["claimed_m3"])


@pytest.mark.parametrize("torn_m3", [1.0, -1.0])
def test_one_torn_reading_of_the_total_is_no_fault(demo: SiteConfig, torn_m3: float) -> None:
    """A reading whose integer register was taken across its fraction's roll-over (a whole
    m3 off for one poll) is at one end of the window, then at the other: never a fault."""
    meter = RateMeter(demo)
    assert meter.seconds_to_trip(200) is None
    meter.torn_m3 = torn_m3
    assert meter.seconds_to_trip(int(3 * DISAGREE_WINDOW_S)) is None


def test_a_totalizer_reset_mid_run_is_no_fault(demo: SiteConfig) -> None:
    """A meter's total set back to zero (a wrap, a reset from its keypad) starts a new
    window, as metering starts a new count: the fall is no disagreement."""
    meter = RateMeter(demo)
    assert meter.seconds_to_trip(200) is None
    meter.total_m3 = 0.0
    assert meter.seconds_to_trip(int(3 * DISAGREE_WINDOW_S)) is None


def test_a_rate_frozen_at_zero_with_water_running_disagrees(demo: SiteConfig) -> None:
    meter = RateMeter(demo)
    assert meter.seconds_to_trip(200) is None
    meter.rate_held_at = 0.0
    tripped_s = meter.seconds_to_trip(300)
    assert tripped_s is not None and tripped_s < DISAGREE_WINDOW_S


def test_a_total_that_stands_still_is_left_to_the_frozen_rule(demo: SiteConfig) -> None:
    meter = RateMeter(demo)
    assert meter.seconds_to_trip(200) is None
    meter.true_m3_h = 0.0  # the totalizer stops...
    meter.rate_held_at = NOMINAL_M3_H  # ...the rate goes on: flow_meter_frozen's case
    for _ in range(2 * int(DISAGREE_WINDOW_S)):
        why = meter.second()
        if why is not None:
            # judged only while the window still holds some of the total's rise
            assert "totalizer rose 0.000" not in why
            return
    pytest.fail("a rate claiming water over a still total was never found")


def test_an_integer_totalizer_waits_for_its_window_of_whole_cubic_metres(
    demo: SiteConfig,
) -> None:
    """1 m3 steps alone: nothing is judged before DISAGREE_WINDOW_STEPS m3 have passed."""
    meter = RateMeter(demo, fraction=False)
    meter.rate_held_at = 0.0  # from the start: the rate claims nothing
    window_s = DISAGREE_WINDOW_STEPS * 1.0 / (NOMINAL_M3_H / 3600)
    tripped_s = meter.seconds_to_trip(int(window_s) + 200)
    assert tripped_s is not None and window_s - 120 <= tripped_s <= window_s + 120


def test_a_meter_no_longer_flowing_starts_afresh(demo: SiteConfig) -> None:
    meter = RateMeter(demo)
    meter.rate_held_at = 0.0
    for _ in range(30):
        assert meter.second() is None
    now = T0 + dt.timedelta(seconds=meter.t_s)
    assert meter.rule.check([], now, float(meter.t_s)) is None  # the pump stopped: forgotten
    tripped_s = meter.seconds_to_trip(300)
    assert tripped_s is not None and tripped_s >= DISAGREE_WINDOW_S  # a new window
