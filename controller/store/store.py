"""The daemon's store: one object, one engine, one short session per operation.

Commit policy (DESIGN principle 6):

* events, runs, decisions, audit entries, water-balance rows and tokens are
  committed one by one: each public write method runs its own transaction
  and returns only after ``COMMIT`` (with SQLite ``synchronous=FULL``, after
  the data is on disk);
* readings are batched (:mod:`controller.store.buffer`): :meth:`Store.add_readings`
  queues, :meth:`Store.flush` writes.

When the store cannot write (disk full, card read-only, I/O error), the
records the control loop makes as it goes — audit entries, events, run
start/progress/end — do not raise: they wait in memory, in order
(:mod:`controller.store.pending`), and are written first when the store can
write again; :attr:`Store.health` says so meanwhile (:mod:`controller.store.health`).
Writes whose caller needs the stored row (a new run's id, a decision, a water
balance row, tokens, acknowledgements) raise :class:`StoreWriteError` instead —
water that cannot be recorded is not started.

Threads: the store is shared by the poll jobs, the sequencer and the API.
Each operation opens its own session from a thread-safe engine pool; write
transactions start with ``BEGIN IMMEDIATE`` on SQLite, so they queue on the
single write lock (busy timeout) rather than failing half-way.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Select, Table, bindparam, inspect
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col, func, select

from controller.clock import Clock, SystemClock
from controller.store import exports as _exports
from controller.store import migrate
from controller.store.buffer import BufferStats, ReadingBuffer
from controller.store.changes import ChangeWatch
from controller.store.engine import IMMEDIATE, make_engine, sqlite_pragmas
from controller.store.errors import (
    InvalidToken,
    NotFound,
    RunStateError,
    StoreError,
    StoreVersionError,
    StoreWriteError,
)
from controller.store.health import Backoff, StoreHealth
from controller.store.integrity import check_integrity
from controller.store.outbox import OutboxCursor, OutboxMessage
from controller.store.pending import AUDIT, EVENT, RUN, PendingQueue, PendingRecord
from controller.store.retention import RetentionReport, apply_retention
from controller.store.tables import (
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
    SchemaVersion,
    Severity,
    User,
    UserSession,
    WaterBalanceDay,
)
from controller.store.tokens import TokenInfo, hash_token, new_token
from controller.store.types import as_utc, from_sqlite_text, to_sqlite_text
from drivers.reading import Reading

__all__ = ["EXPORT_TABLES", "SCHEMA_VERSION", "STORE_FILE", "MeterMark", "Store"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
STORE_FILE = "qanat.db"
"""The store's SQLite file in a data directory (:meth:`Store.open_dir`)."""

_TABLES = [
    SchemaVersion,
    ReadingRow,
    HourlyReading,
    WaterBalanceDay,
    Decision,
    Run,
    RunMeter,  # a running run's meter reading (recovery after a crash)
    ProbeSample,  # soil samples next to probes (their calibration)
    CropObservation,  # crop stages seen on the zones (phenology)
    Event,
    AuditEntry,
    ApiToken,
    User,
    UserSession,
    ExportAck,
    OutboxMessage,  # the notification outbox (controller.store.outbox)
    OutboxCursor,
]

# Tables the export API serves by id cursor. Not tokens (secrets), not the
# hourly aggregates (merged in place; raw rows are exported before retention).
EXPORT_TABLES: dict[str, type[SQLModel]] = {
    "readings": ReadingRow,
    "water_balance": WaterBalanceDay,
    "decisions": Decision,
    "runs": Run,
    "events": Event,
    "audit": AuditEntry,
    "crop_observations": CropObservation,
}

_FINAL_STATES = {RunState.DONE, RunState.ABORTED, RunState.INTERRUPTED}


@dataclass(frozen=True, slots=True)
class MeterMark:
    """A flow meter's totalizer reading (m³, read at ``time``) kept with a run's progress."""

    device: str
    total_m3: float
    time: datetime


class _Keep:
    """Leave a run's meter mark as it is (the default of :meth:`Store._run_change`)."""


_KEEP = _Keep()


def _set_meter_mark(session: Session, run_id: int, mark: MeterMark | None) -> None:
    row = session.get(RunMeter, run_id)
    if mark is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = RunMeter(
            run_id=run_id, device=mark.device, total_m3=mark.total_m3, time=as_utc(mark.time)
        )
    else:
        row.device, row.total_m3, row.time = mark.device, mark.total_m3, as_utc(mark.time)
    session.add(row)


# Last use of a token is written at most this often (not a write per request).
_TOKEN_TOUCH_S = 60.0

_Row = TypeVar("_Row", bound=SQLModel)
_T = TypeVar("_T")
# Records replayed per transaction after an outage.
_REPLAY_BATCH = 200

_READINGS: Table = ReadingRow.__table__  # type: ignore[attr-defined]
_RUN_CREATED = Run.__table__.c.created_at.type  # type: ignore[attr-defined]
_WB_DATE = WaterBalanceDay.__table__.c.date.type  # type: ignore[attr-defined]
_OBSERVED_ON = CropObservation.__table__.c.observed_on.type  # type: ignore[attr-defined]
_HOURLY: Table = HourlyReading.__table__  # type: ignore[attr-defined]
# Built once: the agronomy asks for a point's good values thousands of times a season, and a
# Core select of two columns skips both the statement's construction and the ORM's row objects.
_GOOD_VALUES = (
    sa_select(_READINGS.c.time, _READINGS.c.value)
    .where(
        _READINGS.c.device == bindparam("device"),
        _READINGS.c.point == bindparam("point"),
        _READINGS.c.time >= bindparam("start", type_=_READINGS.c.time.type),
        _READINGS.c.time < bindparam("end", type_=_READINGS.c.time.type),
        _READINGS.c.quality == "ok",
        _READINGS.c.value.is_not(None),
    )
    .order_by(_READINGS.c.time, _READINGS.c.id)
)
# The same select as SQLite text with its parameters in order, run on the driver's cursor:
# through SQLAlchemy a call costs about three times the query itself (BEGIN, the statement's
# cache lookup, ROLLBACK, the row processors), and a season asks it ~14,000 times.
_GOOD_VALUES_SQLITE = _GOOD_VALUES.compile(dialect=sqlite_dialect())
_GOOD_VALUES_SQLITE_TEXT = str(_GOOD_VALUES_SQLITE)
_GOOD_VALUES_SQLITE_ORDER: tuple[str, ...] = tuple(_GOOD_VALUES_SQLITE.positiontup or ())
_LAST_HOUR_FOLDED = sa_select(func.max(_HOURLY.c.hour))
# The ORM selects asked many times a minute (the supervisor, the plausibility rules, the
# balance and planning jobs), built once per shape with bind parameters: building a select
# and its cache key costs more than SQLite's answer.
_OPEN_ALARMS = (
    select(Event)
    .where(col(Event.latched).is_(True), col(Event.acked_at).is_(None))
    .order_by(col(Event.id))
)
_LATEST_REVISION = select(func.max(WaterBalanceDay.revision)).where(
    col(WaterBalanceDay.zone) == bindparam("zone"),
    col(WaterBalanceDay.date) == bindparam("day", type_=_WB_DATE),
)


