"""Sensor plausibility: each detector on made-up series (ordinary noisy data is not flagged),
and the rules over a real store: quarantine, acknowledgement, the frozen station's ET0, the
rain gauge, and what planning does with a doubted probe."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.jobs import Agronomy
from controller.agronomy.plausibility import (
    CHECK_EVERY_S,
    CODES,
    MIN_FLAT_READINGS,
    Plausibility,
    frozen_spans,
    rate_violation,
    response_shortfall,
    segments,
)
from controller.agronomy.types import ForecastDay
from controller.clock import VirtualClock
from controller.config.site import PlausibilityConfig, SiteConfig, load_site
from controller.store import RunSource, RunState, Store
from drivers.reading import Quality, Reading
from tests.helpers.agronomy import seed_balance
from tests.helpers.site import DEMO_SITE

T0 = dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)


def series(
    hours: float, every_min: float, f: object, start: dt.datetime = T0
) -> list[tuple[dt.datetime, float]]:
    n = int(hours * 60 / every_min)
    return [(start + k * every_min * MIN, f(k * every_min / 60)) for k in range(n)]  # type: ignore[operator]


def live_probe(seed: int, level: float = 24.0, noise_pct: float = 0.1) -> object:
    """A live probe: slow drying (1 %/day), a diurnal temperature effect (±0.3 %), noise
    (sd ``noise_pct``), read at the sensor's 0.1 % resolution."""
    rng = random.Random(seed)

    def f(h: float) -> float:
        v = level - h / 24 + 0.3 * math.sin(2 * math.pi * h / 24) + rng.gauss(0, noise_pct)
        return round(v, 1)

    return f


# -- the detectors -------------------------------------------------------------------------------


def test_a_frozen_value_is_one_long_segment() -> None:
    segs = segments(series(30, 10, lambda h: 12.3), 0.05)
    assert len(segs) == 1 and segs[0].span_s >= 24 * 3600 and segs[0].n >= MIN_FLAT_READINGS


def test_a_live_probe_is_never_flat_for_long() -> None:
    for seed in range(5):
        segs = segments(series(72, 5, live_probe(seed)), 0.05)
        assert max(s.span_s for s in segs) < 6 * 3600, seed


def test_segments_continue_across_calls() -> None:
    values = series(30, 10, lambda h: 12.3)
    first = segments(values[:50], 0.05)[-1]
    (whole,) = segments(values[50:], 0.05, first)
    assert whole.start == values[0][0] and whole.n == len(values)


def test_a_jump_is_a_rate_violation_and_noise_or_a_wetting_front_is_not() -> None:
    rng = random.Random(1)
    noisy = series(72, 1, lambda h: 25 + rng.gauss(0, 0.4))  # the simulator's probe noise
    assert rate_violation(None, noisy, 120, 60) is None
    wetting = series(3, 1, lambda h: 15 + min(h, 0.5) * 20)  # +10 % in 30 min under water
    assert rate_violation(None, wetting, 120, 60) is None
    spike = [*noisy[:100], (noisy[100][0], 48.0), *noisy[101:200]]
    found = rate_violation(None, spike, 120, 60)
    assert found is not None and found[1][1] == 48.0 and found[2] > 120
    drop = [(T0, 30.0), (T0 + MIN, 22.0)]  # 8 % in a minute: soil does not dry that fast
    assert rate_violation(None, drop, 120, 60) is not None
    # the reading before this call's readings counts
    assert rate_violation((T0 - MIN, 10.0), [(T0, 30.0)], 120, 60) is not None


def test_response_shortfall() -> None:
    assert response_shortfall(12.0, [12.1, 12.0, 12.3], 1.0) == pytest.approx(0.3)
    assert response_shortfall(12.0, [12.4, 14.0], 1.0) is None
    assert response_shortfall(12.0, [], 1.0) is None  # no readings: no judgement


TOL = {"air_temperature": 0.05, "humidity": 0.05, "wind_speed": 0.05}


def test_a_frozen_station_has_every_point_unchanged() -> None:
    rng = random.Random(2)
    live = {
        "air_temperature": series(24, 5, lambda h: 20 + 8 * math.sin(h / 24 * 6.28)),
        "humidity": series(24, 5, lambda h: 100.0 if h < 8 else 60.0),  # fog all night
        "wind_speed": series(24, 5, lambda h: 0.0 if h < 9 else 2 + rng.gauss(0, 0.3)),  # calm
    }
    assert frozen_spans(live, 6 * 3600, TOL) == []
    frozen = {p: [(t, v if t < T0 + 10 * H else 7.0) for t, v in s] for p, s in live.items()}
    (span,) = frozen_spans(frozen, 6 * 3600, TOL)
    assert span[0] == T0 + 10 * H and span[1] >= T0 + 23 * H


