"""kill -9 of the daemon mid-run: the relay leases close the water, the restart records the run
interrupted with the water it applied — the meter's, up to the lease closing the valve — and
every committed row survives.

Real time here (a process cannot share a virtual clock): the demo site's devices simulated on
free ports, leases shortened to 3 s so the scenario takes seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from controller.clock import SystemClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.runtime.dosers import UNCONFIRMED
from controller.simulation.harness import Simulation
from controller.store import RunState, Store
from hil_tests.helpers import assert_nothing_lost, snapshot
from tests.helpers.leases import assert_lease_closes
from tests.helpers.servedports import served_field
from tests.helpers.site import DEMO_SITE, on_free_ports, quick_site

LEASE_S = 3
METER_RESOLUTION_M3 = 0.002  # the simulated meter's totalizer (float32 fraction), read twice


def _metered_m3(sim: Simulation) -> float:
    meter = sim.devices["flow1"]
    return float(meter.get("total") or 0.0) + float(meter.get("total_fraction") or 0.0)


def _wait(predicate: Callable[[], bool], timeout_s: float, what: str) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if predicate():
            return time.monotonic() - t0
        time.sleep(0.05)
    raise AssertionError(f"{what} not within {timeout_s} s")


def test_kill_9_mid_run(tmp_path: Path) -> None:
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    assert "lease_s = 15 " in text
    (tmp_path / "site.toml").write_text(
        text.replace("lease_s = 15 ", f"lease_s = {LEASE_S} "), encoding="utf-8"
    )
    data = tmp_path / "data"
    with served_field(load_site(tmp_path / "site.toml"), step_s=0.5) as (site, sim):
        relay = sim.devices["relay1"]
        metered_before_m3 = _metered_m3(sim)
        child = subprocess.Popen(
            [sys.executable, "-m", "hil_tests.daemon_child", str(site.path), str(data), "z1", "10"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            run_id = int(child.stdout.readline())
            _wait(lambda: relay.get("ch1") == 1.0 and relay.get("ch8") == 1.0, 10, "z1 watering")
            with Store.open_dir(data) as reader:
                _wait(lambda: reader.get_run(run_id).applied_m3 > 0, 30, "progress recorded")
                before = snapshot(reader)
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
            # On until the lease runs out, then off: the lease closed the water.
            assert_lease_closes(relay, ["ch1", "ch8"], LEASE_S)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)
        with Store.open_dir(data) as store:
            daemon = Daemon(site, store, SystemClock())
            daemon.start(schedule=False)
            try:
                run = store.get_run(run_id)
                assert run.state == RunState.INTERRUPTED and run.applied_m3 > 0
                # its water is the meter's: the last progress and the rise since, until the
                # lease closed the valve (credited at the restart)
                metered_m3 = _metered_m3(sim) - metered_before_m3
                assert abs(run.applied_m3 - metered_m3) <= METER_RESOLUTION_M3, run.end_reason
                assert f"credited to run {run_id}" in run.end_reason
                assert [relay.get(f"ch{i}") for i in range(1, 9)] == [0.0] * 8
                assert not daemon.sequencer.active()  # it does not water twice
                assert_nothing_lost(before, store)
            finally:
                daemon.stop()


def test_kill_9_mid_injection_the_restart_writes_the_dosing_pumps_run_0(tmp_path: Path) -> None:
    """The dosing pump keeps ``run`` 1 and its rate through the box's death (its supply
    relay dropped by the lease); the restart writes ``run`` 0 and reads it back before
    anything is switched on. The quick site with no prewet, so injection starts as soon as
    the head meter reads flow."""
    path = quick_site(tmp_path).path
    text = path.read_text(encoding="utf-8")
    for old, new in {
        "prewet_min = 0.5": "prewet_min = 0",
        "lease_s = 9 ": f"lease_s = {LEASE_S} ",
    }.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    with served_field(load_site(path), step_s=0.5) as (site, sim):
        relay, doser = sim.devices["relay1"], sim.devices["doser1"]
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hil_tests.daemon_child",
                str(site.path),
                str(data),
                "z1",
                "2",
                "2",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            run_id = int(child.stdout.readline())
            _wait(lambda: relay.get("ch5") == 1.0 and doser.get("run") == 1.0, 20, "injecting")
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)
        assert doser.get("run") == 1.0 and doser.get("rate_setpoint") > 0  # kept through the kill
        with Store.open_dir(data) as store:
            daemon = Daemon(site, store, SystemClock())
            daemon.start(schedule=False)
            try:
                assert doser.get("run") == 0.0
                assert [relay.get(f"ch{i}") for i in range(1, 9)] == [0.0] * 8
                assert store.get_run(run_id).state == RunState.INTERRUPTED
                assert UNCONFIRMED not in {a.code for a in store.open_alarms()}
            finally:
                daemon.stop()
