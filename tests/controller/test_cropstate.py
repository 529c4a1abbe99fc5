"""The crop state: calendar, degree days from the station, observations that re-anchor it, and
the balance taking its Kc from it (a real store, the demo site: seed corn sown 20 Apr)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy import jobs
from controller.agronomy.jobs import Agronomy
from controller.clock import VirtualClock
from controller.config.site import ConfigError, SiteConfig, ZoneConfig, apply_overrides, load_site
from controller.daemon.cropdesk import CropDesk
from controller.daemon.protocol import ObservationRefused
from controller.store import CropObservation, Store, StoreError
from models.crops.phenology import SEED_MAIZE_GDD, Stage
from tests.helpers.agronomy import DAY1, local, seed_balance, weather_day
from tests.helpers.site import DEMO_SITE

SOWN = dt.date(2026, 4, 20)  # z1


@pytest.fixture
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(local(DAY1, 6))


@pytest.fixture
def store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock)
    yield s
    s.close()


def _zone(site: SiteConfig, name: str = "z1") -> ZoneConfig:
    return next(z for z in site.zones if z.name == name)


def _seen(store: Store, stage: str, on: dt.date, zone: str = "z1") -> None:
    store.add_crop_observation(
        CropObservation(zone=zone, stage=stage, observed_on=on, entered_by="li")
    )


def test_without_observations_a_calendar_zone_keeps_the_days_after_planting(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    for k in range(7):  # temperatures alone do not move a calendar zone
        weather_day(store, DAY1 - dt.timedelta(days=k + 1))
    state = Agronomy(site, store, clock).crop_state(_zone(site), DAY1)
    assert (state.source, state.crop_day, state.days_after_planting) == ("calendar", 42.0, 42)
    assert (state.stage, state.day_in_stage) == ("development", 12.0)  # seed corn ini 30 d
    assert state.sentence() == "Kc from the calendar: FAO-56 development day 12"


def test_an_observation_reanchors_and_degree_days_move_it_on(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    # emergence seen on 10 May (day 20; the calendar has it on day 12): the crop is late
    _seen(store, "VE", dt.date(2026, 5, 10))
    agro = Agronomy(site, store, clock)
    # no temperatures: one calendar day a day from VE's position (12) → 12 + 22 = 34
    state = agro.crop_state(_zone(site), DAY1)
    assert (state.source, state.anchor, state.anchor_date) == (
        "observation",
        "VE",
        dt.date(2026, 5, 10),
    )
    assert state.crop_day == pytest.approx(34.0)
    # now the last 3 days measured: 12-28 °C, (28 + 12) / 2 − 10 = 10 °C·d a day
    for k in range(3):
        weather_day(store, DAY1 - dt.timedelta(days=k + 1))
    state = Agronomy(site, store, clock).crop_state(_zone(site), DAY1)
    # 29 May starts at 12 + 19 = 31 (d), between V6 (28 d) and jointing (35 d): 30 °C·d at
    # that segment's 7 d per 55 °C·d, short of jointing
    v6, joint = SEED_MAIZE_GDD[Stage.V6], SEED_MAIZE_GDD[Stage.JOINTING]
    assert 31.0 + 30.0 * 7.0 / (joint - v6) < 35.0
    assert state.crop_day == pytest.approx(31.0 + 30.0 * 7.0 / (joint - v6))
    assert state.gdd_degc_day == pytest.approx(30.0)
    assert state.sentence().startswith("Kc from the observed VE on 2026-05-10 + degree days")


def test_the_balance_takes_its_kc_from_the_observed_crop(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    weather_day(store, DAY1)
    clock.set(local(DAY1 + dt.timedelta(days=1), 2))
    agro = Agronomy(site, store, clock)
    calendar_row = agro.balance_day(_zone(site), DAY1, agro.et0_day(DAY1))
    _seen(store, "VE", dt.date(2026, 5, 20))  # 30 days after sowing: very late
    late_row = agro.balance_day(_zone(site), DAY1, agro.et0_day(DAY1))
    assert "Kc from the observed VE on 2026-05-20" in late_row.notes
    assert "Kc from" not in calendar_row.notes
    # day 42 of the calendar is well into development; the late crop is still initial
    assert late_row.kc < calendar_row.kc
    assert late_row.taw_mm < calendar_row.taw_mm  # and its roots shallower


def test_observations_out_of_order_leave_the_calendar_in_charge(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    _seen(store, "V6", dt.date(2026, 5, 15))
    _seen(store, "VE", dt.date(2026, 5, 20))  # stored by hand, never accepted by the API
    state = Agronomy(site, store, clock).crop_state(_zone(site), DAY1)
    assert (state.source, state.crop_day) == ("calendar", 42.0)
    assert "V6 on 2026-05-15: before VE on 2026-05-20" in state.note


def test_gdd_zone_follows_the_station_from_sowing(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    gdd_site = apply_overrides(site, {"zones": {"z1": {"crop_clock": "gdd"}}})
    for k in range(42):
        weather_day(store, SOWN + dt.timedelta(days=k))
    state = Agronomy(gdd_site, store, clock).crop_state(_zone(gdd_site), DAY1)
    assert state.source == "gdd"
    assert state.gdd_degc_day == pytest.approx(420.0)  # 42 days × 10 °C·d
    # 420 °C·d: past jointing (225 °C·d, crop day 35), toward tasselling (700, day 83)
    joint, vt = SEED_MAIZE_GDD[Stage.JOINTING], SEED_MAIZE_GDD[Stage.TASSELING]
    assert state.crop_day == pytest.approx(35.0 + (420.0 - joint) * 48.0 / (vt - joint))


def test_stages_observed_against_predicted(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    _seen(store, "VE", dt.date(2026, 5, 10))
    agro = Agronomy(site, store, clock)
    stages = {s.stage: s for s in agro.crop_clock.stages(_zone(site), DAY1)}
    # VE predicted from sowing alone (the calendar: day 12), observed 8 days later
    assert stages[Stage.VE].predicted_on == SOWN + dt.timedelta(days=12)
    assert stages[Stage.VE].observed_on == dt.date(2026, 5, 10)
    # V6 from the observed VE: 16 calendar days on (no temperatures)
    assert stages[Stage.V6].predicted_on == dt.date(2026, 5, 26)
    assert stages[Stage.V6].predicted_by == "observation"
    assert stages[Stage.V6].observed_on is None


def test_gdd_needs_maize_and_a_station(site: SiteConfig) -> None:
    with pytest.raises(ConfigError, match=r"zones\[0\]\.crop_clock: 'gdd' needs a maize crop"):
        apply_overrides(site, {"zones": {"z1": {"crop": "tomato", "crop_clock": "gdd"}}})


def test_the_decision_says_where_its_kc_came_from(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    for d in range(4):
        weather_day(store, DAY1 + dt.timedelta(days=d))
    day = DAY1 + dt.timedelta(days=3)
    seed_balance(store, site, "z1", day, 0.7)
    seed_balance(store, site, "z2", day, 0.7)
    _seen(store, "V6", dt.date(2026, 5, 30))  # z1: the crop is 17 days behind its calendar
    clock.set(local(day, 18))
    Agronomy(site, store, clock).plan_all(local(day, 18))
    decisions = {d.zone: d for d in store.decisions()}
    late, on_time = decisions["z1"], decisions["z2"]
    assert "Kc from the observed V6 on 2026-05-30 + degree days" in late.reason
    assert late.inputs["kc_source"] == "observation" and late.inputs["anchor"] == "V6"
    assert on_time.inputs["kc_source"] == "calendar" and "Kc from" not in on_time.reason
    # z1 is back in early development, z2 well into it: a lower Kc over the whole horizon
    assert late.inputs["crop_day"] < on_time.inputs["crop_day"] == 45.0
    assert all(a < b for a, b in zip(late.inputs["kc"], on_time.inputs["kc"], strict=True))


def test_the_season_ends_with_the_crop_not_the_calendar(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    # z1 and z2 sown on 20 Apr: the calendar's 153 days end on 19 Sep
    day = dt.date(2026, 9, 19)
    for d in range(3):
        weather_day(store, day - dt.timedelta(days=d + 1))
    seed_balance(store, site, "z1", day - dt.timedelta(days=1), 0.7)
    # z1 late: milk (crop day 108) seen 18 days ago, z2 early: maturity (145) 9 days ago; one
    # calendar day a day, then the 3 measured days at 10 °C·d, 37 d per 330 °C·d after milk
    _seen(store, "milk", dt.date(2026, 9, 1), zone="z1")
    _seen(store, "maturity", dt.date(2026, 9, 10), zone="z2")
    rate = 37.0 / (SEED_MAIZE_GDD[Stage.MATURITY] - SEED_MAIZE_GDD[Stage.MILK])
    clock.set(local(day, 18))
    Agronomy(site, store, clock).plan_all(local(day, 18))
    decisions = {d.zone: d for d in store.decisions()}
    assert "harvested" not in decisions["z1"].reason  # still growing: still watered
    assert decisions["z1"].inputs["crop_day"] == pytest.approx(108 + 15 + 30 * rate, abs=0.01)
    assert 145 + 6 + 30 * rate > 153
    assert decisions["z2"].reason.startswith(
        "z2: harvested: the crop reached the end of its season (crop day 154 of 153; "
        "Kc from the observed maturity on 2026-09-10"
    )
    assert decisions["z2"].action == "skip"


def test_stages_are_recorded_for_maize_only(
    site: SiteConfig, store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    tomato = apply_overrides(site, {"zones": {"z1": {"crop": "tomato"}}})
    agro = Agronomy(tomato, store, clock)
    zones = {z.name: z for z in tomato.zones}
    desk = CropDesk(store, agro.crop_clock, lambda: zones, lambda: DAY1, tmp_path)
    with pytest.raises(ObservationRefused, match="zone z1 grows tomato") as refused:
        desk.add("z1", "VE", dt.date(2026, 5, 8), "", None, "li")
    assert refused.value.field == "stage"
    view = desk.view("z1")
    assert view["phenology"] is False and view["stages"] == []
    assert view["today"]["kc_source"] == "calendar"
    made = desk.add("z2", "VE", dt.date(2026, 5, 8), "", None, "li")  # z2 grows seed corn
    assert made.stage == "VE" and store.crop_observations("z1") == []


def test_degree_days_come_from_the_station_without_any_record(
    site: SiteConfig, store: Store, clock: VirtualClock
) -> None:
    """A calendar zone with no stage recorded still counts the station's degree days (it
    said 0 °C·d mid-season); days without temperatures are no data, not 0."""
    state = Agronomy(site, store, clock).crop_clock.shown_state(_zone(site), DAY1)
    assert state.gdd_degc_day is None
    assert (state.gdd_missing, state.gdd_days_measured) == ("no_temperatures", 0)
    assert state.numbers()["gdd_degc_day"] is None
    for k in range(40):  # 40 of the 42 days measured, 10 °C·d each
        weather_day(store, SOWN + dt.timedelta(days=k))
    state = Agronomy(site, store, clock).crop_clock.shown_state(_zone(site), DAY1)
    assert (state.source, state.crop_day) == ("calendar", 42.0)  # the calendar still drives
    assert state.gdd_degc_day == pytest.approx(400.0) and state.gdd_days_measured == 40
    assert state.gdd_missing == "" and state.numbers()["gdd_degc_day"] == pytest.approx(400.0)
    tomato = apply_overrides(site, {"zones": {"z1": {"crop": "tomato"}}})
    other = Agronomy(tomato, store, clock).crop_clock.shown_state(_zone(tomato), DAY1)
    assert (other.gdd_degc_day, other.gdd_missing) == (None, "not_maize")


def test_a_store_failing_to_read_temperatures_does_not_fail_a_calendar_zones_crop_state(
    site: SiteConfig, store: Store, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Kc of a calendar zone without a record does not use the temperatures: the crop
    state the balance and the planner read does not read them; the page's says no data."""

    def unreadable(*_: object, **__: object) -> None:
        raise StoreError("database is locked")

    monkeypatch.setattr(jobs, "hourly_stats", unreadable)
    agro = Agronomy(site, store, clock)
    state = agro.crop_state(_zone(site), DAY1)
    assert (state.source, state.crop_day, state.stage) == ("calendar", 42.0, "development")
    assert (state.gdd_degc_day, state.gdd_missing) == (None, "not_counted")
    shown = agro.crop_clock.shown_state(_zone(site), DAY1)
    assert (shown.crop_day, shown.gdd_degc_day, shown.gdd_missing) == (42.0, None, "unreadable")
