"""Telemetry buffer: readings are batched, events and runs are not.

Readings arrive every few seconds from several poll threads; committing each
with ``synchronous=FULL`` would wear the SD card and hold the SQLite write
lock most of the time. They are appended to memory and written in batches:
when ``batch_size`` rows are pending, and whenever :meth:`ReadingBuffer.flush`
is called (at start, at shutdown, and by the daemon's flush job). A crash
loses at most the readings since the last flush — telemetry, never an event,
a run or a decision.

The flush job calls :meth:`ReadingBuffer.flush_when_due` every ``[store] flush_s``.
While no water runs it commits at most every ``idle_flush_s``: each commit writes
its WAL pages and syncs, so on a quiet day fewer, larger transactions wear the SD
card less. While water runs — or if it ran at any moment since the last flush
(:meth:`ReadingBuffer.set_watering`, told every control tick) — every call
commits, so a run's second-by-second readings wait at most ``flush_s``.

A failed write (disk full, read-only card, database locked beyond the busy
timeout) keeps the rows and the next flush retries them, oldest first. Memory is
bounded: past ``max_pending`` rows the older half of the buffer is *thinned* —
every second reading of each (device, point) is dropped there — so a long outage
keeps the whole period at a coarser step rather than only its end, and the newest
readings (the present state of the field) stay whole. Each dropped row is counted
in :attr:`BufferStats.dropped` and logged (first time at WARNING).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from controller.store.errors import StoreWriteError
from drivers.reading import Reading

__all__ = ["IDLE_FLUSH_SLACK_S", "BufferStats", "ReadingBuffer"]

log = logging.getLogger(__name__)

# An idle flush checked this much before ``idle_flush_s`` is up still counts as due: the
# flush job's calls are a few milliseconds late or early against their slots, and an
# interval of 600 s checked every 120 s must not slip to 720 s for a millisecond.
IDLE_FLUSH_SLACK_S = 1.0


@dataclass(frozen=True, slots=True)
class BufferStats:
    pending: int  # rows waiting in memory
    written: int  # rows committed since start
    dropped: int  # rows thinned out of the older half because the buffer was full
    failed_flushes: int
    last_error: str  # "" once a flush succeeded again


class ReadingBuffer:
    """Thread-safe batching of readings in front of ``write`` (one transaction per call).

    ``write`` must commit all of its rows or none, raising
    :class:`~controller.store.errors.StoreWriteError` on failure. The write that
    :meth:`add` makes when a batch is full is skipped while ``may_write()`` is false
    (a failed store's back-off); :meth:`flush` always tries.
    """

    def __init__(
        self,
        write: Callable[[Sequence[Reading]], None],
        *,
        batch_size: int = 500,
        max_pending: int = 100_000,
        may_write: Callable[[], bool] = lambda: True,
        idle_flush_s: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if batch_size < 1 or max_pending < batch_size:
            raise ValueError(f"need 1 <= batch_size ({batch_size}) <= max_pending ({max_pending})")
        self._write = write
        self._may_write = may_write
        self._monotonic = monotonic
        self.idle_flush_s = idle_flush_s  # 0: every flush_when_due() commits
        self._last_flush_at = monotonic()  # when the last successful flush began
        self._watering = False  # water runs now (the last set_watering)
        self._watered = False  # water ran at some moment since the last flush began
        self.batch_size = batch_size
        self.max_pending = max_pending
        self._pending: deque[Reading] = deque()
        self._lock = threading.Lock()  # guards the deque and counters
        self._flush_lock = threading.Lock()  # one flush at a time keeps rows in order
        self._written = 0
        self._dropped = 0
        self._failed = 0
        self._last_error = ""
        self._dropping = False  # log the start of an overflow once, not every add

    def add(self, readings: Iterable[Reading]) -> None:
        """Queue readings; write a batch when ``batch_size`` are pending.

        A failed write here is not raised to the poller that called (it
        cannot fix a full disk): it is logged, counted and retried, and the
        next explicit :meth:`flush` raises it. A reading with a naive time is
        refused with :class:`ValueError` and nothing of the call is queued.
        """
        batch = list(readings)
        for r in batch:  # refused here: a bad row queued would block every later flush
            if r.time.tzinfo is None or r.time.utcoffset() is None:
                raise ValueError(f"{r.device}.{r.point}: naive reading time {r.time.isoformat()}")
        with self._lock:
            self._pending.extend(batch)
            self._trim()
            full = len(self._pending) >= self.batch_size
        if full and self._may_write():
            with contextlib.suppress(StoreWriteError):  # kept, logged and counted by flush()
                self.flush()

    @property
    def idle_flush_s(self) -> float:
        return self._idle_flush_s

    @idle_flush_s.setter
    def idle_flush_s(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"idle_flush_s must be >= 0, got {seconds}")
        self._idle_flush_s = seconds

    def set_watering(self, on: bool) -> None:
        """Whether water runs now; a run seen even once makes the next check flush."""
        with self._lock:
            self._watering = on
            self._watered = self._watered or on

    def due(self) -> bool:
        """Water ran since the last flush, or ``idle_flush_s`` has passed since it began."""
        with self._lock:
            if self._watered:
                return True
            idle_s = self._monotonic() - self._last_flush_at
        return idle_s >= self._idle_flush_s - IDLE_FLUSH_SLACK_S

    def flush_when_due(self) -> int:
        """:meth:`flush` if :meth:`due`, else 0 (nothing written, nothing raised)."""
        return self.flush() if self.due() else 0

    def flush(self) -> int:
        """Write every pending reading; return how many were committed.

        Raises :class:`StoreWriteError` (rows kept for the next flush) on failure.
        """
        written = 0
        with self._flush_lock:
            with self._lock:  # water seen from here on makes the next check flush
                began = self._monotonic()
                watered, self._watered = self._watered, self._watering
            while True:
                with self._lock:
                    n = min(len(self._pending), self.batch_size)
                    batch = [self._pending.popleft() for _ in range(n)]
                if not batch:
                    break
                try:
                    self._write(batch)
                except StoreWriteError as exc:
                    self._failed_write(batch, exc)
                    with self._lock:
                        self._watered = self._watered or watered  # still owed a flush
                    raise
                with self._lock:
                    self._written += len(batch)
                    recovered = bool(self._last_error)
                    self._last_error = ""
                    self._dropping = False
                if recovered:
                    log.info("readings are being stored again")
                written += len(batch)
            with self._lock:
                self._last_flush_at = began
        return written

    def _failed_write(self, batch: list[Reading], exc: StoreWriteError) -> None:
        with self._lock:
            self._pending.extendleft(reversed(batch))  # back in front, order kept
            self._trim()
            self._failed += 1
            first = not self._last_error
            self._last_error = str(exc)
            pending = len(self._pending)
        level = logging.ERROR if first else logging.DEBUG
        log.log(level, "cannot store readings (%d kept for retry): %s", pending, exc)

    def _trim(self) -> None:
        dropped = 0
        while len(self._pending) > self.max_pending:
            dropped += self._thin_older_half()
        if dropped:
            self._dropped += dropped
            level = logging.DEBUG if self._dropping else logging.WARNING
            self._dropping = True
            log.log(level, "reading buffer full: thinned out %d older readings", dropped)

    def _thin_older_half(self) -> int:
        """Drop every second reading of each (device, point) in the older half; return how many.

        Always drops at least one row while two or more are pending, so :meth:`_trim` ends.
        """
        older = [self._pending.popleft() for _ in range(len(self._pending) // 2 or 1)]
        seen: dict[tuple[str, str], int] = {}
        kept: list[Reading] = []
        for r in older:
            n = seen.get((r.device, r.point), 0)
            seen[(r.device, r.point)] = n + 1
            if n % 2 == 0:  # the 1st, 3rd, ... of each point are kept
                kept.append(r)
        if len(kept) == len(older):  # one reading per point: thinning cannot help, drop oldest
            kept = kept[1:]
        self._pending.extendleft(reversed(kept))
        return len(older) - len(kept)

    @property
    def stats(self) -> BufferStats:
        with self._lock:
            return BufferStats(
                pending=len(self._pending),
                written=self._written,
                dropped=self._dropped,
                failed_flushes=self._failed,
                last_error=self._last_error,
            )
