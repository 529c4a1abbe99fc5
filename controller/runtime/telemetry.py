"""Which readings go to the SD card: changes, quality changes and a heartbeat.

Polling every few seconds and storing every value would write gigabytes a
year to the box's SD card for values that mostly repeat. The live state
keeps every reading for control and safety; the store gets a point's
reading only when

* it is the first of the point, or its quality differs from the last stored one,
* its value moved more than the deadband since the last stored value
  (``deadband_pct`` of the profile's valid range, or of the value itself
  when the profile gives no range), or
* ``heartbeat_s`` passed since the point was last stored (so every hour
  still has readings and a flat line is distinguishable from a dead sensor).

Heartbeat and deadband are per device kind (``[store.telemetry.<kind>]``,
:meth:`controller.config.site.StoreConfig.keeping`): a soil probe that does not move
is stored every hour, a relay every six hours, the weather station every 15 minutes. A
kind with a ``watering_heartbeat_s`` (flow, pressure, EC, pH, the injector: 0 by default,
every poll) uses it while ``watering`` is set — the control loop sets it while any output
is on — so a run's water is on the card poll by poll.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from controller.config.site import Keeping
from drivers.profile import Profile
from drivers.reading import Quality, Reading

__all__ = ["TelemetryFilter"]


@dataclass(slots=True)
class _Stored:
    value: float | None
    quality: Quality
    time: datetime


class TelemetryFilter:
    """Thread-safe filter from polled readings to stored readings."""

    def __init__(
        self,
        profiles: Mapping[str, Profile],
        *,
        heartbeat_s: float,
        deadband_pct: float,
        keeping: Mapping[str, Keeping] | None = None,
        derived: Mapping[str, Mapping[str, float | None]] | None = None,
    ) -> None:
        """``keeping`` (by device) overrides ``heartbeat_s`` / ``deadband_pct`` per device.

        ``derived``: devices with no profile whose readings are computed (a pulse meter's
        ``total`` and ``flow_rate``), by device then point: the width of the point's valid
        range in its unit, ``None`` for none (the deadband is then a share of the value).
        """
        rules = dict(keeping or {})
        default = Keeping(heartbeat_s, deadband_pct, None)
        self.heartbeat_s = heartbeat_s
        self.deadband_pct = deadband_pct
        spans: dict[str, dict[str, float | None]] = {
            device: {
                pt.name: None if pt.min is None or pt.max is None else pt.max - pt.min
                for pt in profile.points
            }
            for device, profile in profiles.items()
        }
        spans |= {device: dict(points) for device, points in (derived or {}).items()}
        self._rule: dict[str, Keeping] = {d: rules.get(d, default) for d in spans}
        self._band: dict[tuple[str, str], float | None] = {}
        for device, points in spans.items():
            pct = self._rule[device].deadband_pct
            for point, span in points.items():
                self._band[(device, point)] = None if span is None else span * pct / 100
        self._last: dict[tuple[str, str], _Stored] = {}
        self._lock = threading.Lock()
        self.watering = False  # set by the control loop while any output is on

    def select(self, readings: Iterable[Reading]) -> list[Reading]:
        """The readings worth storing, in order."""
        out = []
        with self._lock:
            for r in readings:
                key = (r.device, r.point)
                last = self._last.get(key)
                if last is None or self._worth(key, r, last):
                    self._last[key] = _Stored(r.value, r.quality, r.time)
                    out.append(r)
        return out

    def _worth(self, key: tuple[str, str], r: Reading, last: _Stored) -> bool:
        if r.quality is not last.quality:
            return True
        rule = self._rule.get(key[0]) or Keeping(self.heartbeat_s, self.deadband_pct, None)
        heartbeat_s = rule.heartbeat_s
        if self.watering and rule.watering_heartbeat_s is not None:
            heartbeat_s = rule.watering_heartbeat_s
        if (r.time - last.time).total_seconds() >= heartbeat_s:
            return True
        if r.value is None or last.value is None:
            return False  # same bad quality within the heartbeat: nothing new
        band = self._band.get(key)
        if band is None:
            band = abs(last.value) * rule.deadband_pct / 100
        return abs(r.value - last.value) > band
