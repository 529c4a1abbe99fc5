"""The agronomic jobs over a real store filled with synthetic station and probe readings."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from controller.agronomy.baseline import CalendarEvent
from controller.agronomy.jobs import Agronomy, ForecastDay, WeatherUnavailable, parse_window
from controller.agronomy.weather import counter_increase
from controller.clock import VirtualClock
from controller.config.site import ConfigError, SiteConfig, ZoneConfig, apply_overrides, load_site
from controller.store import RunSource, RunState, Store
from drivers.reading import Quality, Reading
from models.crops import crop, root_depth_m
from models.soils import SoilProfile, texture
from tests.helpers.agronomy import (  # noqa: F401 - day1_clock, day1_store: fixtures
    DAY1,
    day1_clock,
    day1_store,
    local,
    seed_balance,
)
from tests.helpers.said import said_in_english
from tests.helpers.site import DEMO_SITE


def temperature(hour: int) -> float:
    """12 °C at 03:00, 28 °C at 15:00 local."""
    return 20.0 - 8.0 * math.cos(2 * math.pi * (hour - 3) / 24)


def rh(hour: int) -> float:
    return 80.0 - 30.0 * (temperature(hour) - 12.0) / 16.0


@pytest.fixture
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def agro(site: SiteConfig, store: Store, clock: VirtualClock) -> Agronomy:
    return Agronomy(site, store, clock)


def weather_day(
    store: Store,
    date: dt.date,
    *,
    hours: range = range(24),
    rain_counter: dict[int, float] | None = None,
    base: float = 100.0,
) -> None:
    """One reading per point per hour at hh:00 local; the rain counter holds ``base`` unless
    ``rain_counter`` gives its value from that hour on."""
    counter = base
    readings = []
    for h in hours:
        t = local(date, h)
        if rain_counter and h in rain_counter:
            counter = rain_counter[h]
        for point, value, unit in (
            ("air_temperature", temperature(h), "°C"),
            ("humidity", rh(h), "%"),
            ("wind_speed", 2.0, "m/s"),
            ("rain", counter, "mm"),
        ):
            readings.append(Reading("wx1", point, value, unit, Quality.OK, t))
    # a flagged reading never counts
    readings.append(
        Reading(
            "wx1",
            "air_temperature",
            None,
            "°C",
            Quality.OUT_OF_RANGE,
            local(date, 0.5),
            decoded=99.0,
        )
    )
    store.add_readings(readings)
    store.flush()


def probes(store: Store, zone: int, date: dt.date, theta_pct: float) -> None:
    store.add_readings(
        Reading(f"probe{zone}{ab}", "moisture", theta_pct, "%", Quality.OK, local(date, h))
        for ab in "ab"
        for h in range(0, 24, 2)
    )
    store.flush()


# -- weather ------------------------------------------------------------------------------------


def test_counter_increase_ignores_resets() -> None:
    assert counter_increase([100, 100, 101.5, 0.0, 0.5, 0.5]) == pytest.approx(2.0)


def test_daily_weather_extremes_rain_counter_and_coverage(agro: Agronomy, store: Store) -> None:
    weather_day(store, DAY1, rain_counter={10: 101.5, 12: 0.0, 14: 0.5})
    w = agro.weather_day(DAY1)
    assert w.tmax_c == pytest.approx(28.0)
    assert w.tmin_c == pytest.approx(12.0)  # the flagged 99 °C is not used
    assert (w.rh_max_pct, w.rh_min_pct) == (pytest.approx(80.0), pytest.approx(50.0))
    assert w.wind_2m_m_s == pytest.approx(2.0)
    assert w.rain_mm == pytest.approx(2.0)  # 1.5 mm, a reset, then 0.5 mm
    assert w.missing == ()
    weather_day(store, DAY1 + dt.timedelta(days=1), hours=range(6, 16))
    short = agro.weather_day(DAY1 + dt.timedelta(days=1))
    assert short.tmax_c is None and "air_temperature" in short.missing
    assert "air_temperature (10 of 24 h)" in short.describe_missing()


def fao56_et0(
    tmax: float,
    tmin: float,
    rh_max: float,
    rh_min: float,
    u2: float,
    date: dt.date,
    lat_deg: float,
    elev_m: float,
    krs: float = 0.16,
) -> float:
    """FAO-56 eq. 6 by hand, Rs from the temperature range (eq. 50, ``krs``)."""
    j = date.timetuple().tm_yday
    phi = math.radians(lat_deg)
    dr = 1 + 0.033 * math.cos(2 * math.pi * j / 365)  # eq. 23
    delta = 0.409 * math.sin(2 * math.pi * j / 365 - 1.39)  # eq. 24
    ws = math.acos(-math.tan(phi) * math.tan(delta))  # eq. 25
    ra = (
        24
        * 60
        / math.pi
        * 0.0820
        * dr
        * (ws * math.sin(phi) * math.sin(delta) + math.cos(phi) * math.cos(delta) * math.sin(ws))
    )
    rs = krs * math.sqrt(tmax - tmin) * ra  # eq. 50
    rso = (0.75 + 2e-5 * elev_m) * ra  # eq. 37
    e0 = lambda t: 0.6108 * math.exp(17.27 * t / (t + 237.3))  # noqa: E731  eq. 11
    es = (e0(tmax) + e0(tmin)) / 2
    ea = (e0(tmin) * rh_max / 100 + e0(tmax) * rh_min / 100) / 2  # eq. 17
    rnl = (
        4.903e-9
        * ((tmax + 273.16) ** 4 + (tmin + 273.16) ** 4)
        / 2
        * (0.34 - 0.14 * math.sqrt(ea))
        * (1.35 * rs / rso - 0.35)
    )  # eq. 39
    rn = 0.77 * rs - rnl
    p = 101.3 * ((293 - 0.0065 * elev_m) / 293) ** 5.26  # eq. 7
    gamma = 0.665e-3 * p
    t = (tmax + tmin) / 2
    slope = 4098 * e0(t) / (t + 237.3) ** 2  # eq. 13
    return (0.408 * slope * rn + gamma * 900 / (t + 273) * u2 * (es - ea)) / (
        slope + gamma * (1 + 0.34 * u2)
    )


def test_et0_matches_a_hand_computed_fao56_value(
    agro: Agronomy, store: Store, site: SiteConfig
) -> None:
    weather_day(store, DAY1)
    et0 = agro.et0_day(DAY1)
    want = fao56_et0(
        28.0, 12.0, 80.0, 50.0, 2.0, DAY1, site.site.latitude_deg, site.site.elevation_m
    )
    assert et0.et0_mm == pytest.approx(want, abs=0.05)
    assert not et0.estimated
    assert "Rs from temperature range (eq. 50, krs 0.16)" in et0.procedure


def test_et0_takes_the_krs_an_admin_sets_and_forgets_the_days_it_had(
    agro: Agronomy, store: Store, site: SiteConfig, clock: VirtualClock
) -> None:
    weather_day(store, DAY1)
    clock.set(local(DAY1 + dt.timedelta(days=2), 12))  # DAY1 closed: its ET0 is remembered
    before = agro.et0_day(DAY1).et0_mm
    agro.site = apply_overrides(site, {"site": {"krs": 0.148}})
    et0 = agro.et0_day(DAY1)
    want = fao56_et0(
        28.0, 12.0, 80.0, 50.0, 2.0, DAY1, site.site.latitude_deg, site.site.elevation_m, 0.148
    )
    assert et0.et0_mm == pytest.approx(want, abs=0.05)
    assert et0.et0_mm < before
    assert "eq. 50, krs 0.148" in et0.procedure
    with pytest.raises(ConfigError, match=r"site\.latitude_deg: not editable"):
        apply_overrides(site, {"site": {"latitude_deg": 10.0}})  # krs only


# -- water balance --------------------------------------------------------------------------------


def test_balance_advances_closes_and_applies_a_finished_run(
    agro: Agronomy, store: Store, clock: VirtualClock
) -> None:
    for d in range(3):
        weather_day(store, DAY1 + dt.timedelta(days=d))
    rows = agro.close_day(DAY1)
    z1 = next(r for r in rows if r.zone == "z1")
    assert z1.dr_start_mm == 0.0 and "started from field capacity" in z1.notes
    assert z1.dr_end_mm == pytest.approx(z1.dr_start_mm + z1.eta_mm, abs=1e-9)
    assert z1.kc < crop("seed_corn").kc_mid and "mulch factor 0.85" in z1.method
    # a run of z1 on day 2 ends at 22:00 having applied 250 m³ (15 mm on 25 mu)
    clock.set(local(DAY1 + dt.timedelta(days=1), 20))
    run = store.plan_run("z1", RunSource.PLAN, 120)
    assert run.id is not None
    store.start_run(run.id)
    clock.set(local(DAY1 + dt.timedelta(days=1), 22))
    store.finish_run(run.id, RunState.DONE, "completed", applied_m3=250.0)
    day2 = {r.zone: r for r in agro.close_day(DAY1 + dt.timedelta(days=1))}
    assert day2["z1"].dr_start_mm == pytest.approx(z1.dr_end_mm)
    assert day2["z1"].irrigation_mm == pytest.approx(15.0)
    assert day2["z2"].irrigation_mm == 0.0
    net = 15.0 * 0.9
    want = max(z1.dr_end_mm - net + day2["z1"].eta_mm + day2["z1"].deep_percolation_mm, 0.0)
    assert day2["z1"].dr_end_mm == pytest.approx(want, abs=1e-9)


def test_probes_pull_dr_towards_them_and_the_correction_is_recorded(
    agro: Agronomy, store: Store, site: SiteConfig
) -> None:
    day2 = DAY1 + dt.timedelta(days=1)
    weather_day(store, DAY1)
    weather_day(store, day2)
    agro.close_day(DAY1)  # the balance starts without probes: field capacity
    probes(store, 1, day2, 15.0)  # dry: loam θfc 0.25
    rows = {r.zone: r for r in agro.close_day(day2)}
    zone = site.zones[0]
    c = crop(zone.crop)
    soil = SoilProfile.uniform(texture(zone.soil), c.root_depth_max_m)
    zr = root_depth_m(c, (day2 - zone.planting_date).days)
    observed = min((soil.field_capacity_mm(0, zr) - 150.0 * zr), soil.taw_mm(zr))
    model_dr = rows["z2"].dr_end_mm  # same soil, crop and planting, no probes read
    assert rows["z1"].probe_correction_mm == pytest.approx(0.5 * (observed - model_dr))
    assert rows["z1"].dr_end_mm == pytest.approx(model_dr + 0.5 * (observed - model_dr))
    assert "weight 0.5" in rows["z1"].notes and "no good probe reading" in rows["z2"].notes


def test_update_today_adds_revisions_of_a_partial_day(
    agro: Agronomy, store: Store, clock: VirtualClock
) -> None:
    for d in range(3):
        weather_day(store, DAY1 + dt.timedelta(days=d))
    day3 = DAY1 + dt.timedelta(days=3)
    weather_day(store, day3, hours=range(12))
    agro.close_day(day3 - dt.timedelta(days=1))
    first = {r.zone: r for r in agro.update_today(local(day3, 6))}
    second = {r.zone: r for r in agro.update_today(local(day3, 12))}
    assert second["z1"].revision == first["z1"].revision + 1
    assert second["z1"].et0_mm == pytest.approx(2 * first["z1"].et0_mm)
    assert second["z1"].notes.startswith("partial day to 12:00")
    final = {r.zone: r for r in agro.close_day(day3)}  # station silent after noon: estimate
    assert final["z1"].revision == second["z1"].revision + 1
    assert "estimated" in final["z1"].method


def test_offline_station_gives_an_estimate_and_an_event(agro: Agronomy, store: Store) -> None:
    for d in range(3):
        weather_day(store, DAY1 + dt.timedelta(days=d))
    offline = DAY1 + dt.timedelta(days=3)
    agro.close_day(DAY1)
    rows = agro.close_day(offline)  # catches up the two days before, then the silent day
    assert sorted({r.date for r in rows}) == [DAY1 + dt.timedelta(days=d) for d in (1, 2, 3)]
    silent = [r for r in rows if r.date == offline]
    assert len(silent) == 4
    measured = [agro.et0_day(DAY1 + dt.timedelta(days=d)).et0_mm for d in range(3)]
    assert silent[0].et0_mm == pytest.approx(sum(measured) / 3)
    assert "estimated: mean of measured ET0 of 3 recent days" in silent[0].method
    assert "rain not measured" in silent[0].notes
    events = [e for e in store.events() if e.code == "agronomy_weather_missing"]
    assert len(events) == 1 and str(offline) in events[0].message


def test_no_weather_at_all_is_an_event_not_a_crash(agro: Agronomy, store: Store) -> None:
    assert agro.close_day(DAY1) == []
    assert {e.code for e in store.events()} == {"agronomy_balance_failed"}
    runs = agro.plan_all(local(DAY1, 18))
    assert {r.zone for r in runs} == {"z4"}  # the calendar zone needs no weather
    # said once, by the balance: with no day ever balanced the ET plan cannot exist yet
    assert {e.code for e in store.events()} == {"agronomy_balance_failed"}


# -- planning -------------------------------------------------------------------------------------


def test_parse_window_wraps_midnight() -> None:
    assert parse_window("20:00-08:00") == (1200, 480)


@pytest.fixture
def planned_week(agro: Agronomy, store: Store, site: SiteConfig) -> dt.date:
    """Three measured days, z1 depleted past RAW (0.7 TAW) and z2 full at the end of the last."""
    for d in range(4):
        weather_day(store, DAY1 + dt.timedelta(days=d))
    day = DAY1 + dt.timedelta(days=3)
    seed_balance(store, site, "z1", day, 0.7)
    seed_balance(store, site, "z2", day, 0.0)
    seed_balance(store, site, "z3", day, 0.1)
    return day


def test_plan_triggers_the_depleted_zone_not_the_fresh_one(
    agro: Agronomy, store: Store, planned_week: dt.date
) -> None:
    runs = agro.plan_all(local(planned_week, 18))
    assert {r.zone for r in runs} == {"z1"}  # a long refill may continue in a second run
    run = runs[0]
    # The window opens at 20:00, but the demo's valley tariff starts at 23:00 and the zone
    # may wait that long (within the planner's deferral limit).
    assert run.start == local(planned_week, 23)
    assert 0 < run.duration_min <= 240 and run.source is RunSource.PLAN
    decisions = {d.zone: d for d in store.decisions()}
    assert decisions["z1"].id == run.decision_id and decisions["z1"].action == "irrigate"
    assert "depletion" in decisions["z1"].reason and "trigger" in decisions["z1"].reason
    assert decisions["z2"].action == "skip" and "no irrigation" in decisions["z2"].reason
    # no forecast: the decision says the recent measured ET0 was used
    assert "from the mean of the last 3 days (no forecast)" in decisions["z1"].reason
    assert decisions["z1"].inputs["et0_source"] == "recent_mean"
    assert decisions["z1"].inputs["tariff"][0] == {"period": "23:00-07:00", "price_per_kwh": 0.26}
    assert decisions["z1"].inputs["dr_now_mm"] > 0
    assert decisions["z4"].mode == "calendar"


def test_plan_with_a_forecast_uses_it(agro: Agronomy, store: Store, planned_week: dt.date) -> None:
    forecast = [ForecastDay(planned_week + dt.timedelta(days=d), 6.0, 0.0) for d in range(9)]
    agro.plan_all(local(planned_week, 18), forecast=forecast)
    z1 = next(d for d in store.decisions() if d.zone == "z1")
    assert z1.inputs["et0_source"] == "forecast" and "no forecast" not in z1.reason


def test_rain_in_the_last_24h_skips(agro: Agronomy, store: Store, planned_week: dt.date) -> None:
    weather_day(
        store, planned_week + dt.timedelta(days=1), hours=range(12), rain_counter={3: 108.0}
    )
    runs = agro.plan_all(local(planned_week + dt.timedelta(days=1), 12))
    assert all(r.zone == "z4" for r in runs)
    z1 = next(d for d in store.decisions() if d.zone == "z1")
    assert z1.action == "skip" and "8.0 mm rain in the last 24 h" in z1.reason


def test_calendar_zone_follows_the_baseline_dates(agro: Agronomy, store: Store) -> None:
    for d in range(3):
        weather_day(store, DAY1 - dt.timedelta(days=d + 1))
    runs = [r for r in agro.plan_all(local(DAY1, 18)) if r.zone == "z4"]
    assert runs and all(r.source is RunSource.CALENDAR for r in runs)
    assert runs[0].start == local(DAY1, 20)
    assert all(r.duration_min <= 240 for r in runs)
    assert sum(r.duration_min for r in runs) == pytest.approx(720)  # the 12 h window
    z4 = next(d for d in store.decisions() if d.zone == "z4")
    assert "calendar event of 2026-06-01: 90 m³/mu" in z4.reason
    assert "m³ not applied" in z4.reason  # 2250 m³ at 100 m³/h does not fit one night
    assert z4.inputs["reasons"] == ["calendar_irrigate", "calendar_window_short"]
    assert z4.reason == f"z4: {said_in_english(z4.inputs)}"  # the codes say the record
    again = agro.plan_all(local(DAY1, 19))  # planned once a day, not twice
    assert all(r.zone != "z4" for r in again)
    planned = store.decisions("z4")[-1]
    assert "already planned" in planned.reason
    assert planned.reason == f"z4: {said_in_english(planned.inputs)}"
    later = agro.plan_all(local(DAY1 + dt.timedelta(days=1), 18))
    assert all(r.zone != "z4" for r in later)
    last = store.decisions("z4")[-1]
    assert last.action == "skip" and "next 2026-06-20" in last.reason
    assert last.inputs["reason"] == "calendar_no_event"
    assert last.reason == f"z4: {said_in_english(last.inputs)}"


def test_sensor_mode_starts_below_the_moisture_at_raw(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    text = DEMO_SITE.read_text(encoding="utf-8").replace(
        'max_run_min = 240\nmode = "calendar"', 'max_run_min = 240\nmode = "sensor"'
    )
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    sensor_site = load_site(path)
    agro = Agronomy(sensor_site, store, clock)
    seed_balance(store, sensor_site, "z4", DAY1, 0.6)  # the balance sees a need too
    now = local(DAY1, 18)
    store.add_readings(
        Reading(f"probe4{ab}", "moisture", 14.0, "%", Quality.OK, now - dt.timedelta(minutes=30))
        for ab in "ab"
    )
    store.flush()
    runs = [r for r in agro.plan_all(now) if r.zone == "z4"]
    assert len(runs) == 1 and runs[0].start == local(DAY1, 20)
    z4 = next(d for d in store.decisions() if d.zone == "z4")
    assert z4.mode == "sensor" and "probe moisture 14.0 % vs moisture at RAW" in z4.reason
    assert z4.inputs["theta_raw_pct"] > 14.0
    assert z4.inputs["reason"] == "sensor_irrigate"
    assert z4.reason == f"z4: {said_in_english(z4.inputs)}"  # the codes say the record


def test_a_manual_zone_records_why_it_has_no_plan(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    text = DEMO_SITE.read_text(encoding="utf-8").replace(
        'max_run_min = 240\nmode = "calendar"', 'max_run_min = 240\nmode = "manual"'
    )
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    agro = Agronomy(load_site(path), store, clock)
    assert [r for r in agro.plan_all(local(DAY1, 18)) if r.zone == "z4"] == []
    (z4,) = store.decisions("z4")
    assert z4.action == "skip" and z4.inputs["reasons"] == ["manual"]
    assert z4.reason == f"z4: {said_in_english(z4.inputs)}"


def test_zone_mad_fraction_replaces_the_crop_p(
    store: Store, clock: VirtualClock, site: SiteConfig, planned_week: dt.date
) -> None:
    """z1 at 0.7 TAW is past the crop's p but not past a zone MAD of 0.8: it waits; z3 at
    0.35 TAW is past a zone MAD of 0.3 (well below the crop's p): it is watered now."""
    seed_balance(store, site, "z3", planned_week, 0.35)
    tuned = apply_overrides(
        site, {"zones": {"z1": {"mad_fraction": 0.8}, "z3": {"mad_fraction": 0.3}}}
    )
    agro = Agronomy(tuned, store, clock)
    runs = agro.plan_all(local(planned_week, 18))
    night_end = local(planned_week + dt.timedelta(days=1), 8)
    first_night = {r.zone for r in runs if r.start < night_end}
    assert first_night == {"z3"}
    decisions = {d.zone: d for d in store.decisions()}
    assert decisions["z3"].inputs["mad_source"] == "zone setting"
    assert decisions["z3"].inputs["raw_mm_day0"] == pytest.approx(
        0.3 * decisions["z3"].inputs["taw_mm"], rel=1e-6
    )
    assert decisions["z2"].inputs["mad_source"] == "crop stages"


def test_a_settling_days_et0_model_runs_again_only_when_its_weather_changed(
    agro: Agronomy, store: Store, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import controller.agronomy.jobs as jobs

    weather_day(store, DAY1, hours=range(20))
    runs: list[object] = []
    real = jobs.et0_daily
    monkeypatch.setattr(jobs, "et0_daily", lambda **kw: runs.append(kw) or real(**kw))
    clock.set(local(DAY1 + dt.timedelta(days=1), 0.2))  # the close: inside the margin
    first = agro.measured_et0(DAY1)
    assert agro.measured_et0(DAY1) is first and len(runs) == 1  # read again, same weather
    weather_day(store, DAY1, hours=range(20, 24))  # late readings of the day arrive
    clock.set(local(DAY1 + dt.timedelta(days=1), 0.5))
    late = agro.measured_et0(DAY1)
    assert len(runs) == 2 and late.weather != first.weather
    clock.set(local(DAY1 + dt.timedelta(days=1), 1.5))  # closed: same weather, kept from now on
    closed = agro.measured_et0(DAY1)
    assert closed is late and agro.measured_et0(DAY1) is late and len(runs) == 2


def test_closed_days_et0_is_computed_once_the_open_day_every_time(
    agro: Agronomy, store: Store, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    weather_day(store, DAY1)
    asked: list[dt.date] = []
    real = agro.weather_day
    monkeypatch.setattr(agro, "weather_day", lambda d: asked.append(d) or real(d))
    clock.set(local(DAY1, 23))  # the day is still open: every ask reads the store
    first = agro.measured_et0(DAY1)
    assert agro.measured_et0(DAY1).et0_mm == first.et0_mm and asked == [DAY1, DAY1]
    clock.set(local(DAY1 + dt.timedelta(days=1), 0.5))  # ended, but readings may be in flight
    agro.measured_et0(DAY1)
    assert len(asked) == 3
    clock.set(local(DAY1 + dt.timedelta(days=1), 1.5))  # closed: computed once more, then kept
    closed = agro.measured_et0(DAY1)
    assert agro.measured_et0(DAY1) is closed and len(asked) == 4
    assert closed.et0_mm == pytest.approx(first.et0_mm)
    # a closed day without weather is refused every time, from memory, with the same reason
    empty = DAY1 - dt.timedelta(days=5)
    with pytest.raises(WeatherUnavailable) as one:
        agro.measured_et0(empty)
    with pytest.raises(WeatherUnavailable) as two:
        agro.measured_et0(empty)
    assert str(one.value) == str(two.value) and asked.count(empty) == 1


@pytest.mark.parametrize("year", [1970, 2038, 2099])
def test_calendar_plans_nothing_on_june_1_of_another_season(
    site: SiteConfig, tmp_path: Path, year: int
) -> None:
    """The calendar's June 1 is June 1 of the season sown on the planting date (2026 here)."""
    clock = VirtualClock(local(dt.date(year, 6, 1), 18))
    with Store(f"sqlite:///{tmp_path / f'{year}.db'}", clock=clock) as store:
        runs = Agronomy(site, store, clock).plan_all()
        assert [r for r in runs if r.zone == "z4"] == []
        (z4,) = store.decisions("z4")
        assert z4.action == "skip"
        expected = "not planted until" if year < 2026 else "none left this season"
        assert expected in z4.reason
        assert z4.reason == f"z4: {said_in_english(z4.inputs)}"


def test_calendar_does_not_plan_the_day_twice_after_a_backward_step(
    agro: Agronomy, store: Store, clock: VirtualClock
) -> None:
    for d in range(3):
        weather_day(store, DAY1 - dt.timedelta(days=d + 1))
    clock.set(local(DAY1, 19))
    assert [r for r in agro.plan_all() if r.zone == "z4"]
    clock.step(-3600)  # NTP: it was 18:00; the decision now carries a later time than now
    assert [r for r in agro.plan_all() if r.zone == "z4"] == []
    latest = max(store.decisions("z4"), key=lambda d: d.id or 0)  # by time it sorts first
    assert "already planned" in latest.reason


def test_et_and_sensor_zones_are_not_watered_after_harvest(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    """Past the crop's season (planting + its stage days) the balance would keep Kc end and
    water on; the planner records "harvested" instead. On the season's last day it plans."""
    agro = Agronomy(site, store, clock)
    grown = [z for z in site.zones if z.mode in ("et", "sensor")]
    assert grown, "the demo site has no et or sensor zone: the test would prove nothing"

    def last_day_of(z: ZoneConfig) -> dt.date:
        return z.planting_date + dt.timedelta(days=crop(z.crop).season_days - 1)

    last_day = max(last_day_of(z) for z in grown)
    harvest = last_day + dt.timedelta(days=1)
    for d in range(0, 4):
        weather_day(store, harvest - dt.timedelta(days=d + 1))
    latest_zone = next(z for z in grown if last_day_of(z) == last_day)
    clock.set(local(last_day, 19))
    agro.plan_all()
    decision = max(store.decisions(latest_zone.name), key=lambda d: d.id or 0)
    assert "harvested" not in decision.reason
    clock.set(local(harvest, 19))
    runs = agro.plan_all()
    assert not [r for r in runs if r.zone in {z.name for z in grown}]
    for z in grown:
        latest = max(store.decisions(z.name), key=lambda d: d.id or 0)
        assert latest.action == "skip"
        assert "harvested" in latest.reason
        assert latest.inputs["season_days"] == crop(z.crop).season_days
        assert latest.inputs["reason"] == "harvested"
        assert latest.reason == f"{z.name}: {said_in_english(latest.inputs)}"


def test_no_weather_alarm_before_planting_or_before_the_first_closed_day(
    agro: Agronomy, store: Store, site: SiteConfig
) -> None:
    """Before any zone is planted nothing is balanced; on the first day (no day closed yet)
    there cannot be an ET0 of the days before: neither is a missing-weather alarm."""
    first_planting = min(z.planting_date for z in site.zones)
    winter = first_planting - dt.timedelta(days=40)
    assert agro.update_today(local(winter, 10)) == []
    weather_day(store, DAY1)  # the station's first day
    assert agro.update_today(local(DAY1, 10)) == []
    assert [e for e in store.events() if e.code == "agronomy_weather_missing"] == []
    # a day closed, then three silent days and no station: now it is missing weather
    agro.close_day(DAY1)
    assert store.last_water_balance("z1", DAY1, DAY1) is not None
    later = DAY1 + dt.timedelta(days=5)
    assert agro.update_today(local(later, 10)) == []
    events = [e for e in store.events() if e.code == "agronomy_weather_missing"]
    assert len(events) == 1 and "today's balance not updated" in events[0].message
    agro.plan_all(local(later, 18))
    failed = [e for e in store.events() if e.code == "agronomy_plan_failed"]
    assert len(failed) == 1 and "no ET plan" in failed[0].message


def test_an_et_run_never_overlaps_a_calendar_run_past_the_pump_capacity(
    agro: Agronomy, planned_week: dt.date, site: SiteConfig
) -> None:
    """The calendar zone z4 (100 m³/h) is due the same night as the depleted z1 (100 m³/h) on
    a 120 m³/h pump: the ET plan gives the calendar run its flow and starts z1 after it."""
    agro.planning.calendar = (
        CalendarEvent(planned_week.month, planned_week.day, volume_m3_per_mu=16.0),
    )
    runs = agro.plan_all(local(planned_week, 18))
    assert {r.zone for r in runs} == {"z1", "z4"}
    flow = {z.name: z.nominal_flow_m3_h for z in site.zones}
    edges = sorted(
        {t for r in runs for t in (r.start, r.start + dt.timedelta(minutes=r.duration_min))}
    )
    for t in edges:
        running = [r for r in runs if r.start <= t < r.start + dt.timedelta(minutes=r.duration_min)]
        assert sum(flow[r.zone] for r in running) <= site.head.pump_capacity_m3_h, (t, running)
    (calendar_run,) = [r for r in runs if r.zone == "z4"]
    first_et = min(r.start for r in runs if r.zone == "z1")
    assert first_et >= calendar_run.start + dt.timedelta(minutes=calendar_run.duration_min)
