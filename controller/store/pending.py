"""Records the store could not write yet: kept in memory, in order, until it can.

When a commit fails (disk full, the card remounted read-only, an I/O error) the
daemon must go on controlling the field, and what it records — audit entries,
events (alarms), run starts, progress and ends — must not vanish. Such a record
becomes a :class:`PendingRecord` here and is written, oldest first, as soon as
the store accepts writes again (:meth:`controller.store.Store.flush`). Any
record written directly meanwhile would overtake the queue, so while the
queue holds anything, every new record queues behind it.

Memory is bounded (``max_records``). Past it a record is dropped and counted:
first the oldest record that is not an audit entry, and an audit entry only
when nothing else is left — who did what is kept longest. A power cut loses
what the pending queue holds (it is memory); every record entering it is therefore
also logged whole (the systemd journal keeps it).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

__all__ = ["AUDIT", "EVENT", "RUN", "PendingQueue", "PendingRecord", "PendingStats"]

log = logging.getLogger(__name__)

# kinds of pending record
AUDIT = "audit"
EVENT = "event"
RUN = "run"


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """One record to write: ``apply`` adds or changes its rows in the given session."""

    kind: str  # AUDIT, EVENT or RUN
    what: str  # the record in words, for the log
    apply: Callable[[Session], object]


@dataclass(frozen=True, slots=True)
class PendingStats:
    pending: int  # records waiting in memory
    written: int  # records written late, after an outage
    dropped: dict[str, int]  # by kind: records discarded because the pending queue was full
    rejected: int  # records the store refused when replayed (logged with the reason)


class PendingQueue:
    """A bounded FIFO of :class:`PendingRecord`; thread-safe."""

    def __init__(self, max_records: int = 10_000) -> None:
        if max_records < 1:
            raise ValueError(f"max_records must be at least 1, not {max_records}")
        self.max_records = max_records
        self._queue: deque[PendingRecord] = deque()
        self._lock = threading.Lock()
        self._written = 0
        self._rejected = 0
        self._dropped: Counter[str] = Counter()

    def __len__(self) -> int:
        with self._lock:
            return len(self._queue)

    def push(self, record: PendingRecord) -> None:
        """Queue ``record`` last; drop (and count) one record if the pending queue is full."""
        with self._lock:
            self._queue.append(record)
            if len(self._queue) > self.max_records:
                lost = self._drop_one()
                self._dropped[lost.kind] += 1
                log.error("store pending queue full: dropped %s: %s", lost.kind, lost.what)

    def _drop_one(self) -> PendingRecord:
        for i, r in enumerate(self._queue):
            if r.kind != AUDIT:
                del self._queue[i]
                return r
        return self._queue.popleft()

    def peek(self, n: int) -> list[PendingRecord]:
        """The ``n`` oldest records (left in place until :meth:`done`)."""
        with self._lock:
            return [self._queue[i] for i in range(min(n, len(self._queue)))]

    def done(self, records: list[PendingRecord], rejected: int = 0) -> None:
        """``records`` (the oldest, as peeked) are written or rejected: remove them.

        A record dropped meanwhile (pending queue full) is not in the queue any more; only
        those still there are removed, so nothing newer is taken by mistake.
        """
        with self._lock:
            ids = {id(r) for r in records}
            while self._queue and id(self._queue[0]) in ids:
                self._queue.popleft()
            self._written += len(records) - rejected
            self._rejected += rejected

    @property
    def stats(self) -> PendingStats:
        with self._lock:
            return PendingStats(
                pending=len(self._queue),
                written=self._written,
                dropped=dict(self._dropped),
                rejected=self._rejected,
            )
