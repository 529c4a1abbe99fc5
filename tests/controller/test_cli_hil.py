"""``qanat hil``'s pulse check against the simulated relay module on loopback, under faults.

The check says a relay module's own lease opened the pulsed output; it may say so only when
a read answered by the module shows it open.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.cli import hil, main
from controller.cli.hil import Checks
from controller.config.site import SiteConfig, load_site
from controller.simulation.harness import Simulation
from drivers.bus import Bus
from drivers.sim import Fault
from tests.helpers.site import ROOT, refusing_port


@pytest.fixture
def checks(site: SiteConfig, sim: Simulation) -> Iterator[Checks]:
    buses = {b.name: Bus(sim.bus_settings(b.name), site.devices_on(b.name)) for b in site.buses}
    try:
        yield Checks(site, buses)
    finally:
        for bus in buses.values():
            bus.close()


def test_the_pulse_passes_when_the_module_opens_the_relay_by_its_lease(
    checks: Checks, sim: Simulation
) -> None:
    checks.pulse("relay1.ch1", 0.5)
    assert checks.failed == []
    assert not sim.devices["relay1"].get("ch1")


def test_a_module_silent_after_the_pulse_fails_the_check_instead_of_passing_it(
    checks: Checks, sim: Simulation, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = checks.buses["head"]
    lease = bus.lease_output

    def then_silent(device: str, point: str, seconds: float) -> None:
        lease(device, point, seconds)  # switched on and verified on
        sim.devices["relay1"].inject(Fault("no_answer"))

    monkeypatch.setattr(bus, "lease_output", then_silent)
    checks.pulse("relay1.ch1", 0.5)
    lease_lines = [f for f in checks.failed if "lease" in f]
    assert lease_lines and "comm_error" in lease_lines[0], checks.failed


def test_readings_are_shown_as_a_display_shows_them_with_their_unit(
    checks: Checks, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rig builder compares each value with the device's own display: six significant
    digits and the unit, not a float's last bits (the probe's 174 × 0.1 is 17.4 °C, not
    17.400000000000002)."""
    checks.reads()
    out = capsys.readouterr().out
    probe = next(line for line in out.splitlines() if "read probe1a" in line)
    assert re.search(r"moisture=\d+(\.\d+)? %, temperature=-?\d+(\.\d+)? °C", probe), probe
    values = re.findall(r"=(-?\d[\d.e+-]*)", out)
    assert values and all(len(v.lstrip("-").replace(".", "")) <= 6 for v in values), out


