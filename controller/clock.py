"""One clock: every piece of the daemon asks a :class:`Clock` for time.

Production passes a :class:`SystemClock`; the season simulation passes a
:class:`VirtualClock` that its driver advances, so a whole season runs in
seconds through the same job functions. There is deliberately no module-level
clock: whoever builds the daemon builds one clock and hands it down.

Two kinds of time, as on a real machine:

* ``now()`` — wall-clock time, timezone-aware UTC. It can jump (NTP step, a
  technician setting the date, an RTC that lost its battery).
* ``monotonic()`` — seconds on a counter that never goes backwards, for
  durations and timeouts (run length, lease renewal, dry-run delay).

Whether ``now()`` may be believed at all (a box without a real-time clock boots at
1970 or at a stale saved time) is :mod:`controller.runtime.timetrust`'s question;
:data:`RELEASE_FLOOR` is the earliest wall time it accepts.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from controller.errors import ControllerError

__all__ = ["RELEASE_FLOOR", "Clock", "ClockError", "SystemClock", "VirtualClock"]

#: No wall time before this release's date is believed: a box that says it is earlier booted
#: without a real-time clock (1970) or at a stale saved time. Raise it with each release.
RELEASE_FLOOR = datetime(2026, 12, 1, tzinfo=UTC)


class ClockError(ControllerError, ValueError):
    """A virtual clock was asked to do something time cannot do (e.g. go backwards)."""


@runtime_checkable
class Clock(Protocol):
    """What the daemon needs from time."""

    def now(self) -> datetime:
        """Wall-clock time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a counter that never decreases (origin unspecified)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of time pass for the caller."""
        ...


class SystemClock:
    """The machine's clocks: ``datetime.now(UTC)``, ``time.monotonic``, ``time.sleep``."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ClockError(f"naive datetime {when.isoformat()}: give a timezone-aware time")
    return when.astimezone(UTC)


class VirtualClock:
    """A clock that moves only when told to; safe to share between threads.

    * :meth:`advance` and :meth:`sleep` let time pass: wall clock and
      monotonic counter move together. ``sleep`` returns at once, having moved
      the virtual time for everybody.
    * :meth:`set` moves the wall clock to a given time. Forward, it is time
      passing (monotonic moves by the same amount). Backward — a clock jump,
      refused unless ``allow_backwards=True`` — it moves only the wall clock:
      the monotonic counter never decreases, as on a real machine.
    * :meth:`step` jumps the wall clock by some seconds, forward or back, leaving the
      monotonic counter where it is: an NTP step or a technician setting the date.
    """

    def __init__(self, start: datetime) -> None:
        self._lock = threading.Lock()
        self._now = _utc(start)
        self._mono_s = 0.0

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono_s

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ClockError(f"sleep length must be non-negative, got {seconds!r}")
        self.advance(seconds)

    def advance(self, seconds: float) -> datetime:
        """Let ``seconds`` (≥ 0) pass; return the new wall-clock time."""
        if not seconds >= 0:  # also refuses NaN
            raise ClockError(f"cannot advance by {seconds!r} s: time only moves forward")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono_s += seconds
            return self._now

    def set(self, when: datetime, *, allow_backwards: bool = False) -> None:
        """Move the wall clock to ``when`` (aware); see the class docstring for monotonic."""
        target = _utc(when)
        with self._lock:
            delta_s = (target - self._now).total_seconds()
            if delta_s < 0 and not allow_backwards:
                raise ClockError(
                    f"refusing to move the clock back from {self._now.isoformat()} to "
                    f"{target.isoformat()} (pass allow_backwards=True for a clock-jump test)"
                )
            self._now = target
            if delta_s > 0:
                self._mono_s += delta_s

    def step(self, seconds: float) -> datetime:
        """Jump the wall clock by ``seconds`` (either sign), monotonic unmoved; the new time."""
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            raise ClockError(f"cannot step the clock by {seconds!r} s")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def __repr__(self) -> str:
        return f"VirtualClock({self.now().isoformat()})"
