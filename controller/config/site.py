"""Site configuration: one ``site.toml`` per site, validated before anything runs.

Loading checks types and ranges (pydantic, unknown keys refused), then
cross-checks the whole site: names resolve, unit ids are unique per bus,
no output is driven by two roles, each device is of the kind its role
needs, outputs are leases, timeouts fit the poll intervals. Every problem
is reported with its key path and file, all at once (when types or ranges
fail, the references between sections are still checked on the raw data,
:mod:`controller.config.references`)::

    zones[2].valve: unknown device 'relay9' (site.toml)

Device register maps are not here: a device names a *profile*
(``drivers/profiles/*.toml`` or a site profile directory).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TextIO, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from controller.config.camera import CameraConfig
from controller.config.dosing import (
    MAX_CHANNELS,
    MAX_RECIPES,
    ChannelConfig,
    DosingLoopConfig,
    DosingRecipe,
    channel_problems,
)
from controller.config.errors import ConfigError
from controller.config.fields import (
    MAX_BUSES,
    MAX_DEVICES,
    MAX_EVENTS,
    MAX_ZONES,
    ClockPeriod,
    ClockTime,
    Day,
    DevicePath,
    Host,
    Name,
    SiteModel,
)
from controller.config.krs import KRS_DEFAULT, KRS_MAX, KRS_MIN
from controller.config.nearkeys import near_key
from controller.config.notify import MqttConfig, NotifyConfig
from controller.config.pulses import PulseMeterConfig, check_pulse_meters
from controller.config.references import reference_problems
from controller.config.schema_problems import CodedValueError, given, schema_problem
from controller.config.site_messages import MESSAGES
from controller.config.tomlfile import key_path, read_toml
from controller.counted import counted
from controller.errors import CodedProblem
from drivers.bus import DeviceRef
from drivers.codec import plan_reads
from drivers.errors import ProfileError
from drivers.profile import KIND_POINTS, Profile, ProfileLibrary, Table
from drivers.transport import BusSettings
from models.crops import STAGE_MAD_RANGE, Crop, CropDataError, crop, crop_keys, with_stage_mad
from models.crops.phenology import PHENOLOGY_CROPS

__all__ = [
    "CALIBRATION_DRY_DOWN_RANGE",
    "KC_FACTOR_RANGE",
    "M2_PER_MU",
    "MAD_FRACTION_RANGE",
    "MIN_AVAILABLE_M3M3",
    "ConfigError",
    "OutputRef",
    "SiteConfig",
    "apply_overrides",
    "load_site",
    "load_site_or_report",
    "report_problems",
]

M2_PER_MU = 10_000 / 15  # 1 mu = 666.67 m²
KC_FACTOR_RANGE = (0.7, 1.3)  # a zone's correction of the library's Kc, at most ±30 %
# a zone's management allowed depletion and a crop period's, fraction of TAW
MAD_FRACTION_RANGE = STAGE_MAD_RANGE
# a calibration dry-down's target depletion, fraction of TAW: below RAW, short of wilting
CALIBRATION_DRY_DOWN_RANGE = (0.6, 0.85)
MIN_AVAILABLE_M3M3 = 0.02  # a zone's soil_fc_m3m3 − soil_wp_m3m3 at least this

PositiveS = Annotated[float, Field(gt=0)]


class SiteInfo(SiteModel):
    id: Name
    name: str = Field(min_length=1)
    latitude_deg: float = Field(ge=-90, le=90)
    longitude_deg: float = Field(ge=-180, le=180)
    elevation_m: float = Field(ge=-500, le=6000)
    timezone: str
    # Mean rain of each calendar month, mm (the site's climate normals, January first): the
    # rain a refill leaves room for when no forecast says otherwise. None: no room left.
    rain_normals_mm: list[Annotated[float, Field(ge=0, le=2000)]] | None = Field(
        None, min_length=12, max_length=12
    )
    # The year's water allotment (水权) per mu of every zone, m³/mu; a zone's own
    # ``quota_m3_per_mu`` overrides it (models/planner/quota.py). None: no quota.
    quota_m3_per_mu: float | None = Field(None, gt=0, le=5000)
    # The day the quota year starts, "MM-DD" (default 01-01: the calendar year).
    quota_year_start: Annotated[str, Field(pattern=r"^[0-9]{2}-[0-9]{2}$")] = "01-01"
    # The irrigation water's salinity, dS/m (= mS/cm; a lab analysis of the well or canal
    # water): the root-zone salt balance and its FAO-29 leaching requirement. None: the
    # fertigation EC meter's plain-water readings of the season, if any; else no salt balance.
    irrigation_water_ec_ds_m: float | None = Field(None, ge=0, le=10)
    # The root zone's ECe at planting, dS/m (a soil test's saturation extract); None: the
    # steady state of FAO-29's guidelines, 1.5 × the water's EC.
    soil_ece_spring_ds_m: float | None = Field(None, ge=0, le=50)
    # The Hargreaves radiation coefficient of ET0's Rs from the temperature range when the
    # station has no pyranometer (FAO-56 eq. 50, °C^-0.5): 0.16 interior, 0.19 coastal, or
    # calibrated on the regional station's sunshine normals (models/et0/krs.py).
    krs: float = Field(KRS_DEFAULT, ge=KRS_MIN, le=KRS_MAX)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class BusConfig(SiteModel):
    name: Name
    kind: Literal["tcp", "rtu_over_tcp", "rtu"]
    host: Host = ""
    port: int = Field(502, ge=1, le=65535)
    serial_port: DevicePath = ""
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    timeout_s: float = Field(0.5, gt=0, le=10)
    retries: int = Field(1, ge=0, le=5)
    gap_ms: float = Field(10, ge=0, le=1000)
    backoff_max_s: float = Field(60, gt=0, le=3600)
    # the bus's poll loop starts at most this many device polls a second (staggered anyway)
    max_polls_per_s: float = Field(20, gt=0, le=1000)

    @model_validator(mode="after")
    def _endpoint(self) -> BusConfig:
        if self.kind == "rtu" and not self.serial_port:
            raise ValueError("an rtu bus needs serial_port (e.g. /dev/ttyQANAT0)")
        if self.kind != "rtu" and not self.host:
            raise ValueError(f"a {self.kind} bus needs host")
        return self

    def settings(self) -> BusSettings:
        return BusSettings(
            name=self.name,
            kind=self.kind,
            host=self.host,
            port=self.port,
            serial_port=self.serial_port,
            baudrate=self.baudrate,
            parity=self.parity,
            stopbits=self.stopbits,
            timeout_s=self.timeout_s,
            retries=self.retries,
            gap_s=self.gap_ms / 1000,
            backoff_max_s=self.backoff_max_s,
        )


class DeviceConfig(SiteModel):
    name: Name
    bus: str
    unit: int = Field(ge=1, le=247)
    profile: str
    poll_interval_s: float = Field(60, ge=1, le=86_400)
    description: str = ""


class ProbeConfig(SiteModel):
    device: str
    depth_m: float = Field(gt=0, le=3)


class ZoneConfig(SiteModel):
    name: Name
    label: str = ""
    area_mu: float | None = Field(None, gt=0, le=100_000)
    area_m2: float | None = Field(None, gt=0, le=70_000_000)
    crop: str
    planting_date: Day
    soil: str
    irrigation: Literal["drip", "sprinkler", "micro_sprinkler", "border"] = "drip"
    application_mm_h: float = Field(gt=0, le=200)
    efficiency: float = Field(0.9, gt=0, le=1)
    nominal_flow_m3_h: float = Field(gt=0, le=2000)
    valve: str
    probes: list[ProbeConfig] = Field([], max_length=16)
    flow_meter: str | None = None
    max_run_min: float = Field(240, gt=0, le=1440)
    # "volume": planned runs (without fertilizer) end on their metered volume, the planned
    # depth over the zone's area, with a time cap (controller.runtime.sequencer.planned_volume)
    run_by: Literal["time", "volume"] = "time"
    mode: Literal["et", "sensor", "calendar", "manual"] = "et"
    # Management allowed depletion (fraction of TAW) that triggers irrigation; None keeps the
    # crop's FAO-56 p adjusted for ETc (FAO-56 Table 22 with the footnote's 0.04 (5 - ETc)).
    mad_fraction: float | None = Field(None, ge=MAD_FRACTION_RANGE[0], le=MAD_FRACTION_RANGE[1])
    # ``et`` zones: "staged" triggers and refills by the crop's water-management periods
    # (models/planner/targets.py: deficit only where FAO-33 Ky is small, the season ended on
    # the soil's water, room left for rain); "fao56" the crop's p all season, refill to 15 %.
    targets: Literal["staged", "fao56"] = "staged"
    # Depletion (fraction of TAW) of the soil on the first balanced day, as measured at sowing
    # (e.g. a gravimetric sample); None: the zone's probes on that day, else field capacity.
    spring_depletion_fraction: float | None = Field(None, ge=0, le=1)
    # This zone's water allotment for the quota year, m³/mu (overrides [site]'s).
    quota_m3_per_mu: float | None = Field(None, gt=0, le=5000)
    # The zone's effective field capacity and wilting point over the root depth (m³/m³),
    # fitted from its dry-downs and approved by an admin; None: the texture's (FAO-56 Table 19).
    soil_fc_m3m3: float | None = Field(None, gt=0, le=0.6)
    soil_wp_m3m3: float | None = Field(None, ge=0, lt=0.6)
    # Correction of the crop library's Kc for this zone (ETc = kc_factor · Kc · ET0), fitted
    # from its dry-downs and approved by an admin.
    kc_factor: float = Field(1.0, ge=KC_FACTOR_RANGE[0], le=KC_FACTOR_RANGE[1])
    # One calibration dry-down requested by an admin (controller/agronomy/drydown.py): the
    # refill held, outside critical periods, until Dr reaches this fraction of TAW, so the
    # soil fit sees the crop slow down below RAW; None (default): the normal rule.
    calibration_dry_down: float | None = Field(
        None, ge=CALIBRATION_DRY_DOWN_RANGE[0], le=CALIBRATION_DRY_DOWN_RANGE[1]
    )
    # What moves the crop along its FAO-56 stages before a stage is observed: "calendar" the
    # days after planting, "gdd" the station's growing degree days (maize crops only;
    # models/crops/phenology.py). Observed stages re-anchor either, and GDD move it on from them.
    crop_clock: Literal["calendar", "gdd"] = "calendar"
    # Maize zones: the transpiring share of Kc (Kcb above Kc min) lowered on a day too cool
    # for full transpiration, from the station's Tmax and Tmin (models/crops/cold.py).
    cold_kc: bool = False
    # The zone's field camera, whose snapshots give its canopy cover (controller/canopy).
    camera: CameraConfig | None = None

    @model_validator(mode="after")
    def _one_area(self) -> ZoneConfig:
        if (self.area_mu is None) == (self.area_m2 is None):
            raise CodedValueError("zone.one_area")
        return self

    @model_validator(mode="after")
    def _soil_pair(self) -> ZoneConfig:
        fc, wp = self.soil_fc_m3m3, self.soil_wp_m3m3
        if (fc is None) != (wp is None):
            raise CodedValueError("zone.soil_pair")
        if fc is not None and wp is not None and fc - wp < MIN_AVAILABLE_M3M3:
            raise CodedValueError(
                "zone.soil_margin", fc=f"{fc:g}", wp=f"{wp:g}", margin=f"{MIN_AVAILABLE_M3M3:g}"
            )
        return self

    @property
    def area_m2_value(self) -> float:
        """Zone area in m² (internal unit), from whichever was configured."""
        return self.area_m2 if self.area_m2 is not None else float(self.area_mu or 0) * M2_PER_MU


class StageTuning(SiteModel):
    """A site's value for one water-management period of a crop
    (``[crops.<crop>.stages.<period>]``): its MAD, fraction of TAW (the library's
    ``[crop.stages] mad``)."""

    mad: float = Field(ge=STAGE_MAD_RANGE[0], le=STAGE_MAD_RANGE[1])


class CropTuning(SiteModel):
    """A site's tuning of a library crop: MAD by period name (non-critical periods only)."""

    stages: dict[str, StageTuning] = Field({}, max_length=32)


