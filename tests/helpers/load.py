"""Load on a running daemon: many page and API clients, an office pull, a run in progress.

The daemon runs with its real scheduler on the simulated demo site; its store is first
filled with ``telemetry_rows`` readings (a year of a site's telemetry is about 1-2
million). Then, for ``seconds``:

* ``clients`` threads (in a process of their own) request, over real HTTP through
  uvicorn, the technician pages (logged in: overview, zones, alarms) and the API
  (status, zones, runs, alarms);
* another process runs the office's ``pull_all`` of the whole store into an SQLite file,
  to its end (the measurement lasts until both are done);
* zone z1 waters for ``run_min`` minutes, started when the load starts.

:func:`run_load` returns what the tests assert (HTTP errors, the run's end, control
errors) and what ``benchmarks/load.py`` reports (the control tick's lateness, request
latencies, the pull's rows). The control tick is timed by wrapping the daemon's own
``control_tick`` before its scheduler starts: lateness is the time past its 1 s grid.
"""

from __future__ import annotations

import math
import multiprocessing
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from sqlalchemy import insert

from controller.access.accounts import Accounts
from controller.clock import SystemClock
from controller.config.site import load_site
from controller.daemon.daemon import CONTROL_PERIOD_S, Daemon
from controller.daemon.service import DaemonService
from controller.office.central import CentralDB
from controller.office.pull import SiteSpec, pull_all
from controller.runtime.timetrust import AlwaysTrusted
from controller.store import ReadingRow, Store
from tests.helpers.browser import serving
from tests.helpers.servedports import served_field
from tests.helpers.site import DEMO_SITE, on_free_ports
from web.app import create_app
from web.pages.context import PagesConfig

__all__ = ["LoadResult", "run_load"]

PAGES = ["/", "/zones/z1", "/alarms"]
API = ["/api/v1/status", "/api/v1/zones", "/api/v1/runs", "/api/v1/alarms"]
PASSWORD = "load test password 1"
_FILL_BATCH = 50_000


@dataclass
class LoadResult:
    requests: int = 0
    errors: list[str] = field(default_factory=list)  # "GET /x: 500" and exceptions
    latencies_s: list[float] = field(default_factory=list)
    tick_late_s: list[float] = field(default_factory=list)  # each control tick's lateness
    missed_ticks: int = 0  # grid slots with no tick (a tick later than a whole period)
    run_state: str = ""
    run_end_reason: str = ""
    control_errors: list[str] = field(default_factory=list)  # control_error / trip events
    pulled_rows: int = 0
    pull_s: float = 0.0
    pull_error: str = ""


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def fill_telemetry(store: Store, rows: int) -> None:
    """``rows`` readings of four points every 15 s, a year of them at ~2 million."""
    t0 = datetime.now(UTC) - timedelta(seconds=15 * rows)
    points = [("probe1", "moisture_20cm"), ("flow1", "flow_rate"), ("ws", "air_temp")]
    for start in range(0, rows, _FILL_BATCH):
        batch = [
            {
                "time": t0 + timedelta(seconds=15 * i),
                "device": points[i % 3][0],
                "point": points[i % 3][1],
                "value": 20.0 + (i % 977) / 97.0,
                "decoded": None,
                "unit": "",
                "quality": "ok",
                "detail": "",
            }
            for i in range(start, min(start + _FILL_BATCH, rows))
        ]
        with store.writing() as session:
            session.execute(insert(ReadingRow), batch)


class _TickTimer:
    """Wraps the control tick: each call's lateness past its slot on the control ticker's grid
    (slot ``k`` is due at the ticker's ``origin_s + k`` periods, monotonic seconds)."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.tick = daemon.control_tick
        self.late_s: list[tuple[float, float]] = []  # (call time, lateness)
        self.slots: list[tuple[float, int]] = []  # (call time, the slot it ran for)

    def __call__(self) -> None:
        now = time.monotonic()
        ticker = self.daemon._ticker  # the daemon's own control ticker
        if ticker is not None and ticker.origin_s is not None:
            slot = math.floor((now - ticker.origin_s) / CONTROL_PERIOD_S)
            t = time.time()
            self.late_s.append((t, now - ticker.origin_s - slot * CONTROL_PERIOD_S))
            self.slots.append((t, slot))
        self.tick()

    def lateness(self, since: float) -> tuple[list[float], int]:
        """Lateness (s) of the ticks since ``since`` (time.time), and the 1 s slots in that
        span with no tick (skipped: the previous tick still running, or coalesced)."""
        slots = sorted({slot for t, slot in self.slots if t >= since})
        if not slots:
            return [], 0
        span = slots[-1] - slots[0] + 1
        return [late for t, late in self.late_s if t >= since], span - len(slots)


def _client(
    base: str,
    token: str,
    paths: list[str],
    until: float,
    out: LoadResult,
    lock: threading.Lock,
    pages_user: str | None,
) -> None:
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as c:
        if pages_user is not None:
            c.headers["origin"] = base
            page = c.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            c.post(
                "/login", data={"username": pages_user, "password": PASSWORD, "csrf": csrf.group(1)}
            )
        else:
            c.headers["authorization"] = f"Bearer {token}"
        i = 0
        while i < len(paths) or time.monotonic() < until:  # every path at least once
            path = paths[i % len(paths)]
            i += 1
            t0 = time.monotonic()
            try:
                status = c.get(path).status_code
                problem = "" if status == 200 else f"GET {path}: {status}"
            except httpx.HTTPError as exc:
                problem = f"GET {path}: {exc!r}"
            with lock:
                out.requests += 1
                out.latencies_s.append(time.monotonic() - t0)
                if problem:
                    out.errors.append(problem)


def _clients_process(
    base: str, token: str, users: list[str], clients: int, seconds: float, conn: Connection
) -> None:
    """``clients`` threads for ``seconds`` (in a process of their own); results to ``conn``."""
    out, lock = LoadResult(), threading.Lock()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_client,
            args=(
                base,
                token,
                PAGES if i < len(users) else API,
                until,
                out,
                lock,
                users[i] if i < len(users) else None,
            ),
            daemon=True,
        )
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conn.send((out.requests, out.errors, out.latencies_s))


def _pull_process(base: str, token: str, workdir: Path, conn: Connection) -> None:
    """The office's pull of the whole box (in a process of its own); results to ``conn``."""
    t0 = time.monotonic()
    with CentralDB(f"sqlite:///{workdir / 'office.db'}") as db:
        (result,) = pull_all(db, [SiteSpec("load", base, token, timeout_s=60.0)])
    conn.send((sum(result.rows.values()), time.monotonic() - t0, result.error))


