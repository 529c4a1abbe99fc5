"""PostgreSQL side of the office database: pages streamed in by ``COPY``, monthly partitions.

**Streaming.** A page of the box's NDJSON goes to the server as it arrives, untouched by
Python: ``COPY _raw_{table} (doc) FROM STDIN`` into a temporary ``jsonb`` column (CSV
mode with quote and delimiter bytes that valid JSON never holds raw, so a line is one
field), then one ``INSERT … SELECT … FROM jsonb_to_record(doc) … ON CONFLICT``. The
server parses the JSON and the times in C; the pulling process only moves bytes, so
pulls in several processes scale with the server's cores, not with Python.

``readings`` (nearly every row) comes as the box's CSV instead (``format=csv``) and is
copied straight into the partitioned table (:func:`copy_direct`).

**Exactly once without a unique index.** ``readings`` keeps no B-tree per row: its
idempotence rests on the box's ids, which only grow (AUTOINCREMENT; the export sends ids
``> after`` in order). ``readings_stored`` holds per site the highest box id stored
(``high_id``); each page's transaction first locks that row (:func:`lock_high_id`), copies
the page and raises ``high_id`` with the pull's cursor, all committed together. A page
asked from a cursor at or above ``high_id`` cannot hold a stored row, so it is copied
straight in. Otherwise (the same site pulled twice at once: the second waits for the
lock, then finds ``high_id`` beyond its cursor; a cursor put back by hand) the page goes
through a typed stage and its rows at or below ``high_id`` that are already stored (same
site, box id and time) are left out (:func:`insert_csv`). A box whose ids went back below
the office's cursor (restored from a backup) is refused by the pull
(:class:`controller.office.pull.BoxWentBack`).

**Partitions.** ``readings`` (the telemetry: nearly every row of a box) is partitioned by
month of ``time`` (``readings_p202605`` holds May 2026, UTC); a page's missing months are
made before its rows go in, under an advisory lock (two workers never make the same one).
**One index, a BRIN.** ``readings`` has a single index, a BRIN on ``(site_id, time)``
(:data:`READINGS_BRIN`): a few pages per partition, summarised by block ranges, which a
``COPY`` barely touches, where the unique B-tree of before doubled a backend's CPU
(``python -m benchmarks.office_index``). A site's or a point's series over a time range
is read by a bitmap scan of the matching ranges (each page of a pull is one site's rows
in id order, so a range holds few sites); ranges written since the last (auto)vacuum are
not summarised yet and are read whole.
:func:`drop_old_partitions` drops whole months older than the retention.

**Migration.** A database made before partitioning has ``readings`` as a plain table:
:func:`ensure_schema` moves its rows into the partitioned table once, in one transaction.
A partitioned ``readings`` with the B-tree keys of before (``UNIQUE (site_id, device,
point, time, source_id)``, or ``UNIQUE (site_id, source_id, time)`` and ``(site_id,
device, point, time)``) gets the BRIN instead, and ``readings_stored`` is filled from the
rows, also once.
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
    "READINGS_BRIN",
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
    "leave_out_stored",
    "lock_high_id",
    "make_partitions",
    "partitions",
    "stage",
    "stage_csv",
    "stored_up_to",
]

PARTITIONED = "readings"
# The one index of readings (module docstring): block ranges' bounds, no entry per row.
READINGS_BRIN = ("site_id", "time")
_BRIN_NAME = "ix_c_readings_site_time_brin"
_OLD_KEYS = (  # B-tree constraints of earlier releases
    "uq_c_readings_site_device_point_time_source",  # the one unique key
    "uq_c_readings_site_source_time",  # before it: a key, and an index beside it
)
_OLD_INDEX = "ix_c_readings_site_device_point_time"
# The highest box id of each site's readings stored: what a page's transaction locks.
_STORED_DDL = (
    'CREATE TABLE readings_stored (site_id varchar(64) COLLATE "C" PRIMARY KEY, '
    "high_id bigint NOT NULL)"
)
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
        f"CREATE TABLE readings ({', '.join(cols)}) PARTITION BY RANGE (time)",
        "ALTER SEQUENCE readings_pk_seq OWNED BY readings.pk",
        _brin_ddl(),
    ]


def _brin_ddl() -> str:
    return (
        f"CREATE INDEX IF NOT EXISTS {_BRIN_NAME} ON readings "
        f"USING brin ({', '.join(READINGS_BRIN)})"
    )


def _one_brin(conn: Connection) -> None:
    """A partitioned ``readings`` with the B-tree keys of before gets the BRIN instead; the
    sites' highest stored ids are counted from the rows first (while the keys are there)."""
    if _relkind(conn, "readings_stored") is None:
        conn.execute(text(_STORED_DDL))
        conn.execute(
            text(
                "INSERT INTO readings_stored (site_id, high_id) "
                "SELECT site_id, max(source_id) FROM readings GROUP BY site_id"
            )
        )
    names = set(
        conn.execute(
            text("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass('readings')")
        ).scalars()
    )
    if _relkind(conn, _BRIN_NAME) is None:  # checked first: CREATE INDEX locks readings
        conn.execute(text(_brin_ddl()))
    for key in _OLD_KEYS:
        if key in names:
            conn.execute(text(f"ALTER TABLE readings DROP CONSTRAINT {key}"))
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
        _one_brin(conn)
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
    _one_brin(conn)  # readings_stored, from the rows moved in (none in a new database)


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
    """The direct COPY met a month without its partition: ask the page again and take it
    through the stage."""


