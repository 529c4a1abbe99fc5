"""What a season at agronomy fidelity reports: per zone water, the truth's ET and stress, the
runs and decisions (to compare with the full-stack season), and the time it took."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from controller.config.site import M2_PER_MU, ZoneConfig
from controller.simulation.truth import DayOutcome
from controller.store import Store

__all__ = [
    "DecisionRow",
    "FidelityReport",
    "FidelityZone",
    "RunRow",
    "decisions_of",
    "format_fidelity",
    "runs_of",
    "zone_report",
]


@dataclass(frozen=True, slots=True)
class RunRow:
    """A run the store recorded: zone, local start, planned minutes, gross depth (mm) and m³
    applied, fertilizer (kg per nutrient)."""

    zone: str
    start: dt.datetime
    minutes: float
    depth_mm: float
    applied_m3: float
    fertilizer: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """A recorded decision: zone, local time, action, local planned start, minutes, gross mm,
    and the root-zone depletion (mm) the planner saw, when it says."""

    zone: str
    time: dt.datetime
    action: str
    planned_start: dt.datetime | None
    minutes: float
    depth_mm: float
    dr_now_mm: float | None = None


def _local(t: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return (t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)).astimezone(tz)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def runs_of(
    store: Store, zone: ZoneConfig, start: dt.datetime, end: dt.datetime, tz: ZoneInfo
) -> list[RunRow]:
    """The zone's started runs created in ``[start, end)``, in order."""
    return [
        RunRow(
            zone=zone.name,
            start=_local(r.started_at, tz),
            minutes=r.planned_min,
            depth_mm=r.applied_m3 / zone.area_m2_value * 1000.0,
            applied_m3=r.applied_m3,
            fertilizer=dict(r.fertilizer or {}),
        )
        for r in store.runs(zone.name, start, end)
        if r.started_at is not None
    ]


def decisions_of(
    store: Store, zone: str, start: dt.datetime, end: dt.datetime, tz: ZoneInfo
) -> list[DecisionRow]:
    """The zone's recorded decisions in ``[start, end)``, in order."""
    return [
        DecisionRow(
            zone=zone,
            time=_local(d.time, tz),
            action=d.action,
            planned_start=_local(d.planned_start, tz) if d.planned_start else None,
            minutes=d.duration_min,
            depth_mm=d.depth_mm,
            dr_now_mm=_number(d.inputs.get("dr_now_mm")),
        )
        for d in store.decisions(zone, start, end)
    ]


@dataclass
class FidelityZone:
    """A zone's season at agronomy fidelity (mm unless named; days from planting or the first
    day, whichever is later). ``water_m3`` is the runs' applied m³ plus, for the conventional
    practice, the floods and the winter irrigation."""

    zone: str
    area_mu: float
    mode: str
    water_mm: float
    water_m3: float
    water_m3_per_mu: float
    rain_mm: float
    eta_mm: float
    etc_mm: float
    transpiration_mm: float
    soil_evaporation_mm: float
    drainage_mm: float
    runoff_mm: float
    storage_start_mm: float
    storage_end_mm: float
    stress_days: int
    critical_stress_days: int
    runs: list[RunRow] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    days: list[DayOutcome] = field(default_factory=list, repr=False)

    @property
    def closure_mm(self) -> float:
        """In − out − Δstorage over the season (0 when no water is lost), mm."""
        gain = self.rain_mm + self.water_mm
        loss = self.eta_mm + self.drainage_mm + self.runoff_mm
        return gain - loss - (self.storage_end_mm - self.storage_start_mm)

    @property
    def eta_ratio(self) -> float:
        """Actual over unstressed crop ET; :class:`ValueError` for a season with no ETc."""
        if not self.etc_mm > 0:
            raise ValueError(f"{self.zone}: no crop ET in the season: no ratio")
        return self.eta_mm / self.etc_mm

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("days", "runs", "decisions")}
        out["runs"] = len(self.runs)
        out["closure_mm"] = self.closure_mm
        return out