def run_load(
    *, clients: int, seconds: float, telemetry_rows: int, run_min: float, workdir: Path | None
) -> LoadResult:
    """The scenario of the module docstring; ``workdir`` None: a temporary directory."""
    with tempfile.TemporaryDirectory() as tmp:
        work = workdir or Path(tmp)
        (work / "site.toml").write_text(on_free_ports(DEMO_SITE.read_text("utf-8")), "utf-8")
        out = LoadResult()
        with (
            served_field(load_site(work / "site.toml"), step_s=0.5) as (site, _),
            Store.open_dir(work / "data") as store,
        ):
            fill_telemetry(store, telemetry_rows)
            token = store.create_token("load", "technician")[1]
            hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
            accounts = Accounts(store, hasher=hasher)
            users = [f"viewer{i}" for i in range(clients // 2)]
            for name in users:
                accounts.create_user(name, PASSWORD, "viewer")
            clock = SystemClock()  # a bench machine may run without NTP: trusted here
            daemon = Daemon(site, store, clock, time_trust=AlwaysTrusted(clock, "load harness"))
            timer = _TickTimer(daemon)
            daemon.control_tick = timer  # type: ignore[method-assign]
            daemon.start()
            try:
                pages = PagesConfig(data_dir=work / "data", password_hasher=hasher)
                app = create_app(DaemonService(daemon), store, pages=pages)
                with serving(app) as base:
                    since = time.time()
                    _drive(daemon, base, token, users, clients, seconds, run_min, work, out)
                    out.tick_late_s, out.missed_ticks = timer.lateness(since)
                runs = store.runs("z1")
                if runs:
                    out.run_state, out.run_end_reason = runs[-1].state, runs[-1].end_reason
                out.control_errors = [
                    f"{e.code}: {e.message}"
                    for e in store.events()
                    if e.code == "control_error" or e.source == "safety"
                ]
            finally:
                daemon.stop()
        return out


def _drive(
    daemon: Daemon,
    base: str,
    token: str,
    users: list[str],
    clients: int,
    seconds: float,
    run_min: float,
    work: Path,
    out: LoadResult,
) -> None:
    # clients and the office are other machines: here other processes, so the daemon's
    # process (the daemon and its web server, as `qanat run`) is measured alone
    ctx = multiprocessing.get_context("spawn")
    clients_rx, clients_tx = ctx.Pipe(duplex=False)
    pull_rx, pull_tx = ctx.Pipe(duplex=False)
    procs = [
        ctx.Process(
            target=_clients_process, args=(base, token, users, clients, seconds, clients_tx)
        ),
        ctx.Process(target=_pull_process, args=(base, token, work, pull_tx)),
    ]
    daemon.sequencer.start("z1", run_min, "manual", actor="load")
    for p in procs:
        p.start()
    clients_tx.close()  # the children hold the sending ends: a child that dies is EOFError
    pull_tx.close()
    try:
        out.requests, out.errors, out.latencies_s = clients_rx.recv()
    except EOFError:
        out.errors.append("the clients' process died")
    try:
        out.pulled_rows, out.pull_s, out.pull_error = pull_rx.recv()  # the pull runs to its end
    except EOFError:
        out.pull_error = "the pull's process died"
    for p in procs:
        p.join(60)
    # the run ends by itself when its time is up
    deadline = time.monotonic() + run_min * 60 + 30
    while daemon.sequencer.active() and time.monotonic() < deadline:
        time.sleep(0.5)
