"""The office at district scale: pull 1, 10 and 50 boxes into PostgreSQL, then the season report.

Run by hand: ``python -m benchmarks.office [--boxes 1,10,50] [--rows-per-box 40000]
[--workers N]`` (``python -m benchmarks.scale`` runs it after the box part). One real box
is seeded (a season of 150 days: readings, water balance, runs, events) and its export
read once over HTTP from the real app; a light fixture (stdlib HTTP server, pages sliced
from those bytes and gzipped once) then serves it as many boxes, each under its own path
and site id, so fifty fit on one machine and the office side is what is measured. For each
box count, into a fresh database of a throwaway PostgreSQL cluster (Debian's postgresql 15,
durability off as in the tests), one JSON line:

* ``pull_s``, ``pull_rows_per_s``: ``qanat pull``'s process pool
  (:func:`controller.office.pull_pool.pull_processes`, ``--workers`` processes, one per core
  by default) of every box,
  every table — goal ≥ 250,000 rows/s at 50 boxes;
* ``report_s``: the district's season report from the office database (every site, no
  range) built and rendered as HTML — goal ≤ 10 s;
* ``rows``: rows stored; ``partitions``: monthly partitions of ``readings``;
* ``cpu_server_s``, ``cpu_pull_s``: CPU seconds the pull took in the PostgreSQL server
  (its backends) and in this process tree (the worker processes, and the box fixture's
  threads standing in for the boxes), from ``/proc`` (Linux); on a shared machine these
  compare runs better than the wall time, and ``rows_per_2_cpu_s`` (rows per second if two
  cores did nothing else) is the throughput they allow;
* ``cpu_boxes_s``: the part of ``cpu_pull_s`` the fixture's threads spent answering (the
  boxes' work, on their own machines in a district: thread CPU time of each request), and
  ``rows_per_2_office_cpu_s``: rows per second if two cores did nothing but the office's
  part (server and pull, without the boxes).
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import json
import os
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from controller.counted import counted
from controller.office.central import CentralDB
from controller.office.export import TABLES
from controller.office.pull import CSV_TABLE, SiteSpec
from controller.office.pull_pool import pull_processes
from controller.office.report_central import from_central
from controller.office.report_html import render_html
from tests.helpers.office.pg import postgres_cluster

SEASON_DAYS = 150
TZ = ZoneInfo("Asia/Shanghai")


def line(**fields: Any) -> None:
    print(json.dumps({"benchmark": "office", **fields}), flush=True)


@dataclass
class Export:
    """One table of a real box's export: its NDJSON lines and their ids."""

    lines: list[bytes]
    ids: list[int]
    csv_header: bytes = b""
    csv_lines: list[bytes] | None = None  # the same rows as the CSV export (readings)


def capture(url: str, token: str) -> tuple[dict[str, Export], bytes]:
    """Every table of a real box as its export API sends it, and its zones list."""

    def get(path: str) -> bytes:
        request = urllib.request.Request(url + path)
        request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=120) as response:
            return bytes(response.read())

    tables = {}
    for table in TABLES:
        body = get(f"/api/v1/export/{table}?after=0&limit=1000000")
        lines = [ln + b"\n" for ln in body.split(b"\n") if ln.strip()]
        tables[table] = Export(lines, [json.loads(ln)["id"] for ln in lines])
    body = get(f"/api/v1/export/{CSV_TABLE}?after=0&limit=1000000&format=csv")
    header, *rows = body.splitlines(keepends=True)
    tables[CSV_TABLE].csv_header, tables[CSV_TABLE].csv_lines = header, rows
    if len(rows) != len(tables[CSV_TABLE].ids):
        raise RuntimeError("CSV rows of readings with line breaks in them: not sliceable")
    return tables, get("/api/v1/zones")


