"""The latest readings, shared by the poller (writer) and the supervisor, sequencer and API.

Holds, per (device, point), the latest reading of any quality and the latest good one.

One rule gives the *current* value of a point (:meth:`LiveState.current`): the latest
reading of quality ``ok``, if it is at most ``max_age_s`` old. A later reading of another
quality (the device did not answer, or read out of range) does not erase it: the age limit
alone bounds how long a good value stands. Otherwise :class:`NoFreshValue` says why, with a
:class:`Why` (never a stale number, never a flagged one).

The age is always the caller's explicit argument, taken from the site, with a named reason:

- :func:`control_max_age_s`: ``safety.stale_after_s``. Control and safety (sequencer,
  supervisor, head works) act only on readings this recent.
- :func:`display_max_age_s`: the longer of ``stale_after_s`` and two of the device's poll
  intervals. The pages show a slowly polled device's value until its next poll is overdue.

Given a clock (the daemon's), a reading's age is measured on monotonic time: its age when it
arrived (wall, never negative) plus the monotonic seconds since. A wall-clock step (NTP, a
date set by hand) then neither makes every reading look hours old (a spurious
``flow_meter_stale`` trip) nor, stepping back, keeps a dead meter's last reading "fresh" for
the length of the step. Without a clock the age is ``now`` minus the reading's time.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from controller.clock import Clock
from controller.config.site import SiteConfig
from controller.errors import ControllerError
from drivers.reading import Quality, Reading

__all__ = [
    "CurrentValue",
    "LiveState",
    "NoFreshValue",
    "PointState",
    "Why",
    "control_max_age_s",
    "display_max_age_s",
]

# A display shows a device's value until this many of its poll intervals have passed.
DISPLAY_POLLS = 2


class Why(enum.StrEnum):
    """Why a point has no current value."""

    NEVER_READ = "never read"
    NO_GOOD_READING = "no good reading"  # read, but never with quality ok
    STALE = "stale"  # the latest good reading is older than the limit


class NoFreshValue(ControllerError, LookupError):
    """No good reading of this point at most the age limit old; ``why`` says which case."""

    def __init__(self, device: str, point: str, why: Why, detail: str = "") -> None:
        super().__init__(f"{device}.{point}: {why.value}" + (f" ({detail})" if detail else ""))
        self.device = device
        self.point = point
        self.why = why
        self.detail = detail


@dataclass(frozen=True, slots=True)
class CurrentValue:
    """The current value of a point: from a good reading at ``time``, ``age_s`` seconds old."""

    value: float
    time: datetime
    age_s: float


@dataclass(frozen=True, slots=True)
class PointState:
    latest: Reading
    last_good: Reading | None
    # With a clock: the monotonic time the good reading would have been 0 s old (its arrival
    # minus its age then); its age is monotonic now minus this.
    good_born_mono_s: float | None = None


def control_max_age_s(site: SiteConfig) -> float:
    """Age limit (s) of readings that control or safety act on: ``safety.stale_after_s``."""
    return site.safety.stale_after_s


def display_max_age_s(site: SiteConfig, device: str) -> float:
    """Age limit (s) of a value shown on the pages: ``stale_after_s`` or, for a device polled
    less often, ``DISPLAY_POLLS`` of its poll intervals (so it does not blink between polls)."""
    polls = [d.poll_interval_s for d in site.devices if d.name == device]
    return max([site.safety.stale_after_s, *(DISPLAY_POLLS * p for p in polls)])


class LiveState:
    """Thread-safe map of the latest readings."""

    def __init__(self, clock: Clock | None = None) -> None:
        """``clock``: ages on monotonic time (see the module docstring); none: on wall time."""
        self._lock = threading.Lock()
        self._points: dict[tuple[str, str], PointState] = {}
        self.clock = clock

    def update(self, readings: Iterable[Reading]) -> None:
        clock = self.clock
        now, mono_s = (clock.now(), clock.monotonic()) if clock is not None else (None, 0.0)
        with self._lock:
            for r in readings:
                key = (r.device, r.point)
                prev = self._points.get(key)
                if r.quality is Quality.OK:
                    born = None
                    if now is not None:
                        born = mono_s - max(0.0, (now - r.time).total_seconds())
                    self._points[key] = PointState(r, r, born)
                else:
                    good, born = (prev.last_good, prev.good_born_mono_s) if prev else (None, None)
                    self._points[key] = PointState(r, good, born)

    def get(self, device: str, point: str) -> PointState | None:
        """Every reading kept of the point (of any quality), for display of its state."""
        with self._lock:
            return self._points.get((device, point))

    def current(self, device: str, point: str, now: datetime, max_age_s: float) -> CurrentValue:
        """The latest good reading if at most ``max_age_s`` seconds old at ``now``.

        Raises :class:`NoFreshValue` otherwise (``why``: never read, no good reading, stale).
        """
        state = self.get(device, point)
        if state is None:
            raise NoFreshValue(device, point, Why.NEVER_READ)
        good = state.last_good
        if good is None or good.value is None:
            raise NoFreshValue(
                device, point, Why.NO_GOOD_READING, f"latest {state.latest.quality.value}"
            )
        if self.clock is not None and state.good_born_mono_s is not None:
            age_s = self.clock.monotonic() - state.good_born_mono_s
        else:
            age_s = (now - good.time).total_seconds()
        if age_s > max_age_s:
            raise NoFreshValue(device, point, Why.STALE, f"{age_s:.0f} s old > {max_age_s:g} s")
        return CurrentValue(good.value, good.time, age_s)

    def value(self, device: str, point: str, now: datetime, max_age_s: float) -> float | None:
        """:meth:`current`'s value, or ``None`` when there is none (for rules that skip it)."""
        try:
            return self.current(device, point, now, max_age_s).value
        except NoFreshValue:
            return None

    def snapshot(self) -> dict[tuple[str, str], PointState]:
        with self._lock:
            return dict(self._points)
