"""Human sentences for decisions (English; the UI translates from the structured fields)."""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray

from models.planner.types import PlannedEvent, ReasonCode

__all__ = ["clock", "event_sentence", "first_event_at", "no_event_sentence", "window_text"]


def clock(minute: int) -> str:
    """Local time of day "HH:MM" of a minute count (wraps over days)."""
    minute %= 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


_EVENT_AT = re.compile(r" at (\d\d:\d\d) \(day (\d+)\)")
""":func:`event_sentence`'s "at 23:00 (day 4)": the run's local clock time and horizon day."""


def first_event_at(sentence: str) -> tuple[str, int] | None:
    """The local clock time ("23:00") and horizon day (0 = the plan's first day) of the first
    run :func:`event_sentence` wrote into ``sentence``; ``None`` when it names no run."""
    found = _EVENT_AT.search(sentence)
    return (found.group(1), int(found.group(2))) if found else None


def window_text(allowed: NDArray[np.bool_], slot: int, slot_min: int, start_minute: int) -> str:
    """The run of allowed slots around ``slot`` as "window 20:00-08:00"."""
    first = slot
    while first > 0 and allowed[first - 1]:
        first -= 1
    end = slot
    while end < allowed.shape[0] and allowed[end]:
        end += 1
    return f"window {clock(start_minute + first * slot_min)}-{clock(start_minute + end * slot_min)}"


def _cycles(event: PlannedEvent) -> str:
    if event.cycles == 1:
        return ""
    return f" in {event.cycles} cycles of ≤ {event.cycle_min} min with {event.soak_min} min soak"


def event_sentence(
    zone_id: str,
    event: PlannedEvent,
    trigger_mm: float,
    mad: float,
    taw_mm: float,
    window: str,
    off_peak: bool,
    more: int,
) -> str:
    """ "z3: 38 min, 19.0 mm at 22:00 (day 0): depletion 51.0 mm ≥ trigger 48.0 mm ..." """
    why = (
        f"depletion {event.dr_at_start_mm:.1f} mm ≥ trigger {trigger_mm:.1f} mm "
        f"(MAD {mad:.2f} × TAW {taw_mm:.1f} mm)"
    )
    if ReasonCode.CONTINUATION in event.reasons:
        why = f"rest of a run cut to the maximum; depletion {event.dr_at_start_mm:.1f} mm"
    tariff = "off-peak" if off_peak else f"mean tariff {event.mean_tariff_per_kwh:.2f}/kWh"
    text = (
        f"{zone_id}: {event.duration_min} min, {event.gross_depth_mm:.1f} mm at "
        f"{event.clock} (day {event.day}){_cycles(event)}: {why}; {window} {tariff}"
    )
    notes = {
        ReasonCode.MIN_RUN_RAISED: "raised to the minimum run",
        ReasonCode.MAX_RUN_LIMITED: "cut to the maximum run",
        ReasonCode.DEFERRED: "deferred: no allowed slot with pump capacity sooner",
    }
    for code, note in notes.items():
        if code in event.reasons:
            text += f"; {note}"
    if more:
        text += f"; {more} more event{'s' if more > 1 else ''} in the horizon"
    return text


def no_event_sentence(
    zone_id: str,
    reason: ReasonCode,
    *,
    dr_now_mm: float,
    dr_end_mm: float,
    trigger_mm: float,
    horizon_days: int,
    rain_24h_mm: float,
    rain_skip_mm: float,
    trigger_at: str,
    shortfall_mm: float,
    min_run_min: int,
) -> str:
    if reason is ReasonCode.RAIN_SKIP:
        return f"{zone_id}: skip: {rain_24h_mm:.1f} mm rain in the last 24 h ≥ {rain_skip_mm:g} mm"
    if reason is ReasonCode.PROBES_WET:
        return f"{zone_id}: skip: the zone's probes read wet"
    if reason is ReasonCode.NO_SLOT:
        return (
            f"{zone_id}: no slot: depletion reaches trigger {trigger_mm:.1f} mm at "
            f"{trigger_at} but no allowed slot has pump capacity left; shortfall "
            f"{shortfall_mm:.1f} mm"
        )
    if reason is ReasonCode.BELOW_MIN_RUN:
        return (
            f"{zone_id}: no irrigation: the minimum run of {min_run_min} min would fill "
            f"past field capacity (need {shortfall_mm:.1f} mm)"
        )
    return (
        f"{zone_id}: no irrigation: depletion {dr_now_mm:.1f} mm now, {dr_end_mm:.1f} mm "
        f"after {horizon_days} days, below trigger {trigger_mm:.1f} mm"
    )
