"""The rate-against-totalizer rule at its bounds (:mod:`controller.runtime.ratecheck`): the
poll it trips at, the window's polls, seconds and water each at its bound, a window apart by
exactly its allowance, a disagreement shorter than its confirmation, a window over a gap, and
the message's figures. A real :class:`LiveState` fed by hand with the demo site's ``flow1``
(a TUF-2000M: integer ``total`` + ``total_fraction``, or the integer alone, 1 m3 steps),
values chosen exact in binary where a test needs equality."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from controller.config.site import SiteConfig, load_site
from controller.runtime.frozenmeter import FRACTION_STEP_M3
from controller.runtime.live import LiveState
from controller.runtime.ratecheck import (
    DISAGREE_CONFIRM_POLLS,
    DISAGREE_FRACTION,
    DISAGREE_MAX_POLLS,
    DISAGREE_MIN_POLLS,
    DISAGREE_SLACK_STEPS,
    DISAGREE_WINDOW_S,
    DISAGREE_WINDOW_STEPS,
    RateChecks,
)
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
TRUE_M3_H = 30.0  # 1/120 m3 a second: 1 m3 over the window's 120 s
START_M3 = 1000.0


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    return load_site(DEMO_SITE)


def at(t_s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=t_s)


class Meter:
    """flow1's registers as the poller leaves them, and the rule checked."""

    def __init__(self, site: SiteConfig, *, fraction: bool = True) -> None:
        self.live = LiveState()
        self.rule = RateChecks(site, self.live)
        self.fraction = fraction

    def poll(self, t_s: float, total_m3: float, rate_m3_h: float) -> None:
        whole = float(math.floor(total_m3))
        points = {"flow_rate": rate_m3_h, "total": whole}
        if self.fraction:
            points["total_fraction"] = total_m3 - whole
        self.live.update(
            Reading("flow1", p, v, "", Quality.OK, at(t_s), decoded=v) for p, v in points.items()
        )

    def check(self, t_s: float) -> str | None:
        return self.rule.check(["flow1"], at(t_s), t_s)

    def polled(self, t_s: float, total_m3: float, rate_m3_h: float) -> str | None:
        self.poll(t_s, total_m3, rate_m3_h)
        return self.check(t_s)


def flowing_m3(t_s: float) -> float:
    """The totalizer at ``t_s`` with TRUE_M3_H passing since 0 s."""
    return START_M3 + t_s * TRUE_M3_H / 3600


def first_trip(meter: Meter, polls_s: list[float], rate_m3_h: float) -> float | None:
    """The poll's time the rule first trips at, TRUE_M3_H flowing, the rate read as given."""
    for t_s in polls_s:
        if meter.polled(t_s, flowing_m3(t_s), rate_m3_h) is not None:
            return t_s
    return None


# ------------------------------------------------------------------ the poll it trips at


@pytest.mark.parametrize("checks_a_poll", [1, 2])
def test_a_rate_read_at_zero_trips_at_the_confirming_poll_and_says_its_window(
    demo: SiteConfig, checks_a_poll: int
) -> None:
    """Polls each second, the rate frozen at 0: the window is first long enough at 120 s
    (DISAGREE_WINDOW_S), the fault confirmed DISAGREE_CONFIRM_POLLS − 1 polls later; a
    check between polls (the same reading) is no poll and counts for nothing."""
    meter = Meter(demo)
    trip_s = DISAGREE_WINDOW_S + DISAGREE_CONFIRM_POLLS - 1
    for t in range(int(trip_s)):
        meter.poll(t, flowing_m3(t), 0.0)
        for n in range(checks_a_poll):
            assert meter.check(t + n / checks_a_poll) is None, (t, n)
    why = meter.polled(trip_s, flowing_m3(trip_s), 0.0)
    assert why is not None
    # the window: the latest 120 s, 121 polls, 1 m3 risen (30 m3/h), 0 m3 claimed
    allowed_m3 = DISAGREE_SLACK_STEPS * FRACTION_STEP_M3 + DISAGREE_FRACTION * 1.0
    assert (
        f"totalizer rose 1.000 m3 in {DISAGREE_WINDOW_S:.0f} s (30.00 m3/h) over "
        f"{DISAGREE_WINDOW_S + 1:.0f} readings while its flow rate says 0.000 m3 (last read "
        f"0.00 m3/h), more apart than {allowed_m3:.3f} m3"
    ) in why


def test_a_slowly_polled_meter_is_judged_at_its_fifth_poll(demo: SiteConfig) -> None:
    """A poll a minute: 120 s and 0.5 m3 after the third, but the window needs
    DISAGREE_MIN_POLLS polls; confirmed DISAGREE_CONFIRM_POLLS − 1 polls later."""
    polls_s = [60.0 * n for n in range(20)]
    trip_s = first_trip(Meter(demo), polls_s, 0.0)
    assert trip_s == polls_s[DISAGREE_MIN_POLLS - 1 + DISAGREE_CONFIRM_POLLS - 1]


