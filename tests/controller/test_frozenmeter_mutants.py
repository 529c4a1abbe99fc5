"""The frozen-meter rule at its bounds (:mod:`controller.runtime.frozenmeter`): the reading
it takes as fresh, the step of each kind of totalizer, the water counted between polls, and
a watch dropped over a gap. A real :class:`LiveState` fed by hand, the demo site's ``flow1``
(a TUF-2000M: integer ``total`` + ``total_fraction``), its profile changed where a test
needs another kind of register."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from controller.config.site import SiteConfig, load_site
from controller.runtime.frozenmeter import (
    FRACTION_STEP_M3,
    FROZEN_MIN_POLLS,
    FROZEN_STEPS,
    FrozenMeters,
    fresh_reading,
    totalizer_step_m3,
)
from controller.runtime.live import LiveState
from controller.runtime.metering import Totalizer
from drivers.profile import DataType
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    return load_site(DEMO_SITE)


def with_point(site: SiteConfig, name: str, **changes: object) -> SiteConfig:
    """``site`` with ``flow1``'s point ``name`` changed (its type, its scale)."""
    profile = site.profiles["flow1"]
    points = tuple(
        dataclasses.replace(p, **changes) if p.name == name else p for p in profile.points
    )
    changed = dataclasses.replace(profile, points=points, _by_name={p.name: p for p in points})
    return dataclasses.replace(site, profiles={**site.profiles, "flow1": changed})


def at(t_s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=t_s)


def publish(live: LiveState, t_s: float, points: dict[str, float]) -> None:
    live.update(
        Reading("flow1", p, v, "", Quality.OK, at(t_s), decoded=v) for p, v in points.items()
    )


class Frozen:
    """flow1 polled with a totalizer that stands at 77.25 m3 and the rule checked."""

    def __init__(self, site: SiteConfig, flow_m3_h: float) -> None:
        self.live = LiveState()
        self.rule = FrozenMeters(site, self.live)
        self.flow_m3_h = flow_m3_h

    def poll(self, t_s: float) -> None:
        publish(
            self.live, t_s, {"flow_rate": self.flow_m3_h, "total": 77.0, "total_fraction": 0.25}
        )

    def check(self, t_s: float) -> str | None:
        return self.rule.check(["flow1"], at(t_s), t_s)

    def polled(self, t_s: float) -> str | None:
        self.poll(t_s)
        return self.check(t_s)


# ------------------------------------------------------------------ the fresh reading


def test_a_total_without_a_fresh_rate_is_no_reading(demo: SiteConfig) -> None:
    live = LiveState()
    publish(live, 0, {"total": 77.0, "total_fraction": 0.25})
    assert fresh_reading(live, demo, "flow1", at(1)) is None
    publish(live, 0, {"flow_rate": 3.6})
    assert fresh_reading(live, demo, "flow1", at(1)) is not None


def test_a_rate_without_a_fresh_total_is_no_reading(demo: SiteConfig) -> None:
    live = LiveState()
    publish(live, 0, {"flow_rate": 3.6})
    assert fresh_reading(live, demo, "flow1", at(1)) is None


@pytest.mark.parametrize(("read_m3_h", "rate_m3_h"), [(-0.4, 0.0), (0.0, 0.0), (0.3, 0.3)])
def test_the_rate_is_read_as_it_is_and_a_negative_one_as_zero(
    demo: SiteConfig, read_m3_h: float, rate_m3_h: float
) -> None:
    live = LiveState()
    publish(live, 0, {"flow_rate": read_m3_h, "total": 77.0, "total_fraction": 0.25})
    reading = fresh_reading(live, demo, "flow1", at(1))
    assert reading is not None
    total, flow_m3_h = reading
    assert (total.value_m3, total.with_fraction, flow_m3_h) == (77.25, True, rate_m3_h)


# ------------------------------------------------------------------ the totalizer's step


def test_a_fraction_register_steps_by_its_scale(demo: SiteConfig) -> None:
    site = with_point(demo, "total_fraction", scale=0.5)
    total = Totalizer(77.25, T0, with_fraction=True)
    assert totalizer_step_m3(site, "flow1", total) == FRACTION_STEP_M3 * 0.5
    assert totalizer_step_m3(demo, "flow1", total) == FRACTION_STEP_M3


def test_an_integer_total_steps_by_its_scale(demo: SiteConfig) -> None:
    site = with_point(demo, "total", scale=-0.1)
    assert totalizer_step_m3(site, "flow1", Totalizer(77.0, T0, with_fraction=False)) == 0.1