def test_the_silent_unit_passing_logs_no_error(
    checks: Checks, caplog: pytest.LogCaptureFixture
) -> None:
    """No answer from the unused unit is the check passing: no ERROR lines (pymodbus's
    frame dump, the bus's "no answer") beside its ``ok`` line."""
    before = logging.getLogger("pymodbus").level
    with caplog.at_level(logging.DEBUG):
        checks.timeout(247)
    assert checks.failed == []
    assert [r.getMessage()[:80] for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert logging.getLogger("pymodbus").level == before  # put back after the check


def test_without_the_suite_the_message_gives_an_option_that_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Installed from a package (no hil_tests beside it): exit 2 at once, before the
    simulator starts, with options `qanat hil` accepts (it said `qanat hil --sim`)."""
    monkeypatch.setattr(hil, "SUITE_DIR", tmp_path / "hil_tests")
    assert main(["hil", "--target", "sim"]) == 2
    err = capsys.readouterr().err
    assert "`qanat hil --target sim`" in err and "--no-suite" in err, err
    parser = argparse.ArgumentParser()
    hil.add_arguments(parser)
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", err))
    assert options and options <= set(parser._option_string_actions), options


@pytest.mark.parametrize("pulse", ["relay1.ch9", "nothing", "probe1a.moisture"])
def test_a_pulse_of_no_output_of_the_site_is_refused_naming_them(
    pulse: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in ``--pulse`` (a channel the module lacks, a device not there, a sensor):
    exit 2 before any bus is opened, naming the site's outputs; it was a traceback."""
    assert main(["hil", "--target", "tcp://127.0.0.1:1", "--pulse", pulse]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"--pulse {pulse}: not an output of "), err
    assert "relay1.ch1" in err.split("its outputs: ", 1)[1], err


@pytest.mark.parametrize(
    ("unit", "said"),
    [(300, "a Modbus unit id is 1 to 247"), (0, "a Modbus unit id is 1 to 247"), (2, "flow1's")],
)
def test_a_silent_unit_that_cannot_be_silent_is_refused(
    unit: int, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A unit id Modbus has not, or one a device of the bus answers to: exit 2 saying
    which, before any bus is opened; the check used to run and FAIL the rig for it."""
    args = ["hil", "--target", "tcp://127.0.0.1:1", "--silent-unit", str(unit)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"--silent-unit {unit}: ") and said in err, err


def test_an_output_still_not_off_is_said_once(
    site: SiteConfig, sim: Simulation, capsys: pytest.CaptureFixture[str]
) -> None:
    """A relay module that cannot be reached fails each of its outputs once, though the
    checks switch everything off three times (at the start, after the pulse, at the end):
    8 outputs were 24 FAIL lines and 24 failed checks."""
    with refusing_port() as port:
        buses = {
            b.name: Bus(
                dataclasses.replace(sim.bus_settings(b.name), kind="tcp", port=port),
                site.devices_on(b.name),
            )
            for b in site.buses
        }
        checks = Checks(site, buses)
        try:
            for _ in range(3):
                checks.all_off("before the checks")
        finally:
            for bus in buses.values():
                bus.close()
    outputs = list(site.outputs())
    assert len(checks.failed) == len(outputs) > 1
    out = capsys.readouterr().out.splitlines()
    lines = [line for line in out if line.startswith("FAIL")]
    assert len(lines) == len(outputs) == len(set(lines))
    assert not [line for line in out if "switched off and read back off" in line]


def test_an_rtu_target_keeps_the_site_files_baudrate_unless_told(site: SiteConfig) -> None:
    """A rig whose site file says 4800 baud (the Renke probes' default) is asked at 4800
    on ``rtu:///dev/ttyUSB0``; it was asked at 9600 unless ``--baudrate`` was given."""
    parser = argparse.ArgumentParser()
    hil.add_arguments(parser)
    bus = dataclasses.replace(site.buses[0].settings(), baudrate=4800, parity="E")
    args = parser.parse_args(["--target", "rtu:///dev/ttyUSB0"])
    kept = hil._retarget(bus, args.target, args.baudrate)
    assert (kept.kind, kept.serial_port, kept.baudrate, kept.parity) == (
        "rtu",
        "/dev/ttyUSB0",
        4800,
        "E",
    )
    told = parser.parse_args(["--target", "rtu:///dev/ttyUSB0", "--baudrate", "19200"])
    assert hil._retarget(bus, told.target, told.baudrate).baudrate == 19200


def test_devices_of_two_buses_sharing_a_unit_id_are_refused_for_a_rig(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every bus of the site file goes to the one target: the scenario's weather station
    (bus field) and a tank level (bus head), both unit 10, would answer for each other.
    Exit 2 naming both before any bus is opened; the reads ran and blamed the station."""
    assert main(["hil", "--target", "tcp://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--target tcp://127.0.0.1:1: every bus of "), err
    assert "wx1 (bus field) and tank_p (bus head) share unit 10" in err, err


def test_the_silent_unit_of_a_rig_is_no_device_of_any_bus(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On a rig the timeout check's unit goes to the one target every bus shares: a probe's
    unit on the second bus would answer it."""
    assert main(["hil", "--target", "tcp://127.0.0.1:1", "--silent-unit", "21"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--silent-unit 21: unit 21 is probe1a's on bus field"), err


@pytest.mark.parametrize("line", ["tcp", "rtu"])
def test_the_example_rig_passes_on_the_simulator_whatever_its_bus(
    line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """deploy/examples/rig.toml, as given (a gateway at 192.168.1.50) and as a USB RS485
    dongle (/dev/ttyUSB0): ``--target sim`` serves it on loopback. Both were a traceback
    (`cannot serve on tcp 192.168.1.50:0`, `cannot serve on rtu /dev/ttyUSB0`)."""
    text = (ROOT / "deploy/examples/rig.toml").read_text(encoding="utf-8")
    if line == "rtu":
        text = text.replace('kind = "tcp"', 'kind = "rtu"').replace(
            'host = "192.168.1.50"\nport = 502', 'serial_port = "/dev/ttyUSB0"'
        )
        assert 'serial_port = "/dev/ttyUSB0"' in text
    rig = tmp_path / "rig.toml"
    rig.write_text(text, encoding="utf-8")
    args = ["hil", "--target", "sim", "--no-suite", "--config", str(rig), "--pulse-s", "0.5"]
    assert main(args) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert out.endswith("all rig checks passed\n")
    # steps 1 and 5 of hil_tests/README.md say they were done, not only when they fail
    n = len(list(load_site(rig).outputs()))
    lines = out.splitlines()
    assert lines[0] == f"ok   all {n} outputs switched off and read back off (before the checks)"
    assert lines[-2] == f"ok   all {n} outputs switched off and read back off (after the checks)"


@pytest.mark.parametrize("target", ["tcp://127.0.0.1:99999", "rtu-tcp://gw:abc"])
def test_a_target_port_that_is_no_port_names_the_option(
    target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said only `qanat hil: Port out of range 0-65535`, naming no option."""
    rig = str(ROOT / "deploy/examples/rig.toml")
    assert main(["hil", "--target", target, "--config", rig]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"qanat hil: --target {target!r}: Port "), err
    assert err.rstrip().endswith("give tcp://HOST:PORT"), err


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (Fault("exception", point="ch3", code=4), "exception 4"),  # the write refused
        (Fault("stuck", point="ch3"), "VerifyMismatch"),  # acknowledged, the relay never moved
        (Fault("garbage", point="ch3", values=(0,)), "VerifyMismatch"),  # on, read back off
    ],
)
def test_a_pulse_the_module_does_not_switch_fails_naming_it_with_everything_off(
    checks: Checks, sim: Simulation, fault: Fault, said: str
) -> None:
    relay = sim.devices["relay1"]
    relay.inject(fault)
    checks.pulse("relay1.ch3", 0.5)
    pulse_line, *others = checks.failed
    assert pulse_line.startswith("pulse relay1.ch3: ") and said in pulse_line, pulse_line
    # a module refusing every write of the coil refuses its switch-off too, and says so
    assert bool(others) == (fault.kind == "exception"), others
    assert all(f.startswith("zones[2].valve (relay1.ch3) not verified off") for f in others)
    assert [p.name for p in relay.profile.points if relay.get(p.name)] == []
