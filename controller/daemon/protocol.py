"""What the HTTP API may ask of the daemon: read models and control verbs.

The daemon (:class:`controller.daemon.daemon.Daemon`) implements
:class:`ControlService`; ``web/`` depends on this protocol only, so its tests
can use a fake at this seam. Every control verb takes the ``actor`` (token
name) and is audited by the implementation; a refused command raises
:class:`ControlRefused` with a reason a technician can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from controller.agronomy.quota import QuotaView
from controller.agronomy.savings import SavingsReport
from controller.agronomy.season_view import SeasonToDate
from controller.errors import CodedProblem, ControllerError, ProblemsError
from controller.learning.flow import FlowStatus

__all__ = [
    "AlarmInfo",
    "CanopyPoint",
    "CanopyView",
    "ControlRefused",
    "ControlService",
    "CropObservationInfo",
    "DecisionInfo",
    "DeviceStatus",
    "NextRun",
    "ObservationRefused",
    "ProbeCalibrationInfo",
    "ProbeDoubt",
    "ProbeSampleInfo",
    "RunInfo",
    "SettingsInvalid",
    "SiteStatus",
    "UnknownName",
    "WaterBalanceInfo",
    "ZoneStatus",
]


class ControlRefused(ControllerError):
    """A control command was refused (latched alarm, paused site, bound exceeded, ...).

    ``code`` is the API's code; ``reason_code`` names the refusal's message for a page to
    say (catalog table ``refusal``), the same as ``code`` unless given: a sequencer's
    refusal keeps its class name as ``code`` and says its own ``reason_code``."""

    def __init__(self, reason: str, code: str = "refused", reason_code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.reason_code = code if reason_code is None else reason_code


class UnknownName(ControllerError, LookupError):
    """No zone, device, run or alarm by that name or id; ``coded`` is the lookup's message
    code and values (:mod:`controller.daemon.lookups`), for a page to say in its language."""

    def __init__(self, message: str, *, coded: CodedProblem | None = None) -> None:
        super().__init__(message)
        self.coded = coded


class ObservationRefused(ControllerError, ValueError):
    """A crop observation not stored: ``field`` names the input at fault (``stage``,
    ``observed_on``, ``note``, ``photo``); ``coded`` is the refusal's message code and
    values (:mod:`controller.daemon.croprefusal`), for a page to say in its language."""

    def __init__(self, message: str, *, field: str, coded: CodedProblem | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.coded = coded


class SettingsInvalid(ProblemsError, ValueError):
    """Settings refused by the site validation; ``problems`` are ``key.path: message``."""


@dataclass(frozen=True, slots=True)
class SiteStatus:
    site_id: str
    name: str
    time: datetime
    state: str  # "running" | "paused" | "alarm"
    paused_until: datetime | None
    open_alarms: int
    weather: dict[str, float | None]  # standard weather point -> latest good value
    et0_today_mm: float | None
    active_runs: int
    # False: nothing is planned or started (controller.runtime.timetrust)
    clock_trusted: bool = True
    clock_note: str = ""  # why not trusted, or what made it trusted ("synchronised", "confirmed")
    # device -> its last good reading (wall time), for each device offline now (``device_offline``
    # raised, no good reading since: controller.runtime.poller.Poller.offline_since)
    offline_devices: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NextRun:
    """The zone's next planned run; ``reason`` its decision's English sentence (the box's
    record), ``reason_codes`` and ``reason_values`` the same said as codes
    (:mod:`controller.agronomy.decision_codes`), for a page to say in its language.

    ``deferred``: not queued, the run the zone's latest decision deferred to (its
    ``deferred_to``, beyond the day the queue holds); the planner decides again before it.
    Its ``duration_min`` and ``depth_mm`` are None in a record from before they were kept."""

    start: datetime
    duration_min: float | None
    depth_mm: float | None
    reason: str
    reason_codes: list[str] = field(default_factory=list)
    reason_values: dict[str, str] = field(default_factory=dict)
    deferred: bool = False


@dataclass(frozen=True, slots=True)
class ProbeDoubt:
    """Why the controller doubts a probe's moisture: ``code`` the alarm's
    (``probe_flatline``, ``probe_rate``, ``probe_no_response``: quarantined, left out of the
    balance and the plan until acknowledged; ``sensor_fault``: implausible readings, unused),
    ``alarm_id`` and ``since`` the open alarm's when one is stored."""

    device: str
    code: str
    alarm_id: int | None = None
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class ZoneStatus:
    name: str
    label: str
    area_m2: float
    crop: str
    mode: str
    valve_on: bool
    run_id: int | None
    phase: str | None
    remaining_s: float | None
    depletion_mm: float | None
    taw_mm: float | None
    raw_mm: float | None
    moisture_pct: dict[str, float | None]  # probe depth "0.2" -> latest good moisture
    next_run: NextRun | None
    water_today_m3: float
    water_season_m3: float
    fertilizer_season_kg: dict[str, float] = field(default_factory=dict)
    # probe depth "0.2" -> why its moisture is doubted; a depth not here is trusted
    doubted: dict[str, ProbeDoubt] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    name: str
    bus: str
    unit: int
    profile: str
    kind: str
    health: dict[str, Any]
    readings: list[dict[str, Any]]  # point, value, decoded, unit, quality, time, detail


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    zone: str
    source: str
    state: str
    phase: str | None
    planned_min: float
    started_at: datetime | None
    ended_at: datetime | None
    end_reason: str
    applied_m3: float | None
    fertilizer: dict[str, float]

    @property
    def ran_min(self) -> float | None:
        """How long the run's water ran (min): start to end, ``None`` until it ended, and
        ``None`` for an ``interrupted`` run: it ended when a restart noticed it, perhaps
        hours after the box died and its lease stopped the water, and when that was is not
        recorded (its metered water is)."""
        if self.started_at is None or self.ended_at is None or self.state == "interrupted":
            return None
        return max(0.0, (self.ended_at - self.started_at).total_seconds() / 60)


