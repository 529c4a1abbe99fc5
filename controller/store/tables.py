"""The store's tables (SQLModel, ``table=True``).

Every ``id`` is an INTEGER PRIMARY KEY with AUTOINCREMENT (on SQLite
``sqlite_autoincrement``; on PostgreSQL a sequence), so an id is never given
out twice, even after deletes: ids are the export cursor. Times are aware UTC
(:class:`~controller.store.types.UTCDateTime`). Enumerated values are stored
as plain strings (validated by the store) so that adding a value is not a
schema migration.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from controller.store.types import UTCDateTime

__all__ = [
    "FERTIGATION_PHASES",
    "ApiToken",
    "AuditEntry",
    "CropObservation",
    "Decision",
    "DecisionAction",
    "Event",
    "ExportAck",
    "HourlyReading",
    "ProbeSample",
    "ReadingRow",
    "Role",
    "Run",
    "RunMeter",
    "RunPhase",
    "RunSource",
    "RunState",
    "SchemaVersion",
    "Severity",
    "User",
    "UserSession",
    "WaterBalanceDay",
]


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ALARM = "alarm"
    CRITICAL = "critical"


class DecisionAction(enum.StrEnum):
    IRRIGATE = "irrigate"
    SKIP = "skip"
    DEFER = "defer"


class RunSource(enum.StrEnum):
    PLAN = "plan"
    MANUAL = "manual"
    CALENDAR = "calendar"


class RunState(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    DONE = "done"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"  # the daemon stopped (crash, power) while it ran


class RunPhase(enum.StrEnum):
    PREWET = "prewet"
    INJECT = "inject"
    FLUSH = "flush"
    WATER = "water"


FERTIGATION_PHASES = frozenset({RunPhase.PREWET, RunPhase.INJECT, RunPhase.FLUSH})
"""The phases of a run with a recipe: it starts in prewet (controller.runtime.sequencer) and
never goes back to water, so a run recorded in one of these had a recipe."""


class Role(enum.StrEnum):
    ADMIN = "admin"
    TECHNICIAN = "technician"
    VIEWER = "viewer"


_AUTOINCREMENT: dict[str, Any] = {"sqlite_autoincrement": True}


def _time(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


class SchemaVersion(SQLModel, table=True):
    """One row per schema version applied; the highest is the database's version."""

    __tablename__ = "schema_version"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    applied_at: dt.datetime = _time()


