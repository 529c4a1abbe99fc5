"""The pulse meters' totalizer at, just under and just over each of its bounds: a counter
that stands still, the plausible count for short and shifted intervals, the reset's count,
the no-pulse time, the flow window's edge and the stopped meter's limit, and what the poll
of a counter module with two meters (one not read) gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from controller.config.pulses import PulseMeterConfig
from controller.config.site import SiteConfig, load_site
from controller.runtime.pulses import CounterEvent, PulseMeters, PulseStep, PulseTotalizer
from drivers.reading import Quality, Reading
from tests.helpers.pulses import with_pulse_meter
from tests.helpers.site import DEMO_SITE

T0 = datetime(2026, 6, 10, 6, tzinfo=UTC)
M16, M32 = 1 << 16, 1 << 32


def meter(
    litres_per_pulse: float = 10.0, max_flow_m3_h: float = 36.0, no_pulse_s: float = 30.0
) -> PulseMeterConfig:
    return PulseMeterConfig(
        name="pm1",
        counter="dio1.count1",
        litres_per_pulse=litres_per_pulse,
        no_pulse_s=no_pulse_s,
        max_flow_m3_h=max_flow_m3_h,
    )


def fed(readings: list[tuple[float, int]], **config: float) -> PulseTotalizer:
    """A 32-bit totalizer fed ``(mono_s, count)`` readings (s, pulses) in turn."""
    t = PulseTotalizer(meter(**config), M32)
    for mono_s, count in readings:
        t.feed(count, mono_s)
    return t


# ------------------------------------------------------------------ counting


def test_a_totalizer_not_yet_fed_reads_no_water_and_no_flow() -> None:
    t = PulseTotalizer(meter(), M32)
    assert (t.pulses, t.total_m3, t.flow_m3_h(100.0)) == (0, 0.0, 0.0)


def test_the_first_reading_is_the_meters_total_and_counts_no_step() -> None:
    t = PulseTotalizer(meter(), M32)
    assert t.feed(1234, 50.0) == PulseStep(0)
    assert t.total_m3 == pytest.approx(12.34)


def test_a_counter_that_stands_still_counts_nothing_and_names_nothing() -> None:
    t = fed([(0.0, 500)])
    assert t.feed(500, 5.0) == PulseStep(0)  # not a wrap nor a reset of a whole modulus
    assert t.feed(500, 10.0) == PulseStep(0)
    assert t.total_m3 == pytest.approx(5.0) and t.last_pulse_mono_s is None


# ------------------------------------------------------------------ plausible steps


def test_the_plausible_count_is_over_the_time_since_the_last_reading_not_since_zero() -> None:
    t = fed([(1000.0, 100)])  # 36 m3/h, 10 L/pulse: 1 pulse/s; 5 s → 5 + 2 slack
    step = t.feed(108, 1005.0)
    assert (step.pulses, step.event) == (0, CounterEvent.JUMP)
    assert step.detail == (
        "rose from 100 to 108 in 5 s, more than the 7 pulses 36 m3/h can give: not counted"
    )
    assert t.feed(115, 1010.0) == PulseStep(7)  # from 108, the jump's count, at the limit


def test_under_a_second_between_readings_the_plausible_count_is_not_rounded_up() -> None:
    t = PulseTotalizer(meter(max_flow_m3_h=360.0), M32)  # 10 pulses/s
    assert t.most_pulses(0.5) == 5 + 2
    assert t.most_pulses(0.0) == 2
    t.feed(0, 0.0)
    assert t.feed(7, 0.5) == PulseStep(7)
    assert t.feed(15, 1.0).event is CounterEvent.JUMP  # 8 in 0.5 s: one too many


def test_a_wrap_names_where_the_counter_went() -> None:
    t = PulseTotalizer(meter(), M16)
    t.feed(M16 - 3, 0.0)
    assert t.feed(4, 5.0) == PulseStep(7, CounterEvent.WRAP, "wrapped from 65533 to 4")


@pytest.mark.parametrize(("count", "counted"), [(6, 6), (7, 7), (8, 0), (3000, 0)])
def test_after_a_reset_only_a_plausible_count_is_water(count: int, counted: int) -> None:
    t = fed([(0.0, 50_000)])  # 5 s: at most 7 pulses since the module came back
    step = t.feed(count, 5.0)
    assert (step.pulses, step.event) == (counted, CounterEvent.RESET)
    assert step.detail.endswith(f"; {counted} pulses after the reset counted")
    assert t.total_m3 == pytest.approx(500.0 + counted * 0.01)


# ------------------------------------------------------------------ the flow window


def test_a_pulse_exactly_no_pulse_s_after_the_last_keeps_the_rate_just_over_restarts_it() -> None:
    # pulses at 5 s then, polled every 5 s, at 35 s: 30 s = no_pulse_s after the last one
    kept = fed([(float(s), 0 if s < 5 else 1 if s < 35 else 2) for s in range(0, 40, 5)])
    assert kept.flow_m3_h(35.0) == pytest.approx(2 * 0.01 / 35 * 3600)  # since 0 s
    # 31 s after: the water stood still, the rate is over the last poll interval only
    late = fed([(0.0, 0), (5.0, 1), (30.0, 1), (36.0, 2)])
    assert late.flow_m3_h(36.0) == pytest.approx(0.01 / 6 * 3600)


@pytest.mark.parametrize(("last_s", "flow_m3_h"), [(69.0, 24 * 0.01 / 69 * 3600), (70.0, 7.2)])
def test_the_rate_is_over_the_last_window_once_the_second_change_is_that_old(
    last_s: float, flow_m3_h: float
) -> None:
    # 12 pulses at 10 s, 12 more at last_s: the window of 60 s drops (0, 0) only when the
    # change after it, at 10 s, is 60 s old
    t = fed([(0.0, 0), (10.0, 12), (last_s, 24)], no_pulse_s=120.0)
    assert t.flow_m3_h(last_s) == pytest.approx(flow_m3_h)


# one pulse every 10 s from 110 s, first read at 100 s: 3.6 m3/h, the usual gap 10 s
STEADY = [(100.0, 0), (110.0, 1), (120.0, 2), (130.0, 3)]


@pytest.mark.parametrize(
    ("mono_s", "flow_m3_h"),
    [
        (130.0, 3.6),
        (145.0, 3.6),  # 15 s since the last pulse
        (150.0, 3.6),  # twice the usual gap: still the rate
        (151.0, 0.01 / 21 * 3600),  # beyond: at most one pulse over the time since
        (165.0, 0.01 / 35 * 3600),
    ],
)
def test_a_meter_is_taken_as_stopped_only_after_twice_its_usual_gap(
    mono_s: float, flow_m3_h: float
) -> None:
    t = fed(STEADY, no_pulse_s=120.0)
    assert t.flow_m3_h(mono_s) == pytest.approx(flow_m3_h)


# ------------------------------------------------------------------ a poll of the module


def _two_meter_site(tmp_path: Path) -> SiteConfig:
    text = with_pulse_meter(DEMO_SITE.read_text(encoding="utf-8"))
    text += '\n[[pulse_meters]]\nname = "pm2"\ncounter = "dio1.count2"\n'
    text += "litres_per_pulse = 1\nno_pulse_s = 30\nmax_flow_m3_h = 10\n"
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


def _count(point: str, value: float | None, quality: Quality = Quality.OK) -> Reading:
    return Reading("dio1", point, value, "pulses", quality, T0)


def test_a_poll_gives_every_meter_of_the_module_with_its_units(tmp_path: Path) -> None:
    meters = PulseMeters(_two_meter_site(tmp_path))
    meters.derive("dio1", [_count("count1", 100), _count("count2", 7)], 0.0)
    readings, notes = meters.derive("dio1", [_count("count1", 101), _count("count2", 9)], 5.0)
    assert notes == []
    got = {(r.device, r.point): (r.value, r.unit, r.time) for r in readings}
    assert got == {
        ("pm1", "total"): (pytest.approx(1.01), "m3", T0),
        ("pm1", "flow_rate"): (pytest.approx(0.01 / 5 * 3600), "m3/h", T0),
        ("pm1", "pulse"): (101.0, "pulses", T0),
        ("pm2", "total"): (pytest.approx(0.009), "m3", T0),
        ("pm2", "flow_rate"): (pytest.approx(0.002 / 5 * 3600), "m3/h", T0),
        ("pm2", "pulse"): (9.0, "pulses", T0),
    }


@pytest.mark.parametrize(
    "first",
    [
        [],  # count1 not in the poll
        [_count("count1", None, Quality.COMM_ERROR)],
        [_count("count1", 5.0, Quality.OUT_OF_RANGE)],  # decoded, but not to be used
    ],
)
def test_a_meter_not_read_well_is_skipped_and_the_next_still_given(
    tmp_path: Path, first: list[Reading]
) -> None:
    meters = PulseMeters(_two_meter_site(tmp_path))
    readings, _ = meters.derive("dio1", [*first, _count("count2", 7)], 0.0)
    assert {r.device for r in readings} == {"pm2"}
    # nothing taken in: the next good count is pm1's first (its total, no pulses counted)
    readings, _ = meters.derive("dio1", [_count("count1", 8), _count("count2", 7)], 5.0)
    got = {r.point: r.value for r in readings if r.device == "pm1"}
    assert got == {"total": pytest.approx(0.08), "flow_rate": 0.0}


def test_a_jump_is_named_by_its_meter(tmp_path: Path) -> None:
    meters = PulseMeters(_two_meter_site(tmp_path))
    meters.derive("dio1", [_count("count2", 7)], 0.0)
    _, notes = meters.derive("dio1", [_count("count2", 900)], 5.0)
    assert [(n.code, n.source) for n in notes] == [("counter_jump", "pm2")]
    assert notes[0].message.startswith("pulse meter pm2 (dio1.count2): rose from 7 to 900")