@cache
def _runs_query(zone: bool, start: bool, end: bool, limit: bool) -> Any:
    """``Store.runs``' select with a bind parameter for each filter given."""
    query = select(Run)
    if zone:
        query = query.where(col(Run.zone) == bindparam("zone"))
    if start:
        query = query.where(col(Run.created_at) >= bindparam("start", type_=_RUN_CREATED))
    if end:
        query = query.where(col(Run.created_at) < bindparam("end", type_=_RUN_CREATED))
    query = query.order_by(col(Run.created_at), col(Run.id))
    return query.limit(bindparam("limit")) if limit else query


@cache
def _last_balance_query(start: bool, end: bool) -> Any:
    """``Store.last_water_balance``' select with a bind parameter for each bound given."""
    wb = WaterBalanceDay
    query = select(wb).where(col(wb.zone) == bindparam("zone"))
    if start:
        query = query.where(col(wb.date) >= bindparam("start", type_=_WB_DATE))
    if end:
        query = query.where(col(wb.date) <= bindparam("end", type_=_WB_DATE))
    return query.order_by(col(wb.date).desc(), col(wb.revision).desc()).limit(1)


@cache
def _observations_query(since: bool) -> Any:
    """``Store.crop_observations``' select, oldest record first."""
    obs = CropObservation
    query = select(obs).where(col(obs.zone) == bindparam("zone"))
    if since:
        query = query.where(col(obs.observed_on) >= bindparam("since", type_=_OBSERVED_ON))
    return query.order_by(col(obs.id))


_UNKNOWN = object()  # the last folded hour has not been read since the store opened or folded


