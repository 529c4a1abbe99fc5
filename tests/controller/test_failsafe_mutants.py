"""The start-up check of the relay modules' fail-safe, one refusal at a time
(scripts/mutation.sh controller/runtime/failsafe.py).

The demo site with its dosing channels has two relay modules carrying outputs on one bus
(relay1, unit 1; relay2, unit 11). The bus is a stand-in that answers what each test sets:
which coils read on, a module's whole answer, its watchdog. Each refusal is checked with the
other module at fault too, so a check that stopped at the first module would be seen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace
from typing import cast

import pytest

from controller.config.site import SiteConfig, load_site
from controller.runtime.failsafe import FailSafeError, ModuleCheck, verify_failsafe
from controller.runtime.fieldio import FieldIO
from drivers.errors import DriverError, WatchdogOutOfRange
from drivers.profile import CommWatchdog, Lease
from drivers.reading import Quality, Reading
from tests.helpers.dosing import channel_site_text

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
COILS = [f"ch{n}" for n in range(1, 9)]
R1 = "relay1 (unit 1 on bus 'head', profile 'waveshare-relay-8ch')"
R2 = "relay2 (unit 11 on bus 'head', profile 'waveshare-relay-8ch')"


def coil(device: str, point: str, value: float = 0.0, quality: Quality = Quality.OK) -> Reading:
    good = quality is Quality.OK
    detail = "" if good else f"{point}: no answer"
    return Reading(device, point, value if good else None, "", quality, T0, detail=detail)


class HeadBus:
    """Both relay modules' bus: coils off unless set ``on``, or a module's ``answer``."""

    def __init__(self, site: SiteConfig) -> None:
        self.devices = {d.name: SimpleNamespace(unit=d.unit) for d in site.devices}
        self.settings = SimpleNamespace(name="head")
        self.on: dict[str, set[str]] = {}
        self.answer: dict[str, list[Reading]] = {}
        self.asked: list[tuple[str, list[str]]] = []
        self.held_s: dict[str, float | DriverError] = {}  # the watchdog each module holds
        self.armed: list[tuple[str, float]] = []

    def bus_of(self, device: str) -> HeadBus:
        return self

    def read_points(self, device: str, names: list[str]) -> tuple[list[Reading], list[object]]:
        self.asked.append((device, list(names)))
        if device in self.answer:
            return self.answer[device], []
        on = self.on.get(device, set())
        return [coil(device, n, 1.0 if n in on else 0.0) for n in names], []

    def arm_comm_watchdog(self, device: str, seconds: float) -> float:
        self.armed.append((device, seconds))
        held = self.held_s.get(device, seconds)
        if isinstance(held, DriverError):
            raise held
        return held


@pytest.fixture(scope="module")
def two_relays(tmp_path_factory: pytest.TempPathFactory) -> SiteConfig:
    path = tmp_path_factory.mktemp("failsafe") / "site.toml"
    path.write_text(channel_site_text(), encoding="utf-8")
    site = load_site(path)
    assert sorted({r.device for r in site.output_roles().values()}) == ["relay1", "relay2"]
    return site


def check(site: SiteConfig, bus: HeadBus) -> list[ModuleCheck]:
    return verify_failsafe(site, cast(FieldIO, bus))


def refused(site: SiteConfig, bus: HeadBus) -> list[str]:
    with pytest.raises(FailSafeError) as err:
        check(site, bus)
    assert str(err.value) == "; ".join(err.value.problems)
    return err.value.problems


def with_profile(site: SiteConfig, device: str, **change: object) -> SiteConfig:
    profile = dataclasses.replace(site.profiles[device], **change)  # type: ignore[arg-type]
    return dataclasses.replace(site, profiles={**site.profiles, device: profile})


def test_each_module_is_read_coil_by_coil_and_confirmed(two_relays: SiteConfig) -> None:
    bus = HeadBus(two_relays)
    assert check(two_relays, bus) == [
        ModuleCheck("relay1", "head", 1, "flash_on", 8, ()),
        ModuleCheck("relay2", "head", 11, "flash_on", 8, ()),
    ]
    assert bus.asked == [("relay1", COILS), ("relay2", COILS)]
    assert bus.armed == []  # neither profile has a communication watchdog


@pytest.mark.parametrize("lease", [None, Lease("register", 0, 0.1, 6553.5)])
def test_a_module_without_a_flash_on_lease_is_refused_and_the_next_still_checked(
    two_relays: SiteConfig, lease: Lease | None
) -> None:
    site = with_profile(two_relays, "relay1", lease=lease)
    bus = HeadBus(site)
    bus.on["relay2"] = {"ch2"}
    assert refused(site, bus) == [
        f"{R1}: no hardware lease; an output could stay on",
        f"{R2}: coils still on after all-off: ch2",
    ]
    assert [device for device, _ in bus.asked] == ["relay2"]  # relay1 is not read


def test_a_module_that_does_not_answer_is_named_with_its_first_bad_coil(
    two_relays: SiteConfig,
) -> None:
    bus = HeadBus(two_relays)
    bus.answer["relay1"] = [
        coil("relay1", "ch1"),
        coil("relay1", "ch2", quality=Quality.COMM_ERROR),
        coil("relay1", "ch3", quality=Quality.UNDECODABLE),
        *(coil("relay1", c) for c in COILS[3:]),
    ]
    bus.on["relay2"] = {"ch1", "ch4"}
    assert refused(two_relays, bus) == [
        f"{R1}: does not answer as a relay module: ch2: no answer",
        f"{R2}: coils still on after all-off: ch1, ch4",
    ]


@pytest.mark.parametrize("count", [7, 9])
def test_a_module_answering_a_coil_short_or_over_is_refused(
    two_relays: SiteConfig, count: int
) -> None:
    bus = HeadBus(two_relays)
    bus.answer["relay1"] = [coil("relay1", f"ch{n}") for n in range(1, count + 1)]
    assert refused(two_relays, bus) == [
        f"{R1}: does not answer as a relay module: {count} of 8 coils"
    ]


def test_the_watchdog_is_armed_with_the_sites_timeout_and_what_the_module_holds_is_kept(
    two_relays: SiteConfig,
) -> None:
    site = with_profile(two_relays, "relay2", comm_watchdog=CommWatchdog(0x00FF, 0.1, 6553.5))
    bus = HeadBus(site)
    bus.held_s["relay2"] = 9.9
    checks = check(site, bus)
    assert bus.armed == [("relay2", site.safety.comm_watchdog_s)]
    assert [c.comm_watchdog_s for c in checks] == [None, 9.9]


def test_a_watchdog_that_cannot_be_armed_is_refused_and_the_next_still_checked(
    two_relays: SiteConfig,
) -> None:
    wd = CommWatchdog(0x00FF, 0.1, 6553.5)
    site = with_profile(two_relays, "relay1", comm_watchdog=wd)
    bus = HeadBus(site)
    bus.held_s["relay1"] = WatchdogOutOfRange("relay1: 10 s held as 0")
    bus.on["relay2"] = {"ch3"}
    assert refused(site, bus) == [
        f"{R1}: communication watchdog not armed: relay1: 10 s held as 0",
        f"{R2}: coils still on after all-off: ch3",
    ]