# -- the rules over a store ----------------------------------------------------------------------


def sensor_site(tmp_path: Path, extra: str = "") -> SiteConfig:
    """The demo site with z1 in sensor mode (probes probe1a at 0.2 m, probe1b at 0.4 m)."""
    text = DEMO_SITE.read_text(encoding="utf-8")
    text = text.replace('valve = "relay1.ch1"\n', 'valve = "relay1.ch1"\nmode = "sensor"\n')
    path = tmp_path / "site.toml"
    path.write_text(text + extra, encoding="utf-8")
    return load_site(path)


class _Source:
    def __init__(self, site: SiteConfig) -> None:
        self.site = site


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    yield s
    s.close()


@pytest.fixture
def site(tmp_path: Path) -> SiteConfig:
    return sensor_site(tmp_path)


def put(store: Store, device: str, point: str, values: list[tuple[dt.datetime, float]]) -> None:
    store.add_readings(Reading(device, point, v, "", Quality.OK, t) for t, v in values)
    store.flush()


def test_a_stuck_probe_is_quarantined_and_left_out_until_acknowledged(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    agro = Agronomy(site, store, clock)
    put(store, "probe1a", "moisture", series(30, 5, lambda h: 12.0))
    put(store, "probe1b", "moisture", series(30, 5, live_probe(3)))
    now = clock.advance(30 * 3600)
    (found,) = agro.plausibility.check(now)
    assert (found.code, found.device, found.point) == ("probe_flatline", "probe1a", "moisture")
    (alarm,) = store.open_alarms()
    assert alarm.code == "probe_flatline" and alarm.source == "probe1a" and alarm.latched
    assert "probe1a.moisture (zone z1, 0.2 m)" in alarm.message and "flat" in alarm.message
    z1 = site.zones[0]
    assert [p.depth_m for p in agro.probe_readings(z1, now - 2 * H, now)] == [0.4]
    assert agro.plausibility.check(now + H) == []  # reported once
    assert alarm.id is not None
    store.ack_event(alarm.id, "tech1")
    assert [p.depth_m for p in agro.probe_readings(z1, now - 2 * H, now)] == [0.2, 0.4]
    # the flat hours before the acknowledgement are not held against the probe again
    put(store, "probe1a", "moisture", series(10, 5, lambda h: 12.0, start=now))
    assert agro.plausibility.check(now + 10 * H + 10 * MIN) == []  # 10 h of it, not 24 h
    # a new full window of the same value is
    put(store, "probe1a", "moisture", series(20, 5, lambda h: 12.0, start=now + 10 * H))
    assert [f.code for f in agro.plausibility.check(now + 30 * H)] == ["probe_flatline"]


def test_ordinary_probes_raise_nothing_over_days(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    for i, z in enumerate(site.zones):
        for j, p in enumerate(z.probes):
            # the quiet probe of a good sensor, and the simulator's noisier one (sd 0.4 %)
            noise = 0.1 if j == 0 else 0.4
            put(store, p.device, "moisture", series(96, 1, live_probe(10 * i + j, 20 + i, noise)))
    check = Plausibility(_Source(site), store, clock)
    for _ in range(96):
        assert check.check(clock.advance(3600)) == []
    assert store.open_alarms() == []


def test_a_jump_quarantines_the_probe(site: SiteConfig, store: Store, clock: VirtualClock) -> None:
    values = series(4, 1, live_probe(4))
    values[120] = (values[120][0], values[120][1] + 25.0)
    put(store, "probe2a", "moisture", values)
    (found,) = Plausibility(_Source(site), store, clock).check(clock.advance(5 * 3600))
    assert found.code == "probe_rate" and found.device == "probe2a"
    assert "probe2a.moisture (zone z2, 0.2 m)" in found.message and "%/h" in found.message


def water(store: Store, clock: VirtualClock, zone: str, minutes: float, mm: float) -> int:
    """A run of ``zone`` from now for ``minutes`` that applied ``mm`` over the demo zone."""
    run = store.plan_run(zone, RunSource.PLAN, minutes)
    assert run.id is not None
    store.start_run(run.id)
    clock.advance(minutes * 60)
    m3 = mm * 25 * 10_000 / 15 / 1000
    store.finish_run(run.id, RunState.DONE, "planned time reached", applied_m3=m3)
    return run.id


@pytest.mark.parametrize("rise_pct", [0.0, 3.0])
def test_a_root_zone_probe_must_rise_after_water(
    site: SiteConfig, store: Store, clock: VirtualClock, rise_pct: float
) -> None:
    """z1 (sensor mode) gets 40 mm in 200 min; probe1a (0.2 m) must rise 1 % within 12 h of
    the first 20 mm; probe1b (0.4 m) is deeper than the rule looks; z2 is not in sensor mode."""
    start = T0 + 2 * H
    probe = live_probe(5)
    put(store, "probe1a", "moisture", series(2, 5, probe))
    put(store, "probe1b", "moisture", series(18, 5, live_probe(6)))
    put(store, "probe2a", "moisture", series(18, 5, live_probe(7)))
    clock.advance(2 * 3600)
    water(store, clock, "z1", 200, 40.0)
    water(store, clock, "z2", 200, 40.0)
    put(store, "probe1a", "moisture", series(16, 5, lambda h: probe(h) + rise_pct, start=start))
    check = Plausibility(_Source(site), store, clock)
    assert check.check(clock.now()) == []  # 100 min + 12 h lag not over yet
    # judged once the window's readings are surely committed: idle_flush_s + a check later
    settled = dt.timedelta(seconds=site.store.idle_flush_s + CHECK_EVERY_S)
    found = check.check(start + 100 * MIN + 12 * H + settled)
    if rise_pct:
        assert found == []
        return
    (f,) = found
    assert f.code == "probe_no_response" and f.device == "probe1a"
    assert "probe1a.moisture (zone z1, 0.2 m): no response to irrigation" in f.message
    assert "40.0 mm in all" in f.message
    assert check.check(start + 15 * H) == []  # one judgement per run


def weather(
    store: Store,
    start: dt.datetime,
    hours: int,
    frozen_from: int | None = None,
    tip_at_h: float | None = None,
) -> None:
    """Readings every 10 min; the rain counter at 100 mm (101 from ``tip_at_h``)."""
    readings = []
    for k in range(hours * 6):
        t = start + k * 10 * MIN
        h = k / 6
        frozen = frozen_from is not None and h >= frozen_from
        temp = 20 + 8 * math.sin(2 * math.pi * (h - 9) / 24)
        for point, value in (
            ("air_temperature", 17.5 if frozen else temp),
            ("humidity", 40.0 if frozen else 60 - temp),
            ("wind_speed", 1.0 if frozen else 2 + math.sin(h)),
            ("rain", 101.0 if tip_at_h is not None and h >= tip_at_h else 100.0),
        ):
            readings.append(Reading("wx1", point, value, "", Quality.OK, t))
    store.add_readings(readings)
    store.flush()


def test_a_frozen_station_is_flagged_and_its_day_gets_an_estimated_et0(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    tz = site.site.tz
    day0 = dt.datetime(2026, 6, 1, tzinfo=tz)
    clock.set(day0.astimezone(dt.UTC), allow_backwards=True)
    weather(store, day0, 3 * 24)  # three good days
    weather(store, day0 + 3 * 24 * H, 24, frozen_from=4)  # the logger froze at 04:00
    clock.set((day0 + 4 * 24 * H + 2 * H).astimezone(dt.UTC))
    agro = Agronomy(site, store, clock)
    good = agro.et0_day((day0 + 2 * 24 * H).date())
    assert not good.estimated
    frozen_day = agro.et0_day((day0 + 3 * 24 * H).date())
    assert frozen_day.estimated and "station_frozen" in frozen_day.procedure
    assert frozen_day.et0_mm == pytest.approx(good.et0_mm, rel=0.2)  # the recent days' mean
    found = agro.plausibility.check(clock.now() - 2 * H)
    assert [(f.code, f.device) for f in found] == [("station_frozen", "wx1")]
    assert "air_temperature, humidity, wind_speed all unchanged" in found[0].message


@pytest.mark.parametrize("tip_at_h", [None, 30.0])
def test_a_gauge_that_counts_nothing_while_the_forecast_rained_is_flagged(
    site: SiteConfig, store: Store, clock: VirtualClock, tip_at_h: float | None
) -> None:
    tz = site.site.tz
    day0 = dt.datetime(2026, 6, 1, tzinfo=tz)
    clock.set(day0.astimezone(dt.UTC), allow_backwards=True)
    weather(store, day0, 4 * 24, tip_at_h=tip_at_h)
    check = Plausibility(_Source(site), store, clock)
    check.remember_forecast(ForecastDay((day0 + d * 24 * H).date(), 5.0, 8.0) for d in range(4))
    found = check.check((day0 + 3 * 24 * H + H).astimezone(dt.UTC))
    if tip_at_h is not None:
        assert found == []  # a gauge that tipped is believed, however little it counted
        return
    assert [(f.code, f.device, f.point) for f in found] == [("rain_gauge_suspect", "wx1", "rain")]
    assert "0.0 mm counted" in found[0].message and "24.0 mm" in found[0].message
    assert check.check((day0 + 3 * 24 * H + 2 * H).astimezone(dt.UTC)) == []  # once a day
    # the next day the gauge still counts nothing: one alarm until someone has looked
    assert check.check((day0 + 4 * 24 * H + H).astimezone(dt.UTC)) == []
    assert [a.code for a in store.open_alarms()] == ["rain_gauge_suspect"]


# -- planning with doubted probes ----------------------------------------------------------------


def dry_probes(store: Store, now: dt.datetime) -> None:
    put(store, "probe1a", "moisture", [(now - 30 * MIN, 11.0)])
    put(store, "probe1b", "moisture", [(now - 30 * MIN, 12.0)])


def test_a_sensor_run_is_capped_by_the_water_balance(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    now = dt.datetime(2026, 6, 1, 18, tzinfo=site.site.tz)
    clock.set(now.astimezone(dt.UTC))
    taw = seed_balance(store, site, "z1", now.date(), 0.3)
    dry_probes(store, now)
    (run,) = [r for r in Agronomy(site, store, clock).plan_all(now) if r.zone == "z1"]
    z1 = site.zones[0]
    cap_mm = 1.5 * (0.3 - 0.15) * taw / z1.efficiency
    assert run.depth_mm == pytest.approx(cap_mm)
    assert run.duration_min == pytest.approx(cap_mm * z1.area_m2_value / 1000 / 100 * 60)
    decision = next(d for d in store.decisions() if d.zone == "z1")
    probes_mm = (decision.inputs["dr_observed_mm"] - 0.15 * taw) / z1.efficiency
    assert probes_mm > 2 * cap_mm  # the dry probes alone asked for far more
    assert "capped: 1.5 × the water balance's need" in decision.reason
    assert decision.inputs["cap_gross_mm"] == pytest.approx(cap_mm)


def test_no_need_in_the_balance_no_sensor_run(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    now = dt.datetime(2026, 6, 1, 18, tzinfo=site.site.tz)
    clock.set(now.astimezone(dt.UTC))
    seed_balance(store, site, "z1", now.date(), 0.1)  # below the refill target
    dry_probes(store, now)
    assert [r for r in Agronomy(site, store, clock).plan_all(now) if r.zone == "z1"] == []
    decision = next(d for d in store.decisions() if d.zone == "z1")
    assert "the water balance sees no need" in decision.reason


def test_a_zone_without_a_trusted_probe_is_planned_by_the_water_balance(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    now = dt.datetime(2026, 6, 1, 18, tzinfo=site.site.tz)
    clock.set(now.astimezone(dt.UTC))
    weather(store, now - 4 * 24 * H, 4 * 24)
    seed_balance(store, site, "z1", now.date(), 0.7)  # past RAW: the balance waters
    dry_probes(store, now)
    for device in ("probe1a", "probe1b"):
        store.raise_event(
            "alarm", "probe_flatline", device, f"{device}.moisture: flat", latched=True
        )
    agro = Agronomy(site, store, clock)
    agro.planning.calendar = ()  # z4's calendar flood of 1 June would hold the pump all night
    runs = [r for r in agro.plan_all(now) if r.zone == "z1"]
    decision = next(d for d in store.decisions() if d.zone == "z1")
    assert "probe probe1a, probe1b quarantined, planned by the water balance" in decision.reason
    assert "probe moisture" not in decision.reason  # the probes' value is not used
    assert runs and decision.action == "irrigate"


def test_every_alarm_code_and_key_is_documented_for_operators() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text("utf-8")
    for code in CODES:
        assert f"| `{code}` |" in doc, code
    for key in PlausibilityConfig.model_fields:
        assert f"`{key}`" in doc, key
