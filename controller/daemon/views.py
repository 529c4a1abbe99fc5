"""Store rows and live state turned into the API's read models (``daemon.protocol`` DTOs)."""

from __future__ import annotations

from typing import Any

from controller.daemon.protocol import AlarmInfo, DecisionInfo, RunInfo, WaterBalanceInfo
from controller.store import Decision, Event, Run, StoreHealth, WaterBalanceDay
from models.crops import Crop

__all__ = [
    "STORAGE_ALARM_ID",
    "alarm_info",
    "decision_codes",
    "decision_info",
    "run_info",
    "stage_rows",
    "storage_alarm",
    "water_balance_info",
]

# The storage alarm lives in memory (the store cannot write it): no row, so no real id.
STORAGE_ALARM_ID = 0


def run_info(r: Run) -> RunInfo:
    assert r.id is not None
    return RunInfo(
        id=r.id,
        zone=r.zone,
        source=r.source,
        state=r.state,
        phase=r.phase,
        planned_min=r.planned_min,
        started_at=r.started_at,
        ended_at=r.ended_at,
        end_reason=r.end_reason,
        applied_m3=r.applied_m3,
        fertilizer=dict(r.fertilizer or {}),
    )


def decision_codes(inputs: dict[str, Any] | None) -> tuple[list[str], dict[str, str]]:
    """A decision's reason codes and their values from its recorded ``inputs`` (``reasons``,
    else ``reason``; ``reason_values``): none for a decision recorded without them."""
    inputs = inputs or {}
    codes = inputs.get("reasons") or ([inputs["reason"]] if inputs.get("reason") else [])
    values = inputs.get("reason_values") or {}
    return [str(c) for c in codes], {str(k): str(v) for k, v in values.items()}


def decision_info(d: Decision) -> DecisionInfo:
    assert d.id is not None
    return DecisionInfo(
        id=d.id,
        time=d.time,
        zone=d.zone,
        mode=d.mode,
        action=d.action,
        planned_start=d.planned_start,
        duration_min=d.duration_min,
        depth_mm=d.depth_mm,
        reason=d.reason,
        inputs=dict(d.inputs or {}),
    )


def alarm_info(e: Event) -> AlarmInfo:
    assert e.id is not None
    return AlarmInfo(
        id=e.id,
        time=e.time,
        severity=e.severity,
        code=e.code,
        source=e.source,
        message=e.message,
        latched=e.latched,
        acked_at=e.acked_at,
        acked_by=e.acked_by,
    )


def storage_alarm(h: StoreHealth) -> AlarmInfo | None:
    """The open ``store_unwritable`` alarm while the store cannot write, else None.

    It is not latched and cannot be acknowledged: it clears when writes succeed
    again, and the store then records the outage as a latched event of the same code."""
    if h.writable or h.failing_since is None:
        return None
    dropped = sum(h.dropped_records.values())
    return AlarmInfo(
        id=STORAGE_ALARM_ID,
        time=h.failing_since,
        severity="critical",
        code="store_unwritable",
        source="store",
        message=(
            f"cannot write the database: {h.last_error}; kept in memory: "
            f"{h.pending_records} records, {h.pending_readings} readings; dropped: "
            f"{dropped} records, {h.dropped_readings} readings; next try in "
            f"{h.retry_in_s:.0f} s"
        ),
        latched=False,
        acked_at=None,
        acked_by=None,
    )


def water_balance_info(w: WaterBalanceDay) -> WaterBalanceInfo:
    return WaterBalanceInfo(
        zone=w.zone,
        day=w.date,
        et0_mm=w.et0_mm,
        etc_mm=w.etc_mm,
        eta_mm=w.eta_mm,
        rain_mm=w.rain_mm,
        irrigation_mm=w.irrigation_mm,
        deep_percolation_mm=w.deep_percolation_mm,
        dr_end_mm=w.dr_end_mm,
        taw_mm=w.taw_mm,
        raw_mm=w.raw_mm,
        ks=w.ks,
    )


def stage_rows(tuned: Crop, default: Crop, dap: int) -> list[dict[str, Any]]:
    """The settings page's table of a zone's crop periods: per period ``name``, ``end_dap``,
    ``ky``, ``mad`` (fraction of TAW, as the site tunes it: ``tuned``), ``mad_default`` (what
    an emptied field returns to: ``default``, the site file's crop), ``tuned`` (the two
    differ), ``critical``, and ``today``: day ``dap`` after planting falls in it (none before
    planting or after the last period)."""
    defaults = {s.name: s.mad for s in default.stages}
    today = (
        tuned.stage_on_day(dap) if tuned.stages and 0 <= dap <= tuned.stages[-1].end_dap else None
    )
    return [
        {
            "name": s.name,
            "end_dap": s.end_dap,
            "ky": s.ky,
            "mad": s.mad,
            "mad_default": defaults.get(s.name, s.mad),
            "tuned": abs(s.mad - defaults.get(s.name, s.mad)) > 1e-9,
            "critical": s.critical,
            "today": today is not None and s.name == today.name,
        }
        for s in tuned.stages
    ]
