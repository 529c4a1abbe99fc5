"""Pulse water meters: counter → totalizer (m³) and flow (m³/h); wraps, resets, jumps; the
site file's [[pulse_meters]] refused by key path when wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.errors import ConfigError
from controller.config.pulses import PulseMeterConfig
from controller.config.site import load_site
from controller.runtime.live import LiveState
from controller.runtime.poller import Poller
from controller.runtime.pulses import CounterEvent, PulseMeters, PulseTotalizer
from controller.store import Store
from drivers.profile import BUILTIN_PROFILE_DIR
from drivers.reading import Quality, Reading
from tests.helpers.pulses import PULSE_METER, with_pulse_meter
from tests.helpers.site import DEMO_SITE

T0 = datetime(2026, 6, 10, 6, tzinfo=UTC)
M16, M32 = 1 << 16, 1 << 32


def meter(litres_per_pulse: float = 10.0, max_flow_m3_h: float = 36.0) -> PulseMeterConfig:
    return PulseMeterConfig(
        name="pm1",
        counter="dio1.count1",
        litres_per_pulse=litres_per_pulse,
        no_pulse_s=30,
        max_flow_m3_h=max_flow_m3_h,
    )


def test_counting_up_gives_m3_and_the_flow_of_the_pulse_rate() -> None:
    t = PulseTotalizer(meter(), M32)  # 36 m3/h at most: 1 pulse of 10 L a second
    t.feed(1000, 0.0)
    assert t.total_m3 == pytest.approx(10.0)  # the counter is the meter's totalizer
    for s in range(5, 125, 5):  # 18 m3/h: a pulse every 2 s, read every 5 s
        step = t.feed(1000 + s // 2, float(s))
        assert step.event is None
    assert t.total_m3 == pytest.approx((1000 + 60) * 0.01)
    assert t.flow_m3_h(120.0) == pytest.approx(18.0, rel=0.05)


@pytest.mark.parametrize("modulus", [M16, M32])
def test_a_counter_passing_its_maximum_is_a_wrap_counted_as_water(modulus: int) -> None:
    t = PulseTotalizer(meter(), modulus)
    t.feed(modulus - 3, 0.0)
    before = t.total_m3
    assert _step(t, 4, 5.0) == (7, CounterEvent.WRAP)  # 3 to the top, then 0..4 in 5 s
    assert t.total_m3 - before == pytest.approx(0.07)


def _step(t: PulseTotalizer, count: int, mono_s: float) -> tuple[int, CounterEvent | None]:
    s = t.feed(count, mono_s)
    return (s.pulses, s.event)


def test_wrap_versus_reset_at_the_plausible_limit() -> None:
    t = PulseTotalizer(meter(), M16)
    most = t.most_pulses(5.0)  # 36 m3/h over 5 s = 5 pulses + slack
    assert most == 7
    t.feed(M16 - 1, 0.0)
    assert _step(t, most - 1, 5.0) == (most, CounterEvent.WRAP)  # just plausible: a wrap
    t2 = PulseTotalizer(meter(), M16)
    t2.feed(M16 - 1, 0.0)
    # one more is too many for a wrap: a reset, and the count since it is plausible water
    assert _step(t2, most, 5.0) == (most, CounterEvent.RESET)


def test_a_reset_after_power_loss_is_named_not_a_huge_volume() -> None:
    t = PulseTotalizer(meter(), M32)
    t.feed(50_000, 0.0)
    before = t.total_m3
    step = t.feed(3, 5.0)  # the module lost power: counting again from 0
    assert step.event is CounterEvent.RESET and step.pulses == 3
    assert "reset" in step.detail and "50000" in step.detail
    assert t.total_m3 - before == pytest.approx(0.03)  # the 3 pulses since, nothing more
    assert _step(t, 5, 10.0) == (2, None)  # and counting goes on from there


def test_a_jump_beyond_the_meter_is_not_water() -> None:
    t = PulseTotalizer(meter(), M32)
    t.feed(100, 0.0)
    assert _step(t, 107, 5.0) == (7, None)  # at the limit
    step = t.feed(10_000, 10.0)
    assert step.event is CounterEvent.JUMP and step.pulses == 0
    assert t.total_m3 == pytest.approx(1.07)


def test_a_stopped_meter_reads_towards_no_flow() -> None:
    t = PulseTotalizer(meter(), M32)
    t.feed(0, 0.0)
    for s in range(2, 62, 2):
        t.feed(s // 2, float(s))  # 18 m3/h
    assert t.flow_m3_h(60.0) == pytest.approx(18.0, rel=0.05)
    assert t.flow_m3_h(63.0) == pytest.approx(18.0, rel=0.05)  # within twice the gap
    assert t.flow_m3_h(60.0 + 360.0) == pytest.approx(0.1, rel=0.01)  # 10 L in 6 min at most


def test_a_count_outside_the_register_is_refused() -> None:
    with pytest.raises(ValueError, match=r"dio1\.count1: count 65536 outside"):
        PulseTotalizer(meter(), M16).feed(M16, 0.0)


def _site(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


def test_the_meters_readings_and_the_reset_event_from_a_poll(tmp_path: Path) -> None:
    site = _site(tmp_path, with_pulse_meter(DEMO_SITE.read_text(encoding="utf-8")))
    meters = PulseMeters(site)

    def poll(count: int, mono_s: float):  # type: ignore[no-untyped-def]
        r = Reading("dio1", "count1", float(count), "pulses", Quality.OK, T0)
        return meters.derive("dio1", [r], mono_s)

    readings, notes = poll(500, 0.0)
    assert {r.point: r.value for r in readings} == {"total": 5.0, "flow_rate": 0.0}
    assert notes == []
    readings, _ = poll(505, 5.0)
    assert {r.point for r in readings} == {"total", "flow_rate", "pulse"}
    assert all(r.device == PULSE_METER for r in readings)
    _, notes = poll(2, 10.0)
    assert [n.code for n in notes] == ["counter_reset"]
    assert "pulse meter pm1 (dio1.count1): fell from 505 to 2" in notes[0].message
    bad = Reading("dio1", "count1", None, "pulses", Quality.COMM_ERROR, T0)
    assert meters.derive("dio1", [bad], 15.0) == ([], [])  # nothing: the values age out


def test_a_site_with_a_pulse_meter_loads(tmp_path: Path) -> None:
    site = _site(tmp_path, with_pulse_meter(DEMO_SITE.read_text(encoding="utf-8")))
    assert site.head.flow_meter == PULSE_METER
    pm = site.pulse_meter(PULSE_METER)
    assert pm is not None and pm.m3_per_pulse == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ('counter = "dio1.count1"', 'counter = "dio1.count9"'),
            "pulse_meters[0].counter: device 'dio1' has no point 'count9'",
        ),
        (
            ('counter = "dio1.count1"', 'counter = "dio1.inputs"'),
            "pulse_meters[0].counter: dio1.inputs is not a counter",
        ),  # the inputs' state
        (
            ('counter = "dio1.count1"', 'counter = "relay1.ch1"'),
            "pulse_meters[0].counter: device 'relay1' is a relay, expected pulse_counter",
        ),
        (('name = "pm1"', 'name = "flow1"'), "pulse_meters[0].name: 'flow1' is also a device"),
        (
            ("no_pulse_s = 30", "no_pulse_s = 5"),
            "pulse_meters[0].no_pulse_s: 5 s is not longer than the poll interval of device 'dio1'",
        ),
        (("litres_per_pulse = 10", "litres_per_pulse = 0"), "pulse_meters[0].litres_per_pulse"),
        (("max_flow_m3_h = 250", "max_flow_m3_h = 250\nsize = 3"), "pulse_meters[0].size"),
        # strict like the rest of the site file: a quoted number is not a number
        (("litres_per_pulse = 10", 'litres_per_pulse = "10"'), "pulse_meters[0].litres_per_pulse"),
        (("max_flow_m3_h = 250", "max_flow_m3_h = inf"), "pulse_meters[0].max_flow_m3_h"),
    ],
)
def test_a_bad_pulse_meter_is_refused_naming_the_key(
    tmp_path: Path, change: tuple[str, str], problem: str
) -> None:
    text = with_pulse_meter(DEMO_SITE.read_text(encoding="utf-8"))
    assert change[0] in text
    with pytest.raises(ConfigError) as info:
        _site(tmp_path, text.replace(change[0], change[1]))
    assert any(p.startswith(problem) for p in info.value.problems), info.value.problems


def test_no_pulse_s_just_over_the_poll_interval_is_accepted(tmp_path: Path) -> None:
    text = with_pulse_meter(DEMO_SITE.read_text(encoding="utf-8"), no_pulse_s=5.5)
    assert _site(tmp_path, text).pulse_meters[0].no_pulse_s == 5.5


def test_a_counter_that_could_wrap_unseen_between_polls_is_refused(tmp_path: Path) -> None:
    # a module with 16-bit counters: the shipped profile with count1 one register wide
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    shipped = (BUILTIN_PROFILE_DIR / "isma-sfar-1m-4di.toml").read_text(encoding="utf-8")
    (profiles / "dio16.toml").write_text(
        shipped.replace('address = 52\ntype = "uint32"', 'address = 52\ntype = "uint16"'),
        encoding="utf-8",
    )
    text = with_pulse_meter(
        DEMO_SITE.read_text(encoding="utf-8"), poll_interval_s=60, no_pulse_s=90
    )
    text = f'profile_dirs = ["{profiles}"]\n' + text.replace(
        'profile = "isma-sfar-1m-4di"', 'profile = "dio16"'
    )
    # half its range (32768 pulses) in one poll of 60 s at 250 m3/h (4167 L) is
    # 0.127 L/pulse or less; 0.13 L/pulse just fits, 0.12 just does not
    ok = text.replace("litres_per_pulse = 10", "litres_per_pulse = 0.13")
    assert _site(tmp_path, ok).pulse_meters[0].litres_per_pulse == 0.13
    with pytest.raises(ConfigError, match=r"pulse_meters\[0\].litres_per_pulse: 0.12 L/pulse"):
        _site(tmp_path, ok.replace("litres_per_pulse = 0.13", "litres_per_pulse = 0.12"))


class CounterBus:
    """The counter module at the FieldIO seam: answers ``count1`` with :attr:`count`."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock, self.count = clock, 1000

    def read_points(self, device: str) -> tuple[list[Reading], None]:
        now = self.clock.now()
        return [Reading(device, "count1", float(self.count), "pulses", Quality.OK, now)], None

    def bus_of(self, device: str) -> CounterBus:
        return self