@dataclass
class FidelityReport:
    """The season per zone; ``elapsed_s`` is the wall time it took (s)."""

    scenario: str
    strategy: str
    seed: int
    start: dt.date
    end: dt.date
    zones: list[FidelityZone]
    overlaps: int  # runs started while another zone was watering
    refused: int  # planned runs not started (pump capacity, a fertigation run alone)
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "strategy": self.strategy,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "fidelity": "agronomy",
            "zones": [z.to_dict() for z in self.zones],
            "overlaps": self.overlaps,
            "refused": self.refused,
            "elapsed_s": self.elapsed_s,
        }


def zone_report(
    zone: ZoneConfig,
    days: Sequence[DayOutcome],
    store: Store,
    span: tuple[dt.datetime, dt.datetime],
    tz: ZoneInfo,
    *,
    extra_m3: float = 0.0,
) -> FidelityZone:
    """A zone's report from its truth's days (those from planting) and the store's runs and
    decisions in ``span`` (aware UTC); ``extra_m3`` is water not from runs (floods, winter)."""
    counted = [d for d in days if d.date >= zone.planting_date]
    if not counted:
        raise ValueError(f"{zone.name}: no day of the season on or after planting")
    runs = runs_of(store, zone, *span, tz)
    area_mu = zone.area_m2_value / M2_PER_MU
    water_m3 = sum(r.applied_m3 for r in runs) + extra_m3

    def total(key: str) -> float:
        return float(sum(getattr(d, key) for d in counted))

    return FidelityZone(
        zone=zone.name,
        area_mu=area_mu,
        mode=zone.mode,
        water_mm=total("irrigation_mm"),
        water_m3=water_m3,
        water_m3_per_mu=water_m3 / area_mu,
        rain_mm=total("rain_mm"),
        eta_mm=total("eta_mm"),
        etc_mm=total("etc_mm"),
        transpiration_mm=total("transpiration_mm"),
        soil_evaporation_mm=total("soil_evaporation_mm"),
        drainage_mm=total("drainage_mm"),
        runoff_mm=total("runoff_mm"),
        storage_start_mm=counted[0].storage_start_mm,
        storage_end_mm=counted[-1].storage_mm,
        stress_days=sum(d.stressed for d in counted),
        critical_stress_days=sum(d.stressed and d.critical for d in counted),
        runs=runs,
        decisions=decisions_of(store, zone.name, *span, tz),
        days=list(counted),
    )


def format_fidelity(r: FidelityReport) -> str:
    """A season at agronomy fidelity as a plain-text table (fixed width)."""
    lines = [
        f"{r.scenario}, strategy {r.strategy}, seed {r.seed}, {r.start} to {r.end} "
        f"(agronomy fidelity, {r.elapsed_s:.1f} s)",
        f"{'zone':<6}{'mode':<10}{'mm':>7}{'m³/mu':>8}{'rain':>7}{'ETc':>7}{'ETa':>7}"
        f"{'drain':>7}{'runoff':>7}{'store 0':>8}{'store 1':>8}{'stress d':>9}{'critical':>9}"
        f"{'runs':>6}",
    ]
    for z in r.zones:
        lines.append(
            f"{z.zone:<6}{z.mode:<10}{z.water_mm:>7.0f}{z.water_m3_per_mu:>8.0f}{z.rain_mm:>7.0f}"
            f"{z.etc_mm:>7.0f}{z.eta_mm:>7.0f}{z.drainage_mm:>7.0f}{z.runoff_mm:>7.0f}"
            f"{z.storage_start_mm:>8.0f}{z.storage_end_mm:>8.0f}{z.stress_days:>9d}"
            f"{z.critical_stress_days:>9d}{len(z.runs):>6d}"
        )
    if r.overlaps or r.refused:
        lines.append(
            f"runs started beside another zone's: {r.overlaps}; planned runs refused (pump "
            f"capacity, fertigation alone): {r.refused}"
        )
    return "\n".join(lines)
