"""The daemon arms each relay module's communication watchdog at start and verifies it; a site
whose timeout the module cannot hold is refused (the simulated watchdog relay, on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import ConfigError, SiteConfig, load_site
from controller.daemon.daemon import Daemon, StartupError
from controller.simulation.harness import Simulation
from controller.store import Store
from drivers.sim import SIM_PROFILE_DIR, Fault, FaultKind
from tests.helpers.servedports import served_field
from tests.helpers.site import DEMO_SITE, on_free_ports

START = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)


def watchdog_site(tmp_path: Path, safety: str = "") -> Path:
    """The demo site with its relay module swapped for the simulated one with a watchdog."""
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    text = text.replace('profile = "waveshare-relay-8ch"', 'profile = "sim-relay-8ch-watchdog"')
    if safety:
        text = text.replace("[safety]\n", "[safety]\n" + safety + "\n")
    path = tmp_path / "site.toml"
    path.write_text(f"profile_dirs = [{str(SIM_PROFILE_DIR)!r}]\n" + text, encoding="utf-8")
    return path


@pytest.fixture
def wd_site(tmp_path: Path) -> SiteConfig:
    return load_site(watchdog_site(tmp_path, "comm_watchdog_s = 12"))


@pytest.fixture
def wd_field(wd_site: SiteConfig) -> Iterator[tuple[SiteConfig, Simulation]]:
    """The watchdog site on the ports its simulated field bound, and the field."""
    with served_field(wd_site, step_s=3600) as served:
        yield served


def test_start_arms_the_watchdog_and_the_module_holds_it(
    wd_field: tuple[SiteConfig, Simulation], tmp_path: Path
) -> None:
    wd_site, wd_sim = wd_field
    clock = VirtualClock(START)
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        daemon = Daemon(wd_site, store, clock)
        daemon.start(schedule=False)
        try:
            status = wd_sim.devices["relay1"].status()
            assert status["comm_watchdog_s"] == 12.0  # written at start, and read back
            assert not any(status["values"].values())
        finally:
            daemon.stop()


def test_start_is_refused_when_the_watchdog_does_not_read_back(
    wd_field: tuple[SiteConfig, Simulation], tmp_path: Path
) -> None:
    wd_site, wd_sim = wd_field
    wd_sim.devices["relay1"].inject(Fault(FaultKind.EXCEPTION, point=None, code=4))
    clock = VirtualClock(START)
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        daemon = Daemon(wd_site, store, clock)
        with pytest.raises(StartupError):
            daemon.start(schedule=False)
        wd_sim.devices["relay1"].clear()
        wd_sim.devices["relay1"].inject(Fault(FaultKind.GARBAGE, values=(0,)))
        with pytest.raises(StartupError, match=r"communication watchdog not armed: .*read back"):
            daemon.start(schedule=False)
        assert [a.code for a in store.open_alarms()][-1] == "startup_unsafe"


def test_a_timeout_the_module_cannot_hold_is_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_site(watchdog_site(tmp_path, "comm_watchdog_s = 900"))
    text = str(err.value)
    assert "safety.comm_watchdog_s: 900 s outside the communication watchdog of 'relay1'" in text
    assert text.count("safety.comm_watchdog_s") == 1  # once per module, not per output


def test_the_module_closes_a_running_zone_when_the_box_falls_silent_before_the_lease_ends(
    wd_site: SiteConfig, tmp_path: Path
) -> None:
    """The box dies mid-run (its jobs stop; nothing switches off): the watchdog (12 s) drops
    the relays before their lease (15 s) would; while the box lives they stay on."""
    clock = VirtualClock(START)
    with (
        served_field(wd_site, step_s=None, clock=clock.monotonic) as (site, sim),
        Store.open_dir(tmp_path / "data", clock=clock) as store,
    ):
        daemon = Daemon(site, store, clock)
        daemon.start(schedule=False)
        relay = sim.devices["relay1"]
        daemon.sequencer.start("z1", 20, "manual", actor="test")
        for _ in range(30):  # alive: the control tick and the read-back every second
            clock.advance(1)
            daemon.control_tick()
            daemon.readback.poll()
        assert relay.get("ch1") == 1.0 and relay.get("ch8") == 1.0
        assert relay.watchdog_trips == 0
        lease_left = relay.lease_remaining_s("ch1")
        assert lease_left is not None and lease_left > 12.5
        clock.advance(12.5)  # the box is gone: no request reaches the module
        assert relay.get("ch1") == 0.0 and relay.get("ch7") == 0.0 and relay.get("ch8") == 0.0
        assert relay.watchdog_trips == 1
        daemon.fieldio.close()  # dropped, not stopped: as after a crash