class HeadConfig(SiteModel):
    """Head works (首部): pump, master valve, main meter, filter.

    The filter's differential pressure (kPa) is ``pressure_before_filter`` −
    ``pressure`` (two transmitters around the filter), or the ``filter_dp``
    point of the device named by ``filter_dp``. The filter is backflushed for
    ``backflush_s`` when it exceeds ``backflush_dp_kpa``, or after
    ``backflush_interval_h`` of pumping, at most once per ``backflush_min_gap_min``.
    """

    pump: str
    master_valve: str | None = None
    pump_capacity_m3_h: float = Field(gt=0, le=5000)
    flow_meter: str
    pressure: str | None = None  # line pressure after the filter
    pressure_before_filter: str | None = None
    filter_dp: str | None = None
    backflush_valve: str | None = None
    backflush_dp_kpa: float = Field(50, gt=0, le=500)
    backflush_interval_h: float | None = Field(None, gt=0, le=720)
    backflush_s: float = Field(60, gt=0, le=1800)
    backflush_min_gap_min: float = Field(30, gt=0, le=1440)


class TankConfig(SiteModel):
    name: Name
    level: str
    nutrient: Literal["N", "P2O5", "K2O", "mixed"]
    concentration_kg_m3: float = Field(gt=0, le=1500)
    area_m2: float = Field(gt=0, le=100)
    low_level_m: float = Field(0.1, ge=0, le=10)


class FertEventConfig(SiteModel):
    """One event of the fertigation plan: what goes into a group of zones, and when.

    Amounts are kg per mu per event (the zone's area scales them), or a target
    EC dosed from one tank, or a named recipe of ``[[fertigation.recipes]]`` (the crop
    stage's channel amounts and EC/pH setpoints). The day is counted from each zone's planting date,
    or is a calendar date.
    """

    label: str = ""
    # default: every non-manual zone
    zones: list[str] | None = Field(None, min_length=1, max_length=MAX_ZONES)
    day_after_planting: int | None = Field(None, ge=0, le=366)
    date: Day | None = None
    n_kg_mu: float | None = Field(None, gt=0, le=100)
    p2o5_kg_mu: float | None = Field(None, gt=0, le=100)
    k2o_kg_mu: float | None = Field(None, gt=0, le=100)
    target_ec_ms_cm: float | None = Field(None, gt=0, le=20)
    tank: str | None = None  # the tank dosed to reach target_ec_ms_cm
    recipe: str | None = None  # a [[fertigation.recipes]] name: several channels in ratio

    @model_validator(mode="after")
    def _what_and_when(self) -> FertEventConfig:
        if (self.day_after_planting is None) == (self.date is None):
            raise ValueError("give exactly one of day_after_planting or date")
        if self.recipe is not None:
            if self.kg_mu() or self.target_ec_ms_cm is not None or self.tank is not None:
                raise ValueError("give a recipe alone: its doses and setpoints are the recipe's")
        elif self.target_ec_ms_cm is not None:
            if self.kg_mu():
                raise ValueError("give kg per mu or target_ec_ms_cm, not both")
            if self.tank is None:
                raise ValueError("target_ec_ms_cm needs the tank to dose from")
        elif not self.kg_mu():
            raise ValueError("give n_kg_mu, p2o5_kg_mu or k2o_kg_mu, or target_ec_ms_cm, or recipe")
        elif self.tank is not None:
            raise ValueError("tank is only for a target_ec_ms_cm event")
        return self

    def kg_mu(self) -> dict[str, float]:
        """kg per mu by nutrient (``N``, ``P2O5``, ``K2O``), the ones given."""
        given = {"N": self.n_kg_mu, "P2O5": self.p2o5_kg_mu, "K2O": self.k2o_kg_mu}
        return {k: v for k, v in given.items() if v is not None}

    def applies_to(self, zone: ZoneConfig) -> bool:
        """Is ``zone`` in this event's group (by default every zone not in manual mode)?"""
        return zone.name in self.zones if self.zones is not None else zone.mode != "manual"

    def day_for(self, zone: ZoneConfig) -> dt.date:
        """The event's (local) day for ``zone``: its date, or planting date + days."""
        if self.date is not None:
            return self.date
        return zone.planting_date + dt.timedelta(days=self.day_after_planting or 0)


