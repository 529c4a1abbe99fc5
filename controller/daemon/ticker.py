"""A fixed-rate loop on its own thread, timed on the monotonic clock.

The control tick must come every second whatever else the box is doing: polls waiting
on a silent bus, a slow store, the web. :class:`Ticker` gives one function its own
thread and its own schedule: slot ``k`` is due at ``t0 + k × period_s`` on
``time.monotonic`` (wall-clock steps, NTP or a dead RTC do not move it). A call
that runs long is not queued behind itself: the slots it overran are counted as
lost (``TickStats.lost``) and the next call goes to the next slot still ahead,
so a late tick is never run twice.

A late slot explains itself (:mod:`controller.daemon.stallwitness`): the ticker samples
every thread's CPU time and run-queue wait at each call, times the garbage collections, and
a watch thread takes every thread's stack once the loop is a second behind its slot; the
warning of the lost ticks says whether the machine, another thread (the GIL), the garbage
collector or a wait in the call held it, and where each thread was (:meth:`Ticker.stalls`
keeps the last few reports).

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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from controller.counted import counted
from controller.daemon import stallwitness
from controller.daemon.stallwitness import StallReport

__all__ = ["TickStats", "Ticker"]

log = logging.getLogger(__name__)

_HIST_MS = 2000  # lateness histogram: 1 ms buckets up to 2 s, the last one open-ended
WATCH_EVERY_S = 0.25  # how often the watch thread looks whether the loop is behind
STALLS_KEPT = 10  # the last stall reports kept for :meth:`Ticker.stalls`


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
        stall_after_s: float = 1.0,
    ) -> None:
        """``stall_after_s``: how far behind its slot (s) the loop is before the watch thread
        takes every thread's stack for the stall report."""
        if period_s <= 0:
            raise ValueError(f"ticker {name!r}: period_s must be positive, got {period_s}")
        if stall_after_s <= 0:
            raise ValueError(
                f"ticker {name!r}: stall_after_s must be positive, got {stall_after_s}"
            )
        self.name = name
        self.func = func
        self.period_s = period_s
        self.stall_after_s = stall_after_s
        self._monotonic = monotonic
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stats = TickStats()
        self._stalls: deque[StallReport] = deque(maxlen=STALLS_KEPT)
        # the stall reports time on the real monotonic clock, whatever clock the slots follow
        self._gc_pauses = stallwitness.GcPauses()
        self._due_s: float | None = None  # the slot the loop is working toward (monotonic s)
        # every thread's stack while the loop was behind: (the slot, when taken, the stacks)
        self._stacks: tuple[float, float, dict[str, str]] | None = None
        self.origin_s: float | None = None  # the due time of slot 0 (monotonic s), once running

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"ticker {self.name!r} already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"tick:{self.name}", daemon=True)
        self._watcher = threading.Thread(
            target=self._watch, name=f"tick:{self.name}:watch", daemon=True
        )
        self._gc_pauses.start()
        self._thread.start()
        self._watcher.start()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop after the call in progress (if any); False if it did not end in ``timeout_s``."""
        self._stop.set()
        thread, self._thread = self._thread, None
        watcher, self._watcher = self._watcher, None
        if thread is None:
            return True
        self._gc_pauses.stop()
        if watcher is not None:
            watcher.join(timeout_s)
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

    def stalls(self) -> list[StallReport]:
        """Why the loop was late, oldest first: one report per time it lost ticks (the last
        :data:`STALLS_KEPT`)."""
        with self._lock:
            return list(self._stalls)

    def _run(self) -> None:
        due = self._monotonic()
        self.origin_s = due  # slot k is due at origin_s + k × period_s
        before = self._sample()
        while not self._stop.is_set():
            self._due_s = due
            now = self._monotonic()
            if now < due:
                if self._stop.wait(due - now):
                    return
                now = self._monotonic()
            late_s = now - due
            if late_s >= self.period_s:  # whole slots went by: count them, do not replay them
                missed = int(late_s // self.period_s)
                report = self._explain(before, late_s)
                log.warning(
                    "%s: %s lost (the loop was %d ms late); %s",
                    self.name,
                    counted(missed, "tick", "ticks"),
                    round(late_s * 1000),
                    report.text,
                )
                due += missed * self.period_s
                late_s -= missed * self.period_s
                with self._lock:
                    self._stats.lost += missed
                    self._stalls.append(report)
            with self._lock:
                self._stats.add(late_s * 1000.0)
            before = self._sample()
            try:
                self.func()
            except Exception:  # the loop must outlive any one call; the call logs its own
                log.exception("%s: tick failed", self.name)
            due += self.period_s

    def _sample(self) -> stallwitness.Sample:
        """The threads' times now; an empty sample if they cannot be read (the loop goes on)."""
        try:
            return stallwitness.sample()
        except Exception:  # a diagnostic must never stop the control loop
            log.debug("%s: threads' times not read", self.name, exc_info=True)
            return stallwitness.Sample(time.monotonic(), {})

    def _explain(self, before: stallwitness.Sample, late_s: float) -> StallReport:
        """Why the loop is ``late_s`` late (a report saying it could not tell, rather than
        an error in the loop)."""
        try:
            return self._explain_or_raise(before, late_s)
        except Exception as exc:  # a diagnostic must never stop the control loop
            log.debug("%s: stall not explained", self.name, exc_info=True)
            return StallReport("unknown", round(late_s * 1000, 1), 0.0, f"not explained: {exc}")

    def _explain_or_raise(self, before: stallwitness.Sample, late_s: float) -> StallReport:
        """Why the loop is ``late_s`` late: the threads since ``before`` (the last call's start)
        and the stacks the watch thread took since then."""
        after = self._sample()
        with self._lock:
            taken = self._stacks
        stacks = taken[2] if taken is not None and taken[1] >= before.at_s else None
        report = stallwitness.explain(
            before,
            after,
            late_s,
            threading.get_native_id(),
            stacks,
            self._gc_pauses.since(before.at_s),
        )
        if stacks is None:
            note = (
                "; no stacks: the watch thread did not run while the loop was late "
                "(the GIL held, or no CPU for it either)"
            )
            report = StallReport(report.cause, report.late_ms, report.span_s, report.text + note)
        return report

    def _watch(self) -> None:
        """Take every thread's stack once the loop is ``stall_after_s`` behind its slot (once
        per slot: not again while the loop is still on it)."""
        while not self._stop.wait(WATCH_EVERY_S):
            due = self._due_s
            now = self._monotonic()
            if due is None or now - due < self.stall_after_s:
                continue
            with self._lock:
                if self._stacks is not None and self._stacks[0] == due:
                    continue
            try:
                stacks = stallwitness.stacks_now(skip=threading.get_ident())
            except Exception:  # the report goes without stacks
                log.debug("%s: stacks not taken", self.name, exc_info=True)
                continue
            with self._lock:
                self._stacks = (due, time.monotonic(), stacks)