def lock_high_id(raw: Any, site_id: str) -> int:
    """Lock the site's row of ``readings_stored`` until the page's transaction ends (a
    second pull of the same site waits here) and return its ``high_id``: the highest box
    id of the site's readings stored (0 before any)."""
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO readings_stored AS s (site_id, high_id) VALUES (%s, 0) "
            "ON CONFLICT (site_id) DO UPDATE SET high_id = s.high_id RETURNING s.high_id",
            (site_id,),
        )
        (high,) = cur.fetchone()
    return int(high)


def stored_up_to(raw: Any, site_id: str, last_id: int) -> None:
    """Raise the site's ``high_id`` to ``last_id`` (never lower), in the page's transaction."""
    with raw.cursor() as cur:
        cur.execute(
            "UPDATE readings_stored SET high_id = greatest(high_id, %s) WHERE site_id = %s",
            (last_id, site_id),
        )


def copy_direct(raw: Any, site_id: str, header: list[str], chunks: Iterable[bytes]) -> int:
    """COPY the box's CSV rows straight into ``readings`` (the fast path: no stage, no
    check per row); returns the rows. Only for a page asked from a cursor at or above the
    site's locked ``high_id`` (:func:`lock_high_id`): the box sends ids above the cursor, so
    none of them is stored. Raises :class:`NeedsStaging` (nothing of the page kept) when a
    month's partition is missing. The cursor it leaves is the box's ``X-Last-Id``, as for a
    staged page."""
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
        except psycopg.errors.CheckViolation as exc:  # no partition for a row's month
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


def leave_out_stored(raw: Any, site_id: str, temp: str, id_column: str, high_id: int) -> int:
    """Delete from the staged page ``temp`` its rows already in ``readings``: same site,
    box id (``id_column``) and time, among those at or below the site's ``high_id`` (the
    rest cannot be stored yet). Without a B-tree this reads the site's rows of the page's
    time span through the BRIN; a page meets it only when pulled twice. Returns the rows
    left out."""
    with raw.cursor() as cur:
        cur.execute(
            f"SELECT min(time), max(time) FROM {_q(temp)} WHERE {_q(id_column)} <= %s",
            (high_id,),
        )
        low, high = cur.fetchone()
        if low is None:
            return 0
        cur.execute(
            f"DELETE FROM {_q(temp)} s USING readings r WHERE s.{_q(id_column)} <= %(high_id)s "
            f"AND r.site_id = %(site)s AND r.time BETWEEN %(low)s AND %(high)s "
            f"AND r.source_id = s.{_q(id_column)} AND r.time = s.time",
            {"high_id": high_id, "site": site_id, "low": low, "high": high},
        )
        return int(cur.rowcount)


def insert_csv(raw: Any, site_id: str, high_id: int) -> None:
    """Insert the staged CSV page into ``readings``, but its rows already stored
    (:func:`leave_out_stored`; ``high_id`` as :func:`lock_high_id` returned it)."""
    leave_out_stored(raw, site_id, "_csv_readings", "id", high_id)
    columns = csv_columns_expected()[1:]
    names = ", ".join(["site_id", "source_id", *(_q(c) for c in columns)])
    values = ", ".join(["%(site)s", "id", *(_q(c) for c in columns)])
    with raw.cursor() as cur:
        cur.execute(
            f"INSERT INTO readings ({names}) SELECT {values} FROM _csv_readings", {"site": site_id}
        )


def _column_types(raw: Any, table: str) -> dict[str, str]:
    with raw.cursor() as cur:
        cur.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
            (table,),
        )
        return {str(n): str(k) for n, k in cur.fetchall()}


def insert_staged(conn: Connection, raw: Any, site_id: str, table: str) -> None:
    """Upsert the staged page into ``table``: the server decodes each JSON row (not
    ``readings``: :class:`StreamRejected`, it comes as CSV)."""
    if table == PARTITIONED:
        raise StreamRejected(f"{PARTITIONED} is taken as CSV on PostgreSQL")
    target = DATA_TABLES[table]
    columns = [c for c in data_columns(target) if c != "source_id"]
    kinds = _record_types(conn, table)
    record = ", ".join(["id bigint", *(f"{_q(c)} {kinds[c]}" for c in columns)])
    names = ", ".join(["site_id", "source_id", *(_q(c) for c in columns)])
    values = ", ".join(["%(site)s", "r.id", *(f"r.{_q(c)}" for c in columns)])
    updates = ", ".join(f"{_q(c)} = EXCLUDED.{_q(c)}" for c in columns)
    conflict = f"ON CONFLICT (site_id, source_id) DO UPDATE SET {updates}"
    with raw.cursor() as cur:
        cur.execute(
            f"INSERT INTO {_q(table)} ({names}) SELECT {values} "
            f"FROM {_q('_raw_' + table)} s, jsonb_to_record(s.doc) AS r({record}) "
            f"WHERE s.doc IS NOT NULL {conflict}",
            {"site": site_id},
        )
