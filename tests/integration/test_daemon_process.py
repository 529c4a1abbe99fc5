"""``qanat run`` as a real process against the simulated site: API control, SIGTERM, kill -9.

The relay lease is the last line of defence: a daemon killed with SIGKILL
cannot switch anything off, so the relay module must open the valve by
itself when the lease runs out, and the restarted daemon must record the
run as interrupted with the water it applied.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.config.site import SiteConfig
from controller.simulation.harness import Simulation
from controller.store import Store
from tests.helpers.leases import assert_lease_closes
from tests.helpers.site import free_port


class Daemon:
    """A ``qanat run`` child process and a tiny HTTP client for its API."""

    def __init__(self, site: SiteConfig, data_dir: Path, token: str) -> None:
        self.port = free_port()
        self.token = token
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "controller.cli",
                "run",
                "--config",
                str(site.path),
                "--data-dir",
                str(data_dir),
                "--listen",
                f"127.0.0.1:{self.port}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"daemon exited: {self.proc.stdout.read() if self.proc.stdout else ''}"
                )
            try:
                self.get("/status")
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("daemon API did not come up")

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.request("POST", path, body)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def token(data_dir: Path) -> str:
    with Store.open_dir(data_dir) as store:
        return store.create_token("tech", "technician")[1]


@pytest.fixture
def daemon(site: SiteConfig, live_sim: Simulation, data_dir: Path, token: str) -> Iterator[Daemon]:
    d = Daemon(site, data_dir, token)
    yield d
    if d.proc.poll() is None:
        d.proc.kill()
        d.proc.wait(10)


def wait_for(predicate: Any, timeout_s: float, what: str) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if predicate():
            return time.monotonic() - t0
        time.sleep(0.1)
    raise AssertionError(f"{what} not within {timeout_s} s")


def test_api_starts_a_zone_in_order_and_sigterm_switches_everything_off(
    site: SiteConfig, live_sim: Simulation, daemon: Daemon
) -> None:
    relay = live_sim.devices["relay1"]
    run_id = daemon.post("/zones/z1/start", {"minutes": 5})["run_id"]
    wait_for(lambda: relay.get("ch8") == 1.0, 10, "pump on")
    assert relay.get("ch1") == 1.0 and relay.get("ch7") == 1.0  # valve and master too
    zone = daemon.get("/zones/z1")
    assert zone["valve_on"] and zone["run_id"] == run_id
    wait_for(lambda: live_sim.field.flow_m3h > 50, 10, "water flowing")
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(30) == 0
    assert [relay.get(f"ch{i}") for i in range(1, 9)] == [0.0] * 8


def test_kill_9_mid_run_lease_closes_the_valve_and_restart_records_interrupted(
    site: SiteConfig, live_sim: Simulation, daemon: Daemon, data_dir: Path, token: str
) -> None:
    relay = live_sim.devices["relay1"]
    run_id = daemon.post("/zones/z2/start", {"minutes": 10})["run_id"]
    wait_for(lambda: relay.get("ch2") == 1.0 and relay.get("ch8") == 1.0, 10, "z2 watering")
    time.sleep(12)  # long enough for progress (water applied) to be recorded
    os.kill(daemon.proc.pid, signal.SIGKILL)
    daemon.proc.wait(10)
    # Nothing switches the relay off now but its own lease timer: on until it runs out, then
    # off, before any restart.
    assert_lease_closes(relay, ["ch2", "ch8"], site.safety.lease_s)
    restarted = Daemon(site, data_dir, token)
    try:
        runs = restarted.get("/runs?zone=z2")
        run = next(r for r in runs if r["id"] == run_id)
        assert run["state"] == "interrupted"
        assert run["applied_m3"] > 0  # the water it applied is accounted for
        assert [relay.get(f"ch{i}") for i in range(1, 9)] == [0.0] * 8
        assert not restarted.get("/zones/z2")["valve_on"]  # and it does not water twice
    finally:
        restarted.proc.send_signal(signal.SIGTERM)
        restarted.proc.wait(30)
