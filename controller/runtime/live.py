"""The latest readings, shared by the poller (writer) and the supervisor, sequencer and API.

Holds, per (device, point), the latest reading of any quality and the latest
good one. Consumers ask for a *fresh* value: good and younger than a limit;
otherwise a typed error says why (never a stale number, never ``None``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from controller.errors import ControllerError
from drivers.reading import Quality, Reading

__all__ = ["LiveState", "NoFreshValue", "PointState"]


class NoFreshValue(ControllerError, LookupError):
    """No good reading of this point younger than the limit."""

    def __init__(self, device: str, point: str, why: str) -> None:
        super().__init__(f"{device}.{point}: {why}")
        self.device = device
        self.point = point
        self.why = why


@dataclass(frozen=True, slots=True)
class PointState:
    latest: Reading
    last_good: Reading | None


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
        with self._lock:
            return self._points.get((device, point))

    def fresh(self, device: str, point: str, now: datetime, max_age_s: float) -> float:
        """The latest good value if its age is at most ``max_age_s``; :class:`NoFreshValue` else."""
        state = self.get(device, point)
        if state is None:
            raise NoFreshValue(device, point, "never read")
        if state.latest.quality is not Quality.OK:
            raise NoFreshValue(device, point, f"latest reading {state.latest.quality.value}")
        age_s = (now - state.latest.time).total_seconds()
        if age_s > max_age_s:
            raise NoFreshValue(device, point, f"stale ({age_s:.0f} s old)")
        return state.latest.require()

    def snapshot(self) -> dict[tuple[str, str], PointState]:
        with self._lock:
            return dict(self._points)
