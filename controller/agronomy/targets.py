"""An ``et`` zone's triggers and refill target over the planning horizon, with their reasons.

The zone's ``targets`` setting chooses the rule:

* ``staged`` (default): :mod:`models.planner.targets` — the crop's water-management periods
  (``[crop.stages]`` of the crop library: FAO-33 Ky, MAD, critical), no deficit in a critical
  period, refill to a target that leaves room for the rain expected in the next
  :data:`~models.planner.targets.RAIN_ROOM_DAYS` days (the forecast's, else the site's monthly
  normals ``[site] rain_normals_mm``), and in the season's last period the depletion from which
  the crop's remaining ETc ends the season at that period's trigger.
* ``fao56``: the crop's FAO-56 p adjusted for ETc every day, refill to
  :data:`~controller.agronomy.types.REFILL_TARGET_FRACTION` of TAW (the rule before stages).

A zone's ``mad_fraction`` (set on the settings page) overrides the trigger of either rule.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from controller.agronomy.types import REFILL_TARGET_FRACTION
from controller.config.site import ZoneConfig
from models.crops import Crop, kc_on_day
from models.planner.targets import (
    RAIN_ROOM_DAYS,
    DayTarget,
    day_target,
    deficit_ks,
    refill_target,
)

__all__ = [
    "TRIGGER_FLOOR",
    "ZoneTargets",
    "etc_to_harvest_mm",
    "expected_rain_mm",
    "zone_targets",
]

TRIGGER_FLOOR = REFILL_TARGET_FRACTION + 0.05  # no trigger below this fraction of TAW


@dataclass(frozen=True)
class ZoneTargets:
    """Per horizon day the trigger (fraction of TAW); the refill target; the note the decision
    carries and the numbers it records."""

    mad_fraction: tuple[float, ...]
    refill_fraction: float
    note: str
    numbers: dict[str, Any]


def expected_rain_mm(
    today: dt.date,
    forecast_rain_mm_day: Sequence[float] | None,
    rain_normals_mm: Sequence[float] | None,
    days: int = RAIN_ROOM_DAYS,
) -> tuple[float, str]:
    """Rain expected over the ``days`` days from ``today`` (default :data:`RAIN_ROOM_DAYS`,
    mm) and where the figure comes from: the forecast's days, else the monthly normals pro
    rata (0 without either)."""
    if forecast_rain_mm_day:
        return float(sum(forecast_rain_mm_day[:days])), "forecast"
    if rain_normals_mm:
        total = 0.0
        for d in range(days):
            day = today + dt.timedelta(days=d)
            total += rain_normals_mm[day.month - 1] / calendar.monthrange(day.year, day.month)[1]
        return total, "monthly normals"
    return 0.0, "none (no forecast, no rain_normals_mm)"


def etc_to_harvest_mm(crop: Crop, dap: int, et0_mm_day: Sequence[float]) -> list[float]:
    """The crop's ETc (mm) of each day from ``dap`` to harvest, Kc · ET0 (FAO-56 eq. 56),
    the last ET0 of ``et0_mm_day`` standing for the days after it."""
    tail_et0 = et0_mm_day[-1] if et0_mm_day else 0.0
    return [
        kc_on_day(crop, dap + d, mulched=True)
        * (et0_mm_day[d] if d < len(et0_mm_day) else tail_et0)
        for d in range(max(crop.season_days - dap, 0))
    ]


def zone_targets(
    zone: ZoneConfig,
    crop: Crop,
    dap: int,
    taw_mm: float,
    et0_mm_day: Sequence[float],
    *,
    today: dt.date,
    forecast_rain_mm_day: Sequence[float] | None,
    rain_normals_mm: Sequence[float] | None,
    hold_at: float | None = None,
) -> ZoneTargets:
    """The zone's triggers over ``len(et0_mm_day)`` horizon days from ``dap`` and its refill
    target (module docstring). ``et0_mm_day``: the ET0 the plan projects with (the last value
    stands for the days after the horizon, up to harvest). ``crop``: the zone's crop, its Kc
    already times the zone's ``kc_factor`` (:func:`controller.config.soil.zone_crop`, as
    :meth:`~controller.agronomy.jobs.Agronomy.zone_model` gives it). ``hold_at``: no trigger
    above this fraction of TAW (:mod:`controller.agronomy.expansion`), unless the zone's own
    ``mad_fraction`` is set; the refill target stays below the triggers so held."""
    days = len(et0_mm_day)
    kc = [kc_on_day(crop, dap + d, mulched=True) for d in range(days)]
    staged = zone.targets == "staged" and bool(crop.stages)
    stage_of = crop.stage_on_day if staged else (lambda _dap: None)
    targets: list[DayTarget] = [
        day_target(stage_of(dap + d), crop.p, k * e, TRIGGER_FLOOR)
        for d, (k, e) in enumerate(zip(kc, et0_mm_day, strict=True))
    ]
    mad = tuple(
        max(zone.mad_fraction, TRIGGER_FLOOR) if zone.mad_fraction is not None else t.mad_fraction
        for t in targets
    )
    if hold_at is not None and zone.mad_fraction is None:
        mad = tuple(min(m, max(hold_at, TRIGGER_FLOOR)) for m in mad)
    numbers: dict[str, Any] = {"targets": "staged" if staged else "fao56"}
    if not staged:
        if zone.targets == "staged":
            numbers["targets_note"] = f"crop {crop.key} has no stages: FAO-56 p"
        return ZoneTargets(mad, REFILL_TARGET_FRACTION, "", numbers)
    today_t = targets[0]
    rain_mm, rain_source = expected_rain_mm(today, forecast_rain_mm_day, rain_normals_mm)
    last = crop.stages[-1]
    in_last = today_t.stage == last.name and not last.critical
    remaining_etc = sum(etc_to_harvest_mm(crop, dap, et0_mm_day)) if in_last else 0.0
    refill = refill_target(
        taw_mm=taw_mm,
        base_fraction=REFILL_TARGET_FRACTION,
        lowest_trigger_fraction=min(mad),
        expected_rain_mm=rain_mm,
        last_period_mad=last.mad if in_last else None,
        remaining_etc_mm=remaining_etc,
    )
    ks = deficit_ks(mad[0], today_t.p_fraction)  # at today's trigger (the zone's, if set)
    if zone.mad_fraction is not None:  # the zone's setting, not the period, sets the trigger
        stage_text = (
            f"{today_t.stage}, Ky {today_t.ky:g}: trigger {mad[0]:.0%} of TAW by the zone's "
            f"mad_fraction (p {today_t.p_fraction:.0%})"
        )
    elif today_t.critical:
        stage_text = (
            f"{today_t.stage}, Ky {today_t.ky:g}: no deficit, trigger {mad[0]:.0%} of TAW "
            f"(p {today_t.p_fraction:.0%})"
        )
    elif today_t.deficit:
        stage_text = (
            f"{today_t.stage}, Ky {today_t.ky:g}: deficit allowed to {mad[0]:.0%} of TAW "
            f"(p {today_t.p_fraction:.0%}, Ks ≥ {ks:.2f})"
        )
    else:
        stage_text = f"{today_t.stage}, Ky {today_t.ky:g}: trigger {mad[0]:.0%} of TAW"
    numbers |= {
        "stage": today_t.stage,
        "ky": today_t.ky,
        "critical": today_t.critical,
        "deficit": mad[0] > today_t.p_fraction + 1e-9,
        "p_fraction": today_t.p_fraction,
        "ks_at_trigger": ks,
        "rain_expected_mm": rain_mm,
        "rain_expected_source": rain_source,
        "season_end_mm": refill.season_end_mm,
        "remaining_etc_mm": remaining_etc if in_last else None,
    }
    return ZoneTargets(mad, refill.fraction, f"{stage_text}; {refill.why()}", numbers)
