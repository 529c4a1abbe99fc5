"""One polling loop per field bus: staggered, rate-limited, on its own thread.

A bus is one physical line (or one gateway): its requests go out one after the other
anyway (:class:`drivers.bus.Bus` serialises them). So each bus gets one thread that
polls its devices in turn, instead of a job per device competing for a shared pool:

* **staggered**: device ``i`` of ``n`` on the bus first falls due at ``i / n`` of its
  poll interval after the start, then every interval on ``time.monotonic``; a bus with
  sixty probes polled every minute reads one a second, not sixty at the top of the minute;
* **rate-limited**: two polls on one bus start at least ``1 / max_polls_per_s`` apart
  (the bus's ``max_polls_per_s``), whatever falls due together;
* **contained**: a bus that hangs (every read timing out) slows only its own loop; other
  buses and the control loop (:mod:`controller.daemon.ticker`) keep their own time.
  Polls a hang made late are not replayed: each device goes to its next slot still
  ahead (counted in ``BusLoopStats.skipped``).

The loop only decides *when*; *what* a poll does is the job's function
(:meth:`controller.runtime.poller.Poller.poll_device`), the same one the season
simulation calls on its virtual clock.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["BusLoop", "BusLoopStats", "PollTask"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollTask:
    """One device's poll: a name for logs, the call, its interval in seconds."""

    name: str
    func: Callable[[], object]
    every_s: float


@dataclass(frozen=True, slots=True)
class BusLoopStats:
    polls: int
    skipped: int  # due polls dropped because the bus was busy past their next slot
    failed: int  # polls whose function raised (the poller itself never should)


class BusLoop:
    """Polls one bus's devices at their intervals on one thread; ``start()`` / ``stop()``."""

    def __init__(
        self,
        bus: str,
        tasks: Sequence[PollTask],
        *,
        max_polls_per_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_polls_per_s <= 0:
            raise ValueError(f"bus {bus!r}: max_polls_per_s must be positive")
        for t in tasks:
            if t.every_s <= 0:
                raise ValueError(f"bus {bus!r}: {t.name} has poll interval {t.every_s} s")
        self.bus = bus
        self.tasks = list(tasks)
        self.min_spacing_s = 1.0 / max_polls_per_s
        self._monotonic = monotonic
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._polls = 0
        self._skipped = 0
        self._failed = 0

    def first_due(self, t0: float) -> list[float]:
        """When each task first falls due (monotonic seconds), spread over its interval."""
        n = len(self.tasks)
        return [t0 + (i / n) * t.every_s for i, t in enumerate(self.tasks)]

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"bus loop {self.bus!r} already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"poll:{self.bus}", daemon=True)
        self._thread.start()

    def signal_stop(self) -> None:
        """Ask the loop to end after its poll in progress (``stop()`` waits for it)."""
        self._stop.set()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop after the poll in progress; False if it did not return within ``timeout_s``."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.error("bus loop %s: a poll did not return within %g s", self.bus, timeout_s)
            return False
        return True

    def stats(self) -> BusLoopStats:
        return BusLoopStats(self._polls, self._skipped, self._failed)

    def _run(self) -> None:
        if not self.tasks:
            return
        heap = [(due, i) for i, due in enumerate(self.first_due(self._monotonic()))]
        heapq.heapify(heap)
        last_start = -float("inf")
        while not self._stop.is_set():
            due, i = heap[0]
            start_at = max(due, last_start + self.min_spacing_s)
            wait_s = start_at - self._monotonic()
            if wait_s > 0 and self._stop.wait(wait_s):
                return
            heapq.heappop(heap)
            task = self.tasks[i]
            last_start = self._monotonic()
            try:
                task.func()
            except Exception:  # one device's poll must not end the bus's loop
                self._failed += 1
                log.exception("poll %s failed", task.name)
            self._polls += 1
            nxt = due + task.every_s
            now = self._monotonic()
            if nxt <= now:  # the bus was busy past this device's next slot: skip, not replay
                missed = int((now - nxt) // task.every_s) + 1
                self._skipped += missed
                nxt += missed * task.every_s
            heapq.heappush(heap, (nxt, i))
