"""PostgreSQL side of the office database: pages streamed in by ``COPY``, monthly partitions.

**Streaming.** A page of the box's NDJSON goes to the server as it arrives, untouched by
Python: ``COPY _raw_{table} (doc) FROM STDIN`` into a temporary ``jsonb`` column (CSV
mode with quote and delimiter bytes that valid JSON never holds raw, so a line is one
field), then one ``INSERT … SELECT … FROM jsonb_to_record(doc) … ON CONFLICT``. The
server parses the JSON and the times in C; the pulling process only moves bytes, so
pulls in several processes scale with the server's cores, not with Python.

``readings`` (nearly every row) comes as the box's CSV instead (``format=csv``):
``COPY`` parses it straight into a typed temporary table (several times faster than
JSON), and its rows go into ``readings`` by a plain ``INSERT``: rows after the committed
cursor cannot be stored yet, so the unique check only fails when the same site is pulled
twice at once; then the page is inserted again with ``ON CONFLICT DO NOTHING`` (a
savepoint keeps the staged rows).

**Partitions.** ``readings`` (the telemetry: nearly every row of a box) is partitioned by
month of ``time`` (``readings_p202605`` holds May 2026, UTC); a page's missing months are
made before its rows go in, under an advisory lock (two workers never make the same one).
**One index.** ``readings`` has a single index, the unique key
``(site_id, device, point, time, source_id)`` (:data:`READINGS_KEY`): it is what keeps a
pull idempotent (a row pulled again has the same site, point, time and box id, and is not
stored twice) and what a point's series over time is read by. PostgreSQL requires the
partition key in a unique index, and a box's reading never changes after it is stored, so
the key is exact. A COPY maintains this one B-tree, not a unique key and a query index
beside it. :func:`drop_old_partitions` drops whole months older than the retention.

**Migration.** A database made before partitioning has ``readings`` as a plain table:
:func:`ensure_schema` moves its rows into the partitioned table once, in one transaction.
A partitioned ``readings`` with the two indexes of before (``UNIQUE (site_id, source_id,
time)`` and ``(site_id, device, point, time)``) gets the one key instead, also once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Connection, String, Table, text
from sqlalchemy.dialects import postgresql

from controller.errors import OfficeError
from controller.office.central.tables import DATA_TABLES, data_columns

__all__ = [
    "PARTITIONED",
    "READINGS_KEY",
    "NeedsStaging",
    "PageCheck",
    "StreamRejected",
    "check_csv",
    "check_staged",
    "copy_direct",
    "csv_columns_expected",
    "drop_old_partitions",
    "ensure_schema",
    "insert_csv",
    "insert_staged",
    "make_partitions",
    "partitions",
    "stage",
    "stage_csv",
]

PARTITIONED = "readings"
# The one index of readings: idempotency key and query index at once (module docstring).
READINGS_KEY = ("site_id", "device", "point", "time", "source_id")
_KEY_NAME = "uq_c_readings_site_device_point_time_source"
_OLD_KEY = "uq_c_readings_site_source_time"  # before: the key, and an index beside it
_OLD_INDEX = "ix_c_readings_site_device_point_time"
_LOCK_KEY = 0x71A7A7  # advisory lock: schema changes and partition creation, one at a time
_PART = re.compile(r"^readings_p(\d{4})(\d{2})$")
# CSV mode with bytes a JSON text never holds raw (control characters are escaped in JSON):
# each line is one field, backslashes and quotes pass untouched.
_COPY_OPTIONS = "(FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"


class StreamRejected(OfficeError, ValueError):
    """A streamed page is not the export format (not JSON, ids missing or out of order)."""


@dataclass(frozen=True, slots=True)
class PageCheck:
    """What a streamed page held: its row count and ids."""

    rows: int
    first_id: int | None
    last_id: int | None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _month(value: dt.date) -> dt.date:
    return dt.date(value.year, value.month, 1)


def _next_month(value: dt.date) -> dt.date:
    return dt.date(value.year + value.month // 12, value.month % 12 + 1, 1)


def _partition_name(month: dt.date) -> str:
    return f"{PARTITIONED}_p{month.year:04d}{month.month:02d}"


def _readings_ddl() -> list[str]:
    """The partitioned ``readings`` (columns as :data:`DATA_TABLES`, no ``pk`` index)."""
    t = DATA_TABLES[PARTITIONED]
    cols = [
        "pk bigint NOT NULL DEFAULT nextval('readings_pk_seq')",
        # COPY straight into readings names no site: the page's transaction sets it
        # byte order ("C") in the keys: index comparisons by memcmp, not the locale's rules
        "site_id varchar(64) COLLATE \"C\" NOT NULL DEFAULT current_setting('qanat.site_id')",
        "source_id bigint NOT NULL",
    ]
    dialect = postgresql.dialect()
    for name in data_columns(t):
        if name == "source_id":
            continue
        column = t.c[name]
        kind = column.type.compile(dialect=dialect)
        if name in ("device", "point"):
            kind += ' COLLATE "C"'
        null = "" if column.nullable and name != "time" else " NOT NULL"
        cols.append(f"{_q(name)} {kind}{null}")
    return [
        "CREATE SEQUENCE IF NOT EXISTS readings_pk_seq AS bigint CACHE 1000",
        f"CREATE TABLE readings ({', '.join(cols)}, "
        f"CONSTRAINT {_KEY_NAME} UNIQUE ({', '.join(READINGS_KEY)})) "
        "PARTITION BY RANGE (time)",
        "ALTER SEQUENCE readings_pk_seq OWNED BY readings.pk",
    ]


def _one_key(conn: Connection) -> None:
    """A partitioned ``readings`` with the key and the index of before gets the one key."""
    names = set(
        conn.execute(
            text("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass('readings')")
        ).scalars()
    )
    if _KEY_NAME not in names:  # built before the old ones go: never without a key
        conn.execute(
            text(
                f"ALTER TABLE readings ADD CONSTRAINT {_KEY_NAME} "
                f"UNIQUE ({', '.join(READINGS_KEY)})"
            )
        )
    if _OLD_KEY in names:
        conn.execute(text(f"ALTER TABLE readings DROP CONSTRAINT {_OLD_KEY}"))
    conn.execute(text(f"DROP INDEX IF EXISTS {_OLD_INDEX}"))


def _relkind(conn: Connection, name: str) -> str | None:
    kind = conn.execute(
        text("SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(:n)"), {"n": name}
    ).scalar()
    return None if kind is None else str(kind)


def ensure_schema(conn: Connection, others: Iterable[Table]) -> None:
    """Make the office tables (``others`` by SQLAlchemy, ``readings`` partitioned); migrate
    a plain ``readings`` of an older office database into the partitioned one."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    for table in others:
        table.create(conn, checkfirst=True)
    kind = _relkind(conn, PARTITIONED)
    if kind == "p":
        _one_key(conn)
        return
    if kind == "r":  # before partitioning: move it aside, its names too
        conn.execute(text("ALTER TABLE readings RENAME TO readings_unpartitioned"))
        for (index,) in conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'readings_unpartitioned'")
        ).all():
            conn.execute(text(f"ALTER INDEX {_q(index)} RENAME TO {_q(index + '_old')}"))
        seq = conn.execute(text("SELECT pg_get_serial_sequence('readings_unpartitioned', 'pk')"))
        old_seq = seq.scalar()
        if old_seq is not None:
            conn.execute(text(f"ALTER SEQUENCE {old_seq} RENAME TO readings_pk_seq_old"))
    for statement in _readings_ddl():
        conn.execute(text(statement))
    if kind == "r":
        months = conn.execute(
            text(
                "SELECT DISTINCT date_trunc('month', time AT TIME ZONE 'UTC')::date "
                "FROM readings_unpartitioned"
            )
        ).scalars()
        _create_partitions(conn, [m for m in months if m is not None])
        names = ", ".join(_q(c) for c in ["pk", "site_id", *data_columns(DATA_TABLES["readings"])])
        conn.execute(
            text(f"INSERT INTO readings ({names}) SELECT {names} FROM readings_unpartitioned")
        )
        conn.execute(
            text(
                "SELECT setval('readings_pk_seq', "
                "(SELECT coalesce(max(pk), 0) + 1 FROM readings_unpartitioned), false)"
            )
        )
        conn.execute(text("DROP TABLE readings_unpartitioned"))


