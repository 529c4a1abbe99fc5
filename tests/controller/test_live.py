"""The one rule for a point's current value: a good reading at most the age limit old."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.runtime.live import (
    LiveState,
    NoFreshValue,
    Why,
    control_max_age_s,
    display_max_age_s,
)
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
LIMIT_S = 300.0


def _reading(value: float | None, at: datetime, quality: Quality = Quality.OK) -> Reading:
    return Reading("flow1", "flow_rate", value, "m3/h", quality, at, decoded=value)


def _why(live: LiveState, now: datetime, max_age_s: float = LIMIT_S) -> Why:
    with pytest.raises(NoFreshValue) as caught:
        live.current("flow1", "flow_rate", now, max_age_s)
    assert caught.value.device == "flow1" and caught.value.point == "flow_rate"
    assert live.value("flow1", "flow_rate", now, max_age_s) is None
    return caught.value.why


def test_a_fresh_good_value_is_returned_with_its_time_and_age() -> None:
    live = LiveState()
    live.update([_reading(12.5, T0)])
    now = T0 + timedelta(seconds=7)
    current = live.current("flow1", "flow_rate", now, LIMIT_S)
    assert (current.value, current.time, current.age_s) == (12.5, T0, 7.0)
    assert live.value("flow1", "flow_rate", now, LIMIT_S) == 12.5


def test_a_point_never_read_has_no_value() -> None:
    assert _why(LiveState(), T0) is Why.NEVER_READ


def test_a_stale_value_gives_the_stale_reason() -> None:
    live = LiveState()
    live.update([_reading(12.5, T0)])
    assert _why(live, T0 + timedelta(hours=1)) is Why.STALE


@pytest.mark.parametrize(
    "quality", [Quality.OUT_OF_RANGE, Quality.UNDECODABLE, Quality.STALE, Quality.COMM_ERROR]
)
def test_a_point_never_read_ok_gives_the_quality_reason(quality: Quality) -> None:
    live = LiveState()
    live.update([_reading(None, T0, quality)])
    with pytest.raises(NoFreshValue, match=quality.value) as caught:
        live.current("flow1", "flow_rate", T0, LIMIT_S)
    assert caught.value.why is Why.NO_GOOD_READING


def test_a_flagged_reading_is_never_the_value_the_last_good_one_stands_within_the_age() -> None:
    live = LiveState()
    live.update([_reading(12.5, T0)])
    live.update([_reading(None, T0 + timedelta(seconds=5), Quality.COMM_ERROR)])
    assert live.value("flow1", "flow_rate", T0 + timedelta(seconds=10), LIMIT_S) == 12.5
    assert _why(live, T0 + timedelta(seconds=LIMIT_S + 1)) is Why.STALE


@pytest.mark.parametrize(
    ("age_s", "current"),
    [(LIMIT_S - 0.001, True), (LIMIT_S, True), (LIMIT_S + 0.001, False)],
    ids=["just-under", "at", "just-over"],
)
def test_the_age_boundary_is_inclusive(age_s: float, current: bool) -> None:
    live = LiveState()
    live.update([_reading(12.5, T0)])
    now = T0 + timedelta(seconds=age_s)
    if current:
        assert live.current("flow1", "flow_rate", now, LIMIT_S).value == 12.5
    else:
        assert _why(live, now) is Why.STALE


def test_the_limits_come_from_the_site() -> None:
    site = load_site(DEMO_SITE)
    assert control_max_age_s(site) == site.safety.stale_after_s == 300
    assert display_max_age_s(site, "flow1") == 300  # polled every 5 s: the safety limit
    safety = site.safety.model_copy(update={"stale_after_s": 60.0})
    site = replace(site, model=site.model.model_copy(update={"safety": safety}))
    assert display_max_age_s(site, "probe1a") == 120  # polled every 60 s: two polls
    assert display_max_age_s(site, "no-such-device") == 60


def test_with_a_clock_ages_are_monotonic_and_keep_the_age_at_arrival() -> None:
    t0 = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    clock = VirtualClock(t0)
    live = LiveState(clock)
    live.update([_reading(5.0, t0 - timedelta(seconds=20))])  # 20 s old when it arrived
    clock.advance(10)
    assert live.current("flow1", "flow_rate", clock.now(), 60).age_s == pytest.approx(30)
    clock.step(-3600)  # stamped an hour "ahead" of the wall clock now: still 40 s old
    clock.advance(10)
    assert live.current("flow1", "flow_rate", clock.now(), 60).age_s == pytest.approx(40)
    clock.step(7200)
    assert live.current("flow1", "flow_rate", clock.now(), 60).age_s == pytest.approx(40)
    live.update([_reading(None, clock.now(), Quality.COMM_ERROR)])  # a failed read keeps it
    clock.advance(25)
    assert _why(live, clock.now(), 60) is Why.STALE
