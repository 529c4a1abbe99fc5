"""Plain-Python reference of :func:`models.planner.kernel.plan_zones`.

The same algorithm written for reading rather than speed: Python lists, one small function
per decision. Tests hold the kernel equal to it on random inputs; the wrapper can run it in
its place (``plan(..., reference=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.planner import equations as eq
from models.planner.codes import (
    FLAG_CONTINUATION,
    FLAG_CYCLE_SOAK,
    FLAG_DEFERRED,
    FLAG_MAX_RUN,
    FLAG_MIN_RUN,
    STATUS_BELOW_MIN_RUN,
    STATUS_EVENT_LIMIT,
    STATUS_NO_SLOT,
    STATUS_NOT_TRIGGERED,
    STATUS_SKIPPED,
)

__all__ = ["plan_zones_reference"]


@dataclass
class _Zone:
    """One zone's constants, as Python numbers."""

    dr0_mm: float
    taw_mm: float
    trigger_mm: list[float]
    target_mm: float
    etc_mm: list[float]
    rain_mm: list[float]
    efficiency: float
    area_m2: float
    flow_m3_h: float
    min_run_min: int
    max_run_min: int
    cycle_max_min: int
    soak_min: int
    enabled: bool
    allowed: list[bool]

    def step(self, dr_mm: float, s: int) -> float:
        return eq.project_depletion_mm(dr_mm, self.etc_mm[s], self.rain_mm[s], self.taw_mm)


@dataclass
class _Candidate:
    start: int
    dr_mm: float
    duration_min: int
    cycles: int
    flags: int
    price: float


@dataclass
class _Events:
    rows: list[tuple[int, int, float, int, float, int, int, float]] = field(default_factory=list)


def _cycle_minutes(start_min: int, duration: int, cycles: int, soak: int) -> list[range]:
    """The minutes (from the horizon start) in which each cycle's valve is open."""
    spans = []
    begin = start_min
    for k in range(cycles):
        length = eq.cycle_length_min(duration, cycles, k)
        spans.append(range(begin, begin + length))
        begin += length + soak
    return spans