def partitions(conn: Connection) -> dict[dt.date, str]:
    """``{first day of month: partition name}`` of ``readings``."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass('readings')"
        )
    ).scalars()
    out: dict[dt.date, str] = {}
    for name in names:
        found = _PART.match(name)
        if found:
            out[dt.date(int(found[1]), int(found[2]), 1)] = name
    return out


def _create_partitions(conn: Connection, months: Iterable[dt.date]) -> None:
    for month in sorted({_month(m) for m in months}):
        start, end = month.isoformat(), _next_month(month).isoformat()
        conn.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {_partition_name(month)} PARTITION OF readings "
                f"FOR VALUES FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00')"
            )
        )


def make_partitions(conn: Connection, months: Iterable[dt.date]) -> None:
    """Create the missing months' partitions (commit soon: creating one locks ``readings``)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    have = partitions(conn)
    _create_partitions(conn, [m for m in months if _month(m) not in have])


def drop_old_partitions(conn: Connection, keep_months: int, today: dt.date) -> list[str]:
    """Drop the months of ``readings`` older than the last ``keep_months`` (this month
    counted); returns the dropped partitions' names."""
    if keep_months < 1:
        raise ValueError(f"keep_months must be at least 1, got {keep_months}")
    oldest = _month(today)
    for _ in range(keep_months - 1):
        oldest = _month(oldest - dt.timedelta(days=1))
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    dropped = []
    for month, name in sorted(partitions(conn).items()):
        if month < oldest:
            conn.execute(text(f"DROP TABLE {_q(name)}"))
            dropped.append(name)
    return dropped


