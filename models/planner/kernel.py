"""Numba kernel: project every zone's depletion over the horizon and allocate irrigation slots
greedily under the pump capacity (the reference is ``reference.py``; tests hold them equal).

Shapes: Z zones, S slots (``slots_per_day`` per day), D = S / ``slots_per_day`` days.
Depletion ``dr`` at slot s is the depletion at the *start* of slot s; an event starting in
slot s applies its net depth at that start. Time inside the horizon is counted in minutes
from the start of slot 0; a run touches every slot in which its valve is open for a minute
or more, and its flow counts against the pump in each of those slots (a conservative bound:
two runs in one slot count as concurrent even when their minutes do not overlap).

Zones are planned one after the other in order of urgency (earliest trigger slot of the
unirrigated projection first, then the highest depletion fraction Dr/TAW), each zone taking
all its events over the horizon before the next zone; later zones see the pump load of
earlier ones.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from models.planner import equations as _eq
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

__all__ = ["plan_zones"]

_jit = njit(cache=True, inline="always", error_model="numpy")
_project = _jit(_eq.project_depletion_mm)
_run_minutes = _jit(_eq.run_minutes)
_gross_from_minutes = _jit(_eq.gross_from_minutes_mm)
_gross_depth = _jit(_eq.gross_depth_mm)
_whole_minutes = _jit(_eq.whole_minutes)
_cycle_count = _jit(_eq.cycle_count)
_cycle_length = _jit(_eq.cycle_length_min)

_OK = 0
_NO_ROOM = 1  # window, wind, frost, pump capacity or horizon end
_MIN_RUN_OVERFILLS = 2
_NOTHING_TO_DO = 3


def _first_trigger(
    dr_mm: float,
    z: int,
    trigger_mm: np.ndarray,
    etc_mm: np.ndarray,
    rain_mm: np.ndarray,
    taw_mm: float,
    spd: int,
) -> int:
    """First slot whose starting depletion reaches the trigger without irrigation; −1 if none."""
    for s in range(etc_mm.shape[1]):
        if dr_mm >= trigger_mm[z, s // spd]:
            return s
        dr_mm = _project(dr_mm, etc_mm[z, s], rain_mm[z, s], taw_mm)
    return -1


def _duration(
    dr_mm: float,
    target_mm: float,
    efficiency: float,
    area_m2: float,
    flow_m3_h: float,
    min_run_min: int,
    max_run_min: int,
) -> tuple[int, int, int]:
    """(status, duration_min, flags) of a refill from ``dr_mm`` to ``target_mm``.

    Net depth = Dr − target (never above field capacity), gross = net / efficiency, minutes
    rounded down, then clamped to [min run, max run]; the minimum run is refused when its net
    depth would exceed Dr (water past field capacity is lost to deep percolation, eq. 88).
    """
    need_mm = dr_mm - target_mm
    if need_mm <= 0.0:
        return _NOTHING_TO_DO, 0, 0
    duration = _whole_minutes(_run_minutes(_gross_depth(need_mm, efficiency), area_m2, flow_m3_h))
    flags = 0
    if duration > max_run_min:
        duration = max_run_min
        flags |= FLAG_MAX_RUN
    if duration < min_run_min:
        net_min_mm = _gross_from_minutes(min_run_min, area_m2, flow_m3_h) * efficiency
        if net_min_mm > dr_mm + 1e-9:
            return _MIN_RUN_OVERFILLS, 0, 0
        duration = min_run_min
        flags |= FLAG_MIN_RUN
    return _OK, duration, flags


def _fits(
    z: int,
    start: int,
    duration: int,
    cycles: int,
    soak_min: int,
    slot_min: int,
    flow_m3_h: float,
    allowed: np.ndarray,
    load_m3_h: np.ndarray,
    tariff: np.ndarray,
    capacity_m3_h: float,
) -> tuple[bool, float]:
    """Whether every slot the run's cycles touch is allowed and has pump room; and the
    tariff per slot averaged over the run's minutes."""
    n_slots = allowed.shape[1]
    price = 0.0
    begin = start * slot_min
    for k in range(cycles):
        end = begin + _cycle_length(duration, cycles, k)
        last = (end - 1) // slot_min
        if last >= n_slots:
            return False, 0.0
        for s in range(begin // slot_min, last + 1):
            if not allowed[z, s] or load_m3_h[s] + flow_m3_h > capacity_m3_h + 1e-9:
                return False, 0.0
            price += (min(end, (s + 1) * slot_min) - max(begin, s * slot_min)) * tariff[s]
        begin = end + soak_min
    return True, price / duration


def _occupy(
    start: int,
    duration: int,
    cycles: int,
    soak_min: int,
    slot_min: int,
    flow_m3_h: float,
    load_m3_h: np.ndarray,
) -> int:
    """Add the run's flow to every slot it touches (once per slot); return the slot after its
    last running minute."""
    begin = start * slot_min
    marked = -1
    last = start
    for k in range(cycles):
        end = begin + _cycle_length(duration, cycles, k)
        last = (end - 1) // slot_min
        for s in range(begin // slot_min, last + 1):
            if s != marked:
                load_m3_h[s] += flow_m3_h
                marked = s
        begin = end + soak_min
    return last + 1


def plan_zones(
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
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]:
    """Plan events for Z zones over S slots.

    Zone arrays (Z,): Dr now, TAW, refill target (mm); efficiency; area (m²); flow (m³/h);
    min/max run, longest cycle (0 = no cycle-and-soak), soak (min); enabled (not skipped).
    (Z, D): trigger depletion MAD·TAW per day (mm). (Z, S): ETc and effective rain per slot
    (mm); allowed slots (window, wind, frost already applied). (S,): tariff per slot;
    ``reserved_m3_h``, the flow (m³/h) runs outside this plan already take from the pump in
    each slot (a calendar or manual zone's run): the capacity left is what this plan shares.

    Returns event arrays (Z, S) — start slot, duration (min), gross depth (mm), cycles, Dr at
    start (mm), trigger slot, flags, mean tariff — then per zone (Z,): event count, end
    status, first trigger slot without irrigation (−1: none), shortfall (mm), urgency rank
    order (zone indices), and the pump load per slot (S,) in m³/h, the reserved flow included.
    """
    n_zones, n_slots = etc_mm.shape
    ev_start = np.full((n_zones, n_slots), -1, dtype=np.int64)
    ev_duration = np.zeros((n_zones, n_slots), dtype=np.int64)
    ev_gross = np.zeros((n_zones, n_slots))
    ev_cycles = np.zeros((n_zones, n_slots), dtype=np.int64)
    ev_dr = np.zeros((n_zones, n_slots))
    ev_trigger = np.full((n_zones, n_slots), -1, dtype=np.int64)
    ev_flags = np.zeros((n_zones, n_slots), dtype=np.int64)
    ev_price = np.zeros((n_zones, n_slots))
    n_events = np.zeros(n_zones, dtype=np.int64)
    status = np.full(n_zones, STATUS_NOT_TRIGGERED, dtype=np.int64)
    first = np.full(n_zones, -1, dtype=np.int64)
    shortfall = np.zeros(n_zones)
    load = reserved_m3_h.copy()

    urgency = np.empty(n_zones)
    for z in range(n_zones):
        first[z] = _first_trigger(
            dr0_mm[z], z, trigger_mm, etc_mm, rain_mm, taw_mm[z], slots_per_day
        )
        when = first[z] if first[z] >= 0 else n_slots
        urgency[z] = 2.0 * when + (1.0 - dr0_mm[z] / taw_mm[z])
    order = np.argsort(urgency, kind="mergesort")

    for z in order:
        if not enabled[z]:
            status[z] = STATUS_SKIPPED
            continue
        taw = taw_mm[z]
        target = target_mm[z]
        flow = flow_m3_h[z]
        t = 0
        dr = dr0_mm[z]
        cont = False
        while True:
            if n_events[z] == n_slots:
                status[z] = STATUS_EVENT_LIMIT
                break
            s = t
            if not cont:
                while s < n_slots and dr < trigger_mm[z, s // slots_per_day]:
                    dr = _project(dr, etc_mm[z, s], rain_mm[z, s], taw)
                    s += 1
                if s >= n_slots:
                    status[z] = STATUS_NOT_TRIGGERED
                    break
            elif s >= n_slots:
                status[z] = STATUS_NO_SLOT
                shortfall[z] = dr - target
                break
            best = -1
            best_price = 0.0
            best_dr = 0.0
            best_duration = 0
            best_cycles = 0
            best_flags = 0
            overfills = False
            c = s
            dc = dr
            while c < n_slots and not (best >= 0 and c > s + max_defer_slots):
                code, duration, flags = _duration(
                    dc, target, efficiency[z], area_m2[z], flow, min_run_min[z], max_run_min[z]
                )
                if code == _MIN_RUN_OVERFILLS:
                    overfills = True
                elif code == _OK:
                    cycles = _cycle_count(duration, cycle_max_min[z])
                    ok, price = _fits(
                        z,
                        c,
                        duration,
                        cycles,
                        soak_min[z],
                        slot_min,
                        flow,
                        allowed,
                        load,
                        tariff,
                        capacity_m3_h,
                    )
                    if ok and (best < 0 or price < best_price):
                        best, best_price, best_dr = c, price, dc
                        best_duration, best_cycles, best_flags = duration, cycles, flags
                dc = _project(dc, etc_mm[z, c], rain_mm[z, c], taw)
                c += 1
            if best < 0:
                status[z] = STATUS_BELOW_MIN_RUN if overfills and not cont else STATUS_NO_SLOT
                shortfall[z] = dr - target
                break
            if best > s + max_defer_slots:
                best_flags |= FLAG_DEFERRED
            if cont:
                best_flags |= FLAG_CONTINUATION
            if best_cycles > 1:
                best_flags |= FLAG_CYCLE_SOAK
            gross = _gross_from_minutes(best_duration, area_m2[z], flow)
            k = n_events[z]
            ev_start[z, k], ev_duration[z, k], ev_gross[z, k] = best, best_duration, gross
            ev_cycles[z, k], ev_dr[z, k], ev_trigger[z, k] = best_cycles, best_dr, s
            ev_flags[z, k], ev_price[z, k] = best_flags, best_price
            n_events[z] = k + 1
            end = _occupy(best, best_duration, best_cycles, soak_min[z], slot_min, flow, load)
            dr = max(best_dr - gross * efficiency[z], 0.0)  # eq. 85 with I = net depth
            for u in range(best, end):
                dr = _project(dr, etc_mm[z, u], rain_mm[z, u], taw)
            t = end
            cont = (best_flags & FLAG_MAX_RUN) != 0 and dr > target
    return (
        ev_start,
        ev_duration,
        ev_gross,
        ev_cycles,
        ev_dr,
        ev_trigger,
        ev_flags,
        ev_price,
        n_events,
        status,
        first,
        shortfall,
        order,
        load,
    )


# Compiled by call rather than by decorator, so that mutation testing (which mutates only
# undecorated functions, scripts/mutation.py) reaches their bodies; plan_zones finds the
# compiled helpers under their own names.
_first_trigger = _jit(_first_trigger)
_duration = _jit(_duration)
_fits = _jit(_fits)
_occupy = _jit(_occupy)
plan_zones = njit(cache=True, error_model="numpy")(plan_zones)