@dataclass(frozen=True, slots=True)
class DecisionInfo:
    id: int
    time: datetime
    zone: str
    mode: str
    action: str
    planned_start: datetime | None
    duration_min: float
    depth_mm: float
    reason: str
    inputs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AlarmInfo:
    id: int
    time: datetime
    severity: str
    code: str
    source: str
    message: str
    latched: bool
    acked_at: datetime | None
    acked_by: str | None


@dataclass(frozen=True, slots=True)
class WaterBalanceInfo:
    zone: str
    day: date
    et0_mm: float
    etc_mm: float
    eta_mm: float
    rain_mm: float
    irrigation_mm: float
    deep_percolation_mm: float
    dr_end_mm: float
    taw_mm: float
    raw_mm: float
    ks: float


@dataclass(frozen=True, slots=True)
class ProbeSampleInfo:
    """A soil sample next to a probe (volumetric % for θ and the raw reading)."""

    id: int
    probe: str
    sampled_at: datetime
    theta_pct: float
    method: str  # gravimetric / reference
    raw_pct: float
    raw_source: str  # store / given
    entered_by: str
    entered_at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class CropObservationInfo:
    """A crop stage seen on a zone on ``observed_on`` (local date); ``photo``: the photo's
    file name ("" without one); ``replaced``: the ids of the records of the same stage and
    date this one took the place of (when it was just recorded; empty otherwise)."""

    id: int
    zone: str
    stage: str
    observed_on: date
    note: str
    photo: str
    entered_by: str
    entered_at: datetime
    replaced: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ProbeCalibrationInfo:
    """A soil probe's calibration: θ = gain · raw + offset_pct, ± se_pct (1 σ, % vol, in the
    middle of the raw range sampled); ``gain`` None: none (no sample, or ``error``)."""

    probe: str
    zone: str
    depth_m: float
    n_samples: int
    gain: float | None = None
    offset_pct: float | None = None
    se_pct: float | None = None
    gain_fitted: bool = False
    raw_min_pct: float | None = None
    raw_max_pct: float | None = None
    error: str = ""  # why the samples give no calibration (the raw reading is used)


@dataclass(frozen=True, slots=True)
class CanopyPoint:
    """One attempt at a zone's canopy cover: ``status`` ``"ok"`` with ``cover`` (0..1) and
    the photo's file name, or why not (controller/canopy/watch.py, its statuses)."""

    at: datetime
    status: str
    cover: float | None = None
    image: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CanopyView:
    """A zone's canopy cover from its camera: the attempts of the window, oldest first."""

    zone: str
    camera: bool  # the zone has a camera configured
    interval_min: float | None
    points: tuple[CanopyPoint, ...] = ()
    latest_photo: str | None = None  # file name of the newest kept photo

    @property
    def last(self) -> CanopyPoint | None:
        return self.points[-1] if self.points else None

    @property
    def last_cover(self) -> CanopyPoint | None:
        return next((p for p in reversed(self.points) if p.cover is not None), None)