def test_a_pulse_meters_total_and_flow_are_stored_by_the_flow_meters_rule(
    tmp_path: Path,
) -> None:
    site = _site(tmp_path, with_pulse_meter(DEMO_SITE.read_text(encoding="utf-8")))
    rule = site.store.keeping("flow_meter")
    assert rule.watering_heartbeat_s == 0 and rule.heartbeat_s == 900
    clock = VirtualClock(T0)
    store = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    bus = CounterBus(clock)
    poller = Poller(site, bus, LiveState(), store, clock)  # type: ignore[arg-type]

    def stored(point: str) -> list[float | None]:
        store.flush()
        rows = store.readings(PULSE_METER, point, T0, T0 + timedelta(days=1))
        return [r.value for r in rows]

    poller.poll_device("dio1")  # the first reading of each point is kept
    assert stored("total") == [10.0] and stored("flow_rate") == [0.0]
    for _ in range(10):  # idle and flat: nothing new until the heartbeat
        clock.advance(60)
        poller.poll_device("dio1")
    assert stored("total") == [10.0]
    clock.advance(300)
    poller.poll_device("dio1")
    assert stored("total") == [10.0, 10.0]  # 900 s after the first: the heartbeat

    poller.telemetry.watering = True  # water runs: every poll is kept
    for _ in range(3):
        clock.advance(5)
        bus.count += 5  # 50 L in 5 s: 36 m³/h
        poller.poll_device("dio1")
    assert stored("total") == [10.0, 10.0, 10.05, 10.1, 10.15]
    assert stored("flow_rate")[-1] == pytest.approx(36.0)
    assert stored("pulse") == []  # the count itself is the counter module's reading
    store.close()
