"""Every output off at once per relay module, against the simulated relay on loopback.

The start's all-off (also ``qanat outputs-off`` and the daemon's stop) writes each module's
coils in one request and reads them back in one: a coil that stays on is still named by its
role, and a module that does not answer still fails every output on it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig
from controller.runtime.fieldio import FieldIO
from controller.runtime.outputs import Outputs, all_off_verified
from controller.simulation.harness import Simulation
from drivers.bus import Bus
from drivers.errors import DeviceException, DeviceTimeout, NotWritable, VerifyMismatch
from drivers.sim import Fault


def _clock() -> VirtualClock:
    return VirtualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))


def _on(sim: Simulation) -> list[str]:
    relay = sim.devices["relay1"]
    return [p.name for p in relay.profile.points if relay.get(p.name)]


def test_one_write_and_one_read_switch_a_whole_module_off(
    site: SiteConfig, sim: Simulation
) -> None:
    relay = sim.devices["relay1"]
    for ch in range(1, 9):  # every output of the demo site is on relay1
        relay.set(f"ch{ch}", 1)
    with FieldIO(site) as fio:
        outputs = Outputs(site, fio, _clock())
        health = fio.bus_of("relay1").health["relay1"]
        before = health.ok
        assert outputs.all_off() == {}
        assert health.ok - before == 2  # one write of 8 coils, one read of 8 coils
    assert _on(sim) == []
    assert all(not outputs.is_on(r) and outputs.status[r].last_error == "" for r in outputs.roles())


def test_a_coil_that_stays_on_is_named_by_its_output_and_the_others_go_off(
    site: SiteConfig, sim: Simulation
) -> None:
    relay = sim.devices["relay1"]
    for ch in ("ch1", "ch3", "ch8"):
        relay.set(ch, 1)
    relay.inject(Fault("stuck", point="ch3"))  # a valve relay welded shut
    with FieldIO(site) as fio:
        outputs = Outputs(site, fio, _clock())
        failures = all_off_verified(outputs, attempts=2)
    assert list(failures) == ["valve:z3"]
    assert isinstance(failures["valve:z3"], VerifyMismatch)
    assert "relay1.ch3" in str(failures["valve:z3"])
    assert outputs.status["valve:z3"].last_error == str(failures["valve:z3"])
    assert _on(sim) == ["ch3"]


def test_a_module_refusing_the_write_of_one_coil_still_switches_the_others_off(
    site: SiteConfig, sim: Simulation
) -> None:
    """The module answers every request touching the pump's coil with an exception (a
    faulted channel, a busy answer): the whole-module write fails, and each other coil is
    then written off on its own rather than left to its lease."""
    relay = sim.devices["relay1"]
    for ch in ("ch1", "ch7", "ch8"):
        relay.set(ch, 1)
    relay.inject(Fault("exception", point="ch8", code=4))
    with FieldIO(site) as fio:
        outputs = Outputs(site, fio, _clock())
        failures = outputs.all_off()
    assert list(failures) == ["pump"]
    assert isinstance(failures["pump"], DeviceException)
    assert _on(sim) == ["ch8"]


def test_a_module_that_does_not_answer_fails_every_output_on_it(
    site: SiteConfig, sim: Simulation
) -> None:
    sim.devices["relay1"].inject(Fault("no_answer"))
    with FieldIO(site) as fio:
        outputs = Outputs(site, fio, _clock())
        failures = all_off_verified(outputs, attempts=2)
        health = fio.bus_of("relay1").health["relay1"]
        assert health.ok == 0 and health.timeout == 2  # the write of each attempt, no read
    assert set(failures) == set(site.output_roles())
    assert all(isinstance(e, DeviceTimeout) for e in failures.values())
    assert next(iter(failures)) == "pump"  # in the order things go off


def test_a_module_that_forgets_a_write_is_caught_by_the_read_back(
    site: SiteConfig, sim: Simulation
) -> None:
    relay = sim.devices["relay1"]
    relay.set("ch7", 1)
    relay.set("ch8", 1)
    relay.inject(Fault("stuck"))  # every coil of the module ignores writes
    with FieldIO(site) as fio:
        failures = fio.bus_of("relay1").outputs_off("relay1", ["ch8", "ch7", "ch1"])
    assert sorted(failures) == ["ch7", "ch8"]
    assert all(isinstance(e, VerifyMismatch) for e in failures.values())


def test_only_writable_coils_are_switched(site: SiteConfig, sim: Simulation) -> None:
    with FieldIO(site) as fio:
        bus: Bus = fio.bus_of("probe1a")
        with pytest.raises(NotWritable, match=r"probe1a\.moisture"):
            bus.outputs_off("probe1a", ["moisture"])