# -- streaming a page ---------------------------------------------------------------


def _record_types(conn: Connection, table: str) -> dict[str, str]:
    rows = conn.execute(
        text(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(:t) AND attnum > 0 AND NOT attisdropped"
        ),
        {"t": table},
    )
    return {str(n): str(k) for n, k in rows}


def stage(raw: Any, table: str, chunks: Iterable[bytes]) -> None:
    """COPY the NDJSON ``chunks`` into the session's temporary ``_raw_{table}`` (emptied
    first); ``raw`` is the psycopg connection, inside the page's transaction."""
    temp = _q(f"_raw_{table}")
    with raw.cursor() as cur:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} "
            "(n bigint GENERATED ALWAYS AS IDENTITY, doc jsonb) ON COMMIT DELETE ROWS"
        )
        cur.execute(f"TRUNCATE {temp}")
        with cur.copy(f"COPY {temp} (doc) FROM STDIN WITH {_COPY_OPTIONS}") as copy:
            for chunk in chunks:
                if chunk:
                    copy.write(chunk)


def check_staged(raw: Any, table: str) -> tuple[PageCheck, list[dt.date]]:
    """The staged page's count and ids (:class:`StreamRejected` when not the export's
    form) and, for ``readings``, the months it touches."""
    temp = _q(f"_raw_{table}")
    with raw.cursor() as cur:
        cur.execute(
            "WITH s AS (SELECT n, CASE WHEN jsonb_typeof(doc) = 'object' "
            "AND jsonb_typeof(doc -> 'id') = 'number' THEN (doc ->> 'id')::numeric END AS id "
            f"FROM {temp} WHERE doc IS NOT NULL), "
            "o AS (SELECT id, lag(id) OVER (ORDER BY n) AS prev FROM s) "
            "SELECT count(*), count(id), count(*) FILTER (WHERE id <> trunc(id)), "
            "count(*) FILTER (WHERE id <= prev), min(id), max(id) FROM o"
        )
        rows, with_id, fractional, disorder, first, last = cur.fetchone()
        if rows != with_id or fractional:
            raise StreamRejected("a row without an integer id")
        if disorder:
            raise StreamRejected("ids not increasing")
        months: list[dt.date] = []
        if table == PARTITIONED and rows:
            cur.execute(
                "SELECT DISTINCT date_trunc('month', (doc ->> 'time')::timestamptz "
                f"AT TIME ZONE 'UTC')::date FROM {temp} WHERE doc ? 'time'"
            )
            months = [m for (m,) in cur.fetchall() if m is not None]
    check = PageCheck(
        int(rows), None if first is None else int(first), None if last is None else int(last)
    )
    return check, months


