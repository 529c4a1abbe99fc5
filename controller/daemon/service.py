"""The daemon as the HTTP API sees it: :class:`controller.daemon.protocol.ControlService`.

Read models come from the store and the live state; control verbs go to the
sequencer (behind the supervisor's gate) and are audited with the actor.
Safe to call from several threads (the API runs handlers in a pool).
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from controller.agronomy.drydown import dry_down_refusal, withdrawn
from controller.agronomy.jobs import ForecastDay
from controller.agronomy.quota import QuotaView, quota_views
from controller.agronomy.savings import SavingsReport, savings_to_date
from controller.agronomy.season_view import SeasonToDate, season_to_date
from controller.agronomy.types import PROBE_POINT
from controller.agronomy.weather import day_bounds, rain_between
from controller.config import overrides
from controller.config.site import EDITABLE, ConfigError, SiteConfig, ZoneConfig, apply_overrides
from controller.config.soil import configured_soil
from controller.daemon.cropdesk import CropDesk
from controller.daemon.daemon import Daemon, Job
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
    ProbeDoubt,
    ProbeSampleInfo,
    RunInfo,
    SettingsInvalid,
    SiteStatus,
    WaterBalanceInfo,
    ZoneStatus,
)
from controller.daemon.settingsfile import CHECK_EVERY_S, SettingsFileWatch
from controller.daemon.views import (
    alarm_info,
    decision_codes,
    decision_info,
    run_info,
    stage_rows,
    storage_alarm,
    water_balance_info,
)
from controller.learning.calibration import raw_lookup
from controller.learning.flow import FlowStatus
from controller.runtime.dosing import ChannelRecipe
from controller.runtime.live import display_max_age_s
from controller.runtime.sequencer import SequencerError
from controller.store import (
    DecisionAction,
    NotFound,
    RunStateError,
    StoreError,
    StoreWriteError,
)
from models.crops import crop, crop_keys
from models.learning.errors import LearnedModelError, LearningInputError

__all__ = ["DaemonService", "krs_from"]

log = logging.getLogger(__name__)
CANOPY_MAX_POINTS = 5000  # the newest attempts read for a page: hourly, seven months

WEATHER_POINTS = ("air_temperature", "humidity", "wind_speed", "rain", "solar_radiation")
HISTORY_DAYS = 400  # how far back "latest N" lists look


class DaemonService:
    """Implements :class:`controller.daemon.protocol.ControlService` over a :class:`Daemon`."""

    def __init__(
        self, daemon: Daemon, *, data_dir: Path | None = None, site_file: SiteConfig | None = None
    ) -> None:
        """``data_dir`` keeps settings changed from the pages (``site.overrides.toml``).

        ``site_file`` is the site as its file says, before the saved settings were laid
        over it (default: the daemon's site, when it runs without saved settings). Each
        change is laid over it afresh, so a setting taken back to "not set" (a key removed
        from the saved file) returns to the site file's value.
        """
        self.d = daemon
        self.data_dir = data_dir
        self.site_file = site_file if site_file is not None else daemon.site
        self._settings_lock = threading.Lock()
        # the settings file written by another process (the CLI, a hand edit): taken up
        self._watch: SettingsFileWatch | None = None
        if data_dir is not None:
            self._watch = SettingsFileWatch(data_dir / overrides.OVERRIDES_FILE)
            if not self._runs_the_file(data_dir):  # written while the daemon started
                self._watch.unseen()
            daemon.add_task(Job("settings_file", self.reload_settings_file, CHECK_EVERY_S))
        self._probes = ProbeDesk(
            daemon.store,
            daemon.agronomy.probes,
            lambda: [
                SiteProbe(p.device, z.name, p.depth_m) for z in self.site.zones for p in z.probes
            ],
            lambda: raw_lookup(self.site, self._live_value, self._probe_doubt),
        )

        self._crops = CropDesk(
            daemon.store,
            daemon.agronomy.crop_clock,
            lambda: self._zones,
            lambda: daemon.agronomy.local_date(daemon.clock.now()),
            data_dir,
        )

    def _runs_the_file(self, data_dir: Path) -> bool:
        """Whether the daemon's site is the site file with the saved settings as they are
        now (else the file changed between the daemon's start and this service)."""
        try:
            return bool(overrides.apply_saved(self.site_file, data_dir).model == self.d.site.model)
        except ConfigError:
            return False

    def _live_value(self, device: str, point: str) -> float | None:
        """The point's good live value (unit as read), if the pages would show it now."""
        max_age = display_max_age_s(self.site, device)
        return self.d.live.value(device, point, self.d.clock.now(), max_age)

    def _probe_doubt(self, device: str, point: str) -> str | None:
        """Why the controller doubts the soil probe ``device`` now (:meth:`_doubted`, the
        zones' one view: its quarantine's alarm code, or ``sensor_fault``); ``None`` if it
        does not. ``point``: every soil probe's is its moisture, which is what is doubted."""
        for z in self.site.zones:
            if any(p.device == device for p in z.probes):
                for doubt in self._doubted(z).values():
                    if doubt.device == device:
                        return doubt.code
        return None

    @property
    def site(self) -> SiteConfig:
        """The daemon's site as it is now: settings applied through any service (the
        pages', the MQTT bridge's) show in all of them."""
        return self.d.site

    @property
    def _zones(self) -> dict[str, Any]:
        return {z.name: z for z in self.d.site.zones}

    # -- reading --------------------------------------------------------------------
    def _rain_today_mm(self, station: str, today: date, now: datetime) -> float | None:
        """Rain (mm) the station's counter rose since local midnight; None if unknown."""
        start, _ = day_bounds(today, self.site.site.tz)
        try:
            mm, hours = rain_between(self.d.store, station, start, now)
        except StoreError:  # the status must answer even when the store does not
            return None
        return mm if hours else None

    def status(self) -> SiteStatus:
        now = self.d.clock.now()
        clock = self.d.time_trust.verdict()
        alarms: list[object] = list(self.d.store.open_alarms())
        storage = storage_alarm(self.d.store_health())
        if storage is not None:
            alarms.append(storage)
        paused = self.d.sequencer.paused_until
        state = "alarm" if alarms else "paused" if paused else "running"
        weather: dict[str, float | None] = {}
        station = self.site.weather.station if self.site.weather else None
        if station:
            max_age = display_max_age_s(self.site, station)
            for point in WEATHER_POINTS:
                if self.d.live.get(station, point) is not None:  # a point the station has
                    weather[point] = self.d.live.value(station, point, now, max_age)
        today = self.d.agronomy.local_date(now)
        if station and "rain" in weather:  # the gauge is a counter: today's is its increase
            weather["rain_today_mm"] = self._rain_today_mm(station, today, now)
        et0_today = None
        if self.site.zones:
            rows = self.d.store.water_balance(self.site.zones[0].name, today, today + timedelta(1))
            et0_today = rows[-1].et0_mm if rows else None
        return SiteStatus(
            site_id=self.site.site.id,
            name=self.site.site.name,
            time=now,
            state=state,
            paused_until=paused,
            open_alarms=len(alarms),
            weather=weather,
            et0_today_mm=et0_today,
            active_runs=len(self.d.sequencer.active()),
            clock_trusted=clock.trusted,
            clock_note=clock.reason or clock.condition,
            offline_devices=self.d.poller.offline_since(),
        )

    def _zone_cfg(self, name: str) -> Any:
        try:
            return self._zones[name]
        except KeyError:
            raise unknown("zone", zone=name) from None

    def zones(self) -> list[ZoneStatus]:
        return [self.zone(z.name) for z in self.site.zones]

    def zone(self, name: str) -> ZoneStatus:
        z = self._zone_cfg(name)
        now = self.d.clock.now()
        active = {a.zone: a for a in self.d.sequencer.active()}.get(name)
        wb = self.d.store.water_balance(name)
        last = wb[-1] if wb else None
        moisture: dict[str, float | None] = {}
        for p in z.probes:
            max_age = display_max_age_s(self.site, p.device)
            raw = self.d.live.value(p.device, "moisture", now, max_age)
            moisture[f"{p.depth_m:g}"] = (
                None if raw is None else self.d.agronomy.probes.theta_pct(p.device, raw)
            )
        doubted = self._doubted(z)
        tz = self.site.site.tz
        midnight = datetime.combine(now.astimezone(tz).date(), time(), tz)
        season_start = datetime.combine(z.planting_date, time(), tz)
        runs = self.d.store.runs(name, min(season_start, midnight))
        today_m3 = sum(r.applied_m3 for r in runs if r.created_at >= midnight)
        fert: dict[str, float] = {}
        for r in runs:
            for nutrient, kg in (r.fertilizer or {}).items():
                fert[nutrient] = fert.get(nutrient, 0.0) + kg
        return ZoneStatus(
            name=name,
            label=z.label,
            area_m2=z.area_m2_value,
            crop=z.crop,
            mode=z.mode,
            valve_on=self.d.outputs.is_on(f"valve:{name}"),
            run_id=active.run_id if active else None,
            phase=str(active.phase) if active else None,
            remaining_s=active.remaining_s if active else None,
            depletion_mm=last.dr_end_mm if last else None,
            taw_mm=last.taw_mm if last else None,
            raw_mm=last.raw_mm if last else None,
            moisture_pct=moisture,
            next_run=self._next_run(name, now),
            water_today_m3=today_m3,
            water_season_m3=sum(r.applied_m3 for r in runs if r.created_at >= season_start),
            fertilizer_season_kg=fert,
            doubted=doubted,
        )

    def _next_run(self, name: str, now: datetime) -> NextRun | None:
        """The zone's first queued run; else the run its latest decision deferred to (that
        decision's ``deferred_to``, still ahead), said as deferred."""
        planned = next((r for r in self.d.planned() if r.zone == name), None)
        if planned is not None:
            decided = (
                self.d.store.decision(planned.decision_id)
                if planned.decision_id is not None
                else None
            )
            reason = decided.reason if decided is not None else ""
            codes, values = decision_codes(decided.inputs if decided is not None else None)
            return NextRun(
                planned.start, planned.duration_min, planned.depth_mm, reason, codes, values
            )
        if not self._deferred_may_run(name):
            return None
        last = self.d.store.last_decision(name)
        if last is None or last.action != DecisionAction.DEFER:
            return None
        inputs = last.inputs or {}
        try:
            at = datetime.fromisoformat(str(inputs["deferred_to"]))
        except (KeyError, ValueError):  # a deferral with no run ahead, or an older record
            return None
        paused = self.d.sequencer.paused_until
        if at.tzinfo is None or at <= now or (paused is not None and paused >= at):
            return None
        codes, values = decision_codes(inputs)
        minutes, depth = inputs.get("deferred_min"), inputs.get("deferred_depth_mm")
        return NextRun(
            at,
            float(minutes) if isinstance(minutes, int | float) else None,
            float(depth) if isinstance(depth, int | float) else None,
            last.reason,
            codes,
            values,
            deferred=True,
        )

    def _deferred_may_run(self, name: str) -> bool:
        """Can a deferred decision's run still come: the planner plans the zone (``et``,
        ``sensor``) and the wall clock is trusted (else it plans nothing and queues nothing,
        so a deferral recorded before says nothing of what comes)."""
        zone = next((z for z in self.site.zones if z.name == name), None)
        if zone is None or zone.mode not in ("et", "sensor"):
            return False
        return self.d.time_trust.verdict().trusted

    def _doubted(self, z: ZoneConfig) -> dict[str, ProbeDoubt]:
        """The zone's probes (by depth, as ``moisture_pct``) the controller doubts: those the
        plausibility rules quarantined (:meth:`Plausibility.quarantined`, what the balance and
        the planner leave out) and those whose moisture reads implausibly
        (:meth:`Poller.sensor_faults`)."""
        try:
            quarantined = self.d.agronomy.plausibility.quarantined()
        except StoreError:  # the zone must answer even when the store does not
            log.exception("zone: cannot read the quarantined probes")
            quarantined = {}
        faults = self.d.poller.sensor_faults()
        out: dict[str, ProbeDoubt] = {}
        for p in z.probes:
            depth = f"{p.depth_m:g}"
            event = quarantined.get(p.device)
            if event is not None:
                out[depth] = ProbeDoubt(p.device, event.code, event.id, event.time)
            elif f"{p.device}.{PROBE_POINT}" in faults:
                out[depth] = ProbeDoubt(p.device, "sensor_fault")
        return out

    def devices(self) -> list[DeviceStatus]:
        health = self.d.fieldio.health()
        snapshot = self.d.live.snapshot()
        out = []
        for dev in self.site.devices:
            profile = self.site.profiles[dev.name]
            readings = []
            for p in profile.points:
                st = snapshot.get((dev.name, p.name))
                if st is None:
                    continue
                r = st.latest
                readings.append(
                    {
                        "point": r.point,
                        "value": r.value,
                        "decoded": r.decoded,
                        "unit": r.unit,
                        "quality": r.quality.value,
                        "time": r.time,
                        "detail": r.detail,
                    }
                )
            out.append(
                DeviceStatus(
                    name=dev.name,
                    bus=dev.bus,
                    unit=dev.unit,
                    profile=profile.name,
                    kind=profile.kind,
                    health=health[dev.bus][dev.name],
                    readings=readings,
                )
            )
        return out

    def _since(self) -> datetime:
        return self.d.clock.now() - timedelta(days=HISTORY_DAYS)

    def runs(self, zone: str | None = None, limit: int = 50) -> list[RunInfo]:
        if zone is not None:
            self._zone_cfg(zone)
        rows = self.d.store.runs(zone, self._since())
        return [run_info(r) for r in reversed(rows[-limit:])]

    def decisions(self, zone: str | None = None, limit: int = 50) -> list[DecisionInfo]:
        if zone is not None:
            self._zone_cfg(zone)
        rows = self.d.store.decisions(zone, self._since())
        return [decision_info(d) for d in reversed(rows[-limit:])]

    def alarms(self, open_only: bool = False, limit: int = 100) -> list[AlarmInfo]:
        """Newest first; the in-memory storage alarm first of all while the store cannot write."""
        rows = self.d.store.open_alarms() if open_only else self.d.store.events(self._since())
        storage = storage_alarm(self.d.store_health())
        listed = [alarm_info(e) for e in reversed(rows[-limit:])]
        return ([storage] if storage is not None else []) + listed

    def water_balance(self, zone: str, days: int = 30) -> list[WaterBalanceInfo]:
        self._zone_cfg(zone)
        today = self.d.agronomy.local_date(self.d.clock.now())
        rows = self.d.store.water_balance(zone, today - timedelta(days=days), today + timedelta(1))
        return [water_balance_info(w) for w in rows]

    def savings(self) -> SavingsReport:
        return savings_to_date(self.site, self.d.store, self.d.clock.now())

    def season_to_date(self) -> SeasonToDate:
        return season_to_date(self.site, self.d.store, self.d.clock.now())

    def quotas(self) -> list[QuotaView]:
        return quota_views(self.site, self.d.store, self.d.clock.now())

    def flow_signature(self, zone: str) -> FlowStatus:
        return self.d.flow_learning.status(self._zone_cfg(zone).name)

    def canopy(self, zone: str, days: int = 30) -> CanopyView:
        z = self._zone_cfg(zone)
        since = self.d.clock.now() - timedelta(days=days)
        records = self.d.canopy.records
        points = tuple(
            CanopyPoint(r.at, r.status, r.cover, r.image, r.detail)
            for r in records.series(z.name, limit=CANOPY_MAX_POINTS)
            if r.at >= since
        )
        latest = records.latest_photo(z.name)
        return CanopyView(
            zone=z.name,
            camera=z.camera is not None,
            interval_min=z.camera.interval_min if z.camera is not None else None,
            points=points,
            latest_photo=latest.name if latest is not None else None,
        )

    def canopy_photo(self, zone: str, name: str | None = None) -> Path:
        z = self._zone_cfg(zone)
        records = self.d.canopy.records
        path = records.latest_photo(z.name) if name is None else records.photo(z.name, name)
        if path is None:
            if name is None:
                raise unknown("zone_newest_photo", zone=z.name)
            raise unknown("zone_photo", photo=name, zone=z.name)
        return path

    def add_canopy_photo(self, zone: str, photo: bytes, actor: str) -> CanopyPoint:
        z = self._zone_cfg(zone)
        try:
            got = self.d.canopy.estimate_photo(z, photo, source=f"uploaded by {actor}")
        except (LearnedModelError, LearningInputError) as exc:
            raise ControlRefused(f"no canopy classifier: {exc}", "no_classifier") from exc
        except OSError as exc:
            raise ControlRefused(f"photo not stored: {exc}", "not_stored") from exc
        self.d.store.record_audit(actor, "canopy.upload", {"zone": z.name, "cover": got.cover})
        return CanopyPoint(got.at, got.status, got.cover, got.image, got.detail)

    def moisture_history(self, zone: str, days: int = 7) -> dict[str, list[tuple[datetime, float]]]:
        z = self._zone_cfg(zone)
        end = self.d.clock.now()
        start = end - timedelta(days=days)
        out: dict[str, list[tuple[datetime, float]]] = {}
        for p in z.probes:  # θ: good readings through the probe's calibration
            out[f"{p.depth_m:g}"] = self.d.agronomy.probes.good_values(
                p.device, "moisture", start, end
            )
        return out

    def soil_fit(self, zone: str) -> dict[str, Any]:
        z = self._zone_cfg(zone)
        fc, wp = configured_soil(z)
        return {
            "enabled": self.site.learning.soil.enabled,
            **self.d.soil_learning.page(z.name),
            "in_use": {
                "soil": z.soil,
                "fc_m3m3": fc,
                "wp_m3m3": wp,
                "kc_factor": z.kc_factor,
                "approved": z.soil_fc_m3m3 is not None,
            },
            "probe_weight": self.site.policy.probe_weight,
            "dry_down": self._dry_down(z),
        }

    def _dry_down(self, z: ZoneConfig) -> dict[str, Any]:
        state = self.d.agronomy.planning.drydowns.get(z.name)
        last = self.d.store.last_water_balance(z.name)
        fraction = z.calibration_dry_down
        return {
            "fraction": fraction,
            "phase": None if fraction is None or state is None else state.phase,
            "since": None if state is None else state.since,
            "ended": None if state is None else state.ended,
            "why": "" if state is None else state.why,
            "dr_mm": None if last is None else last.dr_end_mm,
            "target_mm": None if last is None or fraction is None else fraction * last.taw_mm,
        }

    def request_dry_down(self, zone: str, fraction: float, actor: str) -> dict[str, Any]:
        z = self._zone_cfg(zone)
        if z.mode != "et":
            raise ControlRefused(dry_down_refusal(z), "dry_down_et_only")
        states = self.d.agronomy.planning.drydowns
        before = states.get(z.name)
        states.request(z.name, fraction, self.d.clock.now())  # the re-plan below sees it
        try:
            self.apply_settings({"zones": {z.name: {"calibration_dry_down": fraction}}}, actor)
        except Exception:
            if before is None:
                states.forget(z.name)
            else:
                states.put(before)
            raise
        self.d.store.record_audit(actor, "soil.calibrate", {"zone": z.name, "fraction": fraction})
        return self._dry_down(self._zone_cfg(z.name))

    def withdraw_dry_down(self, zone: str, actor: str) -> dict[str, Any]:
        z = self._zone_cfg(zone)
        states = self.d.agronomy.planning.drydowns
        state = states.get(z.name)
        fraction = z.calibration_dry_down
        if fraction is None or (state is not None and state.phase == "done"):
            raise ControlRefused(
                f"{z.name}: no calibration dry-down asked or holding to withdraw", "no_dry_down"
            )
        today = self.d.agronomy.local_date(self.d.clock.now())
        done = withdrawn(z.name, state, fraction, today, actor)
        states.put(done)
        self.d.store.record_audit(
            actor,
            "soil.calibrate_withdraw",
            {"zone": z.name, "fraction": fraction, "phase": None if state is None else state.phase},
        )
        self._replan("withdrawing a calibration dry-down")
        return self._dry_down(z)

    def _replan(self, after: str) -> None:
        """Plan again now (the planner's own rules decide; nothing starts here); a failure
        is logged and raised as ``replan_failed``, never passed to the caller."""
        try:
            self.d.plan()
        except Exception:
            log.exception("re-planning after %s failed", after)
            self.d.store.raise_event(
                "warning", "replan_failed", "site", f"re-planning after {after} failed"
            )

    def crop_observations(self, zone: str) -> list[CropObservationInfo]:
        return self._crops.observations(zone)

    def crop_view(self, zone: str) -> dict[str, Any]:
        return self._crops.view(zone)

    def crop_photo(self, zone: str, observation_id: int) -> tuple[bytes, str]:
        return self._crops.photo(zone, observation_id)

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
        return self._crops.add(zone, stage, observed_on, note, photo, actor, confirm=confirm)

    def delete_crop_observation(
        self, zone: str, observation_id: int, actor: str
    ) -> CropObservationInfo:
        return self._crops.delete(zone, observation_id, actor)

    def probe_calibrations(self) -> list[ProbeCalibrationInfo]:
        return self._probes.calibrations_info()

    def probe_samples(self, probe: str) -> list[ProbeSampleInfo]:
        return self._probes.samples(probe)

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
        return self._probes.add(probe, theta_pct, method, at, raw_pct, note, actor)

    def settings(self) -> dict[str, Any]:
        f = self.site.fertigation
        file_zones = {z.name: z for z in self.site_file.zones}
        today = self.d.agronomy.local_date(self.d.clock.now())
        return {
            "zones": {
                z.name: {
                    "label": z.label,
                    "crop": z.crop,
                    "planting_date": z.planting_date,
                    "mode": z.mode,
                    "max_run_min": min(z.max_run_min, self.site.safety.max_run_min),
                    "mad_fraction": z.mad_fraction,
                    "crop_p": crop(z.crop).p,
                    "mad_site_file": file_zones[z.name].mad_fraction,
                    "targets": z.targets,
                    "targets_site_file": file_zones[z.name].targets,
                    "dap": (today - z.planting_date).days,
                    "stages": stage_rows(
                        self.site.crop(z.crop),
                        self.site_file.crop(z.crop),
                        (today - z.planting_date).days,
                    ),
                }
                for z in self.site.zones
            },
            "policy": {k: getattr(self.site.policy, k) for k in EDITABLE["policy"]},
            "site": {"krs": self.site.site.krs, "krs_from": krs_from(self.site, self.site_file)},
            "crops": sorted(crop_keys()),
            "fertigation": None
            if f is None
            else {
                "tanks": [{"name": t.name, "nutrient": t.nutrient} for t in f.tanks],
                "source_ec_ms_cm": f.source_ec_ms_cm,
                "ec_max_ms_cm": self.site.safety.ec_max_ms_cm,
                "events": [e.model_dump(exclude_none=True) for e in f.events],
                "recipes": [r.name for r in f.recipes] if f.channels else [],
                "channels": [
                    {"name": c.name, "kind": c.kind, "stock_kg_l": c.stock_kg_l} for c in f.channels
                ],
                "recipe_table": [r.model_dump(exclude_none=True) for r in f.recipes],
            },
        }

    # -- control --------------------------------------------------------------------
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
        z = self._zone_cfg(zone)
        if volume_mm is not None:  # gross depth over the zone's area: 1 mm on 1 m² is 1 L
            volume_m3 = volume_mm / 1000 * z.area_m2_value
        dosing = None if recipe is None else self._manual_recipe(zone, recipe, minutes, volume_m3)
        if any(a.zone == zone for a in self.d.sequencer.active()):
            raise ControlRefused(f"zone {zone} is already running", "already_running")
        verdict = self.d.time_trust.verdict()
        if not verdict.trusted:
            raise ControlRefused(
                f"zone {zone} not started: the wall clock is not trusted ({verdict.reason}); "
                "check NTP, or an admin runs `qanat confirm-time`",
                "clock_untrusted",
            )
        try:
            return self.d.sequencer.start(
                zone, minutes, "manual", recipe=dosing, actor=actor, volume_m3=volume_m3
            )
        except SequencerError as exc:
            raise ControlRefused(str(exc), type(exc).__name__, exc.code) from exc
        except StoreWriteError as exc:  # nothing switched: the run could not be recorded
            raise ControlRefused(
                f"zone {zone} not started: the run cannot be recorded ({exc})", "store_unwritable"
            ) from exc
        except (RunStateError, NotFound) as exc:  # its start not recorded: water closed again
            raise ControlRefused(
                f"zone {zone} not started: its start could not be recorded ({exc}); "
                "the water it opened was closed again",
                "start_not_recorded",
            ) from exc

    def _manual_recipe(
        self, zone: str, name: str, minutes: float, volume_m3: float | None
    ) -> ChannelRecipe:
        """The ``[[fertigation.recipes]]`` entry ``name`` for a run of ``minutes`` started by
        hand, as the plan's recipe runs get it; :class:`ControlRefused` (nothing switched)
        when the site has no dosing channels, no such recipe, the run is by volume, or it
        leaves less than ``min_inject_min`` between prewet and flush."""
        f = self.site.fertigation
        if f is None or not f.channels:
            raise ControlRefused(
                f"zone {zone} not started: the site has no dosing channels for recipe {name!r}",
                "no_channels",
            )
        known = [r.name for r in f.recipes]
        if name not in known:
            raise ControlRefused(
                f"no recipe {name!r} in fertigation.recipes (known: {', '.join(known) or 'none'})",
                "unknown_recipe",
            )
        if volume_m3 is not None:
            raise ControlRefused(
                f"zone {zone} not started: a recipe run ends by its phases, not by volume",
                "recipe_by_volume",
            )
        need_min = f.prewet_min + f.min_inject_min + f.flush_min
        if minutes < need_min:
            raise ControlRefused(
                f"zone {zone} not started: {minutes:g} min is shorter than prewet "
                f"{f.prewet_min:g} + inject {f.min_inject_min:g} + flush {f.flush_min:g} min "
                f"for recipe {name!r}",
                "too_short_for_recipe",
            )
        return ChannelRecipe(name=name)

    def stop_zone(self, zone: str, actor: str) -> None:
        self._zone_cfg(zone)
        self.d.sequencer.stop(zone, f"stopped by {actor}", actor=actor)

    def stop_all(self, actor: str) -> None:
        """Every run stopped, then every output off; a run's end the store refuses is raised
        (:class:`controller.store.StoreError`) only after both."""
        try:
            self.d.sequencer.stop_all(f"stop all by {actor}", actor=actor)
        finally:
            self.d.outputs.all_off()

    def pause(self, hours: float, actor: str) -> datetime:
        until = self.d.clock.now() + timedelta(hours=hours)
        self.d.sequencer.pause(until, actor=actor)
        self.d.store.record_audit(actor, "site.pause", {"until": until.isoformat()})
        return until

    def resume(self, actor: str) -> None:
        self.d.sequencer.resume()
        self.d.store.record_audit(actor, "site.resume", {})

    def confirm_time(self, actor: str) -> None:
        """An admin vouches for the wall clock (as ``qanat confirm-time``, audited).

        Refused while the clock is before the release floor or the newest stored record: the
        date must be set first (records stamped wrong are overridden only on the box's CLI)."""
        verdict = self.d.time_trust.verdict()
        if verdict.condition in ("floor", "records"):
            raise ControlRefused(
                f"the clock cannot be confirmed: {verdict.reason}; set the date first",
                "clock_not_confirmable",
            )
        self.d.time_trust.confirm(actor)
        self.d.check_time()

    def ack_alarm(self, alarm_id: int, actor: str) -> None:
        try:
            self.d.store.ack_event(alarm_id, actor)
        except NotFound:
            raise unknown("alarm", alarm=str(alarm_id)) from None
        self.d.store.record_audit(actor, "alarm.ack", {"id": alarm_id})

    def apply_settings(self, changes: dict[str, Any], actor: str) -> None:
        if self.data_dir is None:
            raise ControlRefused("settings cannot be saved: no data directory", "no_data_dir")
        with self._settings_lock:  # two pages saving at once: one file, one order
            try:  # a broken file (a hand edit) is refused, not overwritten
                merged = overrides.merge(overrides.load(self.data_dir), changes)
                site = apply_overrides(self.site_file, merged)
            except ConfigError as exc:
                raise SettingsInvalid(exc.problems, coded=exc.coded) from exc
            overrides.save(self.data_dir, merged)
            if self._watch is not None:
                self._watch.seen()  # applied below: not taken up a second time
            self.d.store.record_audit(actor, "settings.change", _jsonable(changes))
            # in the lock: a file taken up meanwhile cannot be applied after this newer site
            self._apply_site(site, "a settings change")

    def _apply_site(self, site: SiteConfig, after: str) -> None:
        try:
            self.d.apply_site(site)
        except Exception:  # the settings are saved; a failed re-plan must not fail the page
            log.exception("re-planning after %s failed", after)
            self.d.store.raise_event(
                "warning", "replan_failed", "site", f"re-planning after {after} failed"
            )

    def reload_settings_file(self) -> bool:
        """Take up ``site.overrides.toml`` if another process wrote it since it was last seen
        (``qanat soil approve`` / ``dry-down``, a hand edit; :mod:`controller.daemon.settingsfile`):
        laid over the site file with the pages' checks and applied as a page's change is
        (re-planned at once; audited ``settings.reload``). A file the checks refuse changes
        nothing: the running settings stay, and a ``settings_refused`` alarm (a warning,
        until acknowledged) names the file and each key path. Whether a change was taken up;
        never raises."""
        if self._watch is None:
            return False
        try:
            with self._settings_lock:
                if not self._watch.changed():
                    return False
                path = self._watch.path
                try:
                    site = overrides.apply_saved(self.site_file, path.parent)
                except ConfigError as exc:
                    said = "; ".join(exc.problems)
                    log.error("%s refused, the running settings kept: %s", path, said)
                    self.d.store.raise_event(
                        "warning",
                        "settings_refused",
                        "site",
                        f"{path} refused, the running settings kept: {said}",
                        latched=True,  # the box runs on other settings than its file
                    )
                    return False
                self.d.store.record_audit("daemon", "settings.reload", {"file": str(path)})
                self._apply_site(site, f"taking up {path.name}")
        except Exception:  # a job: the daemon runs on whatever the file holds
            log.exception("reading %s failed; the running settings kept", self._watch.path)
            return False
        return True

    def approve_soil(self, zone: str, fitted_at: datetime, actor: str) -> dict[str, float]:
        z = self._zone_cfg(zone)
        proposal = self.d.soil_learning.proposal(z.name)
        if proposal is None:
            raise ControlRefused(f"{z.name}: no soil fit to approve", "no_proposal")
        if proposal.fitted_at != fitted_at:
            raise ControlRefused(
                f"{z.name}: the fit shown ({fitted_at.isoformat()}) was replaced by the fit of "
                f"{proposal.fitted_at.isoformat()}; look at it before approving",
                "stale_proposal",
            )
        values = proposal.overrides()
        self.apply_settings({"zones": {z.name: values}}, actor)
        before = proposal.before
        self.d.store.record_audit(
            actor,
            "soil.approve",
            {
                "zone": z.name,
                "fitted_at": proposal.fitted_at.isoformat(),
                **values,
                "before": {
                    "soil_fc_m3m3": before.fc_m3m3,
                    "soil_wp_m3m3": before.wp_m3m3,
                    "kc_factor": before.kc_factor,
                },
            },
        )
        return values

    def post_forecast(self, days: list[dict[str, Any]], actor: str) -> int:
        forecast = [
            ForecastDay(
                date=d["date"] if isinstance(d["date"], date) else date.fromisoformat(d["date"]),
                et0_mm=float(d["et0_mm"]),
                rain_mm=float(d["rain_mm"]),
                tmin_c=d.get("tmin_c"),
                wind_m_s=d.get("wind_m_s"),
            )
            for d in days
        ]
        self.d.forecast = sorted(forecast, key=lambda f: f.date)
        self.d.store.record_audit(
            actor, "forecast.post", {"days": [f.date.isoformat() for f in forecast]}
        )
        return len(forecast)


def _jsonable(value: Any) -> Any:
    """Dates as ISO text, so a change can be written to the audit log (JSON)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def krs_from(site: SiteConfig, site_file: SiteConfig) -> str:
    """Where the running ``site``'s ``[site] krs`` (FAO-56 eq. 50) came from: ``overrides``
    (the saved settings changed it), ``site_file`` (the file sets it) or ``default``
    (:data:`controller.config.krs.KRS_DEFAULT`)."""
    if site.site.krs != site_file.site.krs:
        return "overrides"
    return "site_file" if "krs" in site_file.site.model_fields_set else "default"
