"""Request (``*Create``) and response (``*Public``) bodies of ``/api/v1``.

Response models mirror the DTOs of :mod:`controller.daemon.protocol`; FastAPI fills
them from the dataclasses the service returns. Times go out as ISO 8601 with
an explicit ``+00:00`` offset. Request numbers are strict (no ``"5"`` for 5,
no ``true``), finite and bounded, so a malformed body is a 422 that names the
field and never reaches the daemon.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from controller.config.site import CALIBRATION_DRY_DOWN_RANGE
from web.params import FIRST_DAY, LAST_DAY, MAX_NAME_CHARS

__all__ = [
    "AlarmPublic",
    "CropObservationCreate",
    "CropObservationPublic",
    "CropViewPublic",
    "DecisionPublic",
    "DevicePublic",
    "DryDownCreate",
    "DryDownPublic",
    "ForecastCreate",
    "ForecastDayCreate",
    "ForecastStored",
    "NextRunPublic",
    "PauseCreate",
    "PausedPublic",
    "ProbeCalibrationPublic",
    "ProbeSampleCreate",
    "ProbeSamplePublic",
    "ReadingPublic",
    "RunCreate",
    "RunPublic",
    "RunStarted",
    "SitePublic",
    "WaterBalanceDayPublic",
    "ZonePublic",
]

MAX_RUN_MIN = 1440.0  # one day; the service holds each zone to its own, lower, maximum
MAX_PAUSE_H = 168.0  # one week
MAX_RUN_VOLUME_M3 = 5000.0 * 24  # a day at the largest pump capacity a site may declare
MAX_RUN_DEPTH_MM = 500.0  # a border flood is 100-150 mm; the service checks the cap
MAX_FORECAST_DAYS = 16


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC)


UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_utc),
    PlainSerializer(lambda when: when.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


def _iso_times(value: Any) -> Any:
    """``value`` with every datetime inside it as ISO 8601 text with its offset."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _iso_times(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_iso_times(item) for item in value]
    return value


# Free-form maps from the daemon (device health, decision inputs): times written as above.
JsonMap = Annotated[
    dict[str, Any], PlainSerializer(_iso_times, return_type=dict[str, Any], when_used="json")
]


def _finite(
    default: Any = ..., *, ge: float | None = None, gt: float | None = None, le: float
) -> Any:
    return Field(default, strict=True, allow_inf_nan=False, ge=ge, gt=gt, le=le)


# -- responses -------------------------------------------------------------------


class SitePublic(BaseModel):
    site_id: str
    name: str
    time: UtcDatetime
    state: str = Field(description='"running", "paused" or "alarm"')
    paused_until: UtcDatetime | None
    open_alarms: int
    weather: dict[str, float | None] = Field(description="weather point -> latest good value")
    et0_today_mm: float | None
    active_runs: int
    clock_trusted: bool = Field(
        True, description="false: the wall clock is not trusted, nothing waters automatically"
    )
    clock_note: str = Field("", description="why the clock is not trusted, or what made it trusted")
    offline_devices: dict[str, UtcDatetime] = Field(
        default_factory=dict,
        description="device -> its last good reading, for each device offline now "
        "(device_offline raised, no good reading since; a warning, so not in open_alarms)",
    )


class NextRunPublic(BaseModel):
    start: UtcDatetime
    duration_min: float | None = Field(description="None: a deferral recorded without it")
    depth_mm: float | None
    reason: str
    reason_codes: list[str] = Field(
        default_factory=list,
        description="the decision's reason codes (the planner's, or the zone mode's)",
    )
    reason_values: dict[str, str] = Field(
        default_factory=dict, description="the values the reason codes name, as written"
    )
    deferred: bool = Field(
        False,
        description="not queued: the run the latest decision deferred to (its deferred_to); "
        "the planner decides again before it",
    )


class ProbeDoubtPublic(BaseModel):
    device: str
    code: str = Field(
        description="the open alarm's code: probe_flatline, probe_rate, probe_no_response "
        "(quarantined until acknowledged) or sensor_fault (implausible readings)"
    )
    alarm_id: int | None = Field(None, description="the open alarm, when one is stored")
    since: UtcDatetime | None = None


class ZonePublic(BaseModel):
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
    moisture_pct: dict[str, float | None] = Field(description="probe depth (m) -> moisture")
    next_run: NextRunPublic | None
    water_today_m3: float
    water_season_m3: float
    fertilizer_season_kg: dict[str, float]
    doubted: dict[str, ProbeDoubtPublic] = Field(
        default_factory=dict,
        description="probe depth (m) -> why its moisture is doubted; its value is not used",
    )