def csv_columns_expected() -> list[str]:
    """The columns of ``readings`` as the box's CSV names them (``id`` first)."""
    return ["id", *(c for c in data_columns(DATA_TABLES[PARTITIONED]) if c != "source_id")]


def _not_null_text(table: Table) -> list[str]:
    return [
        c.name
        for c in table.columns
        if not c.nullable
        and c.name not in ("pk", "site_id")
        and isinstance(getattr(c.type, "impl", c.type), String)  # Text is a String
    ]


def stage_csv(raw: Any, header: list[str], chunks: Iterable[bytes]) -> None:
    """COPY the box's CSV rows of ``readings`` (``header``: its column names, checked)
    into the session's typed temporary ``_csv_readings``."""
    expected = csv_columns_expected()
    if sorted(header) != sorted(expected):
        raise StreamRejected(f"CSV columns {header} are not {expected}")
    kinds = {c: t for c, t in _column_types(raw, PARTITIONED).items()}
    columns = ", ".join(
        ["n bigint GENERATED ALWAYS AS IDENTITY", "id bigint"]
        + [f"{_q(c)} {kinds[c]}" for c in expected[1:]]
    )
    keep_empty = ", ".join(_q(c) for c in _not_null_text(DATA_TABLES[PARTITIONED]))
    names = ", ".join(_q(c) for c in header)
    with raw.cursor() as cur:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS _csv_readings ({columns}) ON COMMIT DELETE ROWS"
        )
        cur.execute("TRUNCATE _csv_readings")
        cur.execute("SET LOCAL TimeZone = 'UTC'")
        options = f"(FORMAT csv, FORCE_NOT_NULL ({keep_empty}))" if keep_empty else "(FORMAT csv)"
        with cur.copy(f"COPY _csv_readings ({names}) FROM STDIN WITH {options}") as copy:
            for chunk in chunks:
                if chunk:
                    copy.write(chunk)


class NeedsStaging(OfficeError):
    """The direct COPY met a month without its partition, or rows already stored (the same
    site pulled twice at once): ask the page again and take it through the stage."""


def copy_direct(raw: Any, site_id: str, header: list[str], chunks: Iterable[bytes]) -> int:
    """COPY the box's CSV rows straight into ``readings`` (the fast path: no stage);
    returns the rows. Raises :class:`NeedsStaging` (nothing of the page kept) when a
    month's partition is missing or a row is already there: the unique key
    (:data:`READINGS_KEY`) finds a row stored before, or one another pull of the same site
    is storing at the same time (the COPY waits for it, then fails). The cursor it leaves
    is the box's ``X-Last-Id``, as for a staged page."""
    expected = csv_columns_expected()
    if sorted(header) != sorted(expected):
        raise StreamRejected(f"CSV columns {header} are not {expected}")
    names = ", ".join("source_id" if c == "id" else _q(c) for c in header)
    keep_empty = ", ".join(_q(c) for c in _not_null_text(DATA_TABLES[PARTITIONED]))
    options = f"(FORMAT csv, FORCE_NOT_NULL ({keep_empty}))" if keep_empty else "(FORMAT csv)"
    with raw.cursor() as cur:
        cur.execute("SELECT set_config('qanat.site_id', %s, true)", (site_id,))
        cur.execute("SET LOCAL TimeZone = 'UTC'")
        cur.execute("SAVEPOINT direct_copy")
        try:
            with cur.copy(f"COPY readings ({names}) FROM STDIN WITH {options}") as copy:
                for chunk in chunks:
                    if chunk:
                        copy.write(chunk)
        except (psycopg.errors.UniqueViolation, psycopg.errors.CheckViolation) as exc:
            cur.execute("ROLLBACK TO SAVEPOINT direct_copy")
            raise NeedsStaging(str(exc)) from exc
        rows = int(cur.rowcount)
        cur.execute("RELEASE SAVEPOINT direct_copy")
    return rows


