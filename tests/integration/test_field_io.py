"""Field I/O end to end: the demo site's simulated devices on loopback, read by qanat.

Real pymodbus servers (``controller.simulation.harness``) on free ports, the real
bus owners, the real ``qanat poll`` command and ``mbpoll`` (Debian) as an
independent Modbus master that must see the same raw registers.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from controller.cli import exitcodes, main
from controller.config.site import SiteConfig, load_site
from controller.runtime.fieldio import FieldIO
from controller.simulation.harness import Simulation
from drivers.reading import Quality
from drivers.sim import Fault
from tests.helpers.site import ROOT, refusing_port


def poll_json(site: SiteConfig, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    status = main(["poll", "--config", str(site.path), "--once", "--json", *extra])
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    doc["status"] = status
    return doc


def test_poll_once_json_returns_every_point_ok(
    site: SiteConfig, sim: Simulation, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = poll_json(site, capsys)
    expected = {(d.name, p.name) for d in site.devices for p in site.profiles[d.name].points}
    got = {(r["device"], r["point"]) for r in doc["readings"]}
    assert got == expected
    bad = [r for r in doc["readings"] if r["quality"] != "ok"]
    assert bad == [] and doc["status"] == 0
    for r in doc["readings"]:
        assert r["raw"] and r["unit_id"] == sim.devices[r["device"]].unit
        assert r["table"] in ("coil", "discrete", "input", "holding")
    assert set(doc["health"]) == {"head", "field"}
    # values are the simulator's own, decoded through the profiles
    moisture = next(
        r for r in doc["readings"] if r["device"] == "probe1a" and r["point"] == "moisture"
    )
    assert moisture["value"] == pytest.approx(sim.devices["probe1a"].get("moisture"), abs=0.05)


def test_poll_of_one_device_tells_only_its_health(
    site: SiteConfig, sim: Simulation, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--device``: the devices not polled are not listed with no good read."""
    doc = poll_json(site, capsys, "--device", "probe1a")
    assert {r["device"] for r in doc["readings"]} == {"probe1a"}
    assert list(doc["health"]) == ["field"]
    assert list(doc["health"]["field"]) == ["probe1a"]
    assert doc["health"]["field"]["probe1a"]["ok"] == 1


