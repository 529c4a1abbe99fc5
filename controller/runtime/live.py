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
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

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

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._points: dict[tuple[str, str], PointState] = {}

    def update(self, readings: Iterable[Reading]) -> None:
        with self._lock:
            for r in readings:
                key = (r.device, r.point)
                prev = self._points.get(key)
                good = r if r.quality is Quality.OK else (prev.last_good if prev else None)
                self._points[key] = PointState(r, good)

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