def _slots_touched(span: range, slot_min: int) -> list[int]:
    return list(range(span.start // slot_min, (span.stop - 1) // slot_min + 1))


def _refill(zone: _Zone, dr_mm: float) -> tuple[str, int, int]:
    """("ok" | "min_run_overfills" | "nothing", duration_min, flags), see kernel._duration."""
    need_mm = dr_mm - zone.target_mm
    if need_mm <= 0.0:
        return "nothing", 0, 0
    gross_mm = eq.gross_depth_mm(need_mm, zone.efficiency)
    duration = eq.whole_minutes(eq.run_minutes(gross_mm, zone.area_m2, zone.flow_m3_h))
    flags = 0
    if duration > zone.max_run_min:
        duration, flags = zone.max_run_min, flags | FLAG_MAX_RUN
    if duration < zone.min_run_min:
        net_min_mm = (
            eq.gross_from_minutes_mm(zone.min_run_min, zone.area_m2, zone.flow_m3_h)
            * zone.efficiency
        )
        if net_min_mm > dr_mm + 1e-9:
            return "min_run_overfills", 0, 0
        duration, flags = zone.min_run_min, flags | FLAG_MIN_RUN
    return "ok", duration, flags


def _price_if_fits(
    zone: _Zone,
    start: int,
    duration: int,
    cycles: int,
    slot_min: int,
    load: list[float],
    tariff: list[float],
    capacity: float,
) -> float | None:
    """Mean tariff over the run's minutes, or None if a touched slot is closed or full."""
    total = 0.0
    for span in _cycle_minutes(start * slot_min, duration, cycles, zone.soak_min):
        for s in _slots_touched(span, slot_min):
            if s >= len(tariff) or not zone.allowed[s]:
                return None
            if load[s] + zone.flow_m3_h > capacity + 1e-9:
                return None
            minutes = min(span.stop, (s + 1) * slot_min) - max(span.start, s * slot_min)
            total += minutes * tariff[s]
    return total / duration


def _choose(
    zone: _Zone,
    trigger_slot: int,
    dr_mm: float,
    slot_min: int,
    max_defer: int,
    load: list[float],
    tariff: list[float],
    capacity: float,
) -> tuple[_Candidate | None, bool]:
    """Cheapest feasible start within the defer window after the trigger (earliest on ties),
    else the first feasible start after it; and whether the minimum run overfilled."""
    best: _Candidate | None = None
    overfills = False
    dr = dr_mm
    for c in range(trigger_slot, len(tariff)):
        if best is not None and c > trigger_slot + max_defer:
            break
        code, duration, flags = _refill(zone, dr)
        overfills = overfills or code == "min_run_overfills"
        if code == "ok":
            cycles = eq.cycle_count(duration, zone.cycle_max_min)
            price = _price_if_fits(zone, c, duration, cycles, slot_min, load, tariff, capacity)
            if price is not None and (best is None or price < best.price):
                best = _Candidate(c, dr, duration, cycles, flags, price)
        dr = zone.step(dr, c)
    return best, overfills


def _plan_zone(
    zone: _Zone,
    n_slots: int,
    spd: int,
    slot_min: int,
    max_defer: int,
    load: list[float],
    tariff: list[float],
    capacity: float,
) -> tuple[_Events, int, float]:
    events = _Events()
    dr, t, cont = zone.dr0_mm, 0, False
    while True:
        if len(events.rows) == n_slots:
            return events, STATUS_EVENT_LIMIT, 0.0
        s = t
        if not cont:
            while s < n_slots and dr < zone.trigger_mm[s // spd]:
                dr = zone.step(dr, s)
                s += 1
            if s >= n_slots:
                return events, STATUS_NOT_TRIGGERED, 0.0
        elif s >= n_slots:
            return events, STATUS_NO_SLOT, dr - zone.target_mm
        best, overfills = _choose(zone, s, dr, slot_min, max_defer, load, tariff, capacity)
        if best is None:
            code = STATUS_BELOW_MIN_RUN if overfills and not cont else STATUS_NO_SLOT
            return events, code, dr - zone.target_mm
        flags = best.flags
        flags |= FLAG_DEFERRED if best.start > s + max_defer else 0
        flags |= FLAG_CONTINUATION if cont else 0
        flags |= FLAG_CYCLE_SOAK if best.cycles > 1 else 0
        gross = eq.gross_from_minutes_mm(best.duration_min, zone.area_m2, zone.flow_m3_h)
        events.rows.append(
            (best.start, best.duration_min, gross, best.cycles, best.dr_mm, s, flags, best.price)
        )
        touched: list[int] = []
        for span in _cycle_minutes(
            best.start * slot_min, best.duration_min, best.cycles, zone.soak_min
        ):
            touched += [u for u in _slots_touched(span, slot_min) if u not in touched]
        for u in touched:
            load[u] += zone.flow_m3_h
        dr = max(best.dr_mm - gross * zone.efficiency, 0.0)
        for u in range(best.start, touched[-1] + 1):
            dr = zone.step(dr, u)
        t = touched[-1] + 1
        cont = bool(flags & FLAG_MAX_RUN) and dr > zone.target_mm


def _first_trigger(zone: _Zone, n_slots: int, spd: int) -> int:
    dr = zone.dr0_mm
    for s in range(n_slots):
        if dr >= zone.trigger_mm[s // spd]:
            return s
        dr = zone.step(dr, s)
    return -1


def plan_zones_reference(
    dr0_mm: np.ndarray,
    taw_mm: np.ndarray,
    trigger_mm: np.ndarray,
    target_mm: np.ndarray,
    etc_mm: np.ndarray,
    rain_mm: np.ndarray,
    efficiency: np.ndarray,
    area_m2: np.ndarray,
    flow_m3_h: np.ndarray,
    min_run_min: np.ndarray,
    max_run_min: np.ndarray,
    cycle_max_min: np.ndarray,
    soak_min: np.ndarray,
    enabled: np.ndarray,
    allowed: np.ndarray,
    tariff: np.ndarray,
    capacity_m3_h: float,
    slots_per_day: int,
    slot_min: int,
    max_defer_slots: int,
    reserved_m3_h: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Same arguments and results as :func:`models.planner.kernel.plan_zones`."""
    n_zones, n_slots = etc_mm.shape
    zones = [
        _Zone(
            float(dr0_mm[z]),
            float(taw_mm[z]),
            [float(v) for v in trigger_mm[z]],
            float(target_mm[z]),
            [float(v) for v in etc_mm[z]],
            [float(v) for v in rain_mm[z]],
            float(efficiency[z]),
            float(area_m2[z]),
            float(flow_m3_h[z]),
            int(min_run_min[z]),
            int(max_run_min[z]),
            int(cycle_max_min[z]),
            int(soak_min[z]),
            bool(enabled[z]),
            [bool(v) for v in allowed[z]],
        )
        for z in range(n_zones)
    ]
    first = [_first_trigger(zone, n_slots, slots_per_day) for zone in zones]
    urgency = [
        2.0 * (f if f >= 0 else n_slots) + (1.0 - zone.dr0_mm / zone.taw_mm)
        for f, zone in zip(first, zones, strict=True)
    ]
    order = sorted(range(n_zones), key=lambda z: urgency[z])
    load = [float(v) for v in reserved_m3_h]
    prices = [float(v) for v in tariff]
    results: dict[int, tuple[_Events, int, float]] = {}
    for z in order:
        if not zones[z].enabled:
            results[z] = (_Events(), STATUS_SKIPPED, 0.0)
            continue
        results[z] = _plan_zone(
            zones[z],
            n_slots,
            slots_per_day,
            slot_min,
            max_defer_slots,
            load,
            prices,
            float(capacity_m3_h),
        )

    columns: list[np.ndarray] = [
        np.full((n_zones, n_slots), -1, dtype=np.int64),
        np.zeros((n_zones, n_slots), np.int64),
        np.zeros((n_zones, n_slots)),
        np.zeros((n_zones, n_slots), np.int64),
        np.zeros((n_zones, n_slots)),
        np.full((n_zones, n_slots), -1, dtype=np.int64),
        np.zeros((n_zones, n_slots), np.int64),
        np.zeros((n_zones, n_slots)),
    ]
    for z, (events, _status, _short) in results.items():
        for k, row in enumerate(events.rows):
            for column, value in zip(columns, row, strict=True):
                column[z, k] = value
    n_events = np.array([len(results[z][0].rows) for z in range(n_zones)], dtype=np.int64)
    status = np.array([results[z][1] for z in range(n_zones)], dtype=np.int64)
    shortfall = np.array([results[z][2] for z in range(n_zones)])
    return (
        *columns,
        n_events,
        status,
        np.array(first, dtype=np.int64),
        shortfall,
        np.array(order, dtype=np.int64),
        np.array(load),
    )
