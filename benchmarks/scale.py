"""Scale: does one box's control loop keep time at 4, 64 and 256 zones with a bus hung, and
does the office keep up with a district of 50 boxes?

Run by hand: ``python -m benchmarks.scale [--quick] [--zones 4,64,256] [--hang-s S]
[--part box|office|all]`` (the office part, :mod:`benchmarks.office`: ``pull_rows_per_s``,
``pull_s``, ``report_s`` for 1, 10 and 50 boxes into PostgreSQL; ``--office-boxes``,
``--office-rows-per-box``). The box part: for each zone
count it generates a site from the demo site (two probes per zone,
:mod:`controller.simulation.scaled`), serves it with ``qanat sim`` (its own process),
starts ``qanat -v run`` on it and, after ``READY=1``, watches a window (10 min; 90 s with
``--quick``) in the middle of which every device of one field bus stops answering for
30 s (``no_answer`` faults through the simulator's control channel). One JSON line per
zone count (numbers, not pass/fail; the goals are in the README and ``docs/deploy.md``):

* ``ready_s``: spawn of ``qanat run`` to ``READY=1`` (numba cache warmed first) — goal ≤ 5 s;
* ``tick_late_p99_ms``, ``tick_late_max_ms``, ``ticks_lost``: the control loop's own count
  (:mod:`controller.daemon.ticker`, logged when the daemon stops): lateness of each tick
  against its monotonic slot, and slots skipped — goal at 256 zones: max ≤ 200 ms, 0 lost;
* ``cpu_pct``: the daemon's user + system CPU over the window, % of one core — goal ≤ 5 %;
* ``rss_mib``: the daemon's peak resident set (``VmHWM``);
* ``rows_per_day``: readings rows stored over the window (the hang's ``comm_error`` and
  recovery rows included), extrapolated to a day; ``rows_per_day_quiet``: the same before
  the hang; ``heartbeat_rows_per_day``: what the heartbeats alone store a day when nothing
  moves (every point at its kind's ``heartbeat_s``): a window shorter than a heartbeat (soil
  probes: an hour) does not see those;
* ``write_mib_per_day``: bytes the daemon made the kernel write (``/proc/PID/io``
  ``write_bytes``: the SQLite database, its WAL and checkpoints), per day; its log goes to a
  pipe, kept in memory, and nothing else of it writes files, so these are the store's writes;
  ``write_mib_per_day_quiet``: the same before the hang;
* ``quiet_day_rows``: a quiet day's rows, estimated point by point: each point at the larger
  of its rate before the hang and its heartbeat's (a point that moves more often than its
  heartbeat is stored at its changes; one that does not, at its heartbeat) — so heartbeats
  longer than the window count, and a 15 min heartbeat seen once in a 20 min window is not
  undercounted; ``unseen_heartbeat_rows_per_day``: the heartbeats of kinds whose
  ``heartbeat_s`` is longer than the quiet part (in neither its rows nor its writes).

The window includes the hang (``--hang-s 0``: none, the whole window is quiet), so rows and
writes carry its ``comm_error`` readings.
Linux only (``/proc``); the data directory is made under the current directory (not a
tmpfs ``/tmp``). The simulator's CPU is not counted (on a real box the field is not a
process), but it shares this machine's cores with the daemon.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import office
from benchmarks.footprint import QANAT, cpu_s, free_port, line, peak_rss_mib, proc_io
from controller.config.site import SiteConfig, load_site
from controller.simulation.scaled import ZONES_PER_FIELD_BUS, scaled_site_text
from drivers.sim.control import send_control

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "controller" / "config" / "examples" / "demo-site.toml"
MIB = 1024 * 1024
DAY_S = 86_400.0
HANG_S = 30.0
# after READY, before the window: every device read once by its bus loop (the longest poll
# interval of the generated sites is 60 s; a large site's probes are first read then)
SETTLE_S = 65.0
_STATS = re.compile(r"control loop: (\{.*\})")


def site_text(zones: int) -> str:
    text = DEMO_SITE.read_text(encoding="utf-8")
    for port in (5020, 5021):
        text = re.sub(rf"^port = {port}$", f"port = {free_port()}", text, flags=re.M)
    extra = (zones - 1) // ZONES_PER_FIELD_BUS
    return scaled_site_text(text, zones, [free_port() for _ in range(extra)])


def wait_port(host: str, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the simulator did not listen on {host}:{port}")


def readings_rows(data: Path, start: datetime | None = None, end: datetime | None = None) -> int:
    """Rows of ``readings`` (with ``start`` <= time < ``end``, if given)."""
    db = data / "qanat.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
        if start is None or end is None:
            return int(con.execute("SELECT count(*) FROM readings").fetchone()[0])
        # times are stored as naive UTC text ("2026-12-05 07:27:54.490611"): compare as such
        a, b = (t.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") for t in (start, end))
        sql = "SELECT count(*) FROM readings WHERE time >= ? AND time < ?"
        return int(con.execute(sql, (a, b)).fetchone()[0])


def rows_by_point(data: Path, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    """Rows of ``readings`` with ``start`` <= time < ``end``, by (device, point)."""
    db = data / "qanat.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as con:
        a, b = (t.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") for t in (start, end))
        sql = (
            "SELECT device, point, count(*) FROM readings"
            " WHERE time >= ? AND time < ? GROUP BY device, point"
        )
        return {(d, p): int(n) for d, p, n in con.execute(sql, (a, b))}


def quiet_day_rows(site: SiteConfig, rows: dict[tuple[str, str], int], window_s: float) -> int:
    """A quiet day's rows: every point at the larger of its rate in ``rows`` (counted over
    ``window_s`` seconds) and its heartbeat's."""
    total = 0.0
    for d in site.devices:
        profile = site.profiles[d.name]
        heartbeat_s = site.store.keeping(profile.kind).heartbeat_s
        for pt in profile.points:
            seen = rows.get((d.name, pt.name), 0) * DAY_S / window_s
            total += max(seen, DAY_S / heartbeat_s)
    return round(total)