class ReadingPublic(BaseModel):
    point: str
    value: float | None = Field(None, description="set only when quality is ok")
    decoded: float | None = None
    unit: str = ""
    quality: str
    time: UtcDatetime | None = None
    detail: str = ""


class DevicePublic(BaseModel):
    name: str
    bus: str
    unit: int
    profile: str
    kind: str
    health: JsonMap
    readings: list[ReadingPublic]


class RunPublic(BaseModel):
    id: int
    zone: str
    source: str
    state: str
    phase: str | None
    planned_min: float
    started_at: UtcDatetime | None
    ended_at: UtcDatetime | None
    end_reason: str
    applied_m3: float | None
    fertilizer: dict[str, float] = Field(description="fertilizer -> kg")


class DecisionPublic(BaseModel):
    id: int
    time: UtcDatetime
    zone: str
    mode: str
    action: str
    planned_start: UtcDatetime | None
    duration_min: float
    depth_mm: float
    reason: str
    inputs: JsonMap


class AlarmPublic(BaseModel):
    id: int
    time: UtcDatetime
    severity: str
    code: str
    source: str
    message: str
    latched: bool
    acked_at: UtcDatetime | None
    acked_by: str | None


class ProbeSamplePublic(BaseModel):
    id: int
    probe: str
    sampled_at: UtcDatetime
    theta_pct: float
    method: str
    raw_pct: float
    raw_source: str = Field(
        description='"store" (the probe\'s stored readings), "live" (its live value) or "given"'
    )
    entered_by: str
    entered_at: UtcDatetime
    note: str


class CropObservationPublic(BaseModel):
    id: int
    zone: str
    stage: str
    observed_on: date = Field(description="the site's local date the stage was reached")
    note: str
    photo: bool = Field(description="a photo is kept: GET .../observations/{id}/photo")
    entered_by: str
    entered_at: UtcDatetime
    replaced: list[int] = Field(
        [],
        description="when just recorded: the ids of the zone's records of the same stage and "
        "date it replaced (deleted; their audit entries stay)",
    )

    @field_validator("photo", mode="before")
    @classmethod
    def _has_photo(cls, value: Any) -> bool:
        return bool(value)


class CropStagePublic(BaseModel):
    stage: str
    observed_on: date | None
    predicted_on: date | None = Field(
        description="from the stages observed before it: degree days, else the calendar"
    )
    predicted_by: str
    days_late: int | None = Field(description="observed − predicted, days")
    confirmed_against_prediction: bool = Field(
        False,
        description="the technician confirmed the record when it was refused as implausible "
        "for the stage by the degree days since sowing (or the calendar without them): its "
        "crop.observe audit entry says confirmed_against",
    )
    implausible_by: str | None = Field(
        None,
        description='a record nobody confirmed that the rule finds implausible today ("gdd" '
        'or "calendar": a record kept from before the rule, or doubted since a planting '
        "date change or temperatures stored later); null otherwise",
    )


class CropViewPublic(BaseModel):
    zone: str
    crop: str
    planting_date: date
    phenology: bool = Field(description="the crop has recorded stages (maize)")
    crop_clock: str = Field(description='"calendar" or "gdd" before a stage is observed')
    today: JsonMap = Field(
        description="kc_source (calendar, gdd, observation), crop_day, fao56_stage, "
        "day_in_stage, gdd_degc_day (the station's degree days since sowing, °C·d, whatever "
        "set the crop day; null without a day measured, gdd_missing saying why: "
        "no_temperatures, not_maize, unreadable: the store failed reading them), "
        "gdd_days_measured (days with both temperatures), "
        "anchor, anchor_date, days_after_planting, sentence"
    )
    stages: list[CropStagePublic]


class ProbeCalibrationPublic(BaseModel):
    probe: str
    zone: str
    depth_m: float
    n_samples: int
    gain: float | None = Field(description="θ = gain · raw + offset_pct; null: raw used")
    offset_pct: float | None
    se_pct: float | None = Field(description="1 σ standard error of θ, % vol")
    gain_fitted: bool
    raw_min_pct: float | None
    raw_max_pct: float | None
    error: str = Field(description="why the samples give no calibration")


class WaterBalanceDayPublic(BaseModel):
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


class CanopyPointPublic(BaseModel):
    at: datetime
    status: str  # ok, unreachable, timeout, http_error, not_image, too_large, ...
    cover: float | None  # fraction of the ground the canopy covers, 0..1 (status ok)
    image: str | None  # the photo's file name, while it is kept
    detail: str


class CanopyPublic(BaseModel):
    zone: str
    camera: bool
    interval_min: float | None
    points: list[CanopyPointPublic]
    latest_photo: str | None


class RunStarted(BaseModel):
    run_id: int


class PausedPublic(BaseModel):
    paused_until: UtcDatetime