class FertigationConfig(SiteModel):
    """``[fertigation]``: the meters, the plan, and what doses it.

    Two ways to dose, either or both: the single injector (``injector`` with
    ``injector_power``) doses the ``tanks`` for the plan's kg and target-EC events;
    ``[[fertigation.channels]]`` dose the ``[[fertigation.recipes]]`` (a ``recipe`` event or
    a run started with one). A site with only channels has no ``tanks`` and every event a
    ``recipe`` (checked in :class:`_Checker`).
    """

    injector: str | None = None
    # The dosing pump's power through a leased relay output, so injection stops by itself
    # if qanat dies (the pump's own run command is not a lease).
    injector_power: str | None = None
    # The injector's Modbus interface is powered by injector_power: it answers nothing while
    # that is off (controller.runtime.dosers).
    injector_modbus_via_supply: bool = False
    ec_meter: str
    ph_meter: str | None = None
    tanks: list[TankConfig] = Field([], max_length=16)
    prewet_min: float = Field(15, ge=0, le=120)
    flush_min: float = Field(25, ge=0, le=120)
    source_ec_ms_cm: float = Field(0.5, ge=0, le=10)
    # A planned run carries a fertigation event only if it leaves this long to inject.
    min_inject_min: float = Field(20, gt=0, le=600)
    # An event not given in this many days after its day is missed.
    event_window_days: int = Field(5, ge=0, le=60)
    events: list[FertEventConfig] = Field([], max_length=MAX_EVENTS)
    # several channels dosed in ratio with EC and pH loops (controller/config/dosing.py)
    channels: list[ChannelConfig] = Field([], max_length=MAX_CHANNELS)
    recipes: list[DosingRecipe] = Field([], max_length=MAX_RECIPES)
    loop: DosingLoopConfig | None = None


class WeatherConfig(SiteModel):
    station: str


class TariffPeriod(SiteModel):
    """A time-of-use electricity price for the pump (local time; an end ≤ start wraps midnight)."""

    period: ClockPeriod
    price_per_kwh: float = Field(ge=0, le=100)


class PolicyConfig(SiteModel):
    """Planning defaults; zones may override their mode."""

    windows: list[ClockPeriod] = Field(["20:00-08:00"], max_length=48)
    planning_times: list[ClockTime] = Field(["18:00"], max_length=48)
    rain_skip_mm: float = Field(5, ge=0, le=100)
    wind_limit_m_s: float = Field(6, gt=0, le=40)
    frost_limit_c: float = Field(2, ge=-20, le=15)
    probe_weight: float = Field(0.5, ge=0, le=1)
    # Time-of-use tariff; hours in no period cost `base_price_per_kwh`. Empty: a flat price.
    tariff: list[TariffPeriod] = Field([], max_length=48)
    base_price_per_kwh: float = Field(1.0, ge=0, le=100)

    def price_at(self, minute_of_day: int) -> float:
        """The pump's electricity price at a local minute of the day (first matching period)."""
        for t in self.tariff:
            start_s, _, end_s = t.period.partition("-")
            start = int(start_s[:2]) * 60 + int(start_s[3:])
            end = int(end_s[:2]) * 60 + int(end_s[3:])
            inside = (
                start <= minute_of_day < end
                if start < end
                else (minute_of_day >= start or minute_of_day < end)
            )
            if inside:
                return t.price_per_kwh
        return self.base_price_per_kwh


class BaselineEventConfig(SiteModel):
    """One conventional irrigation: month-day and volume per mu."""

    date: Annotated[str, Field(pattern=r"^[0-9]{2}-[0-9]{2}$")]
    m3_mu: float = Field(gt=0, le=2000)


class BaselineConfig(SiteModel):
    """Conventional practice the savings ledger compares against (controller/agronomy/savings.py).

    ``events`` unset: seed-corn border irrigation as surveyed in Zhangye, 4 × 85 m³/mu
    (controller/agronomy/baseline.py); with the winter irrigation 440 m³/mu a year.
    """

    name: str = "border irrigation of seed corn as surveyed in Zhangye (440 m³/mu a year)"
    events: list[BaselineEventConfig] | None = Field(None, max_length=MAX_EVENTS)
    winter_m3_mu: float = Field(100, ge=0, le=2000)
    rain_skip_mm: float | None = Field(None, gt=0, le=500)
    rain_window_days: int = Field(3, ge=1, le=30)
    # the season's water allocation per mu (配水定额), if the site has one: the pages show the
    # water to date burning it down
    quota_m3_mu: float | None = Field(None, gt=0, le=5000)


class BoardConfig(SiteModel):
    """The visitor board (``/board``): read-only, no login, nothing that controls and nothing
    personal; off unless ``public = true``."""

    public: bool = False


class ForecastLearningConfig(SiteModel):
    """The learned moisture forecast (``[learning.forecast]``, controller/learning/forecast.py):
    trained daily on the site's own balance days and probe readings; the planner uses it beside
    the FAO-56 projection only when ``enabled`` and where it validated better than physics by
    its margin (:mod:`models.learning.forecast`)."""

    enabled: bool = False
    # site-local HH:MM of the daily training
    train_time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "01:20"


class FlowLearningConfig(SiteModel):
    """Flow signatures (``[learning.flow]``; :mod:`models.learning.flow`): when a zone's own
    runs replace the fixed band around its design flow, and how a slow leak or clog is
    decided. Percentages of the zone's normal (or design) steady flow; CUSUM terms in units
    of its run-to-run scale."""

    enabled: bool = True
    min_runs: int = Field(5, ge=3, le=200)
    window_runs: int = Field(40, ge=5, le=1000)
    fixed_band_pct: float = Field(25, ge=5, le=90)
    min_sigma_pct: float = Field(2, gt=0, le=20)
    min_change_pct: float = Field(6, ge=1, le=50)
    cusum_k: float = Field(0.5, ge=0, le=5)
    cusum_h: float = Field(4, gt=0, le=50)

    @model_validator(mode="after")
    def _window(self) -> FlowLearningConfig:
        if self.window_runs < self.min_runs:
            raise ValueError(
                f"window_runs ({self.window_runs}) must be at least min_runs ({self.min_runs})"
            )
        return self


class SoilLearningConfig(SiteModel):
    """Each zone's soil and Kc correction from its dry-downs (``[learning.soil]``,
    controller/learning/soil.py): fitted daily into a proposal that changes nothing until an
    admin approves it. Off unless asked: a season's simulation runs as before."""

    enabled: bool = False
    # site-local HH:MM of the daily fit
    fit_time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "01:40"


class LearningConfig(SiteModel):
    """What the box learns from its own data (``[learning]``)."""

    flow: FlowLearningConfig = FlowLearningConfig()
    forecast: ForecastLearningConfig = ForecastLearningConfig()
    soil: SoilLearningConfig = SoilLearningConfig()


class KindTelemetry(SiteModel):
    """How the readings of one kind of device are kept; a key not given falls back to the
    shipped default of the kind (:data:`KIND_TELEMETRY`), then to ``[store]``'s own."""

    heartbeat_s: float | None = Field(None, ge=10, le=86_400)
    deadband_pct: float | None = Field(None, ge=0, le=10)
    # while any output is on (water runs): the heartbeat instead; 0 keeps every poll
    watering_heartbeat_s: float | None = Field(None, ge=0, le=3600)


@dataclass(frozen=True, slots=True)
class Keeping:
    """The effective telemetry rule of one device kind (seconds, % of the valid range)."""

    heartbeat_s: float
    deadband_pct: float
    watering_heartbeat_s: float | None  # None: the same heartbeat while water runs


