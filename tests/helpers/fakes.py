"""An in-memory :class:`~controller.daemon.protocol.ControlService` for the API tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from controller.agronomy.cropstate import CropClock
from controller.agronomy.plausibility import quarantined_in
from controller.agronomy.quota import QuotaView
from controller.agronomy.savings import SavingsReport, ZoneSavings
from controller.agronomy.season_view import SeasonDay, SeasonToDate, ZoneStage
from controller.canopy.errors import NotAnImage
from controller.config.site import load_site
from controller.daemon.cropdesk import CropDesk
from controller.daemon.lookups import unknown
from controller.daemon.probes import ProbeDesk, SiteProbe
from controller.daemon.protocol import (
    AlarmInfo,
    CanopyPoint,
    CanopyView,
    ControlRefused,
    CropObservationInfo,
    DecisionInfo,
    DeviceStatus,
    NextRun,
    ProbeCalibrationInfo,
    ProbeSampleInfo,
    RunInfo,
    SiteStatus,
    WaterBalanceInfo,
    ZoneStatus,
)
from controller.daemon.views import stage_rows
from controller.learning.calibration import ProbeCalibrations, RawLookup
from controller.learning.flow import FlowStatus
from controller.store import Store, StoreError
from models.crops import crop, with_stage_mad
from tests.helpers.site import DEMO_SITE

NOW = datetime(2026, 5, 14, 6, 30, tzinfo=UTC)
# a drawn camera photo of zone z1 (maize on black mulch, cover 0.42)
CANOPY_PHOTO = Path(__file__).resolve().parent.parent / "data" / "canopy" / "20260514T063000Z.jpg"


def _zone(name: str, valve_on: bool) -> ZoneStatus:
    return ZoneStatus(
        name=name,
        label=f"Zone {name}",
        area_m2=6667.0,
        crop="seed_corn",
        mode="et",
        valve_on=valve_on,
        run_id=7 if valve_on else None,
        phase="water" if valve_on else None,
        remaining_s=1200.0 if valve_on else None,
        depletion_mm=41.5,
        taw_mm=120.0,
        raw_mm=48.0,
        moisture_pct={"0.2": 23.5, "0.4": None},
        next_run=NextRun(
            start=NOW + timedelta(hours=20),
            duration_min=38.0,
            depth_mm=19.0,
            reason="depletion 51 mm > RAW 48 mm",
        ),
        water_today_m3=12.5,
        water_season_m3=840.0,
        fertilizer_season_kg={"urea": 30.0},
    )


FAKE_PROBES = [
    SiteProbe("probe1a", "z1", 0.2),
    SiteProbe("probe1b", "z1", 0.4),
    SiteProbe("probe2a", "z2", 0.2),
    SiteProbe("probe1", "z2", 0.4),  # devices() lists it
]


SOIL_FITTED_AT = "2026-07-01T17:40:00+00:00"


def _quarantine_code(store: Store, device: str) -> str | None:
    """The probe's quarantine alarm code in ``store`` (the daemon's view of a doubted probe)."""
    alarm = quarantined_in(store).get(device)
    return None if alarm is None else alarm.code


def dry_down(fraction: float | None = None, phase: str | None = None) -> dict[str, Any]:
    """A zone's calibration dry-down as the service's ``soil_fit`` gives it (Dr 41 mm now)."""
    return {
        "fraction": fraction,
        "phase": phase,
        "since": "2026-06-28" if phase in ("holding", "done") else None,
        "ended": "2026-07-03" if phase == "done" else None,
        "why": "Dr 84 of 83 mm (80% of TAW) reached" if phase == "done" else "",
        "dr_mm": 41.0,
        "target_mm": None if fraction is None else fraction * 104.0,
    }


def soil_proposal(fitted_at: str = SOIL_FITTED_AT) -> dict[str, Any]:
    """A zone's soil proposal as :meth:`SoilProposal.numbers` gives it: the loam in use, a
    soil that holds less fitted from three dry-downs."""
    dates = [(date(2026, 6, 1) + timedelta(days=i)).isoformat() for i in range(9)]
    return {
        "zone": "z1",
        "fitted_at": fitted_at,
        "root_depth_m": 1.0,
        "before": {"fc_m3m3": 0.25, "wp_m3m3": 0.12, "kc_factor": 1.0, "taw_mm": 130.0,
                   "fc_se_m3m3": 0.0, "wp_se_m3m3": 0.0, "kc_factor_se": 0.0, "taw_se_mm": 0.0},
        "after": {"fc_m3m3": 0.205, "wp_m3m3": 0.104, "kc_factor": 1.08, "taw_mm": 101.0,
                  "fc_se_m3m3": 0.01, "wp_se_m3m3": 0.006, "kc_factor_se": 0.05,
                  "taw_se_mm": 9.0},
        "overrides": {"soil_fc_m3m3": 0.205, "soil_wp_m3m3": 0.104, "kc_factor": 1.08},
        "n_drydowns": 3,
        "reading_sd_pct": 0.3,
        "curves": [
            {
                "dates": dates,
                "observed_pct": [14.0, 22.0, 21.0, 20.2, 19.1, 18.0, 17.1, 16.4, 15.9],
                "fitted_pct": [None, None, None, None, 19.0, 18.1, 17.2, 16.5, 15.9],
                "water_mm": 40.5,
            }
        ]
        * 3,
    }  # fmt: skip


@dataclass
class FakeControlService:
    """Canned read models; control verbs are recorded in ``calls``.

    Set ``refuse`` to make every control verb raise it, or ``fail`` to make
    every method raise an unexpected exception.
    """

    zones_by_name: dict[str, ZoneStatus] = field(
        default_factory=lambda: {"z1": _zone("z1", True), "z2": _zone("z2", False)}
    )
    alarm_ids: set[int] = field(default_factory=lambda: {1})
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refuse: ControlRefused | StoreError | None = None  # raised by the control verbs
    fail: Exception | None = None
    quota_views: list[QuotaView] = field(default_factory=list)  # quotas(): none by default
    flow_status: dict[str, FlowStatus] = field(default_factory=dict)  # nothing learned yet
    # z1 has a camera (a failed attempt, then a photo); z2 none
    canopy_views: dict[str, CanopyView] = field(
        default_factory=lambda: {
            "z1": CanopyView(
                "z1",
                True,
                60.0,
                (
                    CanopyPoint(NOW - timedelta(hours=2), "ok", 0.3871, None),
                    CanopyPoint(NOW - timedelta(hours=1), "timeout", detail="no answer in 10 s"),
                    CanopyPoint(NOW, "ok", 0.4213, CANOPY_PHOTO.name),
                ),
                CANOPY_PHOTO.name,
            )
        }
    )
    canopy_photos: dict[tuple[str, str], Path] = field(
        default_factory=lambda: {("z1", CANOPY_PHOTO.name): CANOPY_PHOTO}
    )
    # settings() as the daemon gives them; None: a site without an injector
    fertigation: dict[str, Any] | None = field(
        default_factory=lambda: {
            "tanks": [{"name": "urea", "nutrient": "N"}, {"name": "potash", "nutrient": "K2O"}],
            "source_ec_ms_cm": 0.6,
            "ec_max_ms_cm": 3.5,
            "events": [
                {"label": "拔节肥", "day_after_planting": 35, "n_kg_mu": 1.5},
                {"label": "", "zones": ["z2"], "date": date(2026, 6, 20), "k2o_kg_mu": 1.0},
            ],
            "channels": [{"name": "N", "kind": "fertilizer", "stock_kg_l": 0.5}],
            "recipe_table": [{"name": "rig", "doses": [{"channel": "N", "l_m3": 1.0}]}],
        }
    )
    recipes: list[str] = field(default_factory=list)  # [[fertigation.recipes]] names
    mad_fraction: dict[str, float] = field(default_factory=dict)
    # zone: SoilProposal.numbers() (z1 has one; z2 none)
    soil_proposals: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"z1": soil_proposal()}
    )
    stage_mad: dict[str, float] = field(default_factory=dict)  # seed corn's tuned periods
    # settings()["site"]: [site] krs in use and where it came from (the demo site's: default)
    site_krs: dict[str, Any] = field(default_factory=lambda: {"krs": 0.16, "krs_from": "default"})
    # zone: its calibration dry-down as soil_fit gives it (none asked by default)
    dry_downs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _check(self) -> None:
        if self.fail is not None:
            raise self.fail

    def _control(self, verb: str, **args: Any) -> None:
        self._check()
        if self.refuse is not None:
            raise self.refuse
        self.calls.append((verb, args))

    def _known(self, zone: str) -> ZoneStatus:
        if zone not in self.zones_by_name:
            raise unknown("zone", zone=zone)
        return self.zones_by_name[zone]

    # -- reading ---------------------------------------------------------------
    def status(self) -> SiteStatus:
        self._check()
        return SiteStatus(
            site_id="ganzhou-01",
            name="Ganzhou demo",
            time=NOW,
            state="running",
            paused_until=None,
            open_alarms=1,
            weather={"air_temp_c": 21.5, "wind_m_s": None},
            et0_today_mm=6.2,
            active_runs=1,
        )

    def zones(self) -> list[ZoneStatus]:
        self._check()
        return list(self.zones_by_name.values())

    def zone(self, name: str) -> ZoneStatus:
        self._check()
        return self._known(name)

    def devices(self) -> list[DeviceStatus]:
        self._check()
        reading = {
            "point": "moisture",
            "value": 23.5,
            "decoded": 23.5,
            "unit": "%",
            "quality": "ok",
            "time": NOW,
            "detail": "",
        }
        return [
            DeviceStatus(
                name="probe1",
                bus="rs485a",
                unit=3,
                profile="soil_probe",
                kind="sensor",
                health={"ok": 120, "errors": 0, "last_ok": NOW},
                readings=[reading],
            )
        ]

    def runs(self, zone: str | None = None, limit: int = 50) -> list[RunInfo]:
        self._check()
        run = RunInfo(
            id=7,
            zone="z1",
            source="manual",
            state="running",
            phase="water",
            planned_min=30.0,
            started_at=NOW,
            ended_at=None,
            end_reason="",
            applied_m3=None,
            fertilizer={"urea": 1.5},
        )
        return [run][:limit] if zone in (None, "z1") else []

    def decisions(self, zone: str | None = None, limit: int = 50) -> list[DecisionInfo]:
        self._check()
        decision = DecisionInfo(
            id=3,
            time=NOW,
            zone="z1",
            mode="auto",
            action="irrigate",
            planned_start=NOW + timedelta(hours=20),
            duration_min=38.0,
            depth_mm=19.0,
            reason="depletion 51 mm > RAW 48 mm",
            inputs={"et0_mm": 6.2, "kc": 1.15},
        )
        return [decision][:limit] if zone in (None, "z1") else []

    def alarms(self, open_only: bool = False, limit: int = 100) -> list[AlarmInfo]:
        self._check()
        alarm = AlarmInfo(
            id=1,
            time=NOW,
            severity="alarm",
            code="dry_run",
            source="z1",
            message="no flow with valve open",
            latched=True,
            acked_at=None,
            acked_by=None,
        )
        self.calls.append(("alarms", {"open_only": open_only, "limit": limit}))
        return [alarm]

    def water_balance(self, zone: str, days: int = 30) -> list[WaterBalanceInfo]:
        self._check()
        self._known(zone)
        self.calls.append(("water_balance", {"zone": zone, "days": days}))
        return [
            WaterBalanceInfo(
                zone=zone,
                day=date(2026, 5, 13),
                et0_mm=6.1,
                etc_mm=5.2,
                eta_mm=5.0,
                rain_mm=0.0,
                irrigation_mm=19.0,
                deep_percolation_mm=0.0,
                dr_end_mm=41.5,
                taw_mm=120.0,
                raw_mm=48.0,
                ks=1.0,
            )
        ]

    def settings(self) -> dict[str, Any]:
        self._check()
        zones = {
            name: {
                "label": z.label,
                "crop": "seed_corn",
                "planting_date": date(2026, 4, 20),
                "mode": "et",
                "max_run_min": 240.0,
                "mad_fraction": self.mad_fraction.get(name),
                "crop_p": 0.55,
                "mad_site_file": None,
                "targets": "staged",
                "targets_site_file": "staged",
                "dap": (NOW.date() - date(2026, 4, 20)).days,
                "stages": stage_rows(
                    with_stage_mad(crop("seed_corn"), self.stage_mad),
                    crop("seed_corn"),
                    (NOW.date() - date(2026, 4, 20)).days,
                ),
            }
            for name, z in self.zones_by_name.items()
        }
        plan = self.fertigation
        return {
            "zones": zones,
            "policy": {"probe_weight": 0.5, "rain_skip_mm": 5.0},
            "site": dict(self.site_krs),
            "crops": ["seed_corn", "cotton"],
            "fertigation": None
            if plan is None
            else {**plan, "events": list(plan["events"]), "recipes": list(self.recipes)},
        }

    # -- control ---------------------------------------------------------------
    def start_zone(
        self,
        zone: str,
        minutes: float,
        actor: str,
        *,
        volume_m3: float | None = None,
        volume_mm: float | None = None,
        recipe: str | None = None,
    ) -> int:
        self._known(zone)
        if recipe is not None and recipe not in self.recipes:  # as the daemon refuses it
            raise ControlRefused(f"no recipe {recipe!r} in fertigation.recipes", "unknown_recipe")
        volume: dict[str, object] = {"volume_m3": volume_m3} if volume_m3 is not None else {}
        volume |= {"volume_mm": volume_mm} if volume_mm is not None else {}
        volume |= {"recipe": recipe} if recipe is not None else {}
        self._control("start_zone", zone=zone, minutes=minutes, actor=actor, **volume)
        return 8

    def stop_zone(self, zone: str, actor: str) -> None:
        self._known(zone)
        self._control("stop_zone", zone=zone, actor=actor)

    def stop_all(self, actor: str) -> None:
        self._control("stop_all", actor=actor)

    def pause(self, hours: float, actor: str) -> datetime:
        self._control("pause", hours=hours, actor=actor)
        return NOW + timedelta(hours=hours)

    def resume(self, actor: str) -> None:
        self._control("resume", actor=actor)

    def confirm_time(self, actor: str) -> None:
        self._control("confirm_time", actor=actor)

    def ack_alarm(self, alarm_id: int, actor: str) -> None:
        if alarm_id not in self.alarm_ids:
            raise unknown("alarm", alarm=str(alarm_id))
        self._control("ack_alarm", alarm_id=alarm_id, actor=actor)

    def post_forecast(self, days: list[dict[str, Any]], actor: str) -> int:
        self._control("post_forecast", days=days, actor=actor)
        return len(days)

    # -- soil probes: the real desk over a store (probe_store), the demo site's four probes
    probe_store: Store | None = None
    _desk: ProbeDesk | None = None

    def desk(self) -> ProbeDesk:
        if self._desk is None:
            if self.probe_store is None:
                raise RuntimeError("FakeControlService.probe_store is not set")
            store = self.probe_store
            self._desk = ProbeDesk(
                store,
                ProbeCalibrations(store),
                lambda: FAKE_PROBES,
                lambda: RawLookup(doubted=lambda d, _p: _quarantine_code(store, d)),
            )
        return self._desk

    def probe_calibrations(self) -> list[ProbeCalibrationInfo]:
        self._check()
        return self.desk().calibrations_info()

    def probe_samples(self, probe: str) -> list[ProbeSampleInfo]:
        self._check()
        return self.desk().samples(probe)

    def soil_fit(self, zone: str) -> dict[str, Any]:
        self._check()
        self._known(zone)
        return {
            "enabled": True,
            "status": "fitted on 3 dry-downs" if zone in self.soil_proposals else None,
            "checked_at": None,
            "in_use": {
                "soil": "loam",
                "fc_m3m3": 0.25,
                "wp_m3m3": 0.12,
                "kc_factor": 1.0,
                "approved": False,
            },
            "probe_weight": 0.0,
            "proposal": self.soil_proposals.get(zone),
            "dry_down": self.dry_downs.get(zone, dry_down()),
        }

    def request_dry_down(self, zone: str, fraction: float, actor: str) -> dict[str, Any]:
        self._known(zone)
        self._control("request_dry_down", zone=zone, fraction=fraction, actor=actor)
        self.dry_downs[zone] = dry_down(fraction, "requested")
        return self.dry_downs[zone]

    def withdraw_dry_down(self, zone: str, actor: str) -> dict[str, Any]:
        self._known(zone)
        self._control("withdraw_dry_down", zone=zone, actor=actor)
        asked = self.dry_downs.get(zone, dry_down())
        if asked["fraction"] is None or asked["phase"] == "done":
            raise ControlRefused(f"{zone}: no calibration dry-down to withdraw", "no_dry_down")
        self.dry_downs[zone] = {
            **dry_down(asked["fraction"], "done"),
            "why": f"withdrawn by {actor}",
        }
        return self.dry_downs[zone]

    def approve_soil(self, zone: str, fitted_at: datetime, actor: str) -> dict[str, float]:
        self._known(zone)
        self._control("approve_soil", zone=zone, fitted_at=fitted_at, actor=actor)
        proposal = self.soil_proposals.get(zone)
        if proposal is None:
            raise ControlRefused(f"{zone}: no soil fit to approve", "no_proposal")
        if proposal["fitted_at"] != fitted_at.isoformat():
            raise ControlRefused(f"{zone}: the fit shown was replaced", "stale_proposal")
        values: dict[str, float] = proposal["overrides"]
        return values

    def add_probe_sample(
        self,
        probe: str,
        theta_pct: float,
        method: str,
        at: datetime | None,
        raw_pct: float | None,
        note: str,
        actor: str,
    ) -> ProbeSampleInfo:
        self._control("add_probe_sample", probe=probe, actor=actor)
        return self.desk().add(probe, theta_pct, method, at, raw_pct, note, actor)

    # -- crop observations: the real desk over probe_store, the demo site's zones, no station;
    # photos beside the store's database (a store opened with Store.open_dir)
    _crop_desk: CropDesk | None = None

    def crop_desk(self) -> CropDesk:
        if self._crop_desk is None:
            if self.probe_store is None:
                raise RuntimeError("FakeControlService.probe_store is not set")
            site = load_site(DEMO_SITE)
            zones = {z.name: z for z in site.zones if z.name in self.zones_by_name}
            clock = CropClock(
                self.probe_store, lambda _d: (None, None, True), lambda z: site.crop(z.crop)
            )
            data_dir = Path(self.probe_store.url.removeprefix("sqlite:///")).parent
            self._crop_desk = CropDesk(
                self.probe_store, clock, lambda: zones, lambda: NOW.date(), data_dir
            )
        return self._crop_desk

    def crop_observations(self, zone: str) -> list[CropObservationInfo]:
        self._check()
        return self.crop_desk().observations(zone)

    def crop_view(self, zone: str) -> dict[str, Any]:
        self._check()
        return self.crop_desk().view(zone)

    def crop_photo(self, zone: str, observation_id: int) -> tuple[bytes, str]:
        self._check()
        return self.crop_desk().photo(zone, observation_id)

    def add_crop_observation(
        self,
        zone: str,
        stage: str,
        observed_on: date,
        note: str,
        photo: bytes | None,
        actor: str,
        *,
        confirm: bool = False,
    ) -> CropObservationInfo:
        self._known(zone)
        self._control("add_crop_observation", zone=zone, stage=stage, actor=actor)
        return self.crop_desk().add(zone, stage, observed_on, note, photo, actor, confirm=confirm)

    def delete_crop_observation(
        self, zone: str, observation_id: int, actor: str
    ) -> CropObservationInfo:
        self._known(zone)
        self._control("delete_crop_observation", zone=zone, actor=actor)
        return self.crop_desk().delete(zone, observation_id, actor)

    def season_to_date(self) -> SeasonToDate:
        self._check()
        first = date(2026, 4, 20)
        return SeasonToDate(
            as_of=NOW.date(),
            days=[
                SeasonDay(first, 0.0, 100.0),
                SeasonDay(first + timedelta(days=1), 20.0, 100.0),
                SeasonDay(first + timedelta(days=2), 100.0, 190.0),
            ],
            fertilizer_given_kg_mu={"N": 4.5},
            fertilizer_plan_kg_mu={"N": 6.0},
            stages=[ZoneStage("z1", "1号地", "seed_corn", 30, "dev")],
        )

    def quotas(self) -> list[QuotaView]:
        self._check()
        return list(self.quota_views)

    def flow_signature(self, zone: str) -> FlowStatus:
        self._check()
        self._known(zone)
        return self.flow_status.get(zone, FlowStatus(zone, 0, 5))

    def canopy(self, zone: str, days: int = 30) -> CanopyView:
        self._check()
        self._known(zone)
        self.calls.append(("canopy", {"zone": zone, "days": days}))
        return self.canopy_views.get(zone, CanopyView(zone, False, None))

    def add_canopy_photo(self, zone: str, photo: bytes, actor: str) -> CanopyPoint:
        self._check()
        self._known(zone)
        self.calls.append(("add_canopy_photo", {"zone": zone, "bytes": len(photo), "actor": actor}))
        if not photo.startswith((b"\xff\xd8", b"\x89PNG")):
            raise NotAnImage(f"uploaded by {actor}: not a JPEG or PNG picture", url=actor)
        return CanopyPoint(NOW, "ok", 0.5, "20260514T063000Z.jpg", f"uploaded by {actor}")

    def canopy_photo(self, zone: str, name: str | None = None) -> Path:
        self._check()
        self._known(zone)
        view = self.canopy_views.get(zone)
        key = name if name is not None else (view.latest_photo if view else None)
        if key is None or (zone, key) not in self.canopy_photos:
            if name is None:
                raise unknown("zone_newest_photo", zone=zone)
            raise unknown("zone_photo", photo=name, zone=zone)
        return self.canopy_photos[(zone, key)]

    def savings(self) -> SavingsReport:
        self._check()
        zone = ZoneSavings(
            zone="z1",
            area_mu=25.0,
            since=date(2026, 4, 20),
            applied_m3=2500.0,
            applied_m3_per_mu=100.0,
            baseline_m3_per_mu=190.0,
            saving_m3_per_mu=90.0,
            events_counted=["2026-06-01 90 m³/mu"],
        )
        return SavingsReport(
            as_of=NOW.date(),
            baseline="border irrigation",
            zones=[zone],
            applied_m3_per_mu=100.0,
            baseline_m3_per_mu=190.0,
            saving_m3_per_mu=90.0,
            assumptions=["winter irrigation counted once the season started"],
        )
