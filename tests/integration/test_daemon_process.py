"""``qanat run`` as a real process against the simulated site: API control, SIGTERM, kill -9.

The relay lease is the last line of defence: a daemon killed with SIGKILL
cannot switch anything off, so the relay module must open the valve by
itself when the lease runs out, and the restarted daemon must record the
run as interrupted with the water it applied.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.config.site import SiteConfig
from controller.simulation.harness import Simulation
from controller.store import Store
from drivers.sim import Fault, FaultKind
from tests.helpers.daemonproc import DaemonProcess as Daemon
from tests.helpers.daemonproc import wait_for
from tests.helpers.leases import assert_lease_closes


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def token(data_dir: Path) -> str:
    with Store.open_dir(data_dir) as store:
        return store.create_token("tech", "technician")[1]


@pytest.fixture
def daemon(site: SiteConfig, live_sim: Simulation, data_dir: Path, token: str) -> Iterator[Daemon]:
    d = Daemon(site, data_dir, token, sim=live_sim)
    yield d
    if d.proc.poll() is None:
        d.proc.kill()
        d.proc.wait(10)


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
    said = daemon.proc.stdout.read() if daemon.proc.stdout else ""
    assert said.rstrip().endswith("qanat: stopped; every output switched off and read back off")


def test_a_stop_that_cannot_read_the_outputs_back_off_names_them_and_fails(
    site: SiteConfig, live_sim: Simulation, daemon: Daemon
) -> None:
    """The relay module stops answering before SIGTERM: the daemon cannot verify anything
    off (its lease will open the valves), so it says which outputs and exits 1."""
    daemon.post("/zones/z1/start", {"minutes": 5})
    relay = live_sim.devices["relay1"]
    wait_for(lambda: relay.get("ch1") == 1.0, 10, "valve on")
    relay.inject(Fault(FaultKind.NO_ANSWER, for_s=120))
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(60) == 1
    said = daemon.proc.stdout.read() if daemon.proc.stdout else ""
    assert "qanat: stopped, but NOT verified off: " in said, said
    assert "pump (" in said and "z1 (" in said, said
    assert "every output switched off" not in said


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
    restarted = Daemon(site, data_dir, token, sim=live_sim)
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