# Shipped defaults per kind (docs/deploy.md, "Rows and writes", justifies each). Every kind is
# stored at once when it moves past its deadband or its quality changes (a silent device is on the
# card at its first failed poll); the heartbeat only bounds a flat line's gaps. Soil probes: an hour
# (a probe moves slowly, and past 0.5 % of its range it is stored at once), every 5 min while water
# runs (the probe's response to the water is the evidence the plausibility check judges a probe by,
# within `response_lag_min`); relays: six hours (any switch is a change, stored at once); weather:
# 15 min (every hour keeps at least four samples for ET0's hourly means, more when it moves); what
# water moves (flow, pressure, EC, pH, the injector) is kept at every poll while water runs.
KIND_TELEMETRY: dict[str, KindTelemetry] = {
    "soil_probe": KindTelemetry(heartbeat_s=3600, watering_heartbeat_s=300),
    "relay": KindTelemetry(heartbeat_s=21_600),
    "weather_station": KindTelemetry(heartbeat_s=900),
    "tank_level": KindTelemetry(heartbeat_s=900),
    "flow_meter": KindTelemetry(heartbeat_s=900, watering_heartbeat_s=0),
    "pressure": KindTelemetry(heartbeat_s=900, watering_heartbeat_s=0),
    "ec_meter": KindTelemetry(heartbeat_s=900, watering_heartbeat_s=0),
    "ph_meter": KindTelemetry(heartbeat_s=900, watering_heartbeat_s=0),
    "injector": KindTelemetry(heartbeat_s=900, watering_heartbeat_s=0),
    "pulse_counter": KindTelemetry(heartbeat_s=900, watering_heartbeat_s=0),
}


class StoreConfig(SiteModel):
    """Keeping data on the box's SD card."""

    # Raw readings older than this are folded into hourly rows, once the central office has
    # pulled them (nothing unexported is ever purged).
    raw_keep_days: float = Field(90, ge=7, le=3650)
    # A polled value is stored when it moves more than this share of its valid range (or of
    # itself when the profile gives no range), when its quality changes, or after the heartbeat.
    deadband_pct: float = Field(0.5, ge=0, le=10)
    heartbeat_s: float = Field(300, ge=10, le=3600)
    # Readings are committed in batches this often: each commit rewrites whole pages (WAL and
    # checkpoint), so the commit count, not the row count, dominates SD-card writes (measured:
    # 87 MiB/day at 30 s on the demo site). Events, runs, decisions and audit are committed one
    # by one regardless; a power cut loses at most this much telemetry.
    flush_s: float = Field(120, ge=1, le=600)
    # While no output is on, readings are committed at most this often (checked every flush_s):
    # fewer, larger commits on a quiet day. While water runs, and at the first check after it
    # ran, every flush_s as above. A power cut on a quiet day loses at most this much telemetry.
    idle_flush_s: float = Field(600, ge=1, le=600)
    # per device kind ([store.telemetry.soil_probe] heartbeat_s = 1800, …): see KindTelemetry
    telemetry: dict[str, KindTelemetry] = Field(default_factory=dict)

    @field_validator("telemetry")
    @classmethod
    def _known_kinds(cls, v: dict[str, KindTelemetry]) -> dict[str, KindTelemetry]:
        unknown = sorted(set(v) - set(KIND_POINTS))
        if unknown:
            raise ValueError(
                f"unknown device kind {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(sorted(KIND_POINTS))})"
            )
        return v

    @model_validator(mode="after")
    def _idle_not_shorter(self) -> StoreConfig:
        if self.idle_flush_s < self.flush_s:
            raise ValueError(
                f"idle_flush_s ({self.idle_flush_s:g} s) must be at least flush_s "
                f"({self.flush_s:g} s): readings are committed no more often while no water runs"
            )
        return self

    def keeping(self, kind: str) -> Keeping:
        """The telemetry rule of ``kind``: the site's keys, the kind's default, ``[store]``'s."""
        given = self.telemetry.get(kind, KindTelemetry())
        shipped = KIND_TELEMETRY.get(kind, KindTelemetry())

        def pick(name: str) -> float | None:
            value = getattr(given, name)
            return value if value is not None else getattr(shipped, name)

        heartbeat = pick("heartbeat_s")
        deadband = pick("deadband_pct")
        return Keeping(
            heartbeat_s=heartbeat if heartbeat is not None else self.heartbeat_s,
            deadband_pct=deadband if deadband is not None else self.deadband_pct,
            watering_heartbeat_s=pick("watering_heartbeat_s"),
        )


class SafetyConfig(SiteModel):
    lease_s: float = Field(15, ge=3, le=600)
    # Written at start to every relay module whose profile has a [comm_watchdog]: with no
    # request for this long the module switches its relays off by itself.
    comm_watchdog_s: float = Field(10, ge=2, le=3600)
    max_run_min: float = Field(360, gt=0, le=1440)
    dry_run_delay_s: float = Field(30, gt=0, le=600)
    no_flow_m3_h: float = Field(0.5, ge=0, le=100)
    burst_factor: float = Field(1.5, gt=1, le=10)
    burst_delay_s: float = Field(20, gt=0, le=600)
    ec_max_ms_cm: float = Field(3.5, gt=0, le=20)
    ph_min: float = Field(5.0, ge=0, le=14)
    ph_max: float = Field(8.0, ge=0, le=14)
    stale_after_s: float = Field(300, gt=0, le=86_400)
    line_pressure_min_kpa: float = Field(50, ge=0, le=2000)
    line_pressure_max_kpa: float = Field(400, gt=0, le=2000)


class PlausibilityConfig(SiteModel):
    """When a soil probe or the weather station is doubted, and how far a sensor-mode run may
    go beyond the water balance (controller/agronomy/plausibility.py; docs/operations.md).

    Moisture in volumetric % (percentage points), water in mm gross over the zone's area.
    """

    # A probe whose moisture stays within the tolerance this long is flat (a frozen value).
    flatline_window_h: float = Field(24, gt=0, le=336)
    flatline_tolerance_pct: float = Field(0.05, ge=0, le=5)
    # Faster than this between two readings is not soil (the gap counted as at least 5 min).
    max_rise_pct_h: float = Field(120, gt=0, le=1000)
    max_fall_pct_h: float = Field(60, gt=0, le=1000)
    # After this much water, a sensor-mode zone's root-zone probe (no deeper than
    # response_max_depth_m) must have risen by response_min_rise_pct within the lag.
    response_after_mm: float = Field(20, gt=0, le=500)
    response_min_rise_pct: float = Field(1.0, gt=0, le=30)
    response_lag_min: float = Field(720, ge=0, le=2880)
    response_max_depth_m: float = Field(0.3, gt=0, le=3)
    # A sensor-mode run gives at most this many times the water balance's need.
    sensor_cap_factor: float = Field(1.5, ge=1, le=5)
    # Every weather point of the station unchanged this long: the station is frozen.
    station_frozen_h: float = Field(6, gt=0, le=72)
    # The posted forecast gave at least rain_reported_mm over the last rain_check_days
    # whole days while the station's gauge counted none: the gauge is doubted.
    rain_check_days: int = Field(3, ge=1, le=30)
    rain_reported_mm: float = Field(15, gt=0, le=500)


class _SiteModel(SiteModel):
    site: SiteInfo
    buses: list[BusConfig] = Field(min_length=1, max_length=MAX_BUSES)
    devices: list[DeviceConfig] = Field(min_length=1, max_length=MAX_DEVICES)
    zones: list[ZoneConfig] = Field(min_length=1, max_length=MAX_ZONES)
    head: HeadConfig
    fertigation: FertigationConfig | None = None
    weather: WeatherConfig | None = None
    policy: PolicyConfig = PolicyConfig()
    # per crop key, the site's MAD of its non-critical water-management periods
    crops: dict[str, CropTuning] = Field({}, max_length=64)
    safety: SafetyConfig = SafetyConfig()
    store: StoreConfig = StoreConfig()
    baseline: BaselineConfig = BaselineConfig()
    board: BoardConfig = BoardConfig()
    plausibility: PlausibilityConfig = PlausibilityConfig()
    learning: LearningConfig = LearningConfig()
    profile_dirs: list[str] = Field([], max_length=16)
    # alarms to people, state to the bus (controller.config.notify)
    notify: NotifyConfig | None = None
    mqtt: MqttConfig | None = None
    # water meters read through a pulse-counter module (controller.config.pulses)
    pulse_meters: list[PulseMeterConfig] = Field([], max_length=64)


