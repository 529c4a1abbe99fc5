"""Footprint of the daemon on a site box: memory, start time, idle CPU, SD-card writes.

Run by hand: ``python -m benchmarks.footprint [--window-s 120]``. It starts ``qanat sim``
(the demo site's simulated field) and ``qanat run`` itself, on free ports, and prints one
JSON line per measurement (numbers, not pass/fail; the goals are in ``docs/deploy.md``):

* ``ready``: seconds from spawning ``qanat run`` to ``READY=1`` on a notify socket, with the
  numba cache warmed first (``qanat warmup`` into a fresh ``NUMBA_CACHE_DIR``) — goal ≤ 5 s;
* ``rss``: the daemon's peak resident set (``VmHWM``) after the window — goal ≤ 200 MiB;
* ``writes``: bytes the daemon made the kernel write to disk (``/proc/PID/io``
  ``write_bytes``) over the window at the demo site's own polling rates, and the growth of
  the data directory, both extrapolated to a day — goal ≤ 50 MiB/day;
* ``cpu``: user + system CPU seconds of the daemon over the window with every device polled
  every 10 s (the demo site has 19 devices, more than the 16 of the goal), as a percentage
  of one core — goal ≤ 2 %.

Linux only (``/proc``). The data directory is made on the current directory's file system,
not ``/tmp`` (often tmpfs, where nothing reaches a disk). Each phase runs the daemon from a
fresh data directory.
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "deploy" / "examples" / "demo-site.toml"
QANAT = Path(sys.executable).parent / "qanat"
MIB = 1024 * 1024
DAY_S = 86_400.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def line(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def site_text(poll_every_s: int | None) -> str:
    """The demo site on free ports; every device's poll interval set to ``poll_every_s``."""
    text = DEMO_SITE.read_text(encoding="utf-8")
    for port in (5020, 5021):
        text = re.sub(rf"^port = {port}$", f"port = {free_port()}", text, flags=re.M)
    if poll_every_s is not None:
        text = re.sub(
            r"^poll_interval_s = \d+", f"poll_interval_s = {poll_every_s}", text, flags=re.M
        )
    return text


def proc_io(pid: int) -> dict[str, int]:
    out = {}
    for row in Path(f"/proc/{pid}/io").read_text().splitlines():
        key, _, value = row.partition(":")
        out[key] = int(value)
    return out


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def peak_rss_mib(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Phase:
    """``qanat sim`` + ``qanat run`` for one site file, with a notify socket."""

    def __init__(self, work: Path, name: str, text: str, cache: Path) -> None:
        self.dir = work / name
        self.dir.mkdir()
        self.site = self.dir / "site.toml"
        self.site.write_text(text, encoding="utf-8")
        self.data = self.dir / "data"
        self.env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.dir / "notify.sock"))
        self.sim = subprocess.Popen(
            [str(QANAT), "sim", "--config", str(self.site), "--control-port", str(free_port())],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # the simulator binds its ports
        self.t0 = time.monotonic()
        self.daemon = subprocess.Popen(
            [
                str(QANAT),
                "run",
                "--config",
                str(self.site),
                "--data-dir",
                str(self.data),
                "--listen",
                f"127.0.0.1:{free_port()}",
            ],
            env={**self.env, "NOTIFY_SOCKET": str(self.dir / "notify.sock")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self, timeout_s: float = 120) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.daemon.poll() is not None:
                raise RuntimeError(f"qanat run exited: {self.daemon.stderr.read()}")  # type: ignore[union-attr]
            ready = select.select([self.sock], [], [], 0.2)[0]
            if ready and "READY=1" in self.sock.recv(4096).decode().splitlines():
                return time.monotonic() - self.t0
        raise RuntimeError("no READY=1")

    def stop(self) -> None:
        for proc in (self.daemon, self.sim):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.sock.close()


def measure_demo(work: Path, cache: Path, window_s: float) -> None:
    phase = Phase(work, "demo", site_text(None), cache)
    try:
        ready_s = phase.wait_ready()
        line(measure="ready", seconds=round(ready_s, 2), numba_cache="warm", goal_s=5)
        time.sleep(10)  # past the first flush and the start-up writes
        io0, size0, t0 = proc_io(phase.daemon.pid), dir_bytes(phase.data), time.monotonic()
        time.sleep(window_s)
        io1, size1, t1 = proc_io(phase.daemon.pid), dir_bytes(phase.data), time.monotonic()
        per_day = DAY_S / (t1 - t0)
        line(
            measure="writes",
            site="demo (own poll rates)",
            window_s=round(t1 - t0, 1),
            write_bytes=io1["write_bytes"] - io0["write_bytes"],
            write_mib_per_day=round((io1["write_bytes"] - io0["write_bytes"]) * per_day / MIB, 1),
            data_dir_growth_mib_per_day=round((size1 - size0) * per_day / MIB, 1),
            wchar_mib_per_day=round((io1["wchar"] - io0["wchar"]) * per_day / MIB, 1),
            goal_mib_per_day=50,
        )
        line(measure="rss", peak_mib=round(peak_rss_mib(phase.daemon.pid), 1), goal_mib=200)
    finally:
        phase.stop()


def measure_idle_cpu(work: Path, cache: Path, window_s: float) -> None:
    phase = Phase(work, "idle10s", site_text(10), cache)
    try:
        phase.wait_ready()
        time.sleep(15)  # start-up work done
        c0, t0 = cpu_s(phase.daemon.pid), time.monotonic()
        time.sleep(window_s)
        c1, t1 = cpu_s(phase.daemon.pid), time.monotonic()
        devices = phase.site.read_text().count("[[devices]]")
        line(
            measure="cpu",
            devices=devices,
            poll_interval_s=10,
            window_s=round(t1 - t0, 1),
            cpu_s=round(c1 - c0, 2),
            percent_of_one_core=round(100 * (c1 - c0) / (t1 - t0), 2),
            peak_rss_mib=round(peak_rss_mib(phase.daemon.pid), 1),
            goal_percent=2,
        )
    finally:
        phase.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window-s", type=float, default=120.0, help="measuring window")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix=".qanat-footprint-", dir=Path.cwd()))
    try:
        cache = work / "numba-cache"
        t0 = time.monotonic()
        subprocess.run(
            [str(QANAT), "warmup"],
            env={**os.environ, "NUMBA_CACHE_DIR": str(cache)},
            check=True,
            capture_output=True,
        )
        line(measure="warmup", seconds=round(time.monotonic() - t0, 1), numba_cache="cold")
        measure_demo(work, cache, args.window_s)
        measure_idle_cpu(work, cache, args.window_s)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
