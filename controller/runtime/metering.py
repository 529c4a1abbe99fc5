"""Water metering: the volume (m³) each run applied, from its zone's flow meter.

A zone's meter is its own ``flow_meter``, else the head's. Water is read from the
positive totalizer (``total`` + ``total_fraction``) while it reads fresh
(:func:`controller.runtime.live.control_max_age_s`), otherwise ``flow_rate`` is
integrated over time. A meter shared by concurrent runs is split by nominal flow.
:meth:`Metering.how` says which measurement a run's water came from, e.g.
``"water by flow1 totalizer"``.

Not thread-safe on its own: the :class:`controller.runtime.sequencer.Sequencer` calls it
under its lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from controller.clock import Clock
from controller.config.site import SiteConfig, ZoneConfig
from controller.runtime.live import LiveState, NoFreshValue, control_max_age_s

__all__ = ["Metering", "RunWater", "Totalizer", "read_totalizer"]


@dataclass(frozen=True, slots=True)
class Totalizer:
    """A meter's positive totalizer read fresh: ``total`` + ``total_fraction`` (m³), the
    time of its ``total`` reading and whether a fresh fraction was added."""

    value_m3: float
    time: datetime
    with_fraction: bool


def read_totalizer(
    live: LiveState, site: SiteConfig, device: str, now: datetime
) -> Totalizer | None:
    """The positive totalizer of ``device`` if its ``total`` reads fresh
    (:func:`control_max_age_s`), else ``None``."""
    max_age_s = control_max_age_s(site)
    try:
        whole = live.current(device, "total", now, max_age_s)
    except NoFreshValue:
        return None
    fraction = live.value(device, "total_fraction", now, max_age_s)
    return Totalizer(whole.value + (fraction or 0.0), whole.time, fraction is not None)


@dataclass(slots=True)
class RunWater:
    """The water of one run: volume applied (m³) and seconds measured each way."""

    zone: ZoneConfig
    applied_m3: float = 0.0
    totalizer_s: float = 0.0  # seconds measured by the totalizer
    integrated_s: float = 0.0  # seconds measured by flow-rate integration


@dataclass(slots=True)
class _Meter:
    """Water-measuring state of one flow meter: the totalizer reading last counted from."""

    device: str
    anchor_m3: float | None = None
    anchor_time: datetime | None = None


class Metering:
    """Adds each meter's water since the last call to the runs measured by it."""

    def __init__(self, site: SiteConfig, live: LiveState, clock: Clock) -> None:
        self.site = site
        self.live = live
        self.clock = clock
        self._meters: dict[str, _Meter] = {}

    def meter_of(self, zone: ZoneConfig) -> str:
        """The flow meter measuring ``zone``: its own, else the head's."""
        return zone.flow_meter or self.site.head.flow_meter

    def start(self, zone: ZoneConfig, running: Iterable[ZoneConfig]) -> RunWater:
        """A run of ``zone`` starts: anchor its meter's totalizer unless a ``running`` zone
        already measures by it. Returns the run's (empty) water record."""
        device = self.meter_of(zone)
        if not any(self.meter_of(z) == device for z in running):
            meter = self._meters.setdefault(device, _Meter(device))
            total = self._totalizer(device)
            meter.anchor_m3, meter.anchor_time = total if total is not None else (None, None)
        return RunWater(zone)

    def account(self, runs: Iterable[RunWater], dt: float) -> None:
        """Add the water of the last ``dt`` seconds to ``runs``, per meter, by nominal flow."""
        by_meter: dict[str, list[RunWater]] = {}
        for water in runs:
            by_meter.setdefault(self.meter_of(water.zone), []).append(water)
        for device, waters in by_meter.items():
            volume_m3, by_total = self._increment(device, dt)
            nominal = sum(w.zone.nominal_flow_m3_h for w in waters)
            for water in waters:
                water.applied_m3 += volume_m3 * water.zone.nominal_flow_m3_h / nominal
                if by_total:
                    water.totalizer_s += dt
                else:
                    water.integrated_s += dt

    def counted_to(self, zone: ZoneConfig) -> tuple[str, float, datetime] | None:
        """The meter of ``zone`` and the totalizer reading (m³, its time) its runs' water is
        counted up to, if the totalizer measures now (None while flow rate is integrated)."""
        device = self.meter_of(zone)
        meter = self._meters.get(device)
        if meter is None or meter.anchor_m3 is None or meter.anchor_time is None:
            return None
        return device, meter.anchor_m3, meter.anchor_time

    def totalizer_m3(self, device: str) -> float | None:
        """The positive totalizer of ``device`` (m³), if read fresh."""
        total = self._totalizer(device)
        return None if total is None else total[0]

    def rate_m3_h(self, water: RunWater, running: Iterable[RunWater]) -> float | None:
        """The flow (m³/h) of ``water``'s run now: its meter's ``flow_rate``, split among the
        ``running`` runs on that meter by nominal flow as :meth:`account` splits volume;
        ``None`` without a fresh flow reading."""
        device = self.meter_of(water.zone)
        flow = self._value(device, "flow_rate")
        if flow is None:
            return None
        nominal = sum(w.zone.nominal_flow_m3_h for w in running if self.meter_of(w.zone) == device)
        share = water.zone.nominal_flow_m3_h / max(nominal, water.zone.nominal_flow_m3_h)
        return max(0.0, flow) * share

    def unmetered_s(self, water: RunWater) -> float:
        """Seconds of water not yet in ``water.applied_m3``: the age of the totalizer reading
        its water is counted up to (0 while flow rate is integrated up to now)."""
        device = self.meter_of(water.zone)
        meter = self._meters.get(device)
        if meter is None or meter.anchor_m3 is None:
            return 0.0
        try:
            return self.live.current(
                device, "total", self.clock.now(), control_max_age_s(self.site)
            ).age_s
        except NoFreshValue:
            return 0.0

    def how(self, water: RunWater) -> str:
        """How the run's water was measured, for its ``end_reason``."""
        meter = self.meter_of(water.zone)
        if water.integrated_s == 0:
            return f"water by {meter} totalizer"
        if water.totalizer_s == 0:
            return f"water by {meter} flow-rate integration"
        return f"water by {meter} totalizer, flow rate integrated for {water.integrated_s:.0f} s"

    def _increment(self, device: str, dt: float) -> tuple[float, bool]:
        """m³ through ``device`` in the last ``dt`` s, and whether its totalizer measured it."""
        meter = self._meters.setdefault(device, _Meter(device))
        total = self._totalizer(device)
        if total is not None and meter.anchor_m3 is not None:
            value, when = total
            increment = max(0.0, value - meter.anchor_m3)
            meter.anchor_m3, meter.anchor_time = value, when
            return increment, True
        if total is not None:
            meter.anchor_m3, meter.anchor_time = total
        else:
            meter.anchor_m3 = meter.anchor_time = None
        flow = self._value(device, "flow_rate")
        return (max(0.0, flow) * dt / 3600 if flow is not None else 0.0), False

    def _totalizer(self, device: str) -> tuple[float, datetime] | None:
        """The positive totalizer (m³) and its reading time, if read fresh."""
        total = read_totalizer(self.live, self.site, device, self.clock.now())
        return None if total is None else (total.value_m3, total.time)

    def _value(self, device: str, point: str) -> float | None:
        return self.live.value(device, point, self.clock.now(), control_max_age_s(self.site))