def test_poll_of_a_silent_device_says_it_in_the_buses_words_only(
    site: SiteConfig,
    sim: Simulation,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """pymodbus's "No response received after 0 retries" (its count, not the bus's
    retries) and "Repeating...." are not said beside the bus's line naming the device."""
    pymodbus = logging.getLogger("pymodbus")
    before = pymodbus.level
    sim.devices["probe3a"].inject(Fault("no_answer"))
    try:
        with caplog.at_level(logging.WARNING):
            doc = poll_json(site, capsys, "--device", "probe3a")
    finally:
        pymodbus.setLevel(before)
    assert doc["status"] == exitcodes.FAILED
    errors = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all(name == "drivers.bus" for name, _ in errors), errors
    assert "probe3a: no answer within" in errors[0][1], errors


def _mbpoll(args: list[str]) -> list[int]:
    out = subprocess.run(
        ["mbpoll", *args], capture_output=True, text=True, timeout=20, check=True
    ).stdout
    # lines like "[1]: \t253" or "[1]: \t-20"; mbpoll prints signed 16-bit by default
    values = []
    for line in out.splitlines():
        if line.startswith("[") and "]:" in line:
            values.append(int(line.split(":", 1)[1].split()[0]) & 0xFFFF)
    return values


MBPOLL_TYPE = {"coil": "0", "discrete": "1", "input": "3", "holding": "4"}


def _blocks(doc: dict[str, Any], bus: str) -> dict[tuple[str, str, int], list[int]]:
    """Raw registers per (device, table, address) from qanat's poll."""
    return {
        (r["device"], r["table"], r["address"]): r["raw"]
        for r in doc["readings"]
        if r["bus"] == bus
    }


def _mbpoll_agrees(doc: dict[str, Any], bus: str, target: list[str]) -> int:
    checked = 0
    for (device, table, address), raw in _blocks(doc, bus).items():
        unit = next(r["unit_id"] for r in doc["readings"] if r["device"] == device)
        got = _mbpoll(
            [
                *target,
                "-a",
                str(unit),
                "-t",
                MBPOLL_TYPE[table],
                "-0",
                "-r",
                str(address),
                "-c",
                str(len(raw)),
                "-1",
                "-o",
                "2",
            ]
        )
        assert got == raw, f"{device} {table} {address}: mbpoll {got} != qanat {raw}"
        checked += 1
    return checked


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: scripts/test.sh installs it (apt-get install -y {tool})")


def test_mbpoll_reads_the_same_raw_registers_over_tcp(
    site: SiteConfig, sim: Simulation, capsys: pytest.CaptureFixture[str]
) -> None:
    need("mbpoll")
    doc = poll_json(site, capsys)
    head = next(b for b in site.buses if b.name == "head")
    checked = _mbpoll_agrees(doc, "head", ["-m", "tcp", "-p", str(head.port), "127.0.0.1"])
    assert checked >= 20


def test_mbpoll_reads_the_same_raw_registers_through_a_virtual_com_port(
    site: SiteConfig, sim: Simulation, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The field bus is RTU over TCP (an RS485 gateway); socat makes it a serial port for mbpoll."""
    need("mbpoll")
    need("socat")
    doc = poll_json(site, capsys)
    field = next(b for b in site.buses if b.name == "field")
    tty = tmp_path / "ttyGW"
    proc = subprocess.Popen(
        ["socat", f"pty,raw,echo=0,link={tty}", f"tcp:127.0.0.1:{field.port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while not tty.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        checked = _mbpoll_agrees(doc, "field", ["-m", "rtu", "-b", "9600", "-P", "none", str(tty)])
        assert checked >= 10
    finally:
        proc.terminate()
        proc.wait(5)


# -- faults: flagged, bounded, recovered -------------------------------------------


def _by_point(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["device"], r["point"]): r for r in doc["readings"]}


def test_fault_injected_from_the_command_line_is_flagged_and_cleared(
    site: SiteConfig, sim: Simulation, capsys: pytest.CaptureFixture[str]
) -> None:
    port = str(sim.control.port)
    cfg = str(site.path)
    assert (
        main(["sim", "--config", cfg, "--control-port", port, "--fault", "probe2a", "no_answer"])
        == 0
    )
    assert (
        main(
            [
                "sim",
                "--config",
                cfg,
                "--control-port",
                port,
                "--fault",
                "ec1",
                "exception",
                "--code",
                "4",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "sim",
                "--config",
                cfg,
                "--control-port",
                port,
                "--fault",
                "probe1a",
                "garbage",
                "--point",
                "moisture",
                "--values",
                "0x7FFF",
            ]
        )
        == 0
    )
    capsys.readouterr()
    doc = poll_json(site, capsys)
    readings = _by_point(doc)
    assert doc["status"] == exitcodes.FAILED
    assert readings[("probe2a", "moisture")]["quality"] == "comm_error"
    assert "no answer" in readings[("probe2a", "moisture")]["detail"]
    assert readings[("ec1", "ec")]["quality"] == "comm_error"
    assert "exception 4 (device failure)" in readings[("ec1", "ec")]["detail"]
    garbage = readings[("probe1a", "moisture")]
    assert garbage["quality"] == "out_of_range" and garbage["value"] is None
    assert garbage["raw"] == [0x7FFF]
    # everything else on both buses is still read
    others = [
        r
        for k, r in readings.items()
        if k[0] not in ("probe2a", "ec1") and k != ("probe1a", "moisture")
    ]
    assert others and all(r["quality"] == "ok" for r in others)
    for device in ("probe2a", "ec1", "probe1a"):
        assert main(["sim", "--config", cfg, "--control-port", port, "--clear", device]) == 0
    capsys.readouterr()
    doc = poll_json(site, capsys)
    assert doc["status"] == 0


def test_sim_command_reports_a_missing_simulator(
    site: SiteConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    with refusing_port() as refusing:
        port = str(refusing)
        assert main(["sim", "--config", str(site.path), "--control-port", port, "--status"]) == 1
    assert f"no simulator on 127.0.0.1:{port}" in capsys.readouterr().err


def test_silent_device_costs_at_most_its_timeout_budget_then_rests_and_recovers(
    site: SiteConfig, sim: Simulation
) -> None:
    field_bus = next(b for b in site.buses if b.name == "field")
    budget_s = field_bus.settings().budget_s
    sim.devices["probe3a"].inject(Fault("no_answer"))
    with FieldIO(site) as fio:
        t0 = time.monotonic()
        poll = fio.poll(["probe3a"])[0]
        elapsed = time.monotonic() - t0
        assert {r.quality for r in poll.readings} == {Quality.COMM_ERROR}
        assert elapsed < budget_s + 0.5, f"silent device held the bus {elapsed:.2f} s"
        # the rest of the bus keeps answering in the meantime
        assert all(r.ok for p in fio.poll(["probe3b", "wx1"]) for r in p.readings)
        for _ in range(2):
            fio.poll(["probe3a"])
        health = fio.bus_of("probe3a").health["probe3a"]
        assert health.timeout == 3 and health.backoff_until > 0
        t0 = time.monotonic()
        resting = fio.poll(["probe3a"])[0]
        assert time.monotonic() - t0 < 0.1  # skipped without touching the wire
        assert "resting" in resting.readings[0].detail
        sim.devices["probe3a"].clear()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if all(r.ok for r in fio.poll(["probe3a"])[0].readings):
                break
            time.sleep(0.2)
        else:
            pytest.fail("probe3a did not recover after its fault was cleared")
        assert health.consecutive_failures == 0


def test_unknown_unit_id_is_silent_like_a_real_rs485_bus(
    tmp_path: Path, site: SiteConfig, sim: Simulation
) -> None:
    text = site.path.read_text(encoding="utf-8") + (
        '\n[[devices]]\nname = "ghost"\nbus = "field"\nunit = 99\n'
        'profile = "renke-rs-ecth-n01"\npoll_interval_s = 60\n'
    )
    path = tmp_path / "ghost.toml"
    path.write_text(text, encoding="utf-8")
    with FieldIO(load_site(path)) as fio:
        ghost, probe = fio.poll(["ghost", "probe1a"])
    assert ghost.readings[0].quality is Quality.COMM_ERROR
    assert "no answer" in ghost.readings[0].detail
    assert all(r.ok for r in probe.readings)


def test_valve_lease_expires_by_itself_and_stuck_valve_is_detected(
    site: SiteConfig, sim: Simulation
) -> None:
    from drivers.errors import VerifyMismatch

    with FieldIO(site) as fio:
        bus = fio.bus_of("relay1")
        bus.lease_output("relay1", "ch2", 0.6)
        assert bus.read_point("relay1", "ch2").value == 1.0
        time.sleep(0.9)
        assert bus.read_point("relay1", "ch2").value == 0.0  # lease ran out: water off
        sim.devices["relay1"].inject(Fault("stuck", point="ch1"))
        with pytest.raises(VerifyMismatch):
            bus.lease_output("relay1", "ch1", 5)


def test_rtu_over_a_serial_line(pty_pair: tuple[str, str]) -> None:
    """The production bus owner on a real tty (socat pty pair), RTU framing."""
    from drivers.bus import Bus, DeviceRef
    from drivers.profile import ProfileLibrary
    from drivers.sim import Endpoint, SimServer, VirtualDevice
    from drivers.transport import BusSettings

    need("socat")
    lib = ProfileLibrary.load()
    probe = VirtualDevice("p", 5, lib["renke-rs-ecth-n01"])
    relay = VirtualDevice("r", 1, lib["waveshare-relay-8ch"])
    probe.set("moisture", 31.4)
    probe.set("temperature", -3.5)
    a, b = pty_pair
    with SimServer(Endpoint("rtu", serial_port=a, baudrate=9600), [probe, relay]):
        settings = BusSettings("rs485", "rtu", serial_port=b, baudrate=9600, timeout_s=0.3)
        devices = [
            DeviceRef("p", 5, probe.profile),
            DeviceRef("r", 1, relay.profile),
            DeviceRef("ghost", 9, probe.profile),
        ]
        with Bus(settings, devices) as bus:
            readings, _ = bus.read_points("p")
            values = {r.point: r.value for r in readings}
            assert values["moisture"] == pytest.approx(31.4)
            assert values["temperature"] == pytest.approx(-3.5)
            assert bus.read_points("ghost")[0][0].quality is Quality.COMM_ERROR
            # after a timeout the line is clean: the next read is right
            assert bus.read_point("p", "moisture").value == pytest.approx(31.4)
            bus.lease_output("r", "ch4", 10)
            assert relay.get("ch4") == 1.0 and relay.lease_remaining_s("ch4") > 9
            bus.output_off("r", "ch4")
            assert relay.get("ch4") == 0.0


# -- the commissioning commands of docs/operations.md, as written -------------------------

COMMISSIONING = (
    (ROOT / "docs" / "operations.md")
    .read_text(encoding="utf-8")
    .split("## Commissioning a site", 1)[1]
    .split("\n## ", 1)[0]
)
DOC_TYPE = {"coil": "0", "discrete": "1", "input": "3:hex", "holding": "4:hex"}


def _doc_command(tool: str, mode: str = "") -> list[str]:
    """The docs' one command of ``tool`` (for mbpoll: of ``-m mode``), split into words."""
    found = [
        c.split()
        for c in re.findall(r"`([^`]+)`", COMMISSIONING.replace("\n     ", " "))
        if c.startswith(f"{tool} ") and (not mode or f"-m {mode} " in c)
    ]
    assert len(found) == 1, (tool, mode, found)
    return found[0]


def _filled(words: list[str], values: dict[str, str]) -> list[str]:
    return [values.get(w, w) for w in words]


def _doc_mbpoll_agrees(
    doc: dict[str, Any], bus: str, words: list[str], where: dict[str, str]
) -> int:
    checked = 0
    for (device, table, address), raw in _blocks(doc, bus).items():
        unit = next(r["unit_id"] for r in doc["readings"] if r["device"] == device)
        values = {"UNIT": str(unit), "ADDR": str(address), "N": str(len(raw)), **where}
        command = _filled(words, values)
        command[command.index("4:hex")] = DOC_TYPE[table]
        out = subprocess.run(command, capture_output=True, text=True, timeout=20, check=True)
        got = [
            int(line.split(":", 1)[1].split()[0], 0) & 0xFFFF
            for line in out.stdout.splitlines()
            if line.startswith("[") and "]:" in line
        ]
        assert got == raw, f"{device} {table} {address}: {' '.join(command)} gave {got}"
        checked += 1
    return checked


def test_the_commissioning_mbpoll_commands_read_what_qanat_reads(
    site: SiteConfig, sim: Simulation, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """docs/operations.md's mbpoll commands, run as written with the placeholders filled
    and ``-t`` by the table, read every raw register qanat poll read: over Modbus TCP, and
    over the RTU-over-TCP gateway through the docs' socat serial port."""
    need("mbpoll")
    need("socat")
    doc = poll_json(site, capsys)
    head = next(b for b in site.buses if b.name == "head")
    field = next(b for b in site.buses if b.name == "field")
    tcp = _doc_command("mbpoll", "tcp")
    assert _doc_mbpoll_agrees(doc, "head", tcp, {"PORT": str(head.port), "HOST": "127.0.0.1"})
    tty = tmp_path / "qanat-gw"
    gateway = {"/tmp/qanat-gw": str(tty), "HOST:PORT": f"127.0.0.1:{field.port}"}
    socat = [w for w in _doc_command("socat") if w != "&"]
    socat = [functools.reduce(lambda w, kv: w.replace(*kv), gateway.items(), w) for w in socat]
    # -d -d: socat says when both ends are open (the link made), then carries the bytes
    proc = subprocess.Popen([socat[0], "-d", "-d", *socat[1:]], stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "starting data transfer loop" in line:
                break
        rtu = _doc_command("mbpoll", "rtu")
        where = {"BAUD": str(field.baudrate), "/dev/ttyUSB0": str(tty)}
        assert _doc_mbpoll_agrees(doc, "field", rtu, where)
    finally:
        proc.terminate()
        proc.wait(5)


def test_pymodbus_lines_other_than_an_unanswered_request_are_still_logged(
    site: SiteConfig, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Only the unanswered request's own lines are left out (and its "Repeating...."): a
    connection pymodbus could not make still says why in its words, and that it repeated."""
    poll_json(site, capsys, "--device", "probe1a")
    pymodbus = logging.getLogger("pymodbus.logging")
    with caplog.at_level(logging.WARNING):
        pymodbus.error("No response received after 0 retries, continue with next request")
        pymodbus.error("Repeating....")
        pymodbus.error("Connection to (127.0.0.1, 5020) failed: [Errno 111] Connection refused")
        pymodbus.error("Repeating....")
    said = [r.getMessage() for r in caplog.records if r.name == "pymodbus.logging"]
    assert said == [
        "Connection to (127.0.0.1, 5020) failed: [Errno 111] Connection refused",
        "Repeating....",
    ]
