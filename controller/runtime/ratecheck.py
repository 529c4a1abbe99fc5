"""A flow meter whose rate register no longer follows its totalizer: the rate frozen (a hung
firmware, a gateway serving a rate register it no longer refreshes) while the total counts.

The supervisor's ``burst`` and ``dry_run`` judge the rate: a rate frozen at a normal value
hides a burst (a pipe off its fitting), one frozen at 0 trips ``dry_run`` with water running
(the wrong alarm, and the wrong place to look). The positive totalizer integrates what the
meter measures, so over a window of fresh polls its rise must match the rate integrated over
the same polls:

    claimed_m3 = Σ (q_i + q_(i+1)) / 2 × (t_(i+1) − t_i) / 3600      (trapezoid, q in m³/h,
                                                                      t monotonic seconds)
    rise_m3    = total_last − total_first

and they disagree when ``|rise_m3 − claimed_m3| > DISAGREE_SLACK_STEPS × step
+ DISAGREE_FRACTION × max(rise_m3, claimed_m3)`` (``step`` the totalizer's resolution,
:func:`controller.runtime.frozenmeter.totalizer_step_m3`).

The window is the latest run of fresh polls spanning at least :data:`DISAGREE_WINDOW_S`
seconds, :data:`DISAGREE_MIN_POLLS` polls and :data:`DISAGREE_WINDOW_STEPS` steps of water
(by the rise or the claim): with the fraction register (10 L steps) the seconds decide; with
a 1 m³ integer totalizer alone the window must hold 20 m³, so the check waits for that much
water (at 30 m³/h, 40 min); past :data:`DISAGREE_MAX_POLLS` polls the oldest are dropped, so
on such a meter a small flow is never judged. A window over which the total did not move at
all is ``flow_meter_frozen``'s (:mod:`controller.runtime.frozenmeter`), not judged here. A
fault is the window disagreeing at :data:`DISAGREE_CONFIRM_POLLS` fresh polls in a row, so one
torn reading at either end of the window is not.

Which meters and when is the supervisor's (rule ``flow_meter_disagrees``): the meters water
should pass, once the pump has run past the pipe's fill. Pulse meters have no rate register.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from controller.config.site import SiteConfig
from controller.runtime.frozenmeter import first_judged, fresh_reading, totalizer_step_m3
from controller.runtime.live import LiveState

__all__ = [
    "DISAGREE_CONFIRM_POLLS",
    "DISAGREE_FRACTION",
    "DISAGREE_MAX_POLLS",
    "DISAGREE_MIN_POLLS",
    "DISAGREE_SLACK_STEPS",
    "DISAGREE_WINDOW_S",
    "DISAGREE_WINDOW_STEPS",
    "RateChecks",
]

# Seconds the window spans at least: a poll is seen up to one control tick (1 s) after it
# was read, at each end of the window, so 120 s keeps that under 2 % of the water.
DISAGREE_WINDOW_S = 120.0
# Fresh polls the window holds at least: a slowly polled meter is not judged on two or three.
DISAGREE_MIN_POLLS = 5
# Steps of the totalizer's resolution the window's water reaches at least: the two ends'
# rounding (DISAGREE_SLACK_STEPS) are then at most a tenth of it.
DISAGREE_WINDOW_STEPS = 20
# Steps allowed for the totalizer's rounding: one at each end of the window (an integer
# register floors, a meter refreshes its registers out of step with our polls).
DISAGREE_SLACK_STEPS = 2
# Share of the water allowed for the rate between polls not being known (a trapezoid over
# a changing flow), a meter's rate damping in a transient and reading noise (1 % sd in the
# simulated meters; a real meter's rate and total come from one measurement). 20 % leaves a
# burst at the demo site's burst_factor 1.5 × nominal (a rate 33 % short of the total) seen.
DISAGREE_FRACTION = 0.2
# Polls kept at most (two hours at one a second): past it the oldest are dropped.
DISAGREE_MAX_POLLS = 7200
# Fresh polls in a row that must each find the window disagreeing: one reading torn between
# a meter's integer and fraction registers, at either end of the window, is not a fault.
DISAGREE_CONFIRM_POLLS = 3


@dataclass(frozen=True, slots=True)
class _Poll:
    """One fresh reading of a meter's rate and total."""

    mono_s: float  # monotonic time it was first seen (s)
    read_at: datetime  # the reading's own time
    total_m3: float
    flow_m3_h: float