def check_csv(raw: Any) -> tuple[PageCheck, list[dt.date]]:
    """Count, ids and months of the staged CSV page (:class:`StreamRejected` when its ids
    are missing or out of order)."""
    with raw.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(id), count(*) FILTER (WHERE id <= prev), min(id), max(id) "
            "FROM (SELECT id, lag(id) OVER (ORDER BY n) AS prev FROM _csv_readings) o"
        )
        rows, with_id, disorder, first, last = cur.fetchone()
        if rows != with_id:
            raise StreamRejected("a row without an id")
        if disorder:
            raise StreamRejected("ids not increasing")
        cur.execute(
            "SELECT DISTINCT date_trunc('month', time AT TIME ZONE 'UTC')::date "
            "FROM _csv_readings WHERE time IS NOT NULL"
        )
        months = [m for (m,) in cur.fetchall()]
    check = PageCheck(
        int(rows), None if first is None else int(first), None if last is None else int(last)
    )
    return check, months


def insert_csv(raw: Any, site_id: str) -> None:
    """Insert the staged CSV page into ``readings`` (module docstring: plain, then
    ``ON CONFLICT DO NOTHING`` if the site's rows are already there)."""
    columns = csv_columns_expected()[1:]
    names = ", ".join(["site_id", "source_id", *(_q(c) for c in columns)])
    values = ", ".join(["%(site)s", "id", *(_q(c) for c in columns)])
    insert = f"INSERT INTO readings ({names}) SELECT {values} FROM _csv_readings"
    with raw.cursor() as cur:
        cur.execute("SAVEPOINT plain_insert")
        try:
            cur.execute(insert, {"site": site_id})
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT plain_insert")
            cur.execute(
                f"{insert} ON CONFLICT ({', '.join(READINGS_KEY)}) DO NOTHING", {"site": site_id}
            )
        cur.execute("RELEASE SAVEPOINT plain_insert")


def _column_types(raw: Any, table: str) -> dict[str, str]:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
            (table,),
        )
        return {str(n): str(k) for n, k in cur.fetchall()}


def insert_staged(conn: Connection, raw: Any, site_id: str, table: str) -> None:
    """Upsert the staged page into ``table``: the server decodes each JSON row."""
    target = DATA_TABLES[table]
    columns = [c for c in data_columns(target) if c != "source_id"]
    kinds = _record_types(conn, table)
    record = ", ".join(["id bigint", *(f"{_q(c)} {kinds[c]}" for c in columns)])
    names = ", ".join(["site_id", "source_id", *(_q(c) for c in columns)])
    values = ", ".join(["%(site)s", "r.id", *(f"r.{_q(c)}" for c in columns)])
    if table == PARTITIONED:
        conflict = f"ON CONFLICT ({', '.join(READINGS_KEY)}) DO NOTHING"
    else:
        updates = ", ".join(f"{_q(c)} = EXCLUDED.{_q(c)}" for c in columns)
        conflict = f"ON CONFLICT (site_id, source_id) DO UPDATE SET {updates}"
    with raw.cursor() as cur:
        cur.execute(
            f"INSERT INTO {_q(table)} ({names}) SELECT {values} "
            f"FROM {_q('_raw_' + table)} s, jsonb_to_record(s.doc) AS r({record}) "
            f"WHERE s.doc IS NOT NULL {conflict}",
            {"site": site_id},
        )