@pytest.mark.parametrize(
    ("scale", "value_m3", "step_m3"),
    [
        (1.0, 1234.5, 2.0**-13),  # 1234.5 in [2^10, 2^11): float32 spacing 2^(11 − 24)
        (0.5, 1000.0, 0.5 * 2.0**-13),  # the register holds 2000 (in [2^10, 2^11))
        (4.0, 1000.0, 4.0 * 2.0**-16),  # the register holds 250 (in [2^7, 2^8))
        (-0.5, 1000.0, 0.5 * 2.0**-13),  # a negative scale: the spacing of |value / scale|
        (1.0, 0.0, 2.0**-24),  # a totalizer at zero: frexp(0) gives exponent 0
    ],
)
def test_a_float_total_steps_by_its_float32_spacing_at_the_value_read(
    demo: SiteConfig, scale: float, value_m3: float, step_m3: float
) -> None:
    site = with_point(demo, "total", type=DataType.FLOAT32, scale=scale)
    total = Totalizer(value_m3, T0, with_fraction=False)
    assert totalizer_step_m3(site, "flow1", total) == step_m3
    raw = value_m3 / scale
    if raw:  # the spacing of float32 itself at the register's value
        assert step_m3 == abs(scale) * (math.ulp(abs(raw)) * 2.0 ** (52 - 23))


# ------------------------------------------------------------------ the water counted


def test_trips_at_the_poll_the_rate_claims_exactly_its_steps(demo: SiteConfig) -> None:
    """36 m3/h polled each second: 10 L a poll, FROZEN_STEPS steps (50 L, exact in floats)
    at the FROZEN_MIN_POLLS-th repeat; the message counts the anchoring reading too."""
    meter = Frozen(demo, 36.0)
    assert meter.polled(0) is None  # anchors
    for t in range(1, FROZEN_MIN_POLLS):
        assert meter.polled(t) is None
    why = meter.polled(FROZEN_MIN_POLLS)
    assert why is not None
    assert f"over {FROZEN_MIN_POLLS + 1} readings" in why
    assert f"says {FROZEN_STEPS * FRACTION_STEP_M3:.3f} m3 passed" in why


def test_the_water_is_the_rate_times_the_seconds_over_an_hour(demo: SiteConfig) -> None:
    """18.0018 m3/h, a poll a second: 5.0005 L a poll, so the 10th repeat holds 50.005 L,
    just over FROZEN_STEPS steps (the 9th 45 L), and not if the hour were a second longer."""
    meter = Frozen(demo, FROZEN_STEPS * FRACTION_STEP_M3 * 1.0001 * 3600 / 10)
    assert meter.polled(0) is None
    for t in range(1, 10):
        assert meter.polled(t) is None
    assert meter.polled(10) is not None


def test_polls_closer_than_a_second_count_their_own_seconds(demo: SiteConfig) -> None:
    """Polls every 0.5 s at 3.6 m3/h: 0.5 L each, so 100 repeats make the 50 L, not 50."""
    meter = Frozen(demo, 3.6)
    assert meter.polled(0) is None
    for n in range(1, 100):
        assert meter.polled(n / 2) is None, n
    assert meter.polled(50.0) is not None


def test_a_check_without_a_new_poll_is_no_repeat(demo: SiteConfig) -> None:
    """100 m3/h: the steps' water passes in under 2 s, so the polls decide; a check right
    after the anchoring poll that finds the same reading counts for nothing."""
    meter = Frozen(demo, 100.0)
    assert meter.polled(0) is None
    assert meter.check(0.5) is None  # the same reading: no poll
    for t in range(1, FROZEN_MIN_POLLS):
        assert meter.polled(t) is None
    assert meter.polled(FROZEN_MIN_POLLS) is not None


# ------------------------------------------------------------------ gaps


def test_a_meter_never_read_fresh_is_not_judged(demo: SiteConfig) -> None:
    meter = Frozen(demo, 3.6)
    assert meter.check(1) is None  # nothing read at all: no watch to drop
    assert meter.rule.check(["flow1", "flow2"], at(2), 2.0) is None


def test_a_meter_read_again_after_a_gap_is_judged_afresh(demo: SiteConfig) -> None:
    """40 s frozen at 3.6 m3/h (40 L), then its readings grow stale (flow_meter_stale's), then
    the same total again: a new watch, which needs FROZEN_STEPS steps of its own."""
    meter = Frozen(demo, 3.6)
    for t in range(41):
        assert meter.polled(t) is None
    stale_s = 40 + demo.safety.stale_after_s + 1
    assert meter.check(stale_s) is None  # the gap: the watch is dropped
    for t in range(int(stale_s) + 1, int(stale_s) + 41):
        assert meter.polled(t) is None, t
