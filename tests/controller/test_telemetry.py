"""What reaches the SD card: changes beyond the deadband, quality changes, a heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