@dataclass(frozen=True, slots=True)
class OutputRef:
    """A writable coil of a device: ``"relay1.ch3"`` in the site file."""

    device: str
    point: str

    def __str__(self) -> str:
        return f"{self.device}.{self.point}"

    @classmethod
    def parse(cls, ref: str) -> OutputRef:
        """``"relay1.ch3"`` → ``OutputRef("relay1", "ch3")`` (point empty if no dot)."""
        device, _, point = ref.partition(".")
        return cls(device, point)


@dataclass(frozen=True)
class SiteConfig:
    """A validated site, with its resolved device profiles."""

    path: Path
    model: _SiteModel
    profiles: dict[str, Profile]  # device name -> profile

    @property
    def site(self) -> SiteInfo:
        return self.model.site

    @property
    def buses(self) -> list[BusConfig]:
        return self.model.buses

    @property
    def devices(self) -> list[DeviceConfig]:
        return self.model.devices

    @property
    def zones(self) -> list[ZoneConfig]:
        return self.model.zones

    @property
    def head(self) -> HeadConfig:
        return self.model.head

    @property
    def fertigation(self) -> FertigationConfig | None:
        return self.model.fertigation

    @property
    def weather(self) -> WeatherConfig | None:
        return self.model.weather

    @property
    def policy(self) -> PolicyConfig:
        return self.model.policy

    @property
    def safety(self) -> SafetyConfig:
        return self.model.safety

    @property
    def store(self) -> StoreConfig:
        return self.model.store

    @property
    def plausibility(self) -> PlausibilityConfig:
        return self.model.plausibility

    @property
    def learning(self) -> LearningConfig:
        return self.model.learning

    @property
    def crops(self) -> dict[str, CropTuning]:
        return self.model.crops

    @property
    def pulse_meters(self) -> list[PulseMeterConfig]:
        return self.model.pulse_meters

    def pulse_meter(self, name: str) -> PulseMeterConfig | None:
        """The ``[[pulse_meters]]`` entry called ``name``, if the meter is one."""
        return next((m for m in self.model.pulse_meters if m.name == name), None)

    def crop(self, key: str) -> Crop:
        """The library crop ``key`` with this site's period MADs (``[crops.<key>.stages]``) laid
        over it; :class:`models.crops.CropDataError` if the library has no such crop."""
        tuning = self.model.crops.get(key)
        base = crop(key)
        if tuning is None:
            return base
        return with_stage_mad(base, {name: t.mad for name, t in tuning.stages.items()})

    def device(self, name: str) -> DeviceConfig:
        return next(d for d in self.devices if d.name == name)

    def devices_on(self, bus: str) -> list[DeviceRef]:
        """The devices of ``bus`` as the bus owner needs them."""
        return [
            DeviceRef(d.name, d.unit, self.profiles[d.name]) for d in self.devices if d.bus == bus
        ]

    def outputs(self) -> Iterator[tuple[str, OutputRef]]:
        """Every output by its key path (``zones[0].valve``, ``head.pump``, ...)."""
        for _role, path, ref in _output_roles(self.model):
            yield path, ref

    def output_roles(self) -> dict[str, OutputRef]:
        """Every output by its runtime role (``valve:z1``, ``pump``, ``master_valve``, ...)."""
        return {role: ref for role, _path, ref in _output_roles(self.model)}


def _output_roles(m: _SiteModel) -> Iterator[tuple[str, str, OutputRef]]:
    """(runtime role, key path, reference) of every output; the one list of outputs."""
    for i, z in enumerate(m.zones):
        yield f"valve:{z.name}", f"zones[{i}].valve", OutputRef.parse(z.valve)
    yield "pump", "head.pump", OutputRef.parse(m.head.pump)
    if m.head.master_valve:
        yield "master_valve", "head.master_valve", OutputRef.parse(m.head.master_valve)
    if m.head.backflush_valve:
        yield "backflush_valve", "head.backflush_valve", OutputRef.parse(m.head.backflush_valve)
    if m.fertigation:
        if m.fertigation.injector_power is not None:
            yield (
                "injector_power",
                "fertigation.injector_power",
                OutputRef.parse(m.fertigation.injector_power),
            )
        for i, ch in enumerate(m.fertigation.channels):
            path = f"fertigation.channels[{i}].power"
            yield f"dosing:{ch.name}", path, OutputRef.parse(ch.power)


def _loc(loc: tuple[int | str, ...]) -> str:
    return key_path(loc)


def _pydantic_problems(
    exc: ValidationError, filename: str, data: dict[str, Any]
) -> tuple[list[str], list[CodedProblem]]:
    """Every problem of ``exc`` as a line naming its key path, and those the pages can say
    in their words coded (:mod:`controller.config.schema_problems`)."""
    problems: list[str] = []
    coded: list[CodedProblem] = []
    # a model validator's own step (function-after[_one_area()]) is no key
    errors = [
        (err, tuple(p for p in err["loc"] if not str(p).startswith("function-")))
        for err in exc.errors()
    ]
    meant = {
        loc: near_key(_SiteModel, loc) for err, loc in errors if err["type"] == "extra_forbidden"
    }
    # a misspelt key is one problem: the key it was meant to be is not also "Field required"
    misspelt = {(*loc[:-1], key) for loc, key in meant.items() if key is not None}
    for err, loc in errors:
        if err["type"] == "missing" and loc in misspelt:
            continue
        where = _loc(loc) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing" and len(loc) == 1 and (header := _section(str(loc[0]))):
            msg = f"missing section {header}"
        if err["type"] == "extra_forbidden":
            near = meant[loc]
            msg = "unknown key" + (f" (did you mean {near!r}?)" if near else "")
        problems.append(f"{where}: {msg}{given(err)} ({filename})")
        found = schema_problem(err, problems[-1], data, meant.get(loc))
        if found is not None:
            coded.append(found)
    return problems, coded


def _section(key: str) -> str | None:
    """A top-level key of the site file as its TOML header (``[site]``, ``[[zones]]``);
    None for a key that is not a section."""
    field = _SiteModel.model_fields.get(key)
    if field is None:
        return None
    kind = field.annotation
    if get_origin(kind) is list:
        return f"[[{key}]]"
    return f"[{key}]" if isinstance(kind, type) and issubclass(kind, BaseModel) else None


