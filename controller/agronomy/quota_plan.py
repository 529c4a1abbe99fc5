"""What the quota changes in a plan (:mod:`controller.agronomy.planning`): the horizon's
triggers with the deficit placed, the runs cut to what is left, and the two alarms."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from controller.agronomy.quota import MIN_QUOTA_RUN_MIN, ZoneQuota
from controller.config.site import M2_PER_MU, ZoneConfig
from controller.store import Severity, Store
from models.crops import Crop
from models.planner.quota import trim_volumes

__all__ = ["QUOTA_PACE_REPEAT", "quota_alarms", "quota_mad", "raise_once", "trim_to_quota"]

QUOTA_PACE_REPEAT = dt.timedelta(days=7)  # a quota_pace alarm is repeated at most this often


def quota_mad(
    mad: tuple[float, ...], zone: ZoneConfig, crop: Crop, dap: int, quota: ZoneQuota
) -> tuple[float, ...]:
    """The horizon's triggers (day ``d`` is day ``dap + d`` of the crop) with the quota's
    deficit placed: a raised period's days take its raised trigger (critical periods are never
    raised, :mod:`models.planner.quota`)."""
    if zone.targets != "staged" or not crop.stages:
        return mad
    out = []
    for d, m in enumerate(mad):
        stage = crop.stage_on_day(dap + d)
        raised = quota.raised_mad(stage.name) if stage is not None else None
        out.append(m if raised is None else max(m, raised))
    return tuple(out)


def trim_to_quota(
    events: list[tuple[int, float, float]], zone: ZoneConfig, remaining_m3: float
) -> tuple[list[tuple[int, float, float]], str]:
    """The runs (start minute, minutes, gross mm) cut so their water at the zone's nominal flow
    never exceeds ``remaining_m3`` (runs cut below :data:`MIN_QUOTA_RUN_MIN` dropped), and the
    words when anything was cut."""
    flow = zone.nominal_flow_m3_h
    volumes = [minutes / 60.0 * flow for _s, minutes, _d in events]
    kept = trim_volumes(volumes, remaining_m3)
    out = []
    for (start, _minutes, depth), v, k in zip(events, volumes, kept, strict=True):
        m = k / flow * 60.0
        if m >= MIN_QUOTA_RUN_MIN:
            out.append((start, m, depth * (k / v) if v > 0 else 0.0))
    total_kept = sum(m / 60.0 * flow for _s, m, _d in out)
    if total_kept >= sum(volumes) - 1e-9:
        return out, ""
    mu = zone.area_m2_value / M2_PER_MU
    if not out:
        return out, f"no run: {remaining_m3 / mu:.1f} m³/mu left of the quota"
    return out, (
        f"cut to the quota: {total_kept:.0f} of {sum(volumes):.0f} m³ "
        f"({remaining_m3 / mu:.1f} m³/mu left)"
    )


def quota_alarms(store: Store, zone: str, quota: ZoneQuota, now: dt.datetime, tz: ZoneInfo) -> None:
    """``quota_exhausted`` (latched alarm) once a quota year when used up; else
    ``quota_pace`` (latched warning) when the projection exceeds the quota, at most every
    :data:`QUOTA_PACE_REPEAT` and never while one is open."""
    if quota.exhausted:
        raise_once(
            store,
            Severity.ALARM,
            "quota_exhausted",
            zone,
            quota.note(zone) + f" (until {quota.year_end})",
            since=dt.datetime.combine(quota.year_start, dt.time(), tzinfo=tz),
        )
    elif quota.pace.over_m3 > 0.0:
        mu = quota.area_mu
        raise_once(
            store,
            Severity.WARNING,
            "quota_pace",
            zone,
            f"{zone}: the season's pace would exceed the quota by "
            f"{quota.pace.over_m3 / mu:.0f} m³/mu (projected "
            f"{quota.pace.projected_m3 / mu:.0f} of {quota.per_mu:g}); {quota.note(zone)}",
            since=now - QUOTA_PACE_REPEAT,
        )


def raise_once(
    store: Store, severity: Severity, code: str, zone: str, message: str, *, since: dt.datetime
) -> None:
    """A latched event, unless one of ``code`` for ``zone`` is open or was raised since."""
    open_ = any(e.code == code and e.source == zone for e in store.open_alarms())
    recent = any(e.code == code and e.source == zone for e in store.events(since))
    if not (open_ or recent):
        store.raise_event(severity, code, zone, message, latched=True)