@dataclass(slots=True)
class _Window:
    """One meter's latest fresh polls, oldest first, and the water between them."""

    with_fraction: bool
    polls: deque[_Poll] = field(default_factory=deque)
    disagreeing: int = 0  # fresh polls in a row that found the window disagreeing
    # claimed_m3[i]: the rate's water from polls[0] to polls[i] (m³), trapezoid
    claimed_m3: deque[float] = field(default_factory=deque)

    def add(self, poll: _Poll) -> None:
        if self.polls:
            last = self.polls[-1]
            dt_s = max(0.0, poll.mono_s - last.mono_s)
            step = (last.flow_m3_h + poll.flow_m3_h) / 2 * dt_s / 3600
            self.claimed_m3.append(self.claimed_m3[-1] + step)
        else:
            self.claimed_m3.append(0.0)
        self.polls.append(poll)

    def water_m3(self, first: int) -> tuple[float, float, float]:
        """From polls[first] to the latest: (rise, claimed, seconds)."""
        a, b = self.polls[first], self.polls[-1]
        return (
            b.total_m3 - a.total_m3,
            self.claimed_m3[-1] - self.claimed_m3[first],
            b.mono_s - a.mono_s,
        )

    def long_enough(self, first: int, step_m3: float) -> bool:
        rise, claimed, span_s = self.water_m3(first)
        return (
            len(self.polls) - first >= DISAGREE_MIN_POLLS
            and span_s >= DISAGREE_WINDOW_S
            and max(rise, claimed) >= DISAGREE_WINDOW_STEPS * step_m3
        )

    def trim(self, step_m3: float) -> None:
        """Drop the oldest polls the window does not need (module docstring)."""
        while len(self.polls) > DISAGREE_MAX_POLLS or (
            len(self.polls) > 1 and self.long_enough(1, step_m3)
        ):
            self.polls.popleft()
            self.claimed_m3.popleft()  # the sums stay cumulative: water_m3 takes differences


class RateChecks:
    """Holds the rate of each meter water should pass to its totalizer; one check a tick."""

    def __init__(self, site: SiteConfig, live: LiveState) -> None:
        self.site = site
        self.live = live
        self._windows: dict[str, _Window] = {}

    def check(self, flowing: Iterable[str], now: datetime, mono_s: float) -> str | None:
        """Judge each meter in ``flowing`` (water should pass it now); the message naming the
        first whose rate and totalizer disagree, else ``None``. Others are forgotten."""
        return first_judged(self._windows, flowing, lambda m: self._judge(m, now, mono_s))

    def _judge(self, meter: str, now: datetime, mono_s: float) -> str | None:
        reading = fresh_reading(self.live, self.site, meter, now)
        if reading is None:  # a gap: flow_meter_stale's to judge
            self._windows.pop(meter, None)
            return None
        total, flow_m3_h = reading
        window = self._windows.get(meter)
        if (
            window is None
            or window.with_fraction != total.with_fraction
            or (window.polls and total.value_m3 < window.polls[-1].total_m3)
        ):  # a totalizer that wrapped or was reset starts a new window, as metering does
            window = self._windows[meter] = _Window(total.with_fraction)
        if window.polls and window.polls[-1].read_at == total.time:
            return None  # no new poll: nothing more is known
        window.add(_Poll(mono_s, total.time, total.value_m3, flow_m3_h))
        step_m3 = totalizer_step_m3(self.site, meter, total)
        window.trim(step_m3)
        if not window.long_enough(0, step_m3):
            window.disagreeing = 0
            return None
        rise_m3, claimed_m3, span_s = window.water_m3(0)
        if rise_m3 == 0:
            window.disagreeing = 0
            return None  # the total stood still: flow_meter_frozen's
        allowed_m3 = DISAGREE_SLACK_STEPS * step_m3 + DISAGREE_FRACTION * max(rise_m3, claimed_m3)
        if abs(rise_m3 - claimed_m3) <= allowed_m3:
            window.disagreeing = 0
            return None
        window.disagreeing += 1
        if window.disagreeing < DISAGREE_CONFIRM_POLLS:
            return None
        return (
            f"flow meter {meter}: totalizer rose {rise_m3:.3f} m3 in {span_s:.0f} s "
            f"({rise_m3 * 3600 / span_s:.2f} m3/h) over {len(window.polls)} readings while its "
            f"flow rate says {claimed_m3:.3f} m3 (last read {flow_m3_h:.2f} m3/h), more apart "
            f"than {allowed_m3:.3f} m3: its rate cannot show a burst or a dry run"
        )
