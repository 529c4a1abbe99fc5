"""Export and pull throughput: a box's SQLite streamed as NDJSON, and a pull into PostgreSQL.

Run by hand: ``python -m benchmarks.export [ROWS]`` (default 1,000,000 readings; a few
minutes, most of it filling the box). Prints one JSON line per measurement:

* ``export_ndjson_sqlite``: every row as the API streams it from SQLite
  (:func:`controller.office.export.iter_ndjson`, the JSON made by SQLite), in process (what the
  box's CPU does per request), rows/s, and the resident memory before and after (flat:
  pages of 5,000 rows, nothing kept); ``export_ndjson_python``: the same through
  :func:`~controller.office.export.iter_pages` and the Python encoder (other backends, CSV);
* ``export_http``: the same rows through the real app and uvicorn on loopback, read by
  urllib in 1 MiB chunks, gzip off (the office's view of one box), rows/s;
* ``pull_postgresql``: ``pull_all`` of the box into a throwaway PostgreSQL cluster
  (Debian's postgresql 15, durability off as in the tests), seconds and rows/s.

Memory is read from ``/proc/self/statm`` (resident now) and ``ru_maxrss`` (peak).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from controller.clock import VirtualClock
from controller.office.central import CentralDB
from controller.office.export import iter_ndjson, iter_pages
from controller.office.pull import pull_all
from controller.store import ReadingRow, Store
from tests.helpers.office.boxes import service_for_seeded_zones
from tests.helpers.office.pg import postgres_cluster
from tests.helpers.office.servers import serving
from web.api.export_format import ndjson_chunks
from web.app import create_app

BATCH = 50_000


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(name: str, **fields: Any) -> None:
    print(json.dumps({"benchmark": name, **fields}), flush=True)


def fill(store: Store, rows: int) -> None:
    t0 = datetime(2026, 4, 20, tzinfo=UTC)
    points = [
        ("probe1", "moisture_20cm", "%"),
        ("meter1", "flow_rate", "m3/h"),
        ("ws", "air_temp", "degC"),
        ("probe1", "moisture_40cm", "%"),
    ]
    for start in range(0, rows, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, rows)):
            device, point, unit = points[i % len(points)]
            batch.append(
                {
                    "time": t0 + timedelta(seconds=15 * i),
                    "device": device,
                    "point": point,
                    "value": 20.0 + (i % 977) / 97.0,
                    "decoded": None,
                    "unit": unit,
                    "quality": "ok",
                    "detail": "",
                }
            )
        with store._write() as session:  # bulk, as the reading buffer writes
            session.execute(insert(ReadingRow), batch)


def export_in_process(store: Store, rows: int, encoder: str) -> None:
    """Every row as NDJSON chunks, as the API makes them: SQLite's JSON or Python's."""
    before, peak_before = rss_mb(), peak_mb()
    t0 = time.perf_counter()
    chunks = iter_ndjson(store, "readings") if encoder == "sqlite" else None
    if chunks is None:
        chunks = ndjson_chunks(iter_pages(store, "readings", 0, None))
    count = size = 0
    for chunk in chunks:
        size += len(chunk)
        count += chunk.count(b"\n")
    seconds = time.perf_counter() - t0
    assert count == rows, (count, rows)
    emit(
        f"export_ndjson_{encoder}",
        rows=count,
        seconds=round(seconds, 2),
        rows_per_s=round(count / seconds),
        mb=round(size / 2**20, 1),
        rss_before_mb=round(before, 1),
        rss_after_mb=round(rss_mb(), 1),
        peak_before_mb=round(peak_before, 1),
        peak_after_mb=round(peak_mb(), 1),
    )


def export_over_http(base: str, token: str, rows: int) -> None:
    url = f"{base}/api/v1/export/readings?after=0&limit={rows}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    t0 = time.perf_counter()
    count = 0
    with urllib.request.urlopen(request, timeout=600) as response:
        while chunk := response.read(2**20):
            count += chunk.count(b"\n")
    seconds = time.perf_counter() - t0
    emit("export_http", rows=count, seconds=round(seconds, 2), rows_per_s=round(count / seconds))


def pull_into_postgresql(base: str, token: str, rows: int) -> None:
    from controller.office.pull import SiteSpec

    with postgres_cluster() as pg, CentralDB(pg.new_database()) as db:
        t0 = time.perf_counter()
        [result] = pull_all(db, [SiteSpec("bench-01", base, token, timeout_s=300)])
        seconds = time.perf_counter() - t0
        assert result.ok, result.error
        stored = db.row_count("bench-01", "readings")
        emit(
            "pull_postgresql",
            rows=stored,
            seconds=round(seconds, 2),
            rows_per_s=round(stored / seconds),
            page_rows=20_000,
        )
        assert stored == rows


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory(prefix="qanat-bench-") as tmp:
        store = Store(f"sqlite:///{tmp}/qanat.db", clock=VirtualClock(datetime.now(UTC)))
        t0 = time.perf_counter()
        fill(store, rows)
        emit("fill_box", rows=rows, seconds=round(time.perf_counter() - t0, 2))
        export_in_process(store, rows, "sqlite")
        export_in_process(store, rows, "python")
        _, token = store.create_token("office", "viewer")
        with serving(create_app(service_for_seeded_zones(), store)) as base:
            export_over_http(base, token, rows)
            pull_into_postgresql(base, token, rows)
        store.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
