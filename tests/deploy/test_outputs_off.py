"""``qanat outputs-off``: every output off and read back, against the simulated site."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

from controller.cli.outputs_off import RUNNING_DAEMON
from controller.clock import VirtualClock
from controller.config.site import SiteConfig
from controller.daemon.daemon import Daemon
from controller.simulation.harness import Simulation
from controller.store import RunState, Store
from drivers.sim import Fault, FaultKind
from tests.helpers.deploy import QANAT
from tests.helpers.powered import powered_by
from tests.helpers.site import DEMO_SITE, on_free_ports


def _outputs_off(site_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(QANAT), "outputs-off", "--config", str(site_path), *options],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_switches_every_output_off_and_verifies(site: SiteConfig, sim: Simulation) -> None:
    relay = sim.devices["relay1"]
    for ch in ("ch1", "ch3", "ch7", "ch8"):  # two valves, the master valve, the pump
        relay.set(ch, 1)
    result = _outputs_off(site.path, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["not_off"] == {}
    assert set(report["off"]) == set(site.output_roles())
    assert all(relay.get(f"ch{i}") == 0 for i in range(1, 9))


def test_a_dosing_pumps_run_left_on_is_written_0(site: SiteConfig, sim: Simulation) -> None:
    """A box killed mid-injection leaves the pump's run at 1: the last word writes it 0."""
    doser = sim.devices["doser1"]
    doser.set("run", 1)
    result = _outputs_off(site.path, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dosing_run_not_confirmed"] == {}
    assert doser.get("run") == 0


def test_unreachable_relay_exits_non_zero_naming_each_output(tmp_path: Path) -> None:
    site_path = tmp_path / "site.toml"  # free ports, nothing listening: connection refused
    site_path.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")), encoding="utf-8")
    result = _outputs_off(site_path, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert not report["ok"] and report["off"] == []
    assert "pump" in report["not_off"] and "valve:z1" in result.stderr
    assert set(report["dosing_run_not_confirmed"]) == {"doser1"}
    assert "dosing pump doser1: run 0 not confirmed" in result.stderr


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (ERROR|WARNING) (\S+): ", re.M)


def test_an_unreachable_site_is_said_once_per_device_then_in_the_summary(
    tmp_path: Path,
) -> None:
    """The summary names every output not off; the log says each silent device once (the
    bus), not every output at every attempt (3 × 8 lines and 2 warnings on the demo site
    before the summary). ``-v`` shows them all."""
    site_path = tmp_path / "site.toml"  # free ports, nothing listening: connection refused
    site_path.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")), encoding="utf-8")
    result = _outputs_off(site_path)
    assert result.returncode == 1
    logged = LOG_LINE.findall(result.stderr)
    assert logged == [("ERROR", "drivers.bus"), ("ERROR", "drivers.bus")], result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].split(": ", 1)[1].startswith("relay1: tcp 127.0.0.1:")
    assert lines[1].split(": ", 1)[1].startswith("doser1: tcp 127.0.0.1:")
    summary = lines[2:]
    assert [line.split(":", 1)[0] for line in summary[:8]] == [
        "pump",
        "injector_power",
        "master_valve",
        "backflush_valve",
        "valve",
        "valve",
        "valve",
        "valve",
    ]
    assert all("NOT verified off: relay1" in line for line in summary[:8])
    assert summary[8].startswith("dosing pump doser1: run 0 not confirmed") and len(summary) == 9
    verbose = subprocess.run(
        [str(QANAT), "-v", "outputs-off", "--config", str(site_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verbose.returncode == 1
    assert verbose.stderr.count("could not switch pump (relay1.ch8) off") == 3
    assert verbose.stderr.count("outputs not yet off (attempt") == 2


def test_unusable_site_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[site]\n", encoding="utf-8")
    assert _outputs_off(bad, "--json").returncode == 2


def test_a_running_daemon_stops_its_runs_and_the_command_says_so(
    site: SiteConfig, sim: Simulation, tmp_path: Path
) -> None:
    """Run beside a daemon that waters, the command switches the water off and the daemon's
    read-back trips: the run aborted, nothing switched on again, no start until acknowledged."""
    clock = VirtualClock(dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC))
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        daemon = Daemon(site, store, clock)
        daemon.start(schedule=False)
        try:
            run_id = daemon.sequencer.start("z1", 20, "manual", actor="test")
            relay = sim.devices["relay1"]
            assert [relay.get(c) for c in ("ch1", "ch7", "ch8")] == [1, 1, 1]
            result = _outputs_off(site.path)
            assert result.returncode == 0, result.stderr
            assert RUNNING_DAEMON in result.stdout
            [found] = [m for m in daemon.readback.poll() if m.role == "valve:z1"]
            assert found.commanded and not found.read
            assert store.get_run(run_id).state == RunState.ABORTED
            assert all(relay.get(f"ch{i}") == 0 for i in range(1, 9))
            ok, why = daemon.supervisor.may_start("z1")
            assert not ok and "output_mismatch" in why
        finally:
            daemon.stop()


def _fed_by_its_supply(site: SiteConfig, sim: Simulation) -> None:
    """The site's dosing pump answers only while its supply (relay1.ch5) is on."""
    power = 'injector_power = "relay1.ch5"'
    text = site.path.read_text(encoding="utf-8")
    assert power in text
    text = text.replace(power, power + "\ninjector_modbus_via_supply = true", 1)
    site.path.write_text(text, encoding="utf-8")
    powered_by(sim.devices["doser1"], sim.devices["relay1"], "ch5")


def test_a_pump_fed_by_its_supply_unpowered_is_no_failure(
    site: SiteConfig, sim: Simulation
) -> None:
    _fed_by_its_supply(site, sim)
    sim.devices["relay1"].set("ch5", 1)
    result = _outputs_off(site.path, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["dosing_run_not_confirmed"] == {}
    assert sim.devices["relay1"].get("ch5") == 0


def test_a_pump_fed_by_a_supply_that_stays_on_is_said_not_confirmed(
    site: SiteConfig, sim: Simulation
) -> None:
    """Its relay reads back on: the pump may be powered, its silence is a failure."""
    _fed_by_its_supply(site, sim)
    relay = sim.devices["relay1"]
    relay.set("ch5", 1)
    relay.inject(Fault(FaultKind.STUCK, point="ch5"))  # writes ignored
    sim.devices["doser1"].inject(Fault(FaultKind.NO_ANSWER))
    result = _outputs_off(site.path, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert "injector_power" in report["not_off"]
    assert list(report["dosing_run_not_confirmed"]) == ["doser1"]
    assert "doser1" in result.stderr