def test_polls_closer_than_a_second_claim_only_their_own_seconds(demo: SiteConfig) -> None:
    """A healthy meter polled every 0.5 s: its rate claims what its totalizer shows."""
    polls_s = [n / 2 for n in range(800)]
    assert first_trip(Meter(demo), polls_s, TRUE_M3_H) is None


# ------------------------------------------------------------------ water, exactly


def integer_polls(meter: Meter, rate_m3_h: float, polls: int) -> int | None:
    """The integer total alone (1 m3 steps), 5 m3 a poll 36 s apart: the window is long
    enough at its DISAGREE_MIN_POLLS-th poll by seconds (144) and by water (20 m3, exactly
    DISAGREE_WINDOW_STEPS steps). The index of the poll the rule trips at, if any."""
    for n in range(polls):
        if meter.polled(36.0 * n, START_M3 + 5.0 * n, rate_m3_h) is not None:
            return n
    return None


def test_a_window_apart_by_exactly_its_allowance_is_no_fault(demo: SiteConfig) -> None:
    """350 m3/h over 36 s is 3.5 m3 a poll: 14 m3 claimed against 20 m3 risen, 6 m3 apart,
    exactly DISAGREE_SLACK_STEPS × 1 m3 + DISAGREE_FRACTION × 20 m3; 340 m3/h is over it."""
    assert DISAGREE_SLACK_STEPS * 1.0 + DISAGREE_FRACTION * 20.0 == 20.0 - 4 * 3.5
    assert integer_polls(Meter(demo, fraction=False), 350.0, 30) is None
    trip = integer_polls(Meter(demo, fraction=False), 340.0, 30)
    assert trip == DISAGREE_MIN_POLLS - 1 + DISAGREE_CONFIRM_POLLS - 1
    assert DISAGREE_WINDOW_STEPS * 1.0 == 5.0 * (DISAGREE_MIN_POLLS - 1)


def test_a_window_at_the_polls_cap_is_judged(demo: SiteConfig) -> None:
    """An integer meter at a small flow: the rate claims DISAGREE_WINDOW_STEPS m3 only over
    DISAGREE_MAX_POLLS polls a second apart (not one fewer) while the total rises 1 m3."""
    span_s = DISAGREE_MAX_POLLS - 1.0
    rate_m3_h = DISAGREE_WINDOW_STEPS * 3600 / (span_s - 0.5)  # 20 m3 in between the two
    meter = Meter(demo, fraction=False)
    trip = None
    for t in range(DISAGREE_MAX_POLLS + 100):
        total_m3 = START_M3 + (1.0 if t >= DISAGREE_MAX_POLLS // 2 else 0.0)
        if meter.polled(float(t), total_m3, rate_m3_h) is not None:
            trip = t
            break
    assert trip == span_s + DISAGREE_CONFIRM_POLLS - 1


# ------------------------------------------------------------------ the confirmation


def test_a_disagreement_shorter_than_its_confirmation_is_no_fault(demo: SiteConfig) -> None:
    """A healthy meter whose total is read a whole m3 high for DISAGREE_CONFIRM_POLLS − 1
    polls in a row: each disagrees, one short of a fault; the total falling back after them
    starts a new window."""
    meter = Meter(demo)
    torn = range(200, 200 + DISAGREE_CONFIRM_POLLS - 1)
    for t in range(500):
        total_m3 = flowing_m3(t) + (1.0 if t in torn else 0.0)
        assert meter.polled(t, total_m3, TRUE_M3_H) is None, t


def test_a_still_total_counts_nothing_towards_the_next_disagreement(demo: SiteConfig) -> None:
    """12 m3/h claimed over a total that stands still (flow_meter_frozen's, not judged here),
    then the total read a whole m3 high for DISAGREE_CONFIRM_POLLS − 1 polls: no fault."""
    meter = Meter(demo)
    for t in range(400):
        high = 200 <= t < 200 + DISAGREE_CONFIRM_POLLS - 1
        assert meter.polled(t, START_M3 + 0.25 + (1.0 if high else 0.0), 12.0) is None, t


# ------------------------------------------------------------------ gaps


def test_a_window_is_dropped_over_a_gap_and_judged_afresh(demo: SiteConfig) -> None:
    """The rate frozen at 0 for 100 s, then no fresh reading (a gap: flow_meter_stale's),
    then polls again: a new window, which trips only at its own confirming poll."""
    meter = Meter(demo)
    assert meter.check(0.0) is None  # never read: nothing to judge, nothing to drop
    assert first_trip(meter, [float(t) for t in range(100)], 0.0) is None
    gap_s = 100 + demo.safety.stale_after_s + 1
    assert meter.check(gap_s) is None  # the gap: the window is dropped
    assert meter.check(gap_s + 0.5) is None  # and stays dropped
    polls_s = [gap_s + 1 + t for t in range(300)]
    trip_s = first_trip(meter, polls_s, 0.0)
    assert trip_s == polls_s[0] + DISAGREE_WINDOW_S + DISAGREE_CONFIRM_POLLS - 1
