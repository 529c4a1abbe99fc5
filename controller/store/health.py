"""Whether the store can write, and when to try again after it could not.

The state lives in memory on purpose: when the card is full or read-only the
store cannot record its own failure, yet the pages and the API must show it
(:attr:`controller.store.Store.health`) and the journal must have it.

Retries back off: the first retry 1 s after a failure, then twice as long each
time up to ``max_delay_s`` (60 s), so a dead card is not hammered by every
poll and every control tick, and a card that frees up is written within a
minute. An explicit :meth:`controller.store.Store.flush` always tries.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Backoff", "StoreHealth"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """The store's write health, for the status page, the API and the daemon's alarm."""

    writable: bool  # the last write committed
    failing_since: datetime | None  # first failed write of the current outage
    last_error: str  # "" when writable
    retry_in_s: float  # until the next automatic retry (0 when writable)
    pending_records: int  # audit, events and run changes waiting in memory
    pending_readings: int
    dropped_records: dict[str, int]  # by kind, since start: pending queue full
    dropped_readings: int  # since start: thinned out of a full reading buffer
    rejected_records: int  # replayed records the store refused (logged)


class Backoff:
    """When the next automatic write attempt is due, on a monotonic clock (seconds)."""

    def __init__(self, first_delay_s: float = 1.0, max_delay_s: float = 60.0) -> None:
        if not 0 < first_delay_s <= max_delay_s:
            raise ValueError(f"need 0 < first_delay_s ({first_delay_s}) <= max ({max_delay_s})")
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self._lock = threading.Lock()
        self._delay_s = 0.0  # 0: healthy
        self._next_mono_s = 0.0
        self.failing_since: datetime | None = None
        self.last_error = ""

    @property
    def failing(self) -> bool:
        with self._lock:
            return self._delay_s > 0

    def due(self, mono_s: float) -> bool:
        """An automatic attempt may touch the disk now."""
        with self._lock:
            return self._delay_s == 0 or mono_s >= self._next_mono_s

    def retry_in_s(self, mono_s: float) -> float:
        with self._lock:
            return 0.0 if self._delay_s == 0 else max(0.0, self._next_mono_s - mono_s)

    def failed(self, mono_s: float, now: datetime, error: str) -> bool:
        """Record a failed write; return True if it starts an outage (log it once)."""
        with self._lock:
            first = self._delay_s == 0
            self._delay_s = (
                self.first_delay_s if first else min(self._delay_s * 2, self.max_delay_s)
            )
            self._next_mono_s = mono_s + self._delay_s
            if first:
                self.failing_since = now
            self.last_error = error
            return first

    def succeeded(self) -> datetime | None:
        """Record a committed write; return when the outage it ends began (None: none)."""
        with self._lock:
            since = self.failing_since if self._delay_s > 0 else None
            self._delay_s = 0.0
            self.failing_since = None
            self.last_error = ""
            return since
