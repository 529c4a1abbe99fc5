"""A fixed-rate loop on its own thread, timed on the monotonic clock.

The control tick must come every second whatever else the box is doing: polls waiting
on a silent bus, a slow store, the web. :class:`Ticker` gives one function its own
thread and its own schedule: slot ``k`` is due at ``t0 + k × period_s`` on
``time.monotonic`` (wall-clock steps, NTP or a dead RTC do not move it). A call
that runs long is not queued behind itself: the slots it overran are counted as
lost (``TickStats.lost``) and the next call goes to the next slot still ahead,
so a late tick is never run twice.

Each call's lateness (start minus its slot's due time) is kept: the largest, the
count, and a histogram in 1 ms buckets (``p99_ms``), so an operator (and the scale
benchmark) can see whether the loop kept time. The function's own errors are its
business: the ticker logs and goes on.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from controller.counted import counted

__all__ = ["TickStats", "Ticker"]

log = logging.getLogger(__name__)

_HIST_MS = 2000  # lateness histogram: 1 ms buckets up to 2 s, the last one open-ended


@dataclass(slots=True)
class TickStats:
    """What a ticker did since it started (times in milliseconds)."""

    ticks: int = 0
    lost: int = 0  # slots skipped because a call (or the machine) overran them
    late_max_ms: float = 0.0
    _hist: list[int] = field(default_factory=lambda: [0] * (_HIST_MS + 1))

    def add(self, late_ms: float) -> None:
        self.ticks += 1
        self.late_max_ms = max(self.late_max_ms, late_ms)
        self._hist[min(_HIST_MS, max(0, int(late_ms)))] += 1

    def percentile_ms(self, q: float) -> float:
        """The lateness ``q`` (0..1) of the ticks were at most (upper edge of a 1 ms bucket)."""
        if not self.ticks:
            return 0.0
        want = math.ceil(q * self.ticks)
        seen = 0
        for ms, n in enumerate(self._hist):
            seen += n
            if seen >= want:
                return float(min(ms + 1, self.late_max_ms)) if ms < _HIST_MS else self.late_max_ms
        return self.late_max_ms

    @property
    def p99_ms(self) -> float:
        return self.percentile_ms(0.99)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "ticks": self.ticks,
            "lost": self.lost,
            "late_p99_ms": round(self.p99_ms, 1),
            "late_max_ms": round(self.late_max_ms, 1),
        }


class Ticker:
    """Call ``func`` every ``period_s`` on a thread of its own; ``start()`` / ``stop()``."""

    def __init__(
        self,
        name: str,
        func: Callable[[], object],
        period_s: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if period_s <= 0:
            raise ValueError(f"ticker {name!r}: period_s must be positive, got {period_s}")
        self.name = name
        self.func = func
        self.period_s = period_s
        self._monotonic = monotonic
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stats = TickStats()
        self.origin_s: float | None = None  # the due time of slot 0 (monotonic s), once running

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"ticker {self.name!r} already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"tick:{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop after the call in progress (if any); False if it did not end in ``timeout_s``."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.critical("ticker %s: its call did not return within %g s", self.name, timeout_s)
            return False
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stats(self) -> TickStats:
        """A copy of the counters so far."""
        with self._lock:
            s = self._stats
            return TickStats(s.ticks, s.lost, s.late_max_ms, list(s._hist))

    def _run(self) -> None:
        due = self._monotonic()
        self.origin_s = due  # slot k is due at origin_s + k × period_s
        while not self._stop.is_set():
            now = self._monotonic()
            if now < due:
                if self._stop.wait(due - now):
                    return
                now = self._monotonic()
            late_s = now - due
            if late_s >= self.period_s:  # whole slots went by: count them, do not replay them
                missed = int(late_s // self.period_s)
                log.warning(
                    "%s: %s lost (the loop was %d ms late)",
                    self.name,
                    counted(missed, "tick", "ticks"),
                    round(late_s * 1000),
                )
                due += missed * self.period_s
                late_s -= missed * self.period_s
                with self._lock:
                    self._stats.lost += missed
            with self._lock:
                self._stats.add(late_s * 1000.0)
            try:
                self.func()
            except Exception:  # the loop must outlive any one call; the call logs its own
                log.exception("%s: tick failed", self.name)
            due += self.period_s