class Store:
    """The daemon's database (SQLite by default; a PostgreSQL URL is accepted).

    ``clock`` stamps every row the store times itself (events, runs, ...);
    readings carry their own time. ``max_pending`` bounds the readings held in
    memory while the store cannot write, ``max_records`` the other records
    (see the module docstring).
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Clock | None = None,
        batch_size: int = 500,
        max_pending: int = 100_000,
        max_records: int = 10_000,
        busy_timeout_s: float = 10.0,
    ) -> None:
        self.url = url
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._engine = make_engine(url, busy_timeout_s=busy_timeout_s)
        self._sqlite = self._engine.dialect.name == "sqlite"
        self._writer = self._engine.execution_options(**{IMMEDIATE: True})
        self._backoff = Backoff()
        self._pending = PendingQueue(max_records)
        self._record_lock = threading.Lock()  # one record path at a time keeps their order
        try:
            check_integrity(self._engine, self._where())
            self._open_schema()
        except BaseException:
            self._engine.dispose()
            raise
        database = make_url(url).database if self._sqlite else None
        # answers kept until the file changes (an in-memory database has no file to watch);
        # opened once the schema is there, so it never creates the file itself
        self._changes = ChangeWatch(Path(database)) if database and database != ":memory:" else None
        self._buffer = ReadingBuffer(
            self._write_readings,
            batch_size=batch_size,
            max_pending=max_pending,
            may_write=self._write_due,
            monotonic=self.clock.monotonic,
        )
        # the latest hour retention has folded into the hourly table (None: it is empty): read
        # once, then kept until this store folds again (retention runs only through the store);
        # not kept while a retention pass runs, whose chunks commit one by one
        self._fold_lock = threading.Lock()
        self._last_folded: object = _UNKNOWN  # datetime, None or _UNKNOWN
        self._fold_generation = 0
        self._folding = 0
        self._probe_samples_added = 0  # committed through this store (see probe_samples_added)
        self._runs_ended = 0  # runs finished through this store (see runs_ended)

    @classmethod
    def open_dir(cls, data_dir: Path, **kwargs: Any) -> Store:
        """The embedded default: ``<data_dir>/qanat.db`` (SQLite), creating ``data_dir``.

        Raises :class:`StoreError` naming ``data_dir`` when it is a file or cannot be made.
        """
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise StoreError(f"{data_dir} is a file, not a data directory") from None
        except OSError as exc:
            raise StoreError(f"cannot make the data directory {data_dir}: {exc.strerror}") from exc
        return cls(f"sqlite:///{data_dir.resolve() / STORE_FILE}", **kwargs)

    @classmethod
    def open_dir_or_report(cls, data_dir: Path) -> Store | None:
        """For commands: :meth:`open_dir`, or ``None`` after printing why to stderr."""
        try:
            return cls.open_dir(data_dir)
        except StoreError as exc:
            print(f"cannot open the store in {data_dir}: {exc}", file=sys.stderr)
            return None

    def close(self) -> None:
        """Write pending readings, then release connections.

        Raises :class:`StoreWriteError` if the readings could not be written
        (connections are released either way).
        """
        try:
            self.flush()
        finally:
            self._engine.dispose()
            if self._changes is not None:
                self._changes.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sessions ---------------------------------------------------------------
    # ``writing()`` / ``reading()`` are the transactions that modules keeping their own
    # tables in this store (page accounts and sessions) use, so they share its durability
    # settings and error translation.

    def writing(self) -> AbstractContextManager[Session]:
        """One write transaction, committed on leaving; failures become StoreWriteError."""
        return self._write()

    def reading(self) -> AbstractContextManager[Session]:
        """A read-only session."""
        return self._read()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction, committed on leaving; failures become StoreWriteError.

        The outcome is the store's write health (:attr:`health`)."""
        try:
            with Session(self._writer, expire_on_commit=False) as session:
                yield session
                session.commit()
        except SQLAlchemyError as exc:
            failure = StoreWriteError(f"write to {self._where()} failed: {exc}")
            self._write_failed(failure)
            raise failure from exc
        self._write_ok()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        try:
            with Session(self._engine, expire_on_commit=False) as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"read from {self._where()} failed: {exc}") from exc

    @contextmanager
    def _read_core(self) -> Iterator[Connection]:
        """A read-only connection for Core selects (rows as tuples, no ORM objects)."""
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"read from {self._where()} failed: {exc}") from exc

    def _kept(self, key: str, load: Callable[[], _T]) -> _T:
        """``load()``, or its answer kept under ``key`` while the database has not changed
        (:mod:`controller.store.changes`; an in-memory database reads every time)."""
        if self._changes is None:
            return load()
        return self._changes.read(key, load)

    def _where(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)

    def _open_schema(self) -> None:
        with self._write() as session:
            conn = session.connection()
            found: int | None = None
            if inspect(conn).has_table(SchemaVersion.__tablename__):
                found = session.exec(select(func.max(SchemaVersion.version))).one()
            if found is not None and found != SCHEMA_VERSION:
                newer = found > SCHEMA_VERSION
                raise StoreVersionError(
                    f"{self._where()} has schema version {found}; this qanat knows "
                    f"{SCHEMA_VERSION}"
                    + (": upgrade qanat" if newer else ": the database needs a migration"),
                    found=found,
                    expected=SCHEMA_VERSION,
                )
            state = migrate.check(conn, self._where())  # refuses a revision from a newer qanat
            if state is migrate.SchemaState.LEGACY:
                migrate.stamp(conn, migrate.BASELINE)  # made before migrations existed
            if state in (migrate.SchemaState.LEGACY, migrate.SchemaState.PENDING):
                migrate.upgrade(conn)
            SQLModel.metadata.create_all(conn, tables=[t.__table__ for t in _TABLES])  # type: ignore[attr-defined]
            if state is migrate.SchemaState.FRESH:
                migrate.stamp(conn, migrate.HEAD)
            if found is None:
                session.add(SchemaVersion(version=SCHEMA_VERSION, applied_at=self.clock.now()))

    # -- write health -------------------------------------------------------------

    @property
    def health(self) -> StoreHealth:
        """Whether the store writes, what waits in memory and what was dropped (see health)."""
        records, readings = self._pending.stats, self._buffer.stats
        return StoreHealth(
            writable=not self._backoff.failing,
            failing_since=self._backoff.failing_since,
            last_error=self._backoff.last_error,
            retry_in_s=self._backoff.retry_in_s(self.clock.monotonic()),
            pending_records=records.pending,
            pending_readings=readings.pending,
            dropped_records=records.dropped,
            dropped_readings=readings.dropped,
            rejected_records=records.rejected,
        )

    def _write_due(self) -> bool:
        return self._backoff.due(self.clock.monotonic())

    def _write_failed(self, exc: StoreWriteError) -> None:
        if self._backoff.failed(self.clock.monotonic(), self.clock.now(), str(exc)):
            log.error("store cannot write, keeping records in memory: %s", exc)

    def _write_ok(self) -> None:
        since = self._backoff.succeeded()
        if since is None:
            return
        now = self.clock.now()
        h = self.health
        message = (
            f"the store could not write from {since.isoformat(timespec='seconds')} to "
            f"{now.isoformat(timespec='seconds')}; {h.pending_records} records and "
            f"{h.pending_readings} readings kept in memory are being written now; since start "
            f"dropped: records {h.dropped_records or 'none'}, readings {h.dropped_readings}"
        )
        log.info("store writes again: %s", message)
        # queued last: written after everything kept during the outage, at the next flush
        self._pending.push(
            PendingRecord(EVENT, message, _event_adder(now, "warning", "store_unwritable", message))
        )

    def _record(
        self, kind: str, what: str, apply: Callable[[Session], _T], detached: Callable[[], _T]
    ) -> _T:
        """Write one record now, or keep it in the pending queue (in order) if the store cannot.

        Errors of the record itself (:class:`NotFound`, :class:`RunStateError`) are raised
        when it is written now; a record replayed later that fails them is logged and
        counted (``rejected``). Returns the stored row, or ``detached()`` when it waits.
        """
        with self._record_lock:
            if self._write_due():
                try:
                    if len(self._pending):
                        self._replay()
                    with self._write() as session:
                        return apply(session)
                except StoreWriteError:
                    pass  # kept below; the health has it
            self._pending.push(PendingRecord(kind, what, apply))
        log.warning("store not writable, kept in memory: %s", what)
        return detached()

    def _replay(self) -> int:
        """Write the pending queue oldest first (caller holds ``_record_lock``); return how many.

        Raises :class:`StoreWriteError` (the rest stays queued) if a batch does not commit.
        """
        written = 0
        while batch := self._pending.peek(_REPLAY_BATCH):
            rejected = 0
            with self._write() as session:
                for record in batch:
                    try:
                        record.apply(session)
                    except StoreError as exc:  # checked before any change: nothing half-done
                        rejected += 1
                        log.error("record kept during an outage refused: %s: %s", record.what, exc)
            self._pending.done(batch, rejected)
            written += len(batch) - rejected
        return written

    def sqlite_pragmas(self) -> dict[str, Any]:
        """Durability settings of a pooled connection, e.g. ``{"journal_mode": "wal",
        "synchronous": 2, ...}`` (2 = FULL); empty on other backends."""
        return sqlite_pragmas(self._engine)

    def schema_version(self) -> int:
        with self._read() as session:
            return int(session.exec(select(func.max(SchemaVersion.version))).one())

    def _insert(self, row: _Row) -> _Row:
        """Commit a new row whose id the caller needs: after anything kept in memory, and
        refused at once (:class:`StoreWriteError`) while a failed write's back-off runs."""
        with self._record_lock:
            if not self._write_due():
                raise StoreWriteError(
                    f"{self._where()} is not writable ({self._backoff.last_error}); "
                    f"next try in {self._backoff.retry_in_s(self.clock.monotonic()):.0f} s"
                )
            if len(self._pending):
                self._replay()
            with self._write() as session:
                session.add(row)
        return row

    # -- readings ---------------------------------------------------------------

    def add_readings(self, readings: Iterable[Reading]) -> None:
        """Queue readings; they are committed in batches (see :mod:`controller.store.buffer`)."""
        self._buffer.add(readings)

    def flush(self) -> int:
        """Write the records kept in memory, then every queued reading; return how many readings.

        Always tries, whatever the back-off. :class:`StoreWriteError` keeps what failed.
        """
        self._replay_pending()
        written = self._buffer.flush()  # marks the health itself (_write_readings)
        self._replay_pending()  # the outage's own event, queued when writes came back
        return written

    def _replay_pending(self) -> None:
        with self._record_lock:
            if len(self._pending):
                self._replay()

    def flush_when_due(self) -> int:
        """:meth:`flush`, unless a failed write's back-off has not run out, or no water ran
        since the last flush and :attr:`idle_flush_s` has not passed since it (then 0).

        Records kept in memory by an outage are tried whenever the back-off allows."""
        if not self._write_due():
            return 0
        with self._record_lock:
            records_kept = len(self._pending) > 0
        return self.flush() if records_kept or self._buffer.due() else 0

    @property
    def idle_flush_s(self) -> float:
        """While no water runs, :meth:`flush_when_due` commits readings at most this often
        (seconds; 0, the default, every call). The daemon sets ``[store] idle_flush_s``."""
        return self._buffer.idle_flush_s

    @idle_flush_s.setter
    def idle_flush_s(self, seconds: float) -> None:
        self._buffer.idle_flush_s = seconds

    def set_watering(self, on: bool) -> None:
        """Whether any output is on; while it is (or was since the last flush), every
        :meth:`flush_when_due` commits the readings."""
        self._buffer.set_watering(on)

    @property
    def buffer_stats(self) -> BufferStats:
        return self._buffer.stats

    def _write_readings(self, readings: Sequence[Reading]) -> None:
        rows = [
            {
                "time": r.time,
                "device": r.device,
                "point": r.point,
                "value": r.value if r.ok else None,
                "decoded": r.decoded,
                "unit": r.unit,
                "quality": r.quality.value,
                "detail": r.detail,
            }
            for r in readings
        ]
        # a Core insert of the batch: the ORM's bulk path would only add per-row bookkeeping
        try:
            with self._writer.begin() as conn:
                conn.execute(_READINGS.insert(), rows)
        except SQLAlchemyError as exc:
            failure = StoreWriteError(f"write to {self._where()} failed: {exc}")
            self._write_failed(failure)
            raise failure from exc
        self._write_ok()

    def latest_readings(self, device: str | None = None) -> list[ReadingRow]:
        """The most recently stored reading of each (device, point), any quality.

        "Most recent" is by id (order of storing), which stays right across
        wall-clock jumps. Readings still in the buffer are not included.
        """
        newest = select(func.max(ReadingRow.id)).group_by(
            col(ReadingRow.device), col(ReadingRow.point)
        )
        if device is not None:
            newest = newest.where(col(ReadingRow.device) == device)
        query = select(ReadingRow).where(col(ReadingRow.id).in_(newest))
        with self._read() as session:
            return list(session.exec(query.order_by(col(ReadingRow.device), col(ReadingRow.point))))

    def readings(
        self,
        device: str,
        point: str,
        start: datetime,
        end: datetime,
        *,
        limit: int | None = None,
    ) -> list[ReadingRow]:
        """Raw readings of one point with ``start <= time < end``, in time order."""
        query = (
            select(ReadingRow)
            .where(
                col(ReadingRow.device) == device,
                col(ReadingRow.point) == point,
                col(ReadingRow.time) >= as_utc(start),
                col(ReadingRow.time) < as_utc(end),
            )
            .order_by(col(ReadingRow.time), col(ReadingRow.id))
            .limit(limit)
        )
        with self._read() as session:
            return list(session.exec(query))

    def good_values(
        self, device: str, point: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, float]]:
        """``(time, value)`` of the good readings (quality ``ok``, a value) of one point with
        ``start <= time < end``, in the order of :meth:`readings`; times aware UTC, values in
        the point's unit."""
        if self._sqlite:
            return self._good_values_sqlite(device, point, start, end)
        params = {"device": device, "point": point, "start": as_utc(start), "end": as_utc(end)}
        with self._read_core() as conn:
            return [(t, v) for t, v in conn.execute(_GOOD_VALUES, params)]

    def _good_values_sqlite(
        self, device: str, point: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, float]]:
        """:meth:`good_values` on the SQLite driver's cursor: one statement, which SQLite runs
        in its own read transaction (the connection is in autocommit, see engine.py)."""
        given: dict[str, Any] = {
            **_GOOD_VALUES_SQLITE.params,
            "device": device,
            "point": point,
            "start": to_sqlite_text(start),
            "end": to_sqlite_text(end),
        }
        args = tuple(given[name] for name in _GOOD_VALUES_SQLITE_ORDER)
        try:
            with self._engine.connect() as conn:
                cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                try:
                    rows = cursor.execute(_GOOD_VALUES_SQLITE_TEXT, args).fetchall()
                finally:
                    cursor.close()
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise StoreError(f"read from {self._where()} failed: {exc}") from exc
        return [(from_sqlite_text(t), v) for t, v in rows]

    def hourly_readings(
        self, device: str, point: str, start: datetime, end: datetime
    ) -> list[HourlyReading]:
        """Hourly aggregates (older data, after retention) with ``start <= hour < end``.

        Until retention has folded an hour at or after ``start`` there is none, and the table
        is not queried (the agronomy asks for recent hours, which are all still raw)."""
        with self._fold_lock:
            last, generation, folding = self._last_folded, self._fold_generation, self._folding
        if last is _UNKNOWN or folding:
            with self._read_core() as conn:
                last = conn.execute(_LAST_HOUR_FOLDED).scalar_one()
            with self._fold_lock:
                if self._fold_generation == generation and not self._folding:
                    self._last_folded = last
        if not isinstance(last, datetime) or last < as_utc(start):
            return []
        query = (
            select(HourlyReading)
            .where(
                col(HourlyReading.device) == device,
                col(HourlyReading.point) == point,
                col(HourlyReading.hour) >= as_utc(start),
                col(HourlyReading.hour) < as_utc(end),
            )
            .order_by(col(HourlyReading.hour))
        )
        with self._read() as session:
            return list(session.exec(query))

    def apply_retention(
        self,
        now: datetime,
        raw_keep_days: float,
        exported_up_to: dict[str, int] | None,
        *,
        force_without_export: bool = False,
    ) -> RetentionReport:
        """Fold old raw readings into hourly rows and delete them, never unexported ones.

        See :mod:`controller.store.retention` for the rules.
        """
        self._fold_changes(+1)
        try:
            return apply_retention(
                self._write,
                now,
                raw_keep_days,
                exported_up_to,
                force_without_export=force_without_export,
            )
        finally:  # the folded hours (even of a pass that failed half-way) are read again
            self._fold_changes(-1)

    def _fold_changes(self, step: int) -> None:
        """A retention pass starts (+1) or ends (-1): forget the last folded hour."""
        with self._fold_lock:
            self._folding += step
            self._fold_generation += 1
            self._last_folded = _UNKNOWN

    # -- water balance ----------------------------------------------------------

    def add_water_balance(self, day: WaterBalanceDay) -> WaterBalanceDay:
        """Append a zone-day; its ``revision`` is set to one more than the latest stored."""
        with self._write() as session:
            latest = session.exec(
                _LATEST_REVISION, params={"zone": day.zone, "day": day.date}
            ).one()
            fields = day.model_dump(exclude={"id", "revision", "computed_at"})
            row = WaterBalanceDay(
                **fields,
                revision=(latest or 0) + 1,
                computed_at=day.computed_at or self.clock.now(),
            )
            session.add(row)
        return row

    def water_balance(
        self, zone: str, start: date | None = None, end: date | None = None
    ) -> list[WaterBalanceDay]:
        """The latest revision of each day of ``zone`` with ``start <= date <= end``, by date."""
        wb = WaterBalanceDay
        latest: Select[Any, Any] = (
            sa_select(col(wb.date).label("d"), func.max(wb.revision).label("rev"))
            .where(col(wb.zone) == zone)
            .group_by(col(wb.date))
        )
        if start is not None:
            latest = latest.where(col(wb.date) >= start)
        if end is not None:
            latest = latest.where(col(wb.date) <= end)
        sub = latest.subquery()
        query = (
            select(wb)
            .join(sub, (col(wb.date) == sub.c.d) & (col(wb.revision) == sub.c.rev))
            .where(col(wb.zone) == zone)
            .order_by(col(wb.date))
        )
        with self._read() as session:
            return list(session.exec(query))

    def last_water_balance(
        self, zone: str, start: date | None = None, end: date | None = None
    ) -> WaterBalanceDay | None:
        """The latest revision of the last day of ``zone`` with ``start <= date <= end`` (what
        :meth:`water_balance` lists last), or ``None``; one row read, not the whole season."""
        query = _last_balance_query(start is not None, end is not None)
        params = {"zone": zone, "start": start, "end": end}
        with self._read() as session:
            return session.exec(query, params=params).first()

    def water_balance_revisions(self, zone: str, day: date) -> list[WaterBalanceDay]:
        """Every revision of one zone-day, oldest first."""
        query = (
            select(WaterBalanceDay)
            .where(col(WaterBalanceDay.zone) == zone, col(WaterBalanceDay.date) == day)
            .order_by(col(WaterBalanceDay.revision))
        )
        with self._read() as session:
            return list(session.exec(query))

    # -- decisions --------------------------------------------------------------

    def record_decision(
        self,
        zone: str,
        mode: str,
        action: DecisionAction | str,
        reason: str,
        inputs: dict[str, Any],
        *,
        planned_start: datetime | None = None,
        duration_min: float = 0.0,
        depth_mm: float = 0.0,
    ) -> Decision:
        """Commit a planner decision with the inputs that explain it; return it with its id."""
        return self._insert(
            Decision(
                time=self.clock.now(),
                zone=zone,
                mode=mode,
                action=DecisionAction(action).value,
                planned_start=None if planned_start is None else as_utc(planned_start),
                duration_min=duration_min,
                depth_mm=depth_mm,
                reason=reason,
                inputs=inputs,
            )
        )

    def decisions(
        self,
        zone: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        limit: int | None = None,
    ) -> list[Decision]:
        """Decisions (of ``zone`` if given) with ``start <= time < end``, in time order."""
        query = select(Decision)
        if zone is not None:
            query = query.where(col(Decision.zone) == zone)
        if start is not None:
            query = query.where(col(Decision.time) >= as_utc(start))
        if end is not None:
            query = query.where(col(Decision.time) < as_utc(end))
        with self._read() as session:
            return list(
                session.exec(query.order_by(col(Decision.time), col(Decision.id)).limit(limit))
            )

    def last_decision(self, zone: str) -> Decision | None:
        """The zone's newest decision (by time, then id), if any; kept until the database
        changes (the overview asks it of every zone at each refresh)."""
        query = (
            select(Decision)
            .where(col(Decision.zone) == zone)
            .order_by(col(Decision.time).desc(), col(Decision.id).desc())
            .limit(1)
        )

        def load() -> Decision | None:
            with self._read() as session:
                return session.exec(query).first()

        return self._kept(f"last_decision {zone}", load)

    def decision(self, decision_id: int) -> Decision | None:
        """The decision of that id, if any; kept until the database changes."""

        def load() -> Decision | None:
            with self._read() as session:
                return session.get(Decision, decision_id)

        return self._kept(f"decision {decision_id}", load)

    # -- runs -------------------------------------------------------------------
    #
    #   planned ──start_run──▶ running ──finish_run──▶ done | aborted | interrupted
    #      └──────────────finish_run(aborted)──────────▶ aborted

    def plan_run(
        self,
        zone: str,
        source: RunSource | str,
        planned_min: float,
        *,
        decision_id: int | None = None,
    ) -> Run:
        """Commit a new run in state ``planned``."""
        return self._insert(
            Run(
                created_at=self.clock.now(),
                zone=zone,
                decision_id=decision_id,
                source=RunSource(source).value,
                state=RunState.PLANNED.value,
                planned_min=planned_min,
            )
        )

    def _run_change(
        self,
        run_id: int,
        allowed: set[RunState],
        to: RunState,
        change: Callable[[Run], None],
        meter: MeterMark | _Keep | None = _KEEP,
    ) -> Run:
        """Check and apply ``change`` to a run, as a record (kept in memory if unwritable).

        ``meter`` replaces the run's meter mark (:class:`RunMeter`) in the same transaction:
        a :class:`MeterMark`, or None to drop it; by default it is left as it is."""

        def apply(session: Session) -> Run:
            run = session.get(Run, run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            if RunState(run.state) not in allowed:
                raise RunStateError(f"run {run_id} is {run.state}: cannot become {to.value}")
            change(run)
            session.add(run)
            if not isinstance(meter, _Keep):
                _set_meter_mark(session, run_id, meter)
            return run

        def detached() -> Run:  # what the run will be once written (the caller's view)
            try:
                run = self.get_run(run_id)
            except StoreError:  # not readable either: what this change knows
                run = Run(
                    id=run_id,
                    created_at=self.clock.now(),
                    zone="",
                    source="",
                    state="",
                    planned_min=0.0,
                )
            change(run)
            return run

        return self._record(RUN, f"run {run_id} -> {to.value}", apply, detached)

    def start_run(
        self,
        run_id: int,
        phase: RunPhase | str = RunPhase.WATER,
        *,
        meter: MeterMark | None = None,
    ) -> Run:
        """``planned`` → ``running``: the valve opened now.

        ``meter``: the flow meter's totalizer the run's water counts from (see
        :meth:`update_run_progress`)."""
        started_at, phase_value = self.clock.now(), RunPhase(phase).value

        def change(run: Run) -> None:
            run.state = RunState.RUNNING.value
            run.started_at = started_at
            run.phase = phase_value

        return self._run_change(run_id, {RunState.PLANNED}, RunState.RUNNING, change, meter)

    def update_run_progress(
        self,
        run_id: int,
        applied_m3: float,
        phase: RunPhase | str | None = None,
        *,
        meter: MeterMark | None = None,
    ) -> Run:
        """Record the water applied so far (m³) and the current phase of a running run.

        ``meter``: the flow meter's totalizer ``applied_m3`` counts up to, kept with it
        (:class:`RunMeter`) so that a restart can credit an interrupted run the meter's rise
        since; None (the totalizer was not read) drops the previous one."""
        phase_value = None if phase is None else RunPhase(phase).value

        def change(run: Run) -> None:
            run.applied_m3 = applied_m3
            if phase_value is not None:
                run.phase = phase_value

        return self._run_change(run_id, {RunState.RUNNING}, RunState.RUNNING, change, meter)

    def run_meter(self, run_id: int) -> RunMeter | None:
        """The meter mark of a running run (:meth:`update_run_progress`), if one is kept."""
        with self._read() as session:
            return session.get(RunMeter, run_id)

    def finish_run(
        self,
        run_id: int,
        state: RunState | str,
        reason: str,
        applied_m3: float | None = None,
        fertilizer: dict[str, float] | None = None,
    ) -> Run:
        """End a run: ``done``/``aborted``/``interrupted`` if running, ``aborted`` if planned.

        ``applied_m3`` (m³) and ``fertilizer`` (kg per nutrient) replace the
        recorded totals when given.
        """
        to = RunState(state)
        if to not in _FINAL_STATES:
            raise RunStateError(f"{to.value} is not a final run state")
        allowed = {RunState.RUNNING} | ({RunState.PLANNED} if to is RunState.ABORTED else set())
        ended_at = self.clock.now()
        kg = None if fertilizer is None else dict(fertilizer)

        def change(run: Run) -> None:
            run.state = to.value
            run.ended_at = ended_at
            run.end_reason = reason
            if applied_m3 is not None:
                run.applied_m3 = applied_m3
            if kg is not None:
                run.fertilizer = dict(kg)

        run = self._run_change(run_id, allowed, to, change, meter=None)
        self._runs_ended += 1
        return run

    @property
    def runs_ended(self) -> int:
        """Runs ended through this store object since it opened (:meth:`finish_run`): a job
        that judges finished runs has nothing new while it stays the same."""
        return self._runs_ended

    def get_run(self, run_id: int) -> Run:
        with self._read() as session:
            run = session.get(Run, run_id)
        if run is None:
            raise NotFound(f"no run {run_id}")
        return run

    def open_runs(self) -> list[Run]:
        """Runs in state ``running`` — after a restart, runs the daemon lost track of."""
        query = select(Run).where(col(Run.state) == RunState.RUNNING.value).order_by(col(Run.id))
        with self._read() as session:
            return list(session.exec(query))

    def interrupt_open_runs(self, reason: str) -> list[Run]:
        """Mark every running run ``interrupted`` (at daemon start); return them."""
        return [
            self.finish_run(run.id, RunState.INTERRUPTED, reason)
            for run in self.open_runs()
            if run.id is not None
        ]

    def runs(
        self,
        zone: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        limit: int | None = None,
    ) -> list[Run]:
        """Runs (of ``zone`` if given) created with ``start <= created_at < end``, in order."""
        query = _runs_query(zone is not None, start is not None, end is not None, limit is not None)
        params: dict[str, Any] = {"zone": zone, "limit": limit}
        if start is not None:
            params["start"] = as_utc(start)
        if end is not None:
            params["end"] = as_utc(end)
        with self._read() as session:
            return list(session.exec(query, params=params))

    # -- probe samples ----------------------------------------------------------

    def add_probe_sample(self, sample: ProbeSample) -> ProbeSample:
        """Commit a soil sample taken next to a probe (``entered_at`` set to now if unset)."""
        row = ProbeSample(
            **sample.model_dump(exclude={"id", "entered_at"}),
            entered_at=sample.entered_at or self.clock.now(),
        )
        with self._write() as session:
            session.add(row)
            session.flush()  # the id, before the commit
        self._probe_samples_added += 1
        return row

    @property
    def probe_samples_added(self) -> int:
        """Samples committed through this store object since it opened: a cache of the fits
        is stale when it grows (samples from other processes: :meth:`last_probe_sample_id`)."""
        return self._probe_samples_added

    def probe_samples(
        self, device: str | None = None, point: str | None = None
    ) -> list[ProbeSample]:
        """The soil samples (of one probe if ``device``/``point`` are given), oldest first."""
        query = select(ProbeSample)
        if device is not None:
            query = query.where(col(ProbeSample.device) == device)
        if point is not None:
            query = query.where(col(ProbeSample.point) == point)
        with self._read() as session:
            return list(
                session.exec(query.order_by(col(ProbeSample.sampled_at), col(ProbeSample.id)))
            )

    def last_probe_sample_id(self) -> int:
        """The newest sample's id (0: none): a calibration cache is stale when it grows."""
        with self._read() as session:
            return int(session.exec(select(func.max(ProbeSample.id))).one() or 0)

    # -- crop observations --------------------------------------------------------

    def add_crop_observation(self, observation: CropObservation) -> CropObservation:
        """Commit a crop stage seen on a zone (``entered_at`` set to now if unset)."""
        row = CropObservation(
            **observation.model_dump(exclude={"id", "entered_at"}),
            entered_at=observation.entered_at or self.clock.now(),
        )
        with self._write() as session:
            session.add(row)
            session.flush()  # the id, before the commit
        return row

    def replace_crop_observation(
        self, observation: CropObservation
    ) -> tuple[CropObservation, list[CropObservation]]:
        """Commit a crop stage seen on a zone in place of the zone's records of the same
        stage and date, in one transaction: the new row, and the rows it replaced (deleted;
        none when the stage had no record of that date). A new record without a photo
        keeps the newest replaced one's (the file is the same)."""
        obs = CropObservation
        with self._write() as session:
            same = list(
                session.exec(
                    select(obs)
                    .where(
                        col(obs.zone) == observation.zone,
                        col(obs.stage) == observation.stage,
                        col(obs.observed_on) == observation.observed_on,
                    )
                    .order_by(col(obs.id))
                )
            )
            photo = observation.photo or next((r.photo for r in reversed(same) if r.photo), "")
            row = CropObservation(
                **observation.model_dump(exclude={"id", "entered_at", "photo"}),
                photo=photo,
                entered_at=observation.entered_at or self.clock.now(),
            )
            for r in same:
                session.delete(r)
            session.add(row)
            session.flush()  # the id, before the commit
        return row, same

    def delete_crop_observation(
        self, zone: str, observation_id: int, since: date
    ) -> list[CropObservation]:
        """Delete ``zone``'s crop observation ``observation_id`` and the earlier records of
        its stage it had replaced this season (observed on or after ``since``, the zone's
        planting date), so that the stage goes back to its prediction rather than to an
        older mistake; earlier seasons' records are kept. The rows deleted (none: the zone
        has no such record this season)."""
        obs = CropObservation
        with self._write() as session:
            row = session.get(obs, observation_id)
            if row is None or row.zone != zone or row.observed_on < since:
                return []
            rows = list(
                session.exec(
                    select(obs).where(
                        col(obs.zone) == zone,
                        col(obs.stage) == row.stage,
                        col(obs.id) <= observation_id,
                        col(obs.observed_on) >= since,
                    )
                )
            )
            for r in rows:
                session.delete(r)
        return rows

    def crop_observations(self, zone: str, since: date | None = None) -> list[CropObservation]:
        """The zone's crop observations observed on or after ``since``, the newest record of
        each stage only, by date observed (read-only objects, kept until the database
        changes: the balance and the planner ask for them every hour)."""

        def load() -> list[CropObservation]:
            query = _observations_query(since is not None)
            with self._read() as session:
                rows = list(session.exec(query, params={"zone": zone, "since": since}))
            newest = {row.stage: row for row in rows}  # a stage recorded again replaces itself
            return sorted(newest.values(), key=lambda r: (r.observed_on, r.id or 0))

        return list(self._kept(f"crop_observations {zone} {since}", load))

    # -- events -----------------------------------------------------------------

    def raise_event(
        self,
        severity: Severity | str,
        code: str,
        source: str,
        message: str,
        *,
        latched: bool = False,
        at: datetime | None = None,
    ) -> Event:
        """Commit an event; a ``latched`` one stays in :meth:`open_alarms` until acknowledged.
        ``at``: its time, when several events say one thing together (a planning's notes,
        :mod:`controller.agronomy.plan_notes`); else the clock's now.

        Kept in memory (returned without an id) while the store cannot write."""
        now, level = at or self.clock.now(), Severity(severity).value
        add = _event_adder(now, level, code, message, source=source, latched=latched)
        what = f"event {level} {code} {source}: {message}"
        return self._record(EVENT, what, add, lambda: add(None))

    def ack_event(self, event_id: int, who: str) -> Event:
        """Acknowledge an event; acknowledging again keeps the first acknowledgement."""
        with self._write() as session:
            event = session.get(Event, event_id)
            if event is None:
                raise NotFound(f"no event {event_id}")
            if event.acked_at is None:
                event.acked_at = self.clock.now()
                event.acked_by = who
                session.add(event)
        return event

    def open_alarms(self) -> list[Event]:
        """Latched events not yet acknowledged, oldest first (read-only objects: the same ones
        are returned until the database changes)."""

        def load() -> list[Event]:
            with self._read() as session:
                return list(session.exec(_OPEN_ALARMS))

        return list(self._kept("open_alarms", load))

    def events(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        limit: int | None = None,
    ) -> list[Event]:
        """Events with ``start <= time < end``, in time order."""
        query = select(Event)
        if start is not None:
            query = query.where(col(Event.time) >= as_utc(start))
        if end is not None:
            query = query.where(col(Event.time) < as_utc(end))
        with self._read() as session:
            return list(session.exec(query.order_by(col(Event.time), col(Event.id)).limit(limit)))

    # -- audit ------------------------------------------------------------------

    def record_audit(
        self, actor: str, action: str, detail: dict[str, Any] | None = None
    ) -> AuditEntry:
        """Commit who did what; kept in memory (returned without an id) while unwritable."""
        now, doc = self.clock.now(), dict(detail or {})

        def add(session: Session | None) -> AuditEntry:
            row = AuditEntry(time=now, actor=actor, action=action, detail=dict(doc))
            if session is not None:
                session.add(row)
            return row

        return self._record(AUDIT, f"audit {actor} {action} {doc}", add, lambda: add(None))

    def last_audit(self, action: str) -> AuditEntry | None:
        """The newest audit entry of ``action`` (by id: the order it was written), if any."""
        query = (
            select(AuditEntry)
            .where(col(AuditEntry.action) == action)
            .order_by(col(AuditEntry.id).desc())
            .limit(1)
        )
        with self._read() as session:
            return session.exec(query).first()

    def audit_entries(self, action: str) -> list[AuditEntry]:
        """Every audit entry of ``action``, oldest first (by id: the order written)."""
        query = select(AuditEntry).where(col(AuditEntry.action) == action)
        with self._read() as session:
            return list(session.exec(query.order_by(col(AuditEntry.id))))

    def newest_record_time(self) -> datetime | None:
        """The latest time stamped on a stored reading, event or run (``None``: empty store).

        A wall clock earlier than this is a stale clock (:mod:`controller.runtime.timetrust`)."""
        found: list[datetime] = []
        with self._read() as session:
            for column in (ReadingRow.time, Event.time, Run.created_at):
                value = session.exec(select(func.max(column))).first()
                if value is not None:
                    found.append(as_utc(value) if value.tzinfo else value.replace(tzinfo=UTC))
        return max(found) if found else None

    # -- tokens -----------------------------------------------------------------

    def create_token(self, name: str, role: Role | str) -> tuple[int, str]:
        """Create an API token; return ``(id, plaintext)``. The plaintext is not kept."""
        plaintext = new_token()
        row = self._insert(
            ApiToken(
                name=name,
                role=Role(role).value,
                token_hash=hash_token(plaintext),
                created_at=self.clock.now(),
            )
        )
        assert row.id is not None
        return row.id, plaintext

    def verify_token(self, plaintext: str) -> TokenInfo:
        """What ``plaintext`` grants; :class:`InvalidToken` if unknown or revoked."""
        digest = hash_token(plaintext)
        with self._read() as session:
            row = session.exec(
                select(ApiToken).where(col(ApiToken.token_hash) == digest)
            ).one_or_none()
        if row is None or row.revoked_at is not None:
            raise InvalidToken("unknown or revoked token")
        now = self.clock.now()
        last = row.last_used_at
        if last is None or now - last >= timedelta(seconds=_TOKEN_TOUCH_S) or now < last:
            with self._write() as session:
                stored = session.get(ApiToken, row.id)
                if stored is not None:
                    stored.last_used_at = now
                    session.add(stored)
            row.last_used_at = now
        return TokenInfo.of(row)

    def revoke_token(self, token_id: int) -> TokenInfo:
        """Revoke a token (idempotent: the first revocation time is kept)."""
        with self._write() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise NotFound(f"no token {token_id}")
            if row.revoked_at is None:
                row.revoked_at = self.clock.now()
                session.add(row)
        return TokenInfo.of(row)

    def tokens(self) -> list[TokenInfo]:
        with self._read() as session:
            rows = session.exec(select(ApiToken).order_by(col(ApiToken.id))).all()
        return [TokenInfo.of(r) for r in rows]

    # -- export -----------------------------------------------------------------

    def rows_after(self, table: str, after_id: int, limit: int = 1000) -> list[SQLModel]:
        """Rows of an export table with ``id > after_id``, in id order, at most ``limit``.

        Ids are AUTOINCREMENT (never reused). On SQLite writers are serialized,
        so ids become visible in increasing order and a cursor skips nothing.
        Runs and events change after insertion (state, acknowledgement): an id
        cursor sees each row once, as it was when pulled.
        """
        model = EXPORT_TABLES.get(table)
        if model is None:
            raise ValueError(f"unknown export table {table!r} (one of {', '.join(EXPORT_TABLES)})")
        id_col = col(model.id)  # type: ignore[attr-defined]
        query = select(model).where(id_col > after_id).order_by(id_col).limit(limit)
        with self._read() as session:
            return list(session.exec(query))

    def max_ids(self) -> dict[str, int]:
        """The highest id of each export table (0 when empty)."""
        out: dict[str, int] = {}
        with self._read() as session:
            for name, model in EXPORT_TABLES.items():
                top = session.exec(select(func.max(model.id))).one()  # type: ignore[attr-defined]
                out[name] = int(top or 0)
        return out

    def export_page(
        self,
        table: str,
        after_id: int,
        limit: int,
        ids: Sequence[int] | None = None,
        until_id: int | None = None,
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and export-ready rows of an export table, by id (see exports.page)."""
        model = _exports.table_of(EXPORT_TABLES, table)
        return _exports.page(self._read, model, after_id, limit, ids, until_id)

    def export_ndjson(
        self,
        table: str,
        after_id: int,
        limit: int,
        ids: Sequence[int] | None = None,
        until_id: int | None = None,
    ) -> tuple[bytes, int, int] | None:
        """SQLite: ``(ndjson, count, last_id)`` of a page made by SQLite; else ``None``."""
        model = _exports.table_of(EXPORT_TABLES, table)
        return _exports.ndjson_page(self._read, model, after_id, limit, ids, until_id)

    def export_bounds(self, table: str, after_id: int, limit: int) -> tuple[int, int]:
        """``(count, last_id)`` of the next ``limit`` rows after ``after_id`` (exports.bounds)."""
        model = _exports.table_of(EXPORT_TABLES, table)
        return _exports.bounds(self._read, model, after_id, limit)

    def ack_export(self, table: str, reader: str, last_id: int) -> int:
        """Record that ``reader`` has stored ``table`` up to ``last_id`` (see exports.ack)."""
        _exports.table_of(EXPORT_TABLES, table)
        top = self.max_ids()[table]
        return _exports.ack(self._write, table, top, reader, last_id, self.clock.now())

    def export_acked(self) -> dict[str, int]:
        """``{table: lowest id acknowledged by every reader}`` — retention's export cursor."""
        return _exports.acked_up_to(self._read)


def _event_adder(
    time: datetime,
    severity: str,
    code: str,
    message: str,
    *,
    source: str = "store",
    latched: bool = True,
) -> Callable[[Session | None], Event]:
    """A record function adding one new event (a fresh row each call, for a retried write)."""

    def add(session: Session | None) -> Event:
        row = Event(
            time=time, severity=severity, code=code, source=source, message=message, latched=latched
        )
        if session is not None:
            session.add(row)
        return row

    return add