class ForecastStored(BaseModel):
    stored: int = Field(description="days stored")


# -- requests --------------------------------------------------------------------


class _Create(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not a default


class ProbeSampleCreate(_Create):
    """A soil sample next to the probe: reference θ (% vol) and, optionally, when it was
    taken (default now) and the probe's raw reading then (default: its stored readings
    within 15 min of that time)."""

    theta_pct: float = _finite(ge=0, le=60)
    method: Literal["gravimetric", "reference"] = "gravimetric"
    at: UtcDatetime | None = None
    raw_pct: float | None = _finite(None, ge=0, le=100)
    note: str = Field("", max_length=500)


class CropObservationCreate(_Create):
    """A crop stage seen on the zone: the stage, the site's local date it was reached (not
    in the future), a note and, optionally, a JPEG or PNG photo as base64 (at most 700 KiB
    decoded)."""

    stage: str = Field(
        max_length=32, description="VE, V6, jointing, tasseling, silking, milk, maturity"
    )
    observed_on: date
    note: str = Field("", max_length=500)
    photo_base64: str | None = Field(None, max_length=960_000)
    confirm: bool = Field(
        False,
        description="keep a stage the degree days since sowing make implausible on that date "
        "(below 0.5 x the stage's degree days or above the larger of 2 x and + 200, or over "
        "30 days off its calendar day): the crop really is at this stage",
    )


class SoilApprove(_Create):
    """Approve the zone's soil fit: ``fitted_at`` of the fit shown (a newer fit is refused)."""

    fitted_at: UtcDatetime


class SoilApproved(BaseModel):
    """The zone's settings the approval wrote."""

    soil_fc_m3m3: float
    soil_wp_m3m3: float
    kc_factor: float


class DryDownCreate(_Create):
    """One calibration dry-down of the zone: ``fraction``, the depletion to reach as a
    fraction of TAW (within the site check's range)."""

    fraction: float = _finite(ge=CALIBRATION_DRY_DOWN_RANGE[0], le=CALIBRATION_DRY_DOWN_RANGE[1])


class DryDownPublic(BaseModel):
    """A zone's calibration dry-down: ``fraction`` the setting (None: off), ``phase`` None,
    requested, holding or done, the dates it held and ended, why it ended, the last
    balance's Dr and the target (fraction · TAW), mm."""

    fraction: float | None
    phase: Literal["requested", "holding", "done"] | None
    since: str | None
    ended: str | None
    why: str
    dr_mm: float | None
    target_mm: float | None


class RunCreate(_Create):
    """``minutes``: the run's length; with ``volume_m3`` (or ``volume_mm``, gross depth over
    the zone's area) the run ends when that much water was metered and ``minutes`` is its
    time cap (the service refuses a cap too short at the zone's nominal flow). With
    ``recipe`` (a ``[[fertigation.recipes]]`` name of the site) a fertigation run by that
    recipe: prewet, inject, flush within ``minutes``; not with a volume."""

    minutes: float = _finite(gt=0, le=MAX_RUN_MIN)
    volume_m3: float | None = _finite(None, gt=0, le=MAX_RUN_VOLUME_M3)
    volume_mm: float | None = _finite(None, gt=0, le=MAX_RUN_DEPTH_MM)
    recipe: str | None = Field(None, max_length=MAX_NAME_CHARS)

    @model_validator(mode="after")
    def _one_volume(self) -> RunCreate:
        if self.volume_m3 is not None and self.volume_mm is not None:
            raise ValueError("give volume_m3 or volume_mm, not both")
        return self


class PauseCreate(_Create):
    hours: float = _finite(gt=0, le=MAX_PAUSE_H)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day_text(value: object) -> object:
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise ValueError("date must be text YYYY-MM-DD")
    return value


def _day_in_range(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"date must lie in {FIRST_DAY} .. {LAST_DAY}")
    return value


class ForecastDayCreate(_Create):
    date: Annotated[date, BeforeValidator(_iso_day_text), AfterValidator(_day_in_range)]
    et0_mm: float = _finite(ge=0, le=30)
    rain_mm: float = _finite(ge=0, le=2000)
    tmin_c: float | None = _finite(None, ge=-90, le=60)
    wind_m_s: float | None = _finite(None, ge=0, le=100)


class ForecastCreate(_Create):
    days: list[ForecastDayCreate] = Field(min_length=1, max_length=MAX_FORECAST_DAYS)

    @field_validator("days")
    @classmethod
    def _dates_unique(cls, days: list[ForecastDayCreate]) -> list[ForecastDayCreate]:
        seen: set[date] = set()
        for day in days:
            if day.date in seen:
                raise ValueError(f"date {day.date.isoformat()} appears twice")
            seen.add(day.date)
        return days
