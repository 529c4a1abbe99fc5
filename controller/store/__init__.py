"""The daemon's store (sqlmodel): SQLite in WAL mode by default, PostgreSQL accepted.

Open with :meth:`Store.open_dir` (``<data_dir>/qanat.db``) or ``Store(url)``.
Events, runs, decisions and audit entries are committed one by one; readings
are batched (:mod:`controller.store.buffer`); old readings are downsampled
once exported (:mod:`controller.store.retention`).
"""

from controller.store.buffer import BufferStats, ReadingBuffer
from controller.store.errors import (
    InvalidToken,
    NotFound,
    RunStateError,
    StoreCorruptError,
    StoreError,
    StoreVersionError,
    StoreWriteError,
)
from controller.store.health import StoreHealth
from controller.store.retention import RetentionReport
from controller.store.store import EXPORT_TABLES, SCHEMA_VERSION, STORE_FILE, MeterMark, Store
from controller.store.tables import (
    FERTIGATION_PHASES,
    ApiToken,
    AuditEntry,
    CropObservation,
    Decision,
    DecisionAction,
    Event,
    ExportAck,
    HourlyReading,
    ProbeSample,
    ReadingRow,
    Role,
    Run,
    RunMeter,
    RunPhase,
    RunSource,
    RunState,
    Severity,
    User,
    UserSession,
    WaterBalanceDay,
)
from controller.store.tokens import TokenInfo

__all__ = [
    "EXPORT_TABLES",
    "FERTIGATION_PHASES",
    "SCHEMA_VERSION",
    "STORE_FILE",
    "ApiToken",
    "AuditEntry",
    "BufferStats",
    "CropObservation",
    "Decision",
    "DecisionAction",
    "Event",
    "ExportAck",
    "HourlyReading",
    "InvalidToken",
    "MeterMark",
    "NotFound",
    "ProbeSample",
    "ReadingBuffer",
    "ReadingRow",
    "RetentionReport",
    "Role",
    "Run",
    "RunMeter",
    "RunPhase",
    "RunSource",
    "RunState",
    "RunStateError",
    "Severity",
    "Store",
    "StoreCorruptError",
    "StoreError",
    "StoreHealth",
    "StoreVersionError",
    "StoreWriteError",
    "TokenInfo",
    "User",
    "UserSession",
    "WaterBalanceDay",
]
