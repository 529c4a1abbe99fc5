"""What reaches the SD card: changes beyond the deadband, quality changes, a heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from controller.config.site import StoreConfig
from controller.runtime.telemetry import TelemetryFilter
from drivers.profile import ProfileLibrary
from drivers.reading import Quality, Reading

LIB = ProfileLibrary.load()
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def reading(point: str, value: float | None, s: float, q: Quality = Quality.OK) -> Reading:
    return Reading("p1", point, value, "%", q, T0 + timedelta(seconds=s))


def make() -> TelemetryFilter:
    # Renke probe: moisture valid 0..100 %, so 0.5 % of the range is 0.5 % moisture.
    return TelemetryFilter({"p1": LIB["renke-rs-ecth-n01"]}, heartbeat_s=300, deadband_pct=0.5)


def kept(f: TelemetryFilter, *readings: Reading) -> list[float | None]:
    return [r.value for r in f.select(readings)]


def test_first_reading_and_changes_beyond_the_deadband_are_stored() -> None:
    f = make()
    assert kept(f, reading("moisture", 22.0, 0)) == [22.0]
    assert kept(f, reading("moisture", 22.3, 10)) == []  # within 0.5 of the last stored
    assert kept(f, reading("moisture", 22.6, 20)) == [22.6]  # 0.6 from 22.0
    assert kept(f, reading("moisture", 22.2, 30)) == []  # compared with 22.6, not 22.3


def test_heartbeat_stores_a_flat_line() -> None:
    f = make()
    f.select([reading("moisture", 22.0, 0)])
    assert kept(f, reading("moisture", 22.0, 299)) == []
    assert kept(f, reading("moisture", 22.0, 300)) == [22.0]


def test_quality_changes_are_always_stored_and_repeats_of_a_fault_are_not() -> None:
    f = make()
    f.select([reading("moisture", 22.0, 0)])
    lost = reading("moisture", None, 5, Quality.COMM_ERROR)
    assert f.select([lost]) == [lost]
    assert f.select([reading("moisture", None, 10, Quality.COMM_ERROR)]) == []
    assert kept(f, reading("moisture", 22.0, 15)) == [22.0]  # back to ok


def test_points_without_a_range_use_a_share_of_their_value() -> None:
    f = TelemetryFilter({"f1": LIB["tuf-2000m"]}, heartbeat_s=300, deadband_pct=0.5)
    flow = [
        Reading("f1", "flow_rate", v, "m3/h", Quality.OK, T0 + timedelta(seconds=i))
        for i, v in enumerate([100.0, 100.4, 100.6, 0.0])
    ]
    assert [r.value for r in f.select(flow)] == [100.0, 100.6, 0.0]


def test_heartbeat_and_deadband_per_device_kind_and_every_poll_while_water_runs() -> None:
    store = StoreConfig.model_validate(
        {"heartbeat_s": 300, "telemetry": {"soil_probe": {"deadband_pct": 2.0}}}
    )
    probe, flow = store.keeping("soil_probe"), store.keeping("flow_meter")
    assert (probe.heartbeat_s, probe.deadband_pct) == (3600, 2.0)  # shipped heartbeat kept
    assert store.keeping("weather_station").heartbeat_s == 900  # its own, not [store]'s
    assert store.keeping("weather_station").deadband_pct == 0.5  # [store]'s
    assert store.keeping("relay").heartbeat_s == 21_600  # every switch is a change
    own = StoreConfig.model_validate({"telemetry": {"weather_station": {"heartbeat_s": 300}}})
    assert own.keeping("weather_station").heartbeat_s == 300  # the site's key first
    f = TelemetryFilter(
        {"p1": LIB["renke-rs-ecth-n01"], "f1": LIB["tuf-2000m"]},
        heartbeat_s=300,
        deadband_pct=0.5,
        keeping={"p1": probe, "f1": flow},
    )
    f.select([reading("moisture", 22.0, 0)])
    assert kept(f, reading("moisture", 23.5, 600)) == []  # within 2 % of 0..100, no heartbeat
    assert kept(f, reading("moisture", 24.5, 700)) == [24.5]  # past it: stored at once
    assert kept(f, reading("moisture", 24.5, 4299)) == []
    assert kept(f, reading("moisture", 24.5, 4300)) == [24.5]  # an hour after the last

    def rate(v: float, s: float) -> Reading:
        return Reading("f1", "flow_rate", v, "m3/h", Quality.OK, T0 + timedelta(seconds=s))

    f.select([rate(0.0, 0)])
    assert kept(f, rate(0.0, 600)) == []  # idle: the 900 s heartbeat
    f.watering = True
    assert kept(f, rate(100.0, 605), rate(100.0, 610), rate(100.0, 615)) == [100.0] * 3
    f.watering = False
    assert kept(f, rate(100.0, 620)) == []


def test_an_unknown_device_kind_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValidationError, match=r"unknown device kind 'soil'.*soil_probe"):
        StoreConfig.model_validate({"telemetry": {"soil": {"heartbeat_s": 900}}})
    with pytest.raises(ValidationError, match="heartbeat_s"):
        StoreConfig.model_validate({"telemetry": {"soil_probe": {"heartbeat_s": 1}}})
    with pytest.raises(ValidationError, match="heartbeat"):
        StoreConfig.model_validate({"telemetry": {"soil_probe": {"heartbeat": 900}}})