class _Checker:
    """Cross-checks of a typed site model; collects problems with key paths."""

    def __init__(self, m: _SiteModel, library: ProfileLibrary, filename: str) -> None:
        self.m = m
        self.library = library
        self.filename = filename
        self.problems: list[str] = []
        self.coded: list[CodedProblem] = []
        self.profiles: dict[str, Profile] = {}

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message} ({self.filename})")

    def add_coded(self, path: str, message: str, code: str, values: dict[str, str]) -> None:
        """A problem that also has a message code, for the pages to translate."""
        self.add(path, message)
        self.coded.append(CodedProblem(self.problems[-1], code, values))

    def say(self, path: str, code: str, **values: str) -> None:
        """The problem ``code`` of :data:`~controller.config.site_messages.MESSAGES`."""
        self.add_coded(path, MESSAGES[code].format(**values), code, values)

    def run(self) -> None:
        self._unique_names()
        self._site()
        self._salt()
        self._buses()
        self._devices()
        self._pulse_meters()
        self._outputs()
        self._roles()
        self._head()
        self._fertigation_plan()
        self._channels()
        self._crop_tuning()
        self._crop_clock()
        self._safety()
        self._baseline()
        self._quota()
        self._cameras()

    def _cameras(self) -> None:
        """One camera, one zone: the cover of a photo is the cover of one zone."""
        seen: dict[str, str] = {}
        for i, zone in enumerate(self.m.zones):
            if zone.camera is None:
                continue
            other = seen.setdefault(zone.camera.url, zone.name)
            if other != zone.name:
                self.add(f"zones[{i}].camera.url", f"already the camera of zone {other!r}")

    def _crop_clock(self) -> None:
        """GDD and the cold on Kc need the station's temperatures and a maize crop."""
        for i, z in enumerate(self.m.zones):
            for key, on, prefix in (
                ("crop_clock", z.crop_clock == "gdd", "zone.gdd"),
                ("cold_kc", z.cold_kc, "zone.cold_kc"),
            ):
                if not on:
                    continue
                path = f"zones[{i}].{key}"
                if z.crop not in PHENOLOGY_CROPS:
                    crops = ", ".join(PHENOLOGY_CROPS)
                    self.say(path, f"{prefix}_needs_maize", zone=z.name, crop=z.crop, crops=crops)
                if self.m.weather is None or self.m.weather.station is None:
                    self.say(path, f"{prefix}_needs_station", zone=z.name)

    def _quota(self) -> None:
        start = self.m.site.quota_year_start
        month, day = int(start[:2]), int(start[3:])
        try:
            dt.date(2001, month, day)  # not a leap year: every year has the day
        except ValueError:
            self.add("site.quota_year_start", f"no such day in every year {start!r} (MM-DD)")
        if self.m.site.quota_m3_per_mu is not None and self.m.baseline.quota_m3_mu is not None:
            self.add(
                "baseline.quota_m3_mu",
                "give the quota once: [site] quota_m3_per_mu (the planner keeps to it) "
                "replaces [baseline] quota_m3_mu",
            )

    def _baseline(self) -> None:
        seen: dict[str, int] = {}
        for i, e in enumerate(self.m.baseline.events or []):
            try:
                dt.date(2000, int(e.date[:2]), int(e.date[3:]))  # a leap year: 02-29 is a day
            except ValueError:
                self.add(f"baseline.events[{i}].date", f"no such day {e.date!r} (MM-DD)")
            if e.date in seen:
                self.add(
                    f"baseline.events[{i}].date",
                    f"duplicate {e.date!r} (also baseline.events[{seen[e.date]}])",
                )
            seen.setdefault(e.date, i)

    def _unique_names(self) -> None:
        sections = {section: getattr(self.m, section) for section in ("buses", "devices", "zones")}
        if self.m.fertigation:
            sections["fertigation.tanks"] = self.m.fertigation.tanks
        for section, items in sections.items():
            seen: dict[str, int] = {}
            for i, item in enumerate(items):
                if item.name in seen:
                    self.add(
                        f"{section}[{i}].name",
                        f"duplicate name {item.name!r} (also {section}[{seen[item.name]}])",
                    )
                seen.setdefault(item.name, i)

    def _site(self) -> None:
        try:
            ZoneInfo(self.m.site.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Asia" is a directory
            self.add("site.timezone", f"unknown time zone {self.m.site.timezone!r}")

    def _salt(self) -> None:
        """The water must be fresh enough for every zone's crop: FAO-29 eq. 7 needs
        ECw < 5 ECe (the crop's threshold); a crop without a known threshold is refused."""
        ecw = self.m.site.irrigation_water_ec_ds_m
        if ecw is None:
            return
        known = crop_keys()
        for i, z in enumerate(self.m.zones):
            if z.crop not in known:
                continue  # said by reference_problems
            threshold = crop(z.crop).ece_threshold_ds_m
            if threshold is None:
                self.add(
                    "site.irrigation_water_ec_ds_m",
                    f"zones[{i}] crop {z.crop!r} has no salt tolerance (ece_threshold_ds_m) "
                    "in the crop library",
                )
            elif ecw >= 5.0 * threshold:
                self.add(
                    "site.irrigation_water_ec_ds_m",
                    f"{ecw:g} dS/m is too salty for zones[{i}] ({z.crop}, ECe threshold "
                    f"{threshold:g} dS/m): the FAO-29 leaching requirement needs ECw below "
                    f"5 × ECe = {5.0 * threshold:g}",
                )

    def _buses(self) -> None:
        endpoints: dict[str, int] = {}
        for i, b in enumerate(self.m.buses):
            key = b.serial_port if b.kind == "rtu" else f"{b.host}:{b.port}"
            if key in endpoints:
                self.add(
                    f"buses[{i}]",
                    f"{key} is already buses[{endpoints[key]}]: one physical bus, one owner",
                )
            endpoints.setdefault(key, i)

    def _devices(self) -> None:
        buses = {b.name: b for b in self.m.buses}
        units: dict[tuple[str, int], int] = {}
        for i, d in enumerate(self.m.devices):
            bus = buses.get(d.bus)  # an unknown bus or profile: said by reference_problems
            if d.profile in self.library:
                self.profiles[d.name] = self.library[d.profile]
            key = (d.bus, d.unit)
            if key in units:
                self.add(
                    f"devices[{i}].unit",
                    f"unit {d.unit} on bus {d.bus!r} is already devices[{units[key]}]",
                )
            units.setdefault(key, i)
            if bus is not None and d.name in self.profiles:
                # Worst case for one poll: every read times out on every attempt.
                profile = self.profiles[d.name]

                reads = len(plan_reads(profile.points, profile.max_read_registers))
                budget = reads * bus.settings().budget_s
                if budget >= d.poll_interval_s:
                    self.add(
                        f"devices[{i}].poll_interval_s",
                        f"{d.poll_interval_s:g} s is not longer than the bus timeout budget "
                        f"{budget:g} s ({reads} reads × (1 + {bus.retries} retries) × "
                        f"{bus.timeout_s:g} s)",
                    )
        self._poll_rates()

    def _poll_rates(self) -> None:
        """Each bus's devices must fit its poll loop's rate (``max_polls_per_s``)."""
        for i, b in enumerate(self.m.buses):
            need = sum(1.0 / d.poll_interval_s for d in self.m.devices if d.bus == b.name)
            if need > b.max_polls_per_s:
                self.add(
                    f"buses[{i}].max_polls_per_s",
                    f"bus {b.name!r}: its devices need {need:.1f} polls a second at their "
                    f"poll_interval_s, more than max_polls_per_s = {b.max_polls_per_s:g}; "
                    "raise it (if the line is fast enough), lengthen intervals or split the bus",
                )

    def _pulse_meters(self) -> None:
        check_pulse_meters(
            self.m.pulse_meters,
            [d.name for d in self.m.devices],
            self.profiles,
            {d.name: d.poll_interval_s for d in self.m.devices},
            self.add,
        )

    def _profile_of_kind(self, name: str, kinds: tuple[str, ...]) -> Profile | None:
        """The profile of the device ``name`` when it exists, its profile is known and of one
        of ``kinds``; None otherwise, silently: an unknown device or one of another kind is
        said by :func:`~controller.config.references.reference_problems`."""
        profile = self.profiles.get(name)
        return profile if profile is not None and profile.kind in kinds else None

    def _outputs(self) -> None:
        used: dict[OutputRef, str] = {}
        for _role, path, ref in _output_roles(self.m):
            if not ref.point:
                self.add(path, f"expected DEVICE.POINT (e.g. relay1.ch1), got {ref.device!r}")
                continue
            profile = self._profile_of_kind(ref.device, ("relay",))
            if profile is None:
                continue
            if not profile.has_point(ref.point):
                points = ", ".join(p.name for p in profile.points)
                self.add(path, f"device {ref.device!r} has no output {ref.point!r} ({points})")
                continue
            pt = profile.point(ref.point)
            if pt.table is not Table.COIL or not pt.writable:
                self.add(path, f"{ref} is not a writable coil")
            if profile.lease is None:
                self.add(
                    path, f"{ref.device!r} has no output lease: water would stay on if qanat died"
                )
            if ref in used:
                self.add(path, f"output {ref} is already used by {used[ref]}")
            used.setdefault(ref, path)

    def _roles(self) -> None:
        """One probe, one zone; a zone's runs within the safety's; the fertigation's roles.
        (Which devices, crops and soils the roles name: reference_problems.)"""
        probes_used: dict[str, str] = {}
        for i, z in enumerate(self.m.zones):
            for j, pr in enumerate(z.probes):
                path = f"zones[{i}].probes[{j}].device"
                if pr.device in probes_used:
                    self.add(path, f"probe {pr.device!r} is already {probes_used[pr.device]}")
                probes_used.setdefault(pr.device, path)
            if z.max_run_min > self.m.safety.max_run_min:
                self.add(
                    f"zones[{i}].max_run_min",
                    f"{z.max_run_min:g} min exceeds safety.max_run_min "
                    f"{self.m.safety.max_run_min:g}",
                )
        if self.m.fertigation:
            self._injectors(self.m.fertigation)

    def _injectors(self, f: FertigationConfig) -> None:
        """The single injector is whole or absent, and something doses.

        Without it the site doses only through its channels: no ``tanks``, and every event
        names a ``recipe``. With both, the injector is not also a channel's pump.
        """
        if f.injector is not None:
            if f.injector_power is None:
                self.add(
                    "fertigation.injector_power",
                    f"the injector {f.injector!r} needs its supply (a leased relay output)",
                )
            for i, ch in enumerate(f.channels):
                if ch.injector == f.injector:
                    self.add(
                        f"fertigation.channels[{i}].injector",
                        f"{ch.injector!r} is also fertigation.injector: one dosing pump, one role",
                    )
            return
        if f.injector_modbus_via_supply:
            self.add(
                "fertigation.injector_modbus_via_supply",
                "true without fertigation.injector: there is no single injector it could be",
            )
        if f.injector_power is not None:
            self.add("fertigation.injector", "injector_power is given: name the injector it feeds")
        elif not f.channels:
            self.add(
                "fertigation.injector",
                "nothing doses: give injector and injector_power (one dosing pump for the "
                "tanks) or [[fertigation.channels]]",
            )
            return
        if f.tanks:
            self.add(
                "fertigation.tanks",
                "tanks feed the single injector: give fertigation.injector, or dose from "
                "[[fertigation.channels]]",
            )
        for i, e in enumerate(f.events):
            if e.recipe is None:
                self.add(
                    f"fertigation.events[{i}]",
                    "a kg or target-EC event needs the single injector (fertigation.injector): "
                    "name a recipe",
                )

    def _crop_tuning(self) -> None:
        """``[crops.<crop>.stages.<period>]``: a library crop, one of its periods, not critical
        (:func:`models.crops.with_stage_mad` says why not)."""
        known = crop_keys()
        for key, tuning in self.m.crops.items():
            if key not in known:
                continue  # said by reference_problems
            library = crop(key)
            for name, stage in tuning.stages.items():
                try:
                    with_stage_mad(library, {name: stage.mad})
                except CropDataError as exc:
                    path, message = f"crops.{key}.stages.{name}", str(exc).split(": ", 1)[1]
                    if exc.code:  # said by the pages as site_check.crops.<code>
                        self.add_coded(path, message, f"crops.{exc.code}", dict(exc.values))
                    else:
                        self.add(path, message)

    def _head(self) -> None:
        h = self.m.head
        if h.pressure_before_filter:
            path = "head.pressure_before_filter"
            if h.pressure is None:
                self.add(path, "needs head.pressure (after the filter) to measure the filter's dp")
            elif h.pressure_before_filter == h.pressure:
                self.add(path, f"{h.pressure!r} is also head.pressure: one transmitter per side")
        if h.filter_dp:
            profile = self.profiles.get(h.filter_dp)  # an unknown device: reference_problems
            if profile is not None and not profile.has_point("filter_dp"):
                self.add(
                    "head.filter_dp",
                    f"device {h.filter_dp!r} ({profile.kind}) has no point 'filter_dp'",
                )
            if h.pressure_before_filter:
                self.add("head.filter_dp", "give pressure_before_filter or filter_dp, not both")
        if h.backflush_interval_h is not None and not h.backflush_valve:
            self.add("head.backflush_interval_h", "needs head.backflush_valve")
        for i, z in enumerate(self.m.zones):
            if z.nominal_flow_m3_h > h.pump_capacity_m3_h:  # every start refused at run time
                self.add(
                    f"zones[{i}].nominal_flow_m3_h",
                    f"{z.nominal_flow_m3_h:g} m3/h alone exceeds head.pump_capacity_m3_h "
                    f"{h.pump_capacity_m3_h:g} m3/h: the zone could never start",
                )
        if h.backflush_s >= h.backflush_min_gap_min * 60:
            self.add(
                "head.backflush_s",
                f"{h.backflush_s:g} s is not shorter than backflush_min_gap_min "
                f"{h.backflush_min_gap_min:g} min",
            )

    def _fertigation_plan(self) -> None:
        f = self.m.fertigation
        if f is None:
            return
        keys = {"N": "n_kg_mu", "P2O5": "p2o5_kg_mu", "K2O": "k2o_kg_mu"}
        held = {t.nutrient for t in f.tanks}
        zones = {z.name: z for z in self.m.zones}
        days: dict[tuple[str, dt.date], int] = {}
        for i, e in enumerate(f.events):
            path = f"fertigation.events[{i}]"
            for j, name in enumerate(e.zones or []):
                zone = zones.get(name)
                if zone is None:
                    self.say(f"{path}.zones[{j}]", "plan.unknown_zone", zone=name)
                elif zone.mode == "manual":
                    self.say(f"{path}.zones[{j}]", "plan.zone_manual", zone=name)
                if name in (e.zones or [])[:j]:
                    self.say(f"{path}.zones[{j}]", "plan.zone_twice", zone=name)
            for nutrient in e.kg_mu():
                if nutrient not in held:
                    self.say(f"{path}.{keys[nutrient]}", "plan.no_tank_holds", nutrient=nutrient)
            if e.target_ec_ms_cm is not None:
                self._event_ec(path, e.target_ec_ms_cm, e.tank, f)
            if e.recipe is not None and e.recipe not in {r.name for r in f.recipes}:
                self.say(f"{path}.recipe", "plan.unknown_recipe", recipe=e.recipe)
            # one zone per name: a duplicate name is said once, by _unique_names
            group = [z for z in zones.values() if e.applies_to(z)]
            if not group and e.zones is None:
                self.say(f"{path}.zones", "plan.every_zone_manual")
            for z in group:
                key = (z.name, e.day_for(z))
                if key in days:
                    taken = {"zone": z.name, "other": str(days[key]), "day": key[1].isoformat()}
                    self.say(path, "plan.day_taken", **taken)
                days.setdefault(key, i)

    def _channels(self) -> None:
        f = self.m.fertigation
        if f is None:
            return
        s = self.m.safety
        for problem in channel_problems(
            f.channels,
            f.recipes,
            f.loop,
            has_ph_meter=f.ph_meter is not None,
            source_ec_ms_cm=f.source_ec_ms_cm,
            ec_max_ms_cm=s.ec_max_ms_cm,
            ph_range=(s.ph_min, s.ph_max),
        ):
            code = f"dosing.{problem.code}"
            self.add_coded(problem.path, problem.message, code, problem.values)

    def _event_ec(self, path: str, target: float, tank: str | None, f: FertigationConfig) -> None:
        if tank not in {t.name for t in f.tanks}:
            self.say(f"{path}.tank", "plan.unknown_tank", tank=str(tank))
        ec = f"{target:g}"
        if target > self.m.safety.ec_max_ms_cm:
            ec_max = f"{self.m.safety.ec_max_ms_cm:g}"
            self.say(f"{path}.target_ec_ms_cm", "plan.ec_above_max", ec=ec, ec_max=ec_max)
        if target <= f.source_ec_ms_cm:
            source_ec = f"{f.source_ec_ms_cm:g}"
            self.say(
                f"{path}.target_ec_ms_cm", "plan.ec_not_above_source", ec=ec, source_ec=source_ec
            )

    def _safety(self) -> None:
        s = self.m.safety
        if s.ph_min >= s.ph_max:
            self.add("safety.ph_min", f"{s.ph_min:g} is not below ph_max {s.ph_max:g}")
        if s.line_pressure_min_kpa >= s.line_pressure_max_kpa:
            self.add("safety.line_pressure_min_kpa", "is not below line_pressure_max_kpa")
        watched: set[str] = set()  # modules whose comm watchdog was checked
        for _role, path, ref in _output_roles(self.m):
            profile = self.profiles.get(ref.device)
            if profile and profile.lease and s.lease_s > profile.lease.max_s:
                self.add(
                    "safety.lease_s",
                    f"{s.lease_s:g} s exceeds the longest lease of {ref.device!r} "
                    f"({profile.lease.max_s:g} s) used by {path}",
                )
            wd = profile.comm_watchdog if profile else None
            if wd is not None and ref.device not in watched:
                watched.add(ref.device)
                if wd.unit_s <= s.comm_watchdog_s <= wd.max_s:
                    continue
                self.add(
                    "safety.comm_watchdog_s",
                    f"{s.comm_watchdog_s:g} s outside the communication watchdog of "
                    f"{ref.device!r} ({wd.unit_s:g}..{wd.max_s:g} s) used by {path}",
                )


def load_site(path: Path | str, library: ProfileLibrary | None = None) -> SiteConfig:
    """Load, validate and cross-check a site file; raise :class:`ConfigError` listing every problem.

    ``profile_dirs`` in the file (relative to it) add site-specific profiles.
    """
    path = Path(path)
    return _validated(read_toml(path), path, path.name, library)


def _validated(
    data: dict[str, Any], path: Path, source: str, library: ProfileLibrary | None = None
) -> SiteConfig:
    """The site ``data`` (parsed from ``path``) through the schema, the profiles and the checks.

    Problems name ``source`` (the site file's name, or the overrides file's). Without a
    ``library``, the profiles are the bundled ones plus ``profile_dirs`` (relative to ``path``).
    """
    try:
        model = _SiteModel.model_validate(data)
    except ValidationError as exc:
        problems, coded = _pydantic_problems(exc, source, data)
        # the references between sections do not wait for the values to be fixed
        failed = {_loc(tuple(err["loc"])) for err in exc.errors()}
        refs = reference_problems(data, library or _raw_library(data, path), source, failed)
        raise ConfigError(problems + refs.problems, coded=coded + refs.coded) from exc
    if library is None:
        dirs = [(path.parent / d) for d in model.profile_dirs]
        missing = [f"profile_dirs: no directory {d} ({source})" for d in dirs if not d.is_dir()]
        if missing:
            raise ConfigError(missing)
        try:
            library = ProfileLibrary.load(*dirs)
        except ProfileError as exc:
            raise ConfigError(str(exc).splitlines()) from exc
    refs = reference_problems(data, library, source, failed=())
    checker = _Checker(model, library, source)
    checker.run()
    if refs.problems or checker.problems:
        raise ConfigError(refs.problems + checker.problems, coded=refs.coded + checker.coded)
    return SiteConfig(path=path, model=model, profiles=checker.profiles)


def _raw_library(data: dict[str, Any], path: Path) -> ProfileLibrary | None:
    """The profiles a site file that failed the schema names: the bundled ones plus its
    ``profile_dirs`` when they are text naming directories; None when they cannot load."""
    dirs = data.get("profile_dirs", [])
    if not isinstance(dirs, list) or not all(isinstance(d, str) for d in dirs):
        dirs = []
    try:
        return ProfileLibrary.load(*(path.parent / d for d in dirs if (path.parent / d).is_dir()))
    except ProfileError:
        return None


# What the pages may change on a running site; wiring and safety limits stay in the site file.
# ``fertigation.events`` is the whole plan: an override replaces the site file's list.
EDITABLE = {
    "zones": (
        "crop",
        "planting_date",
        "mode",
        "label",
        "mad_fraction",
        "targets",
        "soil_fc_m3m3",
        "soil_wp_m3m3",
        "kc_factor",
        "calibration_dry_down",
        "crop_clock",
        "cold_kc",
    ),
    "crops": ("stages",),
    "site": ("krs",),
    "policy": ("probe_weight", "rain_skip_mm"),
    "fertigation": ("events", "recipes"),
}


def apply_overrides(
    site: SiteConfig, overrides: dict[str, Any], source: str = "site.overrides.toml"
) -> SiteConfig:
    """``site`` with ``overrides`` (``{"zones": {name: {key: value}}, "policy": {...},
    "crops": {crop: {"stages": {period: {"mad": x}}}}, "fertigation": {"events": [...],
    "recipes": [...]}}``).

    Only :data:`EDITABLE` keys; the result passes the same checks as :func:`load_site`,
    so :class:`ConfigError` names each problem by key path (``zones[1].crop: ...``,
    ``fertigation.events[2].n_kg_mu: ...``). A site without ``[fertigation]`` (no
    injector) has no plan to edit: its events are refused.
    """
    data = site.model.model_dump()
    problems = _lay_over(data, overrides, source)
    if problems:
        raise ConfigError(problems)
    return _validated(data, site.path, source)


def _lay_over(data: dict[str, Any], overrides: dict[str, Any], source: str) -> list[str]:
    """Write the editable ``overrides`` into ``data`` (a dumped site model); the problems."""
    index = {z["name"]: i for i, z in enumerate(data["zones"])}
    problems = []
    for section, changes in overrides.items():
        if section not in EDITABLE:
            problems.append(_not_editable((section,), EDITABLE, source))
            continue
        targets: list[tuple[tuple[int | str, ...], dict[str, Any], dict[str, Any]]] = []
        if section == "crops":
            problems += _lay_over_crops(data.setdefault("crops", {}), changes, source)
            continue
        if section == "zones":
            for zone, values in changes.items():
                if zone not in index:
                    problems.append(f"zones.{zone}: no such zone ({source})")
                else:
                    targets.append((("zones", index[zone]), data["zones"][index[zone]], values))
        elif data.get(section) is None:
            problems.append(
                f"{section}: the site file has no [{section}] section "
                f"(no injector): nothing to edit ({source})"
            )
        else:
            targets.append(((section,), data[section], changes))
        for loc, target, values in targets:
            for key, value in values.items():
                if key in EDITABLE[section]:
                    target[key] = value
                else:
                    problems.append(_not_editable((*loc, key), EDITABLE[section], source))
    return problems


def _lay_over_crops(data: dict[str, Any], changes: Any, source: str) -> list[str]:
    """``[crops.<crop>.stages.<period>] mad`` of the overrides into the site's ``crops`` (a
    period's table replaces the site file's; the other periods stay); the problems."""
    if not isinstance(changes, dict):
        return [f"crops: expected a table of crops ({source})"]
    problems = []
    for key, tuning in changes.items():
        if not isinstance(tuning, dict):
            problems.append(f"crops.{key}: expected a table ({source})")
            continue
        target = data.setdefault(key, {"stages": {}})
        for name, stages in tuning.items():
            if name not in EDITABLE["crops"]:
                problems.append(_not_editable(("crops", key, name), EDITABLE["crops"], source))
            elif not isinstance(stages, dict):
                problems.append(f"crops.{key}.stages: expected a table of periods ({source})")
            else:
                for period, values in stages.items():
                    extra = set(values) - {"mad"} if isinstance(values, dict) else set()
                    if extra:
                        problems += [
                            _not_editable(("crops", key, "stages", period, k), ("mad",), source)
                            for k in sorted(extra)
                        ]
                    else:
                        target.setdefault("stages", {})[period] = values
    return problems


def _not_editable(loc: tuple[int | str, ...], editable: Collection[str], source: str) -> str:
    """The problem of a key at ``loc`` the pages may not set: a key the site file knows there
    is said as it is; a misspelt one also names the editable key nearest to it, as
    ``qanat check-config`` names an unknown key's (:func:`near_key`)."""
    known = near_key(_SiteModel, loc) == loc[-1]
    near = None if known else near_key(_SiteModel, loc, among=editable)
    hint = f" (did you mean {near!r}?)" if near else ""
    return f"{_loc(loc)}: not editable from the pages{hint} ({source})"


def report_problems(where: object, problems: Sequence[str], file: TextIO | None = None) -> None:
    """Print ``where: N problems`` (``1 problem``), then each problem indented on its line.

    The one way commands show a file's problems (a :class:`ConfigError`'s, or any list of
    ``key.path: message``); ``file`` defaults to stderr at the time of the call.
    """
    out = sys.stderr if file is None else file
    print(f"{where}: {counted(len(problems), 'problem', 'problems')}", file=out)
    for problem in problems:
        print(f"  {problem}", file=out)


def load_site_or_report(path: Path) -> SiteConfig | None:
    """For commands: the site, or ``None`` after printing every problem to stderr."""
    try:
        return load_site(path)
    except ConfigError as exc:
        report_problems(path, exc.problems)
        return None