def heartbeat_rows_per_day(site: SiteConfig) -> int:
    """Rows a day the heartbeats alone store when nothing moves (every point of every device)."""
    return round(
        sum(
            len(site.profiles[d.name].points)
            * DAY_S
            / site.store.keeping(site.profiles[d.name].kind).heartbeat_s
            for d in site.devices
        )
    )


def unseen_heartbeat_rows_per_day(site: SiteConfig, window_s: float) -> int:
    """Heartbeat rows a day of the kinds whose ``heartbeat_s`` is longer than ``window_s``."""
    return round(
        sum(
            len(site.profiles[d.name].points) * DAY_S / heartbeat_s
            for d in site.devices
            if (heartbeat_s := site.store.keeping(site.profiles[d.name].kind).heartbeat_s)
            > window_s
        )
    )


class Box:
    """``qanat sim`` and ``qanat -v run`` on one generated site."""

    def __init__(self, work: Path, zones: int, cache: Path) -> None:
        self.dir = work / f"z{zones}"
        self.dir.mkdir()
        self.site_path = self.dir / "site.toml"
        self.site_path.write_text(site_text(zones), encoding="utf-8")
        self.site = load_site(self.site_path)
        self.data = self.dir / "data"
        self.env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
        self.control_port = free_port()
        self.sim = subprocess.Popen(
            [
                *(str(QANAT), "sim", "--config", str(self.site_path)),
                *("--control-port", str(self.control_port)),
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.daemon: subprocess.Popen[str] | None = None
        self.log_lines: list[str] = []  # the daemon's log, kept in memory: not disk writes
        self._log_reader: threading.Thread | None = None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.dir / "notify.sock"))

    def start_daemon(self) -> float:
        for b in self.site.buses:
            wait_port(b.host, b.port, 60)
        wait_port("127.0.0.1", self.control_port, 60)
        t0 = time.monotonic()
        self.daemon = subprocess.Popen(
            [
                *(str(QANAT), "-v", "run", "--config", str(self.site_path)),
                *("--data-dir", str(self.data), "--listen", f"127.0.0.1:{free_port()}"),
            ],
            env={**self.env, "NOTIFY_SOCKET": str(self.dir / "notify.sock")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        stream = self.daemon.stderr
        assert stream is not None
        self._log_reader = threading.Thread(
            target=lambda: self.log_lines.extend(stream), name="daemon-log", daemon=True
        )
        self._log_reader.start()
        deadline = t0 + 120
        while time.monotonic() < deadline:
            if self.daemon.poll() is not None:
                raise RuntimeError(f"qanat run exited: {''.join(self.log_lines[-20:])}")
            ready = select.select([self.sock], [], [], 0.05)[0]
            if ready and "READY=1" in self.sock.recv(4096).decode().splitlines():
                return time.monotonic() - t0
        raise RuntimeError("no READY=1 within 120 s")

    def hang(self, bus: str, seconds: float) -> int:
        """Every device of ``bus`` silent for ``seconds``; how many devices."""
        devices = [d.name for d in self.site.devices if d.bus == bus]
        for name in devices:
            send_control(
                "127.0.0.1",
                self.control_port,
                {"op": "fault", "device": name, "kind": "no_answer", "for_s": seconds},
            )
        return len(devices)

    def stop_daemon(self) -> dict[str, Any]:
        """SIGTERM the daemon; the control loop's counters it logs on the way out."""
        assert self.daemon is not None
        self.daemon.send_signal(signal.SIGTERM)
        self.daemon.wait(60)
        if self._log_reader is not None:
            self._log_reader.join(10)
        found = _STATS.findall("".join(self.log_lines))
        if not found:
            raise RuntimeError(f"no control loop counters logged: {''.join(self.log_lines[-20:])}")
        stats: dict[str, Any] = json.loads(found[-1])
        return stats

    def close(self) -> None:
        for proc in (self.daemon, self.sim):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.sock.close()


def measure(work: Path, cache: Path, zones: int, window_s: float, hang_s: float) -> None:
    box = Box(work, zones, cache)
    try:
        ready_s = box.start_daemon()
        assert box.daemon is not None
        pid = box.daemon.pid
        time.sleep(SETTLE_S)
        hung_bus = "field2" if zones > ZONES_PER_FIELD_BUS else "field"
        c0, io0, rows0, t0 = cpu_s(pid), proc_io(pid), readings_rows(box.data), time.monotonic()
        t0_wall = datetime.now(UTC)
        hung = 0
        if hang_s > 0:
            time.sleep(max(0.0, window_s / 2 - hang_s / 2))
            hang_at, hang_wall, io_hang = time.monotonic(), datetime.now(UTC), proc_io(pid)
            hung = box.hang(hung_bus, hang_s)
        time.sleep(max(0.0, t0 + window_s - time.monotonic()))
        c1, io1, t1 = cpu_s(pid), proc_io(pid), time.monotonic()
        if hang_s <= 0:
            hang_at, hang_wall, io_hang = t1, datetime.now(UTC), io1
        rss = peak_rss_mib(pid)
        ticks = box.stop_daemon()
        rows1 = readings_rows(box.data)  # after the final flush: the window's rows all stored
        quiet = readings_rows(box.data, t0_wall, hang_wall)  # before the hang: nothing moves
        quiet_points = rows_by_point(box.data, t0_wall, hang_wall)
        per_day = DAY_S / (t1 - t0)
        quiet_s = hang_at - t0
        quiet_bytes = io_hang["write_bytes"] - io0["write_bytes"]
        quiet_rows_day = quiet * DAY_S / quiet_s
        heartbeats = heartbeat_rows_per_day(box.site)
        line(
            zones=zones,
            devices=len(box.site.devices),
            buses=len(box.site.buses),
            ready_s=round(ready_s, 2),
            tick_late_p99_ms=ticks["late_p99_ms"],
            tick_late_max_ms=ticks["late_max_ms"],
            ticks_lost=ticks["lost"],
            ticks=ticks["ticks"],
            cpu_pct=round(100 * (c1 - c0) / (t1 - t0), 2),
            rss_mib=round(rss, 1),
            rows_per_day=round((rows1 - rows0) * per_day),
            rows_per_day_quiet=round(quiet_rows_day),
            heartbeat_rows_per_day=heartbeats,
            unseen_heartbeat_rows_per_day=unseen_heartbeat_rows_per_day(box.site, quiet_s),
            quiet_day_rows=quiet_day_rows(box.site, quiet_points, hang_at - t0),
            write_mib_per_day=round((io1["write_bytes"] - io0["write_bytes"]) * per_day / MIB, 1),
            write_mib_per_day_quiet=round(quiet_bytes * DAY_S / quiet_s / MIB, 1),
            window_s=round(t1 - t0, 1),
            quiet_s=round(quiet_s, 1),
            hung_bus=hung_bus if hang_s > 0 else None,
            hung_devices=hung,
            hang_s=hang_s,
        )
    finally:
        box.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="90 s windows instead of 10 min")
    parser.add_argument("--zones", default="4,64,256", help="zone counts, comma-separated")
    parser.add_argument("--window-s", type=float, help="measuring window (overrides --quick)")
    parser.add_argument(
        "--hang-s",
        type=float,
        default=HANG_S,
        help=f"seconds one field bus is silent mid-window (default {HANG_S:g}; 0: no hang)",
    )
    parser.add_argument("--part", choices=("box", "office", "all"), default="all")
    parser.add_argument("--office-boxes", default="1,10,50", help="office part: box counts")
    parser.add_argument("--office-rows-per-box", type=int, default=40_000)
    args = parser.parse_args()
    if args.part in ("box", "all"):
        box_part(args)
    if args.part in ("office", "all"):
        office.main(["--boxes", args.office_boxes, "--rows-per-box", str(args.office_rows_per_box)])


def box_part(args: argparse.Namespace) -> None:
    window_s = args.window_s or (90.0 if args.quick else 600.0)
    work = Path(tempfile.mkdtemp(prefix=".qanat-scale-", dir=Path.cwd()))
    try:
        cache = work / "numba-cache"
        subprocess.run(
            [str(QANAT), "warmup"],
            env={**os.environ, "NUMBA_CACHE_DIR": str(cache)},
            check=True,
            capture_output=True,
        )
        for zones in (int(z) for z in args.zones.split(",")):
            measure(work, cache, zones, window_s, min(args.hang_s, window_s / 2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