class ReadingRow(SQLModel, table=True):
    """One stored :class:`drivers.reading.Reading` (raw resolution).

    ``value`` is NULL unless ``quality`` is ``ok``; ``decoded`` keeps what the
    device reported either way.
    """

    __tablename__ = "readings"
    __table_args__ = (
        # One index, time first: every insert lands at its right-hand end, so a commit dirties
        # a page or two of it rather than one leaf per point stored (the SD card's writes,
        # docs/deploy.md). A point's series is a time range of it filtered on device and point
        # within the index; retention and the newest time read it from the left and the right.
        Index("ix_readings_time_device_point", "time", "device", "point"),
        _AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    time: dt.datetime = _time()
    device: str
    point: str
    value: float | None = None
    decoded: float | None = None
    unit: str = ""
    quality: str
    detail: str = ""


class HourlyReading(SQLModel, table=True):
    """Hourly aggregate of one point, written by retention for raw rows it deletes.

    ``count``/``min``/``mean``/``max`` are over ``ok`` readings only (all
    three NULL when the hour had none); ``count_bad`` counts the flagged ones.
    A row is merged in place when later retention passes bring more readings
    of the same hour (late or clock-jumped rows), so this table is a local
    summary, not an export stream: raw rows are exported before they are
    deleted (see :meth:`Store.apply_retention`).
    """

    __tablename__ = "readings_downsampled"
    __table_args__ = (
        UniqueConstraint("device", "point", "hour", name="uq_readings_downsampled_hour"),
        _AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    hour: dt.datetime = _time()  # start of the hour, UTC
    device: str
    point: str
    unit: str = ""
    count: int = 0
    min: float | None = None
    mean: float | None = None
    max: float | None = None
    count_bad: int = 0


class WaterBalanceDay(SQLModel, table=True):
    """One zone-day of the FAO-56 soil water balance (depths in mm).

    Appended, never updated: recomputing a day adds a row with the next
    ``revision``; :meth:`Store.water_balance` returns the latest per day.
    ``date`` is the site's local date.
    """

    __tablename__ = "water_balance"
    __table_args__ = (
        UniqueConstraint("zone", "date", "revision", name="uq_water_balance_revision"),
        _AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    zone: str
    date: dt.date
    revision: int = 1
    computed_at: dt.datetime | None = _time(default=None)
    et0_mm: float
    kc: float
    etc_mm: float
    eta_mm: float
    rain_mm: float
    effective_rain_mm: float
    irrigation_mm: float
    runoff_mm: float = 0.0
    deep_percolation_mm: float = 0.0
    dr_start_mm: float
    dr_end_mm: float
    taw_mm: float
    raw_mm: float
    ks: float
    probe_correction_mm: float = 0.0
    method: str
    notes: str = ""


class Decision(SQLModel, table=True):
    """A planner decision with the inputs that explain it (principle 5)."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_zone_time", "zone", "time"), _AUTOINCREMENT)

    id: int | None = Field(default=None, primary_key=True)
    time: dt.datetime = _time()
    zone: str
    mode: str
    action: str
    planned_start: dt.datetime | None = _time(default=None)
    duration_min: float = 0.0
    depth_mm: float = 0.0
    reason: str
    inputs: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Run(SQLModel, table=True):
    """One irrigation (or fertigation) run of a zone; its state changes are committed at once."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_zone_created", "zone", "created_at"),
        Index("ix_runs_state", "state"),
        _AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = _time()
    zone: str
    decision_id: int | None = Field(default=None, foreign_key="decisions.id")
    source: str
    state: str
    planned_min: float
    started_at: dt.datetime | None = _time(default=None)
    ended_at: dt.datetime | None = _time(default=None)
    end_reason: str = ""
    applied_m3: float = 0.0
    fertilizer: dict[str, float] = Field(default_factory=dict, sa_type=JSON)  # kg per nutrient
    phase: str | None = None


class RunMeter(SQLModel, table=True):
    """The flow-meter totalizer (m³) a running run's recorded ``applied_m3`` counts up to.

    Written with the run's start and each progress write, in the same transaction; a
    restart credits an interrupted run the meter's rise since (:mod:`controller.runtime.credit`).
    Box-internal recovery state: not exported, deleted when the run ends.
    """

    __tablename__ = "run_meter"

    run_id: int = Field(primary_key=True)
    device: str  # the flow meter read
    total_m3: float  # its positive totalizer (total + total_fraction), m³
    time: dt.datetime = _time()  # when the meter read it


class ProbeSample(SQLModel, table=True):
    """A soil sample taken next to a probe: the reference θ and the probe's raw reading then.

    ``theta_pct`` is volumetric (% vol) by ``method`` (``gravimetric``: water / dry mass ×
    bulk density; ``reference``: a reference probe's θ); ``raw_pct`` is the probe's stored
    raw reading at ``sampled_at`` (the mean of its good readings around it, its live value for
    a sample taken now, or typed in: ``raw_source`` ``store``, ``live`` or ``given``).
    Appended, never updated: the probe's calibration (:mod:`models.learning.calibration`) is
    fitted from every sample of the probe.
    """

    __tablename__ = "probe_samples"
    __table_args__ = (
        Index("ix_probe_samples_probe", "device", "point", "sampled_at"),
        _AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    device: str  # the probe's device
    point: str  # its moisture point
    sampled_at: dt.datetime = _time()
    theta_pct: float  # the reference θ, % vol
    method: str  # gravimetric / reference
    raw_pct: float  # the probe's raw reading at sampled_at, % vol
    raw_source: str  # store / live / given
    entered_by: str
    entered_at: dt.datetime = _time()
    note: str = ""


class CropObservation(SQLModel, table=True):
    """A crop stage a technician saw on a zone (:class:`models.crops.phenology.Stage`).

    ``observed_on`` is the site's local date the stage was reached; ``photo`` the file name
    of its photo under the data directory's ``photos/`` ("" without). Appended, never
    updated: a stage recorded again for a zone replaces the earlier record of it (the newest
    ``id`` holds), so a date is corrected by recording the stage again; a mistaken record is
    deleted (:meth:`~controller.store.Store.delete_crop_observation`, with the records of its
    stage it had replaced).
    """

    __tablename__ = "crop_observations"
    __table_args__ = (
        Index("ix_crop_observations_zone", "zone", "observed_on"),
        _AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    zone: str
    stage: str  # VE, V6, jointing, tasseling, silking, milk, maturity
    observed_on: dt.date
    note: str = ""
    photo: str = ""
    entered_by: str
    entered_at: dt.datetime = _time()


class Event(SQLModel, table=True):
    """An event or alarm. A latched event stays open until acknowledged."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_time", "time"), _AUTOINCREMENT)

    id: int | None = Field(default=None, primary_key=True)
    time: dt.datetime = _time()
    severity: str
    code: str  # stable identifier, e.g. "dry_run"
    source: str  # device, zone or "site"
    message: str
    latched: bool = False
    acked_at: dt.datetime | None = _time(default=None)
    acked_by: str | None = None


class AuditEntry(SQLModel, table=True):
    """Who did what (manual runs, config changes, acknowledgements, token changes)."""

    __tablename__ = "audit"
    __table_args__ = (_AUTOINCREMENT,)

    id: int | None = Field(default=None, primary_key=True)
    time: dt.datetime = _time()
    actor: str
    action: str
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class ApiToken(SQLModel, table=True):
    """An API token; only its hash is stored (see :mod:`controller.store.tokens`)."""

    __tablename__ = "tokens"
    __table_args__ = (_AUTOINCREMENT,)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    role: str
    token_hash: str = Field(unique=True)
    created_at: dt.datetime = _time()
    revoked_at: dt.datetime | None = _time(default=None)
    last_used_at: dt.datetime | None = _time(default=None)


class User(SQLModel, table=True):
    """A person who logs in to the local pages; the password is stored as an argon2id hash."""

    __tablename__ = "users"
    __table_args__ = (_AUTOINCREMENT,)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    display_name: str = ""
    role: str  # Role: admin / technician / viewer
    password_hash: str
    locale: str = "zh-CN"
    created_at: dt.datetime = _time()
    disabled_at: dt.datetime | None = _time(default=None)


class UserSession(SQLModel, table=True):
    """A login session of the pages; only a hash of the cookie value is stored."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user", "user_id"), _AUTOINCREMENT)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    user_id: int = Field(foreign_key="users.id")
    created_at: dt.datetime = _time()
    expires_at: dt.datetime = _time()
    last_seen_at: dt.datetime | None = _time(default=None)
    revoked_at: dt.datetime | None = _time(default=None)


class ExportAck(SQLModel, table=True):
    """The last row id of an exported table that a reader acknowledged (retention keeps newer)."""

    __tablename__ = "export_acks"
    __table_args__ = (
        UniqueConstraint("table_name", "reader", name="uq_export_ack_reader"),
        _AUTOINCREMENT,
    )

    id: int | None = Field(default=None, primary_key=True)
    table_name: str
    reader: str  # token name of the reader (e.g. the central office)
    acked_id: int
    acked_at: dt.datetime = _time()
