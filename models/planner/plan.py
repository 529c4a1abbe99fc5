"""The planner's entry point: inputs → kernel arrays → kernel → events and decisions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.planner import equations as eq
from models.planner.arrays import KernelArrays, build_arrays
from models.planner.codes import (
    FLAG_CONTINUATION,
    FLAG_CYCLE_SOAK,
    FLAG_DEFERRED,
    FLAG_MAX_RUN,
    FLAG_MIN_RUN,
    STATUS_BELOW_MIN_RUN,
    STATUS_EVENT_LIMIT,
    STATUS_NO_SLOT,
    STATUS_SKIPPED,
)
from models.planner.explain import clock, event_sentence, no_event_sentence, window_text
from models.planner.kernel import plan_zones
from models.planner.reference import plan_zones_reference
from models.planner.types import (
    PlanInputs,
    PlannedEvent,
    PlanResult,
    ReasonCode,
    ZoneDecision,
)

__all__ = ["plan"]

_FLAG_REASONS = (
    (FLAG_MIN_RUN, ReasonCode.MIN_RUN_RAISED),
    (FLAG_MAX_RUN, ReasonCode.MAX_RUN_LIMITED),
    (FLAG_DEFERRED, ReasonCode.DEFERRED),
    (FLAG_CYCLE_SOAK, ReasonCode.CYCLE_SOAK),
)
_STATUS_REASONS = {
    STATUS_NO_SLOT: ReasonCode.NO_SLOT,
    STATUS_BELOW_MIN_RUN: ReasonCode.BELOW_MIN_RUN,
    STATUS_EVENT_LIMIT: ReasonCode.EVENT_LIMIT,
}


def plan(inputs: PlanInputs, *, reference: bool = False) -> PlanResult:
    """Plan irrigation events for every zone over the horizon (see ``kernel.py`` for the
    allocation). ``reference`` runs the plain-Python reference instead of the numba kernel.

    Raises :class:`~models.planner.PlannerInputError` naming the first bad input.
    """
    arrays = build_arrays(inputs)
    run: Callable[..., tuple[np.ndarray, ...]] = plan_zones_reference if reference else plan_zones
    out = run(*arrays.kernel_args())
    return _result(inputs, arrays, out)


def _events(
    inputs: PlanInputs, a: KernelArrays, out: tuple[np.ndarray, ...], z: int
) -> list[PlannedEvent]:
    start, duration, gross, cycles, dr, trigger, flags, price, n_events = out[:9]
    zone = inputs.zones[z]
    events = []
    for k in range(int(n_events[z])):
        f = int(flags[z, k])
        reasons = [ReasonCode.CONTINUATION if f & FLAG_CONTINUATION else ReasonCode.TRIGGER_REACHED]
        reasons += [code for bit, code in _FLAG_REASONS if f & bit]
        slot = int(start[z, k])
        minute = slot * a.slot_min
        g = float(gross[z, k])
        n_cycles = int(cycles[z, k])
        events.append(
            PlannedEvent(
                zone_id=zone.zone_id,
                start_slot=slot,
                start_min=minute,
                day=slot // a.slots_per_day,
                clock=clock(inputs.start_minute_of_day + minute),
                duration_min=int(duration[z, k]),
                gross_depth_mm=g,
                net_depth_mm=g * zone.efficiency,
                volume_m3=g * zone.area_m2 / 1000.0,
                cycles=n_cycles,
                cycle_min=eq.cycle_length_min(int(duration[z, k]), n_cycles, 0),
                soak_min=zone.soak_min if n_cycles > 1 else 0,
                dr_at_start_mm=float(dr[z, k]),
                trigger_slot=int(trigger[z, k]),
                mean_tariff_per_kwh=float(price[z, k]),
                reasons=tuple(reasons),
            )
        )
    return events


def _dr_end(a: KernelArrays, z: int) -> float:
    dr = float(a.dr0_mm[z])
    for s in range(a.etc_mm.shape[1]):
        dr = eq.project_depletion_mm(
            dr, float(a.etc_mm[z, s]), float(a.rain_mm[z, s]), float(a.taw_mm[z])
        )
    return dr


def _result(inputs: PlanInputs, a: KernelArrays, out: tuple[np.ndarray, ...]) -> PlanResult:
    status, first, shortfall, load = out[9], out[10], out[11], out[13]
    cheapest = float(np.min(a.tariff))
    all_events: list[PlannedEvent] = []
    decisions = []
    for z, zone in enumerate(inputs.zones):
        events = _events(inputs, a, out, z)
        all_events += events
        code = int(status[z])
        skip = ReasonCode.PROBES_WET if zone.probes_wet else ReasonCode.RAIN_SKIP
        if code == STATUS_SKIPPED:
            main = skip
        elif events:
            main = ReasonCode.TRIGGER_REACHED
        else:
            main = _STATUS_REASONS.get(code, ReasonCode.NOT_TRIGGERED)
        reasons = [main]
        for event in events:
            reasons += [r for r in event.reasons if r not in reasons]
        if events and code in _STATUS_REASONS:
            reasons.append(_STATUS_REASONS[code])
        short = float(shortfall[z])
        if short > 0.0:
            reasons.append(ReasonCode.SHORTFALL)
        if a.wind_blocked[z]:
            reasons.append(ReasonCode.WIND_LIMIT)
        if a.frost_blocked[z]:
            reasons.append(ReasonCode.FROST_LIMIT)
        if a.et0_source == "recent_mean":
            reasons.append(ReasonCode.NO_FORECAST)
        trig = int(first[z])
        trigger_day = trig // a.slots_per_day if trig >= 0 else None
        mad = zone.mad_per_day(inputs.horizon_days)
        if events:
            e = events[0]
            off_peak = e.mean_tariff_per_kwh <= cheapest + 1e-9
            window = window_text(a.allowed[z], e.start_slot, a.slot_min, inputs.start_minute_of_day)
            sentence = event_sentence(
                zone.zone_id,
                e,
                float(a.trigger_mm[z, e.day]),
                mad[e.day],
                zone.taw_mm,
                window,
                off_peak,
                len(events) - 1,
            )
            if code in _STATUS_REASONS:
                sentence += f"; then {_STATUS_REASONS[code].value.replace('_', ' ')}"
                if short > 0.0:
                    sentence += f", shortfall {short:.1f} mm"
        else:
            at_slot = trig if trig >= 0 else 0
            sentence = no_event_sentence(
                zone.zone_id,
                main,
                dr_now_mm=zone.dr_mm,
                dr_end_mm=_dr_end(a, z) if main is ReasonCode.NOT_TRIGGERED else zone.dr_mm,
                trigger_mm=float(a.trigger_mm[z, at_slot // a.slots_per_day]),
                horizon_days=inputs.horizon_days,
                rain_24h_mm=inputs.rain_last_24h_mm,
                rain_skip_mm=inputs.rain_skip_mm,
                trigger_at=(
                    f"{clock(inputs.start_minute_of_day + at_slot * a.slot_min)} "
                    f"(day {at_slot // a.slots_per_day})"
                ),
                shortfall_mm=short,
                min_run_min=zone.min_run_min,
            )
        if a.et0_source == "recent_mean":
            sentence += (
                f"; ET0 {a.et0_mm_day[0]:.1f} mm/d from the mean of the last "
                f"{len(inputs.recent_et0_mm_day)} days (no forecast)"
            )
        decisions.append(
            ZoneDecision(
                zone_id=zone.zone_id,
                reason=main,
                reasons=tuple(reasons),
                dr_now_mm=zone.dr_mm,
                taw_mm=zone.taw_mm,
                trigger_mm=tuple(float(v) for v in a.trigger_mm[z]),
                mad_fraction=mad,
                etc_mm_day=tuple(float(v) for v in a.etc_mm_day[z]),
                et0_source=a.et0_source,
                trigger_day=trigger_day,
                trigger_slot=trig if trig >= 0 else None,
                depth_mm=events[0].gross_depth_mm if events else 0.0,
                duration_min=events[0].duration_min if events else 0,
                flow_m3_h=zone.flow_m3_h,
                n_events=len(events),
                shortfall_mm=short,
                rain_last_24h_mm=inputs.rain_last_24h_mm,
                wind_blocked_slots=int(a.wind_blocked[z]),
                frost_blocked_slots=int(a.frost_blocked[z]),
                sentence=sentence,
            )
        )
    all_events.sort(key=lambda e: (e.start_slot, e.zone_id))
    return PlanResult(
        events=tuple(all_events),
        decisions=tuple(decisions),
        pump_load_m3_h=tuple(float(v) for v in load),
        et0_mm_day=tuple(float(v) for v in a.et0_mm_day),
        et0_source=a.et0_source,
    )
