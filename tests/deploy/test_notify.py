"""The sd_notify protocol: unit behaviour, then a real ``qanat run`` against the simulated site."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from controller.config.site import SiteConfig
from controller.runtime import sdnotify as notify
from controller.simulation.harness import Simulation
from tests.helpers.deploy import NotifySocket, base_env, start_run, stop


def test_no_socket_is_a_no_op() -> None:
    assert notify.ready({}) is False
    assert notify.watchdog_interval_s({"WATCHDOG_USEC": "2000000"}) is None
    assert notify.WatchdogPinger({}).tick() is False


def test_path_socket_receives_each_message(notify_socket: NotifySocket) -> None:
    env = {"NOTIFY_SOCKET": str(notify_socket.path)}
    assert notify.ready(env) and notify.status("two\nlines", env) and notify.stopping(env)
    got = [notify_socket.sock.recv(4096).decode() for _ in range(3)]
    assert got[0].splitlines() == ["READY=1", f"MAINPID={os.getpid()}"]
    assert got[1:] == ["STATUS=two lines", "STOPPING=1"]


def test_abstract_namespace_socket() -> None:
    name = f"qanat-test-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        assert notify.watchdog({"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(64) == b"WATCHDOG=1"


def test_dead_socket_never_raises(tmp_path: Path) -> None:
    assert notify.ready({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}) is False


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    env = {"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000"}
    assert notify.watchdog_interval_s(env) == 15.0
    assert notify.watchdog_interval_s({**env, "WATCHDOG_PID": str(os.getpid())}) == 15.0
    assert notify.watchdog_interval_s({**env, "WATCHDOG_PID": "1"}) is None  # not ours
    assert notify.watchdog_interval_s({**env, "WATCHDOG_USEC": "0"}) is None


def test_pinger_throttles_to_the_interval(notify_socket: NotifySocket) -> None:
    now = [100.0]
    env = {"NOTIFY_SOCKET": str(notify_socket.path), "WATCHDOG_USEC": "2000000"}
    pinger = notify.WatchdogPinger(env, monotonic=lambda: now[0])
    notify._READY_SENT.clear()
    assert pinger.tick() is False  # never before READY=1
    assert notify.ready(env)
    notify_socket.sock.recv(4096)
    sent = []
    for _ in range(10):  # ten 1 s control ticks with a 1 s interval... and 0.5 s steps
        sent.append(pinger.tick())
        now[0] += 0.5
    assert sent == [True, False] * 5


def test_qanat_run_notifies_ready_then_watchdog_then_stopping(
    site: SiteConfig,
    sim: Simulation,
    warm_cache: Path,
    notify_socket: NotifySocket,
    tmp_path: Path,
) -> None:
    env = {
        **base_env(warm_cache),
        "NOTIFY_SOCKET": str(notify_socket.path),
        "WATCHDOG_USEC": "2000000",  # WatchdogSec=2s: a ping about every second
    }
    t0 = time.monotonic()
    proc = start_run(site.path, tmp_path / "data", env)
    try:
        ready_at = notify_socket.wait_for("READY=1", 60, proc)
        first_ping = notify_socket.wait_for("WATCHDOG=1", 10, proc)
        assert first_ping > ready_at
        # READY=1 means every output has been switched off and read back off.
        relay = sim.devices["relay1"]
        assert all(relay.get(f"ch{i}") == 0 for i in range(1, 9))
        # The pings keep coming while the control loop runs (about one per 1-2 s here).
        notify_socket.wait_for("WATCHDOG=1", 15, proc, count=3)
    finally:
        status, out = stop(proc)
    notify_socket.wait_for("STOPPING=1", 5, proc)
    lines = notify_socket.lines()
    assert lines.index("READY=1") < lines.index("WATCHDOG=1") < lines.index("STOPPING=1")
    assert status == 0, out
    print(f"READY after {ready_at - t0:.2f} s (warm numba cache)")