class ControlService(Protocol):
    """The daemon as the API sees it. Times are timezone-aware UTC."""

    # -- reading ---------------------------------------------------------------
    def status(self) -> SiteStatus: ...
    def zones(self) -> list[ZoneStatus]: ...
    def zone(self, name: str) -> ZoneStatus: ...  # UnknownName
    def devices(self) -> list[DeviceStatus]: ...
    def runs(self, zone: str | None = None, limit: int = 50) -> list[RunInfo]: ...
    def decisions(self, zone: str | None = None, limit: int = 50) -> list[DecisionInfo]: ...
    def alarms(self, open_only: bool = False, limit: int = 100) -> list[AlarmInfo]: ...
    def water_balance(self, zone: str, days: int = 30) -> list[WaterBalanceInfo]: ...
    def savings(self) -> SavingsReport: ...  # the savings ledger to date
    def season_to_date(self) -> SeasonToDate: ...  # the board's season: water by day, stages
    def quotas(self) -> list[QuotaView]: ...  # zones with a water quota: used, projected
    # the zone's flow signature: its learned normal flow, or learning "have of need" runs
    def flow_signature(self, zone: str) -> FlowStatus: ...
    # the zone's canopy cover from its camera over the last ``days``; UnknownName
    def canopy(self, zone: str, days: int = 30) -> CanopyView: ...
    # one of the zone's kept photos by file name (None: the newest); UnknownName if none
    def canopy_photo(self, zone: str, name: str | None = None) -> Path: ...
    # a photo of the zone sent by ``actor`` (JPEG or PNG): its cover, stored with it
    # (audited); UnknownName, NotAnImage / ImageTooLarge (controller.canopy.errors),
    # ControlRefused "no_classifier" or "not_stored"
    def add_canopy_photo(self, zone: str, photo: bytes, actor: str) -> CanopyPoint: ...
    # probe depth "0.2" -> [(time, moisture %)] of good readings over the last ``days``
    def moisture_history(
        self, zone: str, days: int = 7
    ) -> dict[str, list[tuple[datetime, float]]]: ...
    # {"zones": {name: {label, crop, planting_date, mode, max_run_min, mad_fraction (None: the
    #  crop's p), crop_p, mad_site_file, targets ("staged"|"fao56"), targets_site_file, dap
    #  (days after planting today), stages: [views.stage_rows: name, end_dap, ky, mad,
    #  mad_default, tuned, critical, today]}}, "policy": {probe_weight, rain_skip_mm},
    #  "site": {krs (FAO-56 eq. 50, in use), krs_from ("site_file"|"default"|"overrides")},
    #  "crops": [keys], "fertigation": None (no injector) or {tanks: [{name, nutrient}],
    #  source_ec_ms_cm, ec_max_ms_cm, events: [fertigation.events entries, unset keys left out],
    #  recipes: [names of fertigation.recipes a run may be started with; none without channels]}}
    def settings(self) -> dict[str, Any]: ...
    # every soil probe of the site with its calibration (none without samples)
    def probe_calibrations(self) -> list[ProbeCalibrationInfo]: ...
    def probe_samples(self, probe: str) -> list[ProbeSampleInfo]: ...  # UnknownName
    # a zone's crop stages observed this season (on or after planting), by date; UnknownName
    def crop_observations(self, zone: str) -> list[CropObservationInfo]: ...
    # a zone's crop as observed and predicted (controller.daemon.cropdesk): {"zone", "crop",
    #  "planting_date", "phenology" (the crop has stages), "crop_clock", "today": {kc_source,
    #  crop_day, fao56_stage, day_in_stage, gdd_degc_day (None: no day measured),
    #  gdd_days_measured, gdd_missing, anchor, anchor_date, sentence, days_after_planting},
    #  "stages": [{stage, observed_on, predicted_on, predicted_by, days_late,
    #  confirmed_against_prediction}]}; UnknownName
    def crop_view(self, zone: str) -> dict[str, Any]: ...
    # an observation's photo: its bytes and media type; UnknownName (no such photo)
    def crop_photo(self, zone: str, observation_id: int) -> tuple[bytes, str]: ...
    # a zone's soil fit from its dry-downs (controller/learning/soil.py): {"enabled",
    #  "status" (the last fit, or None), "checked_at", "in_use": {soil, fc_m3m3, wp_m3m3,
    #  kc_factor, approved}, "probe_weight", "proposal": SoilProposal.numbers() or None};
    #  UnknownName
    def soil_fit(self, zone: str) -> dict[str, Any]: ...

    # and "dry_down": the zone's calibration dry-down (controller/agronomy/drydown.py):
    #  {fraction (the setting, None: off), phase (None, requested, holding, done), since,
    #  ended, why, dr_mm, target_mm (the last balance's Dr and fraction · TAW)}

    # -- control (each audited with the actor; ControlRefused / UnknownName) ----
    # with volume_m3 (or volume_mm over the zone's area) a run by volume, minutes its time cap;
    # with recipe (a [[fertigation.recipes]] name) a fertigation run by it, as planned ones;
    # ControlRefused codes "no_channels", "unknown_recipe", "recipe_by_volume",
    # "too_short_for_recipe" (minutes < prewet + min_inject_min + flush)
    def start_zone(
        self,
        zone: str,
        minutes: float,
        actor: str,
        *,
        volume_m3: float | None = None,
        volume_mm: float | None = None,
        recipe: str | None = None,
    ) -> int: ...  # run id
    def stop_zone(self, zone: str, actor: str) -> None: ...
    def stop_all(self, actor: str) -> None: ...
    def pause(self, hours: float, actor: str) -> datetime: ...  # paused until
    def resume(self, actor: str) -> None: ...
    def confirm_time(self, actor: str) -> None: ...  # an admin vouches for the wall clock
    def ack_alarm(self, alarm_id: int, actor: str) -> None: ...
    def post_forecast(self, days: list[dict[str, Any]], actor: str) -> int: ...  # days stored
    # an admin approves the zone's soil proposal fitted at ``fitted_at`` (the one shown):
    # its soil_fc_m3m3, soil_wp_m3m3 and kc_factor become site settings (audited
    # ``soil.approve``); returns them. UnknownName; ControlRefused "no_proposal" or
    # "stale_proposal" (a newer fit replaced it); SettingsInvalid
    def approve_soil(self, zone: str, fitted_at: datetime, actor: str) -> dict[str, float]: ...
    # one calibration dry-down of a zone to ``fraction`` of TAW: its calibration_dry_down
    # setting written (SettingsInvalid outside 0.6-0.85), a new request started and audited
    # (``soil.calibrate``); returns the zone's "dry_down" as soil_fit gives it
    def request_dry_down(self, zone: str, fraction: float, actor: str) -> dict[str, Any]: ...
    # the zone's calibration dry-down withdrawn, requested or holding: its phase becomes done
    # ("withdrawn by ACTOR"), the normal trigger applies at the re-plan that follows (audited
    # ``soil.calibrate_withdraw``); returns the zone's "dry_down". UnknownName; ControlRefused
    # "no_dry_down" (none asked, or it has ended)
    def withdraw_dry_down(self, zone: str, actor: str) -> dict[str, Any]: ...
    # a soil sample next to a probe (raw_pct None: from its stored readings; at None: now);
    # UnknownName for a probe that is not the site's, SampleRefused naming the field
    def add_probe_sample(
        self,
        probe: str,
        theta_pct: float,
        method: str,
        at: datetime | None,
        raw_pct: float | None,
        note: str,
        actor: str,
    ) -> ProbeSampleInfo: ...
    # a crop stage seen on a zone (audited ``crop.observe``): the stage, the local date it
    # was reached (not in the future, not before planting, in order with the season's other
    # stages), a note and an optional JPEG or PNG photo (at most PHOTO_MAX_BYTES);
    # a stage the degree days since sowing make implausible on that date is refused
    # (``implausible_gdd``, ``implausible_calendar_no_gdd``) unless ``confirm``;
    # UnknownName for a zone that is not the site's, ObservationRefused naming the field
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
    ) -> CropObservationInfo: ...
    # delete a mistaken crop stage record (and the older records of its stage it had
    # replaced), audited ``crop.delete``: the stage goes back to its prediction; UnknownName
    # for a zone that is not the site's or a record that is not the zone's
    def delete_crop_observation(
        self, zone: str, observation_id: int, actor: str
    ) -> CropObservationInfo: ...
    # {"zones": {name: {crop?, planting_date?, mode?, label?, mad_fraction?, targets?}},
    # "crops": {crop: {"stages": {period: {"mad": x}}}} (non-critical periods), "policy":
    # {probe_weight?, rain_skip_mm?}, "fertigation": {"events": [...]} (the whole plan)}:
    # validated as the site file is (SettingsInvalid), kept in the data dir, applied live;
    # a value None takes the setting back to the site file's
    def apply_settings(self, changes: dict[str, Any], actor: str) -> None: ...
