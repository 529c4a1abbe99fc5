"""Inputs and results of the planner as frozen dataclasses, and the reason codes.

Units are in the names: depths in mm, flows in m³/h, areas in m², durations in minutes,
temperatures in °C, wind in m/s. Per-slot tuples have one value per slot of the horizon
(``horizon_days × 1440 / slot_min``); per-day tuples one value per horizon day, day d being
slots [d · slots_per_day, (d + 1) · slots_per_day) counted from the plan's start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = [
    "Forecast",
    "PlanInputs",
    "PlanResult",
    "PlannedEvent",
    "ReasonCode",
    "System",
    "ZoneDecision",
    "ZonePlanInput",
]

System = Literal["drip", "micro", "sprinkler", "surface"]


class ReasonCode(StrEnum):
    """Why a zone got (or did not get) water; the UI translates by these codes."""

    TRIGGER_REACHED = "trigger_reached"  # projected Dr ≥ MAD · TAW: irrigate
    NOT_TRIGGERED = "not_triggered"  # projected Dr stays below the trigger over the horizon
    RAIN_SKIP = "rain_skip"  # observed rain in the last 24 h ≥ threshold
    PROBES_WET = "probes_wet"  # the zone's probes read wet
    NO_SLOT = "no_slot"  # trigger reached, no allowed slot with pump capacity left
    BELOW_MIN_RUN = "below_min_run"  # the minimum run would fill past field capacity
    DEFERRED = "deferred"  # no feasible slot within the defer window after the trigger
    MIN_RUN_RAISED = "min_run_raised"  # duration raised to the minimum run
    MAX_RUN_LIMITED = "max_run_limited"  # duration cut to the maximum run
    CONTINUATION = "continuation"  # the rest of a run cut by the maximum run
    CYCLE_SOAK = "cycle_soak"  # application rate > infiltration rate: cycles with soaks
    SHORTFALL = "shortfall"  # part of the need could not be placed in the horizon
    WIND_LIMIT = "wind_limit"  # slots closed to this sprinkler zone by forecast wind
    FROST_LIMIT = "frost_limit"  # slots closed by forecast temperature below the limit
    NO_FORECAST = "no_forecast"  # projected with the mean of recent measured ET0
    EVENT_LIMIT = "event_limit"  # as many events as slots


def _per_day(value: float | tuple[float, ...], days: int) -> tuple[float, ...]:
    return (float(value),) * days if isinstance(value, int | float) else tuple(value)


@dataclass(frozen=True)
class ZonePlanInput:
    """One zone's state and limits.

    ``dr_mm``: root-zone depletion now (from the water balance), ``taw_mm``: TAW (eq. 82).
    ``mad_fraction``: management allowed depletion as a fraction of TAW, one value or one per
    day; pass p for the FAO-56 trigger RAW = p · TAW (eq. 83), or a larger value outside the
    critical stages to allow a managed deficit. ``kc``: crop coefficient, one value or one
    per day (ETc = Kc · ET0, eq. 56). ``refill_target_fraction``: refill to this depletion as
    a fraction of TAW (0.1-0.2 leaves room for rain; 0 is field capacity, never above).
    ``efficiency``: application efficiency (gross = net / efficiency). ``flow_m3_h``: the
    zone's flow with its valve open. ``infiltration_mm_h``: the soil's basic infiltration
    rate; where the application rate flow·1000/area exceeds it, runs are split into cycles
    of at most ``cycle_max_min`` with ``soak_min`` between. ``window``: the zone's own
    allowed slots (ANDed with the site's), None for the site's.
    """

    zone_id: str
    dr_mm: float
    taw_mm: float
    mad_fraction: float | tuple[float, ...]
    kc: float | tuple[float, ...]
    area_m2: float
    flow_m3_h: float
    efficiency: float = 0.9
    refill_target_fraction: float = 0.15
    min_run_min: int = 10
    max_run_min: int = 240
    system: System = "drip"
    infiltration_mm_h: float = math.inf
    cycle_max_min: int = 30
    soak_min: int = 30
    effective_rain_fraction: float = 1.0
    probes_wet: bool = False
    window: tuple[bool, ...] | None = None

    def mad_per_day(self, days: int) -> tuple[float, ...]:
        return _per_day(self.mad_fraction, days)

    def kc_per_day(self, days: int) -> tuple[float, ...]:
        return _per_day(self.kc, days)

    @property
    def application_mm_h(self) -> float:
        """Gross application rate, mm/h."""
        return self.flow_m3_h * 1000.0 / self.area_m2


@dataclass(frozen=True)
class Forecast:
    """Daily reference ET (FAO-56 Penman-Monteith, mm/d) and rain (mm/d) over the horizon."""

    et0_mm_day: tuple[float, ...]
    rain_mm_day: tuple[float, ...]


@dataclass(frozen=True)
class PlanInputs:
    """Everything a plan depends on.

    ``start_minute_of_day``: local clock time of slot 0 (for sentences, e.g. 0 = midnight).
    ``window``: site-wide allowed slots; ``tariff_per_kwh``: electricity price per slot (any
    currency; lower is preferred). Without ``forecast`` the projection uses the mean of
    ``recent_et0_mm_day`` (measured, last N days) and no rain. ``rain_last_24h_mm`` ≥
    ``rain_skip_mm`` skips every zone. Sprinkler zones may not run in slots whose forecast
    ``wind_m_s`` exceeds ``wind_limit_m_s``; no zone runs in slots whose ``temperature_c`` is
    below ``frost_limit_c``. ``max_defer_h``: after the trigger, the planner looks this long
    for the cheapest allowed slot before taking the first one it can get.
    ``reserved_flow_m3_h``: per slot, the flow (m³/h) runs outside this plan already take from
    the pump (calendar, sensor and manual zones' runs); none: the whole capacity is free.
    """

    zones: tuple[ZonePlanInput, ...]
    pump_capacity_m3_h: float
    window: tuple[bool, ...]
    tariff_per_kwh: tuple[float, ...]
    horizon_days: int = 7
    slot_min: int = 60
    start_minute_of_day: int = 0
    forecast: Forecast | None = None
    recent_et0_mm_day: tuple[float, ...] = ()
    rain_last_24h_mm: float = 0.0
    rain_skip_mm: float = 10.0
    wind_m_s: tuple[float, ...] | None = None
    wind_limit_m_s: float = 5.0
    temperature_c: tuple[float, ...] | None = None
    frost_limit_c: float = 2.0
    max_defer_h: int = 24
    reserved_flow_m3_h: tuple[float, ...] | None = None

    @property
    def slots_per_day(self) -> int:
        return 1440 // self.slot_min

    @property
    def n_slots(self) -> int:
        return self.horizon_days * self.slots_per_day


@dataclass(frozen=True)
class PlannedEvent:
    """One run of one zone. ``start_slot`` counts from the plan's start; ``start_min`` is the
    same in minutes; ``clock`` is the local time of day ("22:00") and ``day`` the horizon day.
    ``cycles`` runs of ``cycle_min`` (the longest) with ``soak_min`` between when split."""

    zone_id: str
    start_slot: int
    start_min: int
    day: int
    clock: str
    duration_min: int
    gross_depth_mm: float
    net_depth_mm: float
    volume_m3: float
    cycles: int
    cycle_min: int
    soak_min: int
    dr_at_start_mm: float
    trigger_slot: int
    mean_tariff_per_kwh: float
    reasons: tuple[ReasonCode, ...]


@dataclass(frozen=True)
class ZoneDecision:
    """What the planner used and concluded for one zone; ``sentence`` says it in English.

    ``reason`` is the main code (trigger reached, skip, not triggered, no slot, ...);
    ``reasons`` all codes that apply. ``trigger_day``/``trigger_slot``: when the projection
    without irrigation reaches the trigger (None: not within the horizon).
    """

    zone_id: str
    reason: ReasonCode
    reasons: tuple[ReasonCode, ...]
    dr_now_mm: float
    taw_mm: float
    trigger_mm: tuple[float, ...]
    mad_fraction: tuple[float, ...]
    etc_mm_day: tuple[float, ...]
    et0_source: Literal["forecast", "recent_mean"]
    trigger_day: int | None
    trigger_slot: int | None
    depth_mm: float
    duration_min: int
    flow_m3_h: float
    n_events: int
    shortfall_mm: float
    rain_last_24h_mm: float
    wind_blocked_slots: int
    frost_blocked_slots: int
    sentence: str


@dataclass(frozen=True)
class PlanResult:
    """Events of all zones (by start slot), one decision per zone (input order), the pump
    load per slot in m³/h and the ET0 per day the projection used."""

    events: tuple[PlannedEvent, ...]
    decisions: tuple[ZoneDecision, ...]
    pump_load_m3_h: tuple[float, ...]
    et0_mm_day: tuple[float, ...]
    et0_source: Literal["forecast", "recent_mean"]

    def events_of(self, zone_id: str) -> tuple[PlannedEvent, ...]:
        return tuple(e for e in self.events if e.zone_id == zone_id)

    def decision(self, zone_id: str) -> ZoneDecision:
        for d in self.decisions:
            if d.zone_id == zone_id:
                return d
        raise KeyError(zone_id)
