"""The relay module's own communication watchdog: the profile key, the simulated module
closing its outputs when the bus goes silent, and the bus owner arming it (real pymodbus
server on loopback)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from drivers.bus import Bus, DeviceRef
from drivers.errors import NotWritable, ProfileError, VerifyMismatch, WatchdogOutOfRange
from drivers.profile import BUILTIN_PROFILE_DIR, Profile, load_profile
from drivers.sim import SIM_PROFILE_DIR, Endpoint, Fault, FaultKind, SimServer, VirtualDevice
from drivers.transport import BusSettings

SIM_WATCHDOG = SIM_PROFILE_DIR / "sim-relay-8ch-watchdog.toml"
GOOD = SIM_WATCHDOG.read_text(encoding="utf-8")
SECTION = re.search(r"\[comm_watchdog\][^\[]*", GOOD)
assert SECTION is not None


def _with_watchdog(tmp_path: Path, section: str) -> Path:
    """The sim profile with its ``[comm_watchdog]`` replaced (a bare key goes on top)."""
    path = tmp_path / "relay-wd.toml"
    text = GOOD.replace(SECTION.group(0), "" if section[0] != "[" else section + "\n")  # type: ignore[union-attr]
    path.write_text(text if section[0] == "[" else section + "\n" + text, encoding="utf-8")
    return path


def test_the_sim_profile_has_a_watchdog_and_no_shipped_relay_claims_one() -> None:
    wd = load_profile(SIM_WATCHDOG).comm_watchdog
    assert wd is not None and (wd.address, wd.unit_s, wd.max_s) == (256, 1.0, 600.0)
    assert wd.steps(10) == 10 and wd.steps(0.2) == 1
    for path in BUILTIN_PROFILE_DIR.glob("waveshare-relay*.toml"):
        assert load_profile(path).comm_watchdog is None  # their protocol documents none


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("[comm_watchdog]\naddress = 256\nunit_s = 1.0", r"comm_watchdog\.max_s: missing"),
        (
            "[comm_watchdog]\naddress = 256\nunit_s = 1.0\nmax_s = 600\ntimeout = 5",
            r"comm_watchdog\.timeout: unknown key",
        ),
        (
            "[comm_watchdog]\naddress = 70000\nunit_s = 1.0\nmax_s = 600",
            r"comm_watchdog\.address: 70000 outside 0\.\.65535",
        ),
        (
            "[comm_watchdog]\naddress = 2.5\nunit_s = 1.0\nmax_s = 600",
            r"comm_watchdog\.address: expected a whole number",
        ),
        (
            "[comm_watchdog]\naddress = 256\nunit_s = 0\nmax_s = 600",
            r"comm_watchdog\.unit_s: must be positive",
        ),
        (
            "[comm_watchdog]\naddress = 256\nunit_s = 1.0\nmax_s = '10 min'",
            r"comm_watchdog\.max_s: expected a number, got '10 min'",
        ),
        (
            "[comm_watchdog]\naddress = 256\nunit_s = 0.001\nmax_s = 600",
            r"comm_watchdog\.max_s: 600 s is 600000 steps .* 16-bit",
        ),
        (
            "[comm_watchdog]\naddress = 256\nunit_s = 5\nmax_s = 1",
            r"comm_watchdog\.max_s: 1 s is shorter than one step",
        ),
        ("comm_watchdog = 10", r"comm_watchdog: expected a table"),
    ],
)
def test_bad_watchdog_keys_are_refused_naming_the_key_and_file(
    tmp_path: Path, section: str, problem: str
) -> None:
    with pytest.raises(ProfileError, match=problem + r".*\(relay-wd\.toml\)"):
        load_profile(_with_watchdog(tmp_path, section))


def test_a_watchdog_on_a_holding_point_or_without_coils_is_refused(tmp_path: Path) -> None:
    sensor = (BUILTIN_PROFILE_DIR / "generic-rs485-pressure-transmitter.toml").read_text("utf-8")
    holding = re.search(r"address = (\d+)", sensor.split("[[points]]")[1])
    assert holding is not None and "holding" in sensor.split("[[points]]")[1]
    path = tmp_path / "sensor-wd.toml"
    section = f"[comm_watchdog]\naddress = {holding.group(1)}\nunit_s = 1\nmax_s = 60\n"
    path.write_text(section + sensor, encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    text = str(err.value)
    assert f"comm_watchdog.address: holding {holding.group(1)} is point" in text
    assert "comm_watchdog: a communication watchdog needs writable coil points" in text


# -- the simulated module ---------------------------------------------------------


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(dt.datetime(2026, 6, 10, tzinfo=dt.UTC))


@pytest.fixture
def profile() -> Profile:
    return load_profile(SIM_WATCHDOG)


@pytest.fixture
def relay(profile: Profile, clock: VirtualClock) -> VirtualDevice:
    return VirtualDevice("relay1", 1, profile, clock.monotonic)


@pytest.fixture
def bus(relay: VirtualDevice, profile: Profile, clock: VirtualClock) -> Iterator[Bus]:
    with SimServer(Endpoint("tcp", port=0), [relay]) as server:
        assert server.port is not None
        settings = BusSettings("head", "tcp", host="127.0.0.1", port=server.port, timeout_s=0.3)
        with Bus(settings, [DeviceRef("relay1", 1, profile)], now=clock.now) as b:
            yield b


def test_the_module_closes_its_outputs_when_no_request_reaches_it(
    bus: Bus, relay: VirtualDevice, clock: VirtualClock
) -> None:
    assert bus.arm_comm_watchdog("relay1", 10) == 10.0
    bus.lease_output("relay1", "ch1", 600)  # a long lease: only the watchdog can close it
    bus.lease_output("relay1", "ch8", 600)
    for _ in range(5):  # the box talks every few seconds: the module stays on
        clock.advance(8)
        bus.read_points("relay1")
    assert relay.get("ch1") == 1.0 and relay.get("ch8") == 1.0
    assert relay.watchdog_trips == 0
    clock.advance(9.9)
    assert relay.get("ch1") == 1.0  # not yet
    clock.advance(0.2)  # ten seconds without a request: the box died
    assert relay.get("ch1") == 0.0 and relay.get("ch8") == 0.0
    assert relay.lease_remaining_s("ch1") is None
    assert relay.watchdog_trips == 1


def test_a_silent_bus_closes_the_outputs_although_the_box_keeps_trying(
    bus: Bus, relay: VirtualDevice, clock: VirtualClock
) -> None:
    """Requests that never reach the module (a cut line: ``no_answer``) do not feed it."""
    bus.arm_comm_watchdog("relay1", 10)
    bus.lease_output("relay1", "ch2", 600)
    relay.inject(Fault(FaultKind.NO_ANSWER))
    for _ in range(3):
        clock.advance(4)
        readings, _ = bus.read_points("relay1")
        assert readings[0].quality == "comm_error"
    assert relay.get("ch2") == 0.0 and relay.watchdog_trips == 1


def test_a_disarmed_watchdog_never_closes_anything(
    bus: Bus, relay: VirtualDevice, clock: VirtualClock
) -> None:
    bus.lease_output("relay1", "ch3", 600)  # never armed: the register holds 0
    clock.advance(300)
    assert relay.get("ch3") == 1.0 and relay.watchdog_trips == 0


def test_arming_checks_range_profile_and_read_back(
    bus: Bus, relay: VirtualDevice, tmp_path: Path
) -> None:
    with pytest.raises(WatchdogOutOfRange, match=r"relay1: comm watchdog 601 s outside 0\.\.600"):
        bus.arm_comm_watchdog("relay1", 601)
    with pytest.raises(WatchdogOutOfRange):
        bus.arm_comm_watchdog("relay1", 0)
    relay.inject(Fault(FaultKind.GARBAGE, values=(3,)))  # the register reads back wrong
    with pytest.raises(VerifyMismatch, match=r"comm_watchdog: wrote \[10\] but read back \[3\]"):
        bus.arm_comm_watchdog("relay1", 10)
    plain = load_profile(BUILTIN_PROFILE_DIR / "waveshare-relay-8ch.toml")
    other = Bus(bus.settings, [DeviceRef("relay1", 1, plain)])
    with other, pytest.raises(NotWritable, match="has no comm_watchdog"):
        other.arm_comm_watchdog("relay1", 10)