class Fixture:
    """Serves one captured export as many boxes: ``/box{n}/api/v1/...``."""

    def __init__(self, tables: dict[str, Export], zones: bytes) -> None:
        self.tables = tables
        self.zones = zones
        self._pages: dict[tuple[str, int, int, bool], bytes] = {}
        self._lock = threading.Lock()
        self.cpu_s = 0.0  # CPU seconds spent answering requests (:meth:`spent`)
        fixture = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                started = time.thread_time()
                fixture.answer(self)
                fixture.spent(time.thread_time() - started)

            def do_POST(self) -> None:
                started = time.thread_time()
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                fixture.send(self, b'{"ok": true}', {"Content-Type": "application/json"})
                fixture.spent(time.thread_time() - started)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def spent(self, cpu_s: float) -> None:
        """Count the CPU seconds one request took in its handler thread."""
        with self._lock:
            self.cpu_s += cpu_s

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def send(self, handler: BaseHTTPRequestHandler, body: bytes, headers: dict[str, str]) -> None:
        handler.send_response(200)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = "/" + parts.path.split("/", 2)[2]  # drop /box{n}
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if path == "/api/v1/zones":
            self.send(handler, self.zones, {"Content-Type": "application/json"})
            return
        table = path.rsplit("/", 1)[1]
        export = self.tables[table]
        after = int(query.get("after", "0"))
        if "ids" in query:
            wanted = {int(i) for i in query["ids"].split(",")}
            chosen = [ln for ln, i in zip(export.lines, export.ids, strict=True) if i in wanted]
            body, last, full = gzip.compress(b"".join(chosen), 1), after, False
        else:
            limit = int(query.get("limit", "10000"))
            start = bisect.bisect_right(export.ids, after)
            end = min(start + limit, len(export.ids))
            body = self._page(table, start, end, query.get("format") == "csv")
            last = export.ids[end - 1] if end > start else after
            full = end - start == limit
        headers = {
            "Content-Type": "application/x-ndjson",
            "Content-Encoding": "gzip",
            "X-Last-Id": str(last),
            "X-Max-Id": str(export.ids[-1] if export.ids else 0),
        }
        if full:
            headers["Link"] = f'<{parts.path}?after={last}&limit={query["limit"]}>; rel="next"'
        self.send(handler, body, headers)

    def _page(self, table: str, start: int, end: int, csv: bool) -> bytes:
        key = (table, start, end, csv)
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                export = self.tables[table]
                if csv and export.csv_lines is not None:
                    body = export.csv_header + b"".join(export.csv_lines[start:end])
                else:
                    body = b"".join(export.lines[start:end])
                page = self._pages[key] = gzip.compress(body, 1)
        return page

    def sites(self, n: int) -> list[SiteSpec]:
        return [
            SiteSpec(f"district-{k:02d}", f"{self.base}/box{k:02d}", "token", timeout_s=120)
            for k in range(n)
        ]


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(root: int) -> float:
    """CPU seconds of process ``root`` and its descendants, live or already reaped (their
    times are in their parent's ``cutime``/``cstime``), from ``/proc``."""
    parent: dict[int, int] = {}
    spent: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        parent[int(entry)] = int(fields[1])
        spent[int(entry)] = sum(int(v) for v in fields[11:15]) / _CLK_TCK
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += spent.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


def _postmaster(url: str) -> int:
    with CentralDB(url) as db, db.connect() as conn:
        backend = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        with open(f"/proc/{backend}/stat", encoding="ascii", errors="replace") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])


def measure(fixture: Fixture, url: str, boxes: int, workers: int, page_rows: int) -> None:
    specs = fixture.sites(boxes)
    with CentralDB(url):
        pass  # the schema, made once before the workers start
    server = _postmaster(url)
    server0, pull0, boxes0 = tree_cpu_s(server), tree_cpu_s(os.getpid()), fixture.cpu_s
    t0 = time.perf_counter()
    results = pull_processes(url, specs, processes=workers, page_rows=page_rows)
    pull_s = time.perf_counter() - t0
    cpu_server_s = tree_cpu_s(server) - server0
    cpu_pull_s = tree_cpu_s(os.getpid()) - pull0
    cpu_boxes_s = fixture.cpu_s - boxes0
    failed = [r.error for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"{counted(len(failed), 'site', 'sites')} failed: {failed[0]}")
    rows = sum(sum(r.rows.values()) for r in results)
    with CentralDB(url) as db:
        t0 = time.perf_counter()
        report = from_central(db, None, None, TZ)
        render_html(report)
        report_s = time.perf_counter() - t0
        partitions = len(db.partitions())
    line(
        boxes=boxes,
        rows=rows,
        pull_s=round(pull_s, 2),
        pull_rows_per_s=round(rows / pull_s),
        report_s=round(report_s, 2),
        cpu_server_s=round(cpu_server_s, 1),
        cpu_pull_s=round(cpu_pull_s, 1),
        rows_per_2_cpu_s=round(rows / ((cpu_server_s + cpu_pull_s) / 2)),
        cpu_boxes_s=round(cpu_boxes_s, 1),
        rows_per_2_office_cpu_s=round(rows / ((cpu_server_s + cpu_pull_s - cpu_boxes_s) / 2)),
        load_1min=round(os.getloadavg()[0], 1),
        report_sites=len(report.sites),
        partitions=partitions,
        workers=workers,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", default="1,10,50", help="box counts, comma-separated")
    parser.add_argument("--rows-per-box", type=int, default=40_000, help="readings per box")
    # One pull process per core: on this 2-core machine, where the server runs too, four
    # took ~40 % more CPU for the same rows than two (contention), and were slower.
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="pull processes (default: cores)"
    )
    parser.add_argument("--page-rows", type=int, default=20_000, help="rows per request")
    args = parser.parse_args(argv)
    # Imported here, not at the top: the pull's workers run the main module again
    # (multiprocessing), and the real box's app is 3 CPU-s of imports qanat pull never pays.
    from tests.helpers.office.boxes import running_box

    with tempfile.TemporaryDirectory(prefix="qanat-office-") as work:
        per_day = max(1, args.rows_per_box // SEASON_DAYS)
        t0 = time.perf_counter()
        with running_box(
            Path(work) / "box", "real", days=SEASON_DAYS, readings_per_day=per_day
        ) as b:
            tables, zones = capture(b.url, b.token)
        line(
            step="one real box exported",
            rows={t: len(e.ids) for t, e in tables.items()},
            seconds=round(time.perf_counter() - t0, 1),
        )
        fixture = Fixture(tables, zones)
        try:
            with postgres_cluster() as server:
                for n in (int(b) for b in args.boxes.split(",")):
                    measure(fixture, server.new_database(), n, args.workers, args.page_rows)
        finally:
            fixture.close()


if __name__ == "__main__":
    main()
