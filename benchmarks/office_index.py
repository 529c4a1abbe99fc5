"""What the office's ``readings`` index costs a ``COPY``, and what it gives a point's series.

Run by hand: ``python -m benchmarks.office_index [--repeat 2] [--series-boxes 50]``. One
real box is seeded and its CSV export of ``readings`` read once (40,000 rows), as in
:mod:`benchmarks.office`. Into fresh databases of a throwaway PostgreSQL cluster, one JSON
line per variant and run: the CPU seconds of the backend (``/proc``, Linux) to ``COPY`` that
export ten times over (ids shifted, 400,000 rows) into the partitioned ``readings``:

* ``csv, brin``: as ``qanat pull`` copies (the BRIN on ``(site_id, time)``);
* ``csv, no index``: the BRIN dropped;
* ``csv, unique btree``: the unique key of the release before instead;
* ``binary, brin``: the same rows in PostgreSQL's binary format (typed in Python
  beforehand; only the backend's CPU is counted).

Then ``--series-boxes`` boxes pulled (:func:`controller.office.pull_pool.pull_processes`)
and one point's week of one site read, best of five, by the BRIN and by a B-tree on
``(site_id, device, point, time)`` built for the comparison.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.office import SEASON_DAYS, Export, Fixture, capture
from controller.office.central import CentralDB, pg
from controller.office.pull import CSV_TABLE
from controller.office.pull_pool import pull_processes
from tests.helpers.office.pg import PgServer, postgres_cluster

COPIES = 10  # the export copied this many times over: 400,000 rows from 40,000
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_NOT_NULL = "FORCE_NOT_NULL (unit, detail, device, point, quality)"
_TYPES = ["bigint", "timestamptz", "varchar", "varchar", "float8", "float8"]
_TYPES += ["varchar", "varchar", "varchar"]


def line(**fields: Any) -> None:
    print(json.dumps({"benchmark": "office_index", **fields}), flush=True)


def backend_cpu_s(conn: psycopg.Connection[Any]) -> float:
    with open(f"/proc/{conn.info.backend_pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def _shifted(export: Export) -> bytes:
    """The CSV rows ``COPIES`` times, each copy's ids moved past the last's (a key holds)."""
    out = []
    for k in range(COPIES):
        for row in export.csv_lines or []:
            first, rest = row.split(b",", 1)
            out.append(str(int(first) + k * 10**7).encode() + b"," + rest)
    return b"".join(out)


def _typed(export: Export) -> list[tuple[Any, ...]]:
    rows = list(csv.reader(io.StringIO(b"".join(export.csv_lines or []).decode())))
    out = []
    for k in range(COPIES):
        for i, when, device, point, value, decoded, unit, quality, detail in rows:
            out.append(
                (
                    int(i) + k * 10**7,
                    dt.datetime.fromisoformat(when),
                    device,
                    point,
                    float(value) if value else None,
                    float(decoded) if decoded else None,
                    unit,
                    quality,
                    detail,
                )
            )
    return out


def _fresh(server: PgServer) -> psycopg.Connection[Any]:
    url = server.new_database()
    with CentralDB(url) as db, db._write() as conn:
        pg.make_partitions(conn, [dt.date(2026, m, 1) for m in range(1, 13)])
    raw = psycopg.connect(url.replace("+psycopg", ""))
    raw.execute("SET TimeZone = 'UTC'")
    raw.execute("SELECT set_config('qanat.site_id', 'site-1', false)")
    raw.commit()
    return raw


def copy_variants(server: PgServer, export: Export, repeat: int) -> None:
    header = (export.csv_header or b"").decode().strip().split(",")
    names = ", ".join("source_id" if c == "id" else f'"{c}"' for c in header)
    body = _shifted(export)
    typed = _typed(export)

    def as_csv(conn: psycopg.Connection[Any]) -> None:
        statement = f"COPY readings ({names}) FROM STDIN WITH (FORMAT csv, {_NOT_NULL})"
        with conn.cursor() as cur, cur.copy(statement) as cp:
            for start in range(0, len(body), 1 << 18):
                cp.write(body[start : start + (1 << 18)])

    def as_binary(conn: psycopg.Connection[Any]) -> None:
        statement = f"COPY readings ({names}) FROM STDIN WITH (FORMAT binary)"
        with conn.cursor() as cur, cur.copy(statement) as cp:
            cp.set_types(_TYPES)
            for row in typed:
                cp.write_row(row)

    brin = "ix_c_readings_site_time_brin"
    variants: list[tuple[str, list[str], Callable[[psycopg.Connection[Any]], None]]] = [
        ("csv, brin", [], as_csv),
        ("csv, no index", [f"DROP INDEX {brin}"], as_csv),
        (
            "csv, unique btree",
            [
                f"DROP INDEX {brin}",
                "ALTER TABLE readings ADD CONSTRAINT k "
                "UNIQUE (site_id, device, point, time, source_id)",
            ],
            as_csv,
        ),
        ("binary, brin", [], as_binary),
    ]
    for run in range(repeat):
        for label, setup, copy in variants:
            with _fresh(server) as conn:
                for statement in setup:
                    conn.execute(statement)
                conn.commit()
                cpu0, t0 = backend_cpu_s(conn), time.perf_counter()
                copy(conn)
                conn.commit()
                line(
                    variant=label,
                    run=run + 1,
                    rows=len(typed),
                    backend_cpu_s=round(backend_cpu_s(conn) - cpu0, 2),
                    wall_s=round(time.perf_counter() - t0, 2),
                    load_1min=round(os.getloadavg()[0], 1),
                )


def series(server: PgServer, fixture: Fixture, boxes: int) -> None:
    url = server.new_database()
    results = pull_processes(url, fixture.sites(boxes), processes=os.cpu_count() or 2)
    if not all(r.ok for r in results):
        raise RuntimeError(f"a pull failed: {next(r.error for r in results if not r.ok)}")
    site = fixture.sites(boxes)[boxes // 2].id
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE readings")
        found = conn.execute(
            "SELECT device, point, min(time) FROM readings WHERE site_id = %s "
            "GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1",
            (site,),
        ).fetchone()
        assert found is not None
        device, point, first = found
        query = (
            "SELECT time, value FROM readings WHERE site_id = %s AND device = %s AND point = %s "
            "AND time >= %s::timestamptz + interval '30 days' "
            "AND time < %s::timestamptz + interval '37 days'"
        )
        args = (site, device, point, first, first)
        for label, statement in [
            ("brin (site_id, time)", ""),
            (
                "btree (site_id, device, point, time)",
                "CREATE INDEX series_btree ON readings (site_id, device, point, time)",
            ),
        ]:
            if statement:
                conn.execute(statement)
                conn.execute("ANALYZE readings")
            best_ms, rows = float("inf"), 0
            for _ in range(5):
                t0 = time.perf_counter()
                rows = len(conn.execute(query, args).fetchall())
                best_ms = min(best_ms, (time.perf_counter() - t0) * 1000)
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, args).fetchall()
            buffers = [r[0].strip() for r in plan if r[0].strip().startswith("Buffers:")]
            line(
                series=label,
                boxes=boxes,
                rows=rows,
                best_ms_of_5=round(best_ms, 2),
                buffers=buffers[0] if buffers else "",
                load_1min=round(os.getloadavg()[0], 1),
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each COPY variant")
    parser.add_argument("--series-boxes", type=int, default=50, help="boxes pulled (0: none)")
    args = parser.parse_args(argv)
    from tests.helpers.office.boxes import running_box  # not in each pull worker (office.py)

    with tempfile.TemporaryDirectory(prefix="qanat-office-index-") as work:
        with running_box(Path(work) / "box", "real", days=SEASON_DAYS, readings_per_day=266) as b:
            tables, zones = capture(b.url, b.token)
        fixture = Fixture(tables, zones)
        try:
            with postgres_cluster() as server:
                copy_variants(server, tables[CSV_TABLE], args.repeat)
                if args.series_boxes:
                    series(server, fixture, args.series_boxes)
        finally:
            fixture.close()


if __name__ == "__main__":
    main()
