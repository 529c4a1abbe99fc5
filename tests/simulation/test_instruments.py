"""The agronomy fidelity's in-memory instruments answer as the simulated devices do."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from controller.simulation.instruments import Instruments, MemoryDevice
from controller.simulation.season import _site_for, load_scenario
from drivers.codec import plan_reads
from drivers.profile import Table
from drivers.sim.device import VirtualDevice
from drivers.sim.faults import ExceptionAnswer, Fault, FaultKind
from drivers.sim.field import probe_pct, publish_station, put
from drivers.sim.weathergen import WeatherGenerator

SCENARIO = load_scenario("zhangye-seed-corn")
T0 = dt.datetime(2026, 6, 1, 4, tzinfo=dt.UTC)


def _pairs(tmp_path: Path) -> tuple[Instruments, dict[str, VirtualDevice]]:
    site = _site_for(SCENARIO, "sensor", tmp_path)
    instruments = Instruments(site, lambda: T0, lambda: 0.0, seed=1)
    twins = {
        name: VirtualDevice(name, dev.unit, dev.profile, lambda: 0.0, seed=f"1:{name}")
        for name, dev in instruments.devices.items()
    }
    return instruments, twins


def _words(dev: VirtualDevice) -> list[list[int]]:
    p = dev.profile
    blocks = plan_reads(p.points, p.max_read_registers, p.read_gap)
    return [dev.read(b.table, b.start, b.count) for b in blocks]


def test_set_and_read_give_the_virtual_devices_words(tmp_path: Path) -> None:
    instruments, twins = _pairs(tmp_path)
    assert set(instruments.devices) == {"wx1", "probe1a", "probe1b", "probe2a", "probe2b"}
    for name, dev in instruments.devices.items():
        assert isinstance(dev, MemoryDevice)
        assert _words(dev) == _words(twins[name]), f"{name} at start"
    weather = WeatherGenerator(SCENARIO.normals, 1).generate(
        dt.date(2026, 6, 1), dt.date(2026, 6, 2)
    )
    station = instruments.station
    assert station is not None
    for hour in (3, 13):
        local = dt.datetime(2026, 6, 1, hour)
        publish_station(instruments.devices[station], weather, local, 12.4, random.Random(hour))
        publish_station(twins[station], weather, local, 12.4, random.Random(hour))
        for name in instruments.devices.keys() - {station}:
            value = probe_pct(0.21 + hour / 100, 1.0, random.Random(hour))
            put(instruments.devices[name], "moisture", value)
            put(twins[name], "moisture", value)
        for name, dev in instruments.devices.items():
            assert _words(dev) == _words(twins[name]), f"{name} at {hour} h"
            for pt in dev.profile.points:
                assert dev.get(pt.name) == twins[name].get(pt.name)
            assert dev.status()["values"] == twins[name].status()["values"]


def test_reads_the_device_refuses_are_refused_alike(tmp_path: Path) -> None:
    instruments, twins = _pairs(tmp_path)
    for name, dev in instruments.devices.items():
        twin = twins[name]
        too_long = dev.profile.max_read_registers + 1
        first = dev.profile.points[0]
        for table, start, count in (
            (first.table, first.address, too_long),
            (Table.INPUT, 60000, 1),
        ):
            with pytest.raises(ExceptionAnswer) as ours:
                dev.read(table, start, count)
            with pytest.raises(ExceptionAnswer) as theirs:
                twin.read(table, start, count)
            assert ours.value.code == theirs.value.code


def test_an_instrument_takes_no_fault_and_no_write(tmp_path: Path) -> None:
    instruments, _ = _pairs(tmp_path)
    dev = next(iter(instruments.devices.values()))
    with pytest.raises(ValueError, match="no faults"):
        dev.inject(Fault(FaultKind.NO_ANSWER))
    first = dev.profile.points[0]
    with pytest.raises(ValueError, match="only read"):
        dev.write(first.table, first.address, [1])


def test_the_poller_reads_what_was_set(tmp_path: Path) -> None:
    instruments, _ = _pairs(tmp_path)
    name = "probe1a"
    put(instruments.devices[name], "moisture", 23.4)
    readings, _ = instruments.fieldio.bus_of(name).read_points(name)
    moisture = next(r for r in readings if r.point == "moisture")
    assert moisture.ok and moisture.value == pytest.approx(23.4, abs=0.05)
    instruments.close()
