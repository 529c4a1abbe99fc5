"""The central office database: upserts of pulled pages, cursors, zones, site status.

Exactly once: a page of rows and the cursor that follows it are written in one
transaction (:meth:`CentralDB.store_page`), and rows are upserted on
``(site_id, source_id)``. A crash before the commit leaves the old cursor and none of the
page; after it, both. Pulling the same page again changes nothing; re-pulled runs and
events (their state changes on the box) replace the stored row.

On PostgreSQL a page is streamed as the box sends it (:meth:`CentralDB.store_stream`):
``COPY`` of the raw NDJSON into a temporary table and one ``INSERT ... SELECT ... ON
CONFLICT`` that decodes it in the server (:mod:`controller.office.central.pg`, which also
partitions ``readings`` by month). SQLite (an office laptop) parses pages in Python and
uses ``INSERT ... ON CONFLICT`` with executemany.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Date,
    Engine,
    Table,
    and_,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from controller.errors import OfficeError
from controller.office.central import pg
from controller.office.central.tables import (
    CURSORS,
    DATA_TABLES,
    METADATA,
    SITES,
    ZONES,
    data_columns,
)
from controller.office.export import FINAL_RUN_STATES
from controller.store.engine import IMMEDIATE, make_engine
from controller.store.types import UTCDateTime

__all__ = ["BadRows", "CentralDB", "CentralError", "ZoneArea", "office_url"]


class CentralError(OfficeError):
    """The central database failed (connection, disk, constraint)."""


class BadRows(OfficeError, ValueError):
    """Rows from a box that cannot be stored (wrong shape or type); names the table and row
    (the pull that asked for them names the site)."""


@dataclass(frozen=True, slots=True)
class ZoneArea:
    site_id: str
    zone: str
    label: str
    area_m2: float
    crop: str


@dataclass(frozen=True, slots=True)
class FailedPull:
    """A site whose last pull failed: when (UTC), its last good pull (None: never), why."""

    site_id: str
    pulled_at: dt.datetime
    ok_at: dt.datetime | None
    error: str


def _reason(exc: Exception) -> str:
    """The driver's own words for a failure, without SQLAlchemy's statement dump and its
    "Background on this error" link: ``unable to open database file``."""
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    return text.split("\n(Background on this error", 1)[0].strip()


def office_url(target: str) -> str:
    """A database URL from ``--db``: a plain path as an SQLite file, an ``sqlite`` or
    ``postgresql`` URL as given, one without a driver (``postgresql://`` and libpq's
    ``postgres://``) read as ``postgresql+psycopg://``; :class:`CentralError` for any
    other, naming its scheme only (a URL may carry a password)."""
    if "://" not in target:
        return f"sqlite:///{target}"
    scheme, rest = target.split("://", 1)
    backend, plus, driver = scheme.partition("+")
    if backend.lower() == "postgres":
        backend = "postgresql"
    if backend.lower() == "postgresql" and not plus:  # the one driver qanat installs,
        plus, driver = "+", "psycopg"  # not SQLAlchemy's default of its version (psycopg2)
    if backend.lower() not in ("sqlite", "postgresql"):
        raise CentralError(
            f"--db {scheme}://…: the office database is an SQLite file or a PostgreSQL URL "
            "(postgresql+psycopg://USER@HOST/DB)"
        )
    url = f"{backend}{plus}{driver}://{rest}"
    try:
        make_url(url).get_dialect().import_dbapi()
    except ArgumentError as exc:  # NoSuchModuleError too: an unknown driver after the +
        raise CentralError(f"--db {scheme}://…: not a database URL qanat can open") from exc
    except ImportError as exc:
        raise CentralError(
            f"--db {scheme}://…: its driver is not installed (postgresql+psycopg is)"
        ) from exc
    return url


def _parse_time(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return parsed


def _parse_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _month_of(time: dt.datetime) -> dt.date:
    utc = time.astimezone(dt.UTC)
    return dt.date(utc.year, utc.month, 1)


def _identity(value: Any) -> Any:
    return value


def _parsers(table: Table) -> dict[str, Callable[[Any], Any]]:
    out: dict[str, Callable[[Any], Any]] = {}
    for name in data_columns(table):
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime):
            out[name] = _parse_time
        elif isinstance(kind, Date):
            out[name] = _parse_date
        else:
            out[name] = _identity
    return out


def _required(table: Table) -> list[str]:
    """The box's columns a row of ``table`` must carry (NOT NULL), its id aside."""
    return [c for c in data_columns(table) if c != "source_id" and not table.c[c].nullable]


class CentralDB:
    """One central database (SQLite path or SQLAlchemy URL); tables made on opening."""

    def __init__(self, url: str, *, busy_timeout_s: float = 30.0, schema: bool = True) -> None:
        """``schema=False``: the tables exist already (a pull's worker processes)."""
        self.url = url
        self._engine: Engine = make_engine(url, busy_timeout_s=busy_timeout_s)
        self._writer = self._engine.execution_options(**{IMMEDIATE: True})
        self._parsers = {name: _parsers(t) for name, t in DATA_TABLES.items()}
        self._required = {name: _required(t) for name, t in DATA_TABLES.items()}
        self._cursor_upsert = self._cursor_statement()
        try:
            with self._write() as conn:
                if not schema:
                    pass
                elif self.dialect == "postgresql":
                    others = [t for t in METADATA.sorted_tables if t.name != pg.PARTITIONED]
                    pg.ensure_schema(conn, others)
                else:
                    METADATA.create_all(conn)
        except BaseException:
            self._engine.dispose()
            raise

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> CentralDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self._writer.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise CentralError(f"write to {self._where()} failed: {_reason(exc)}") from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise CentralError(f"read from {self._where()} failed: {_reason(exc)}") from exc

    def connect(self) -> AbstractContextManager[Connection]:
        """A read connection (reports query through it)."""
        return self._read()

    def _where(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)

    # -- cursors ------------------------------------------------------------------

    def cursors(self, site_id: str) -> dict[str, int]:
        """``{table: last id stored}`` of a site (tables never pulled are absent)."""
        query = select(CURSORS.c.table_name, CURSORS.c.last_id).where(CURSORS.c.site_id == site_id)
        with self._read() as conn:
            return {str(t): int(i) for t, i in conn.execute(query)}

    def _set_cursor(self, conn: Connection, site_id: str, table: str, last_id: int) -> None:
        values = {
            "site_id": site_id,
            "table_name": table,
            "last_id": last_id,
            "updated_at": dt.datetime.now(dt.UTC),
        }
        conn.execute(self._cursor_upsert, values)

    def _cursor_statement(self) -> Any:
        """The cursor's upsert, built once: a page's transaction runs it with its values
        (building and compiling it for every page cost more than the statement itself)."""
        stmt = self._insert(CURSORS).values(
            {name: bindparam(name) for name in ("site_id", "table_name", "last_id", "updated_at")}
        )
        # A cursor never moves back: an older page replayed after a newer one changes nothing.
        return stmt.on_conflict_do_update(
            index_elements=["site_id", "table_name"],
            set_={
                "last_id": func.max(CURSORS.c.last_id, stmt.excluded.last_id)
                if self.dialect == "sqlite"
                else func.greatest(CURSORS.c.last_id, stmt.excluded.last_id),
                "updated_at": stmt.excluded.updated_at,
            },
        )

    def _insert(self, table: Table) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    # -- rows ---------------------------------------------------------------------

    def store_page(
        self, site_id: str, table: str, rows: Sequence[Mapping[str, Any]], last_id: int | None
    ) -> int:
        """Upsert rows of one site and table; advance the cursor to ``last_id`` (if given)
        in the same transaction. Returns the number of rows. :class:`BadRows` on bad data."""
        target = DATA_TABLES[table]
        values = self._values(site_id, table, rows)
        with self._write() as conn:
            if values:
                if self.dialect == "postgresql":
                    self._copy_upsert(conn, target, values)
                else:
                    self._upsert(conn, target, values)
            if last_id is not None:
                self._set_cursor(conn, site_id, table, last_id)
        return len(values)

    def _values(
        self, site_id: str, table: str, rows: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        parsers = self._parsers[table]
        out: list[dict[str, Any]] = []
        for n, row in enumerate(rows):
            try:
                source_id = row["id"]
                if not isinstance(source_id, int) or isinstance(source_id, bool):
                    raise TypeError(f"id {source_id!r} is not an integer")
                value = {"site_id": site_id, "source_id": source_id}
                for name, parse in parsers.items():
                    if name != "source_id":
                        value[name] = parse(row.get(name))
                missing = [name for name in self._required[table] if value[name] is None]
                if missing:  # the box's answer lacks them: not a fault of this database
                    raise ValueError(f"id {source_id} has no {', '.join(missing)}")
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise BadRows(f"{table} row {n + 1}: {exc}") from exc
            out.append(value)
        return out

    def _upsert(self, conn: Connection, target: Table, values: list[dict[str, Any]]) -> None:
        stmt = self._insert(target)
        keep = [c for c in data_columns(target) if c != "source_id"]
        stmt = stmt.on_conflict_do_update(
            index_elements=["site_id", "source_id"],
            set_={c: stmt.excluded[c] for c in keep},
        )
        conn.execute(stmt, values)

    def _copy_upsert(self, conn: Connection, target: Table, values: list[dict[str, Any]]) -> None:
        """PostgreSQL: COPY into a temporary table, then one INSERT ... ON CONFLICT."""
        columns = ["site_id", *data_columns(target)]
        temp = f"_pull_{target.name}"
        quoted = ", ".join(f'"{c}"' for c in columns)
        # JSON goes as text; the server parses it for the json column.
        json_at = [i for i, c in enumerate(columns) if isinstance(target.c[c].type, JSON)]
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cur = raw.cursor()
        try:
            cur.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "{temp}" ON COMMIT DELETE ROWS AS '
                f'SELECT {quoted} FROM "{target.name}" WITH NO DATA'
            )
            with cur.copy(f'COPY "{temp}" ({quoted}) FROM STDIN') as copy:
                for value in values:
                    row = [value[c] for c in columns]
                    for i in json_at:
                        row[i] = None if row[i] is None else json.dumps(row[i])
                    copy.write_row(row)
            if target.name == pg.PARTITIONED:  # no unique key: leave out what is stored
                site_id = values[0]["site_id"]
                high = pg.lock_high_id(raw, site_id)
                pg.leave_out_stored(raw, site_id, temp, "source_id", high)
                pg.make_partitions(conn, {_month_of(v["time"]) for v in values})
                cur.execute(f'INSERT INTO "{target.name}" ({quoted}) SELECT {quoted} FROM "{temp}"')
                pg.stored_up_to(raw, site_id, max(v["source_id"] for v in values))
                return
            keys = ("site_id", "source_id")
            updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns if c not in keys)
            cur.execute(
                f'INSERT INTO "{target.name}" ({quoted}) SELECT {quoted} FROM "{temp}" '
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
            )
        finally:
            cur.close()

    def store_stream(
        self,
        site_id: str,
        table: str,
        chunks: Iterable[bytes],
        cursor: int,
        box_last_id: int,
        csv_header: list[str] | None = None,
        direct: bool = False,
    ) -> tuple[int, int]:
        """PostgreSQL: stream one page of NDJSON (``chunks``, as they arrive) into ``table``
        and advance the cursor, in one transaction. ``box_last_id`` is the box's
        ``X-Last-Id``. Returns (rows, new cursor); :class:`BadRows` when the page is not the
        export's form (nothing of it stored then). ``csv_header``: the chunks are the
        box's CSV of ``readings`` after that header line, not NDJSON; ``direct``: COPY them
        straight into ``readings`` (:class:`~controller.office.central.pg.NeedsStaging`
        when that cannot be: ask the page again without ``direct``)."""
        where = f"{table} after {cursor}"
        try:
            with self._write() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                high = 0
                if table == pg.PARTITIONED:
                    if csv_header is None:
                        raise pg.StreamRejected(f"{table} is taken as CSV on PostgreSQL")
                    high = pg.lock_high_id(raw, site_id)  # held until the commit
                if direct and csv_header is not None and high <= cursor:
                    rows = pg.copy_direct(raw, site_id, csv_header, chunks)
                    last = max(box_last_id, cursor)
                    pg.stored_up_to(raw, site_id, last)
                    self._set_cursor(conn, site_id, table, last)
                    return rows, last
                if csv_header is not None:
                    if table != pg.PARTITIONED:
                        raise pg.StreamRejected(f"CSV is taken for {pg.PARTITIONED} only")
                    pg.stage_csv(raw, csv_header, chunks)
                    check, months = pg.check_csv(raw)
                else:
                    pg.stage(raw, table, chunks)
                    check, months = pg.check_staged(raw, table)
                if check.first_id is not None and check.first_id <= cursor:
                    raise pg.StreamRejected("ids not increasing from the cursor")
                last = max(box_last_id, check.last_id or cursor)
                if last < cursor:
                    raise pg.StreamRejected(f"the box's cursor {last} is behind ours ({cursor})")
                if months:
                    pg.make_partitions(conn, months)
                if check.rows and csv_header is not None:
                    pg.insert_csv(raw, site_id, high)
                elif check.rows:
                    pg.insert_staged(conn, raw, site_id, table)
                if table == pg.PARTITIONED:
                    pg.stored_up_to(raw, site_id, last)
                self._set_cursor(conn, site_id, table, last)
        except pg.StreamRejected as exc:
            raise BadRows(f"{where}: {exc}") from exc
        except (psycopg.errors.DataError, psycopg.errors.NotNullViolation) as exc:
            raise BadRows(f"{where}: {exc}") from exc  # the server could not read a value
        except psycopg.Error as exc:
            raise CentralError(f"write to {self._where()} failed: {_reason(exc)}") from exc
        return check.rows, last

    def drop_old(self, keep_months: int, today: dt.date | None = None) -> list[str]:
        """Retention: drop ``readings`` older than the last ``keep_months`` months (this
        month counted). PostgreSQL drops whole monthly partitions (their names returned);
        SQLite deletes the rows (returns ``[]``)."""
        today = today or dt.datetime.now(dt.UTC).date()
        with self._write() as conn:
            if self.dialect == "postgresql":
                return pg.drop_old_partitions(conn, keep_months, today)
            if keep_months < 1:
                raise ValueError(f"keep_months must be at least 1, got {keep_months}")
            month = dt.date(today.year, today.month, 1)
            for _ in range(keep_months - 1):
                back = month - dt.timedelta(days=1)
                month = dt.date(back.year, back.month, 1)
            oldest = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
            readings = DATA_TABLES[pg.PARTITIONED]
            conn.execute(delete(readings).where(readings.c.time < oldest))
        return []

    def partitions(self) -> list[str]:
        """The monthly partitions of ``readings``, oldest first (none on SQLite)."""
        if self.dialect != "postgresql":
            return []
        with self._read() as conn:
            return [name for _, name in sorted(pg.partitions(conn).items())]

    def open_ids(self, site_id: str, table: str) -> list[int]:
        """Box ids of stored rows that may still change: runs not final, latched unacked events."""
        t = DATA_TABLES[table]
        cond: ColumnElement[bool]
        if table == "runs":
            cond = t.c.state.not_in(sorted(FINAL_RUN_STATES))
        elif table == "events":
            cond = and_(t.c.latched.is_(True), t.c.acked_at.is_(None))
        else:
            return []
        query = select(t.c.source_id).where(t.c.site_id == site_id, cond).order_by(t.c.source_id)
        with self._read() as conn:
            return [int(i) for (i,) in conn.execute(query)]

    def row_count(self, site_id: str, table: str) -> int:
        t = DATA_TABLES[table]
        with self._read() as conn:
            return int(
                conn.execute(select(func.count()).where(t.c.site_id == site_id)).scalar_one()
            )

    # -- sites and zones ----------------------------------------------------------

    def store_zones(self, site_id: str, zones: Sequence[ZoneArea]) -> None:
        if not zones:
            return
        stmt = self._insert(ZONES)
        stmt = stmt.on_conflict_do_update(
            index_elements=["site_id", "zone"],
            set_={c: stmt.excluded[c] for c in ("label", "area_m2", "crop")},
        )
        rows = [
            {
                "site_id": site_id,
                "zone": z.zone,
                "label": z.label,
                "area_m2": z.area_m2,
                "crop": z.crop,
            }
            for z in zones
        ]
        with self._write() as conn:
            conn.execute(stmt, rows)

    def zones(self, sites: Sequence[str] | None = None) -> list[ZoneArea]:
        query = select(ZONES).order_by(ZONES.c.site_id, ZONES.c.zone)
        if sites is not None:
            query = query.where(ZONES.c.site_id.in_(list(sites)))
        with self._read() as conn:
            return [
                ZoneArea(r.site_id, r.zone, r.label, float(r.area_m2), r.crop)
                for r in conn.execute(query)
            ]

    def failed_pulls(self, sites: Sequence[str] | None = None) -> list[FailedPull]:
        """The ``sites`` (default: every site ever pulled) whose last pull failed: their
        figures are those of an older pull, or none at all."""
        query = select(SITES).where(SITES.c.last_error != "").order_by(SITES.c.site_id)
        if sites is not None:
            query = query.where(SITES.c.site_id.in_(list(sites)))
        with self._read() as conn:
            return [
                FailedPull(r.site_id, r.last_pull_at, r.last_ok_at, r.last_error)
                for r in conn.execute(query)
            ]

    def record_pull(self, site_id: str, base_url: str, error: str = "") -> None:
        """Note a site's pull: when, and the error if it failed ("" when it went well)."""
        now = dt.datetime.now(dt.UTC)
        stmt = self._insert(SITES).values(
            site_id=site_id,
            base_url=base_url,
            last_pull_at=now,
            last_ok_at=None if error else now,
            last_error=error,
        )
        set_: dict[str, Any] = {
            "base_url": stmt.excluded.base_url,
            "last_pull_at": stmt.excluded.last_pull_at,
            "last_error": stmt.excluded.last_error,
        }
        if not error:
            set_["last_ok_at"] = stmt.excluded.last_ok_at
        with self._write() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["site_id"], set_=set_))
