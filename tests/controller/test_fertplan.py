"""The fertigation plan: config checks, recipes by day and area, deferral, done and missed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.fertplan import (
    EventState,
    attach_recipes,
    event_status,
    recipe_for,
    zone_events,
)
from controller.clock import VirtualClock
from controller.config.site import M2_PER_MU, ConfigError, SiteConfig, load_site
from controller.store import RunState, Store
from tests.helpers.fertigation import local, planned, record_run
from tests.helpers.site import DEMO_SITE

# The demo plan: kg per mu per event, from the seed-corn scenario (225 N, 90 P2O5, 60 K2O kg/ha).
N_SPLIT_PCT = [3, 10, 17, 20, 20, 17, 10, 3]


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    clock = VirtualClock(dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    with Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock) as s:
        yield s


# ------------------------------------------------------------------ the plan from the config


def test_demo_plan_is_the_seed_corn_scenario_per_zone_area(site: SiteConfig) -> None:
    events = zone_events(site, "z1")
    assert [e.day for e in events] == [
        dt.date(2026, 4, 20) + dt.timedelta(days=d) for d in (25, 35, 45, 55, 65, 75, 85, 95)
    ]
    area_mu = 25
    n_kg_ha, p_kg_ha, k_kg_ha = 225, 90, 60  # 1 ha = 15 mu
    assert [e.kg["N"] for e in events] == pytest.approx(
        [n_kg_ha / 15 * pct / 100 * area_mu for pct in N_SPLIT_PCT]
    )
    assert sum(e.kg.get("P2O5", 0) for e in events) == pytest.approx(p_kg_ha / 15 * area_mu)
    assert sum(e.kg.get("K2O", 0) for e in events) == pytest.approx(k_kg_ha / 15 * area_mu)
    # z3 was planted two days later: its events follow its own planting date
    assert zone_events(site, "z3")[0].day == dt.date(2026, 5, 17)
    assert events[0].until == dt.date(2026, 5, 20)  # event_window_days = 5


def test_recipe_applies_from_the_event_day_to_the_end_of_its_window(site: SiteConfig) -> None:
    first = dt.date(2026, 5, 15)  # z1 planted 04-20, day 25
    assert recipe_for(site, "z1", first - dt.timedelta(days=1)) is None
    found = recipe_for(site, "z1", first)
    assert found is not None
    event, recipe = found
    assert event.index == 0 and dict(recipe.kg) == {"N": pytest.approx(0.45 * 25)}
    assert recipe_for(site, "z1", first + dt.timedelta(days=5)) is not None
    assert recipe_for(site, "z1", first + dt.timedelta(days=6)) is None
    found = recipe_for(site, "z1", dt.date(2026, 6, 14))  # day 55: N, P2O5 and K2O
    assert found is not None
    assert dict(found[1].kg) == pytest.approx({"N": 75.0, "P2O5": 37.5, "K2O": 25.0})


def test_recipe_scales_with_the_zone_area_in_m2(tmp_path: Path, demo_site_text: str) -> None:
    text = demo_site_text.replace("area_mu = 25\ncrop", "area_m2 = 10000\ncrop", 1)  # 15 mu
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    site = load_site(path)
    assert site.zones[0].area_m2_value / M2_PER_MU == pytest.approx(15)
    found = recipe_for(site, "z1", dt.date(2026, 5, 15))
    assert found is not None and dict(found[1].kg) == {"N": pytest.approx(0.45 * 15)}


def test_a_zone_group_and_a_calendar_date(tmp_path: Path, demo_site_text: str) -> None:
    extra = (
        '\n[[fertigation.events]]\nzones = ["z2"]\ndate = 2026-07-01\n'
        'target_ec_ms_cm = 1.8\ntank = "potash"\n'
    )
    text = demo_site_text.replace("\n[weather]", extra + "\n[weather]", 1)
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    site = load_site(path)
    assert recipe_for(site, "z1", dt.date(2026, 7, 1)) is None
    found = recipe_for(site, "z2", dt.date(2026, 7, 1))
    assert found is not None
    event, recipe = found
    assert event.index == 8 and recipe.target_ec_ms_cm == 1.8 and recipe.tank == "potash"
    assert not recipe.kg


# ------------------------------------------------------------------ attaching to planned runs


def test_a_long_enough_run_on_the_event_day_carries_the_recipe(site: SiteConfig) -> None:
    day = dt.date(2026, 5, 15)
    runs = [planned("z1", local(day, "20:00"), 180), planned("z2", local(day, "23:30"), 90)]
    out = attach_recipes(runs, site, day)
    assert [r.run for r in out] == runs
    assert out[0].recipe is not None and dict(out[0].recipe.kg) == {"N": pytest.approx(11.25)}
    assert out[0].event is not None and out[0].event.index == 0
    assert "carries fertigation event 1 (苗期 (拔节前)) of 2026-05-15" in out[0].note
    # 90 min = prewet 15 + inject 30 + flush 25 + 20: z2 carries its own event too
    assert out[1].recipe is not None and out[1].event is not None and out[1].event.zone == "z2"


def test_a_short_run_cannot_carry_it_and_the_next_run_does(site: SiteConfig) -> None:
    day = dt.date(2026, 5, 15)
    short = planned("z1", local(day, "20:00"), 60)  # < 15 + 30 + 25 min
    (only,) = attach_recipes([short], site, day)
    assert only.recipe is None and only.event is not None and only.event.index == 0
    assert "waits: the run of 60 min is shorter than prewet 15 + inject 30 + flush 25 min" in (
        only.note
    )
    assert "open until 2026-05-20" in only.note
    # Two days later a long run carries the same event; past the window nothing does.
    later = planned("z1", local(day + dt.timedelta(days=2)), 120)
    (carried,) = attach_recipes([later], site, day + dt.timedelta(days=2))
    assert carried.recipe is not None and carried.event is not None and carried.event.index == 0
    too_late = planned("z1", local(day + dt.timedelta(days=6)), 120)
    (water,) = attach_recipes([too_late], site, day + dt.timedelta(days=6))
    assert water.recipe is None and water.event is None and water.note == ""


def test_overlapping_runs_carry_nothing_because_fertigation_runs_alone(
    site: SiteConfig,
) -> None:
    day = dt.date(2026, 5, 15)
    runs = [planned("z1", local(day, "20:00"), 120), planned("z2", local(day, "21:00"), 120)]
    out = attach_recipes(runs, site, day)
    assert [r.recipe for r in out] == [None, None]
    assert "overlaps the run of z2 at 21:00 (a fertigation run runs alone)" in out[0].note
    # the same zone twice: one event, carried once
    runs = [planned("z1", local(day, "20:00"), 120), planned("z1", local(day, "23:00"), 120)]
    out = attach_recipes(runs, site, day)
    assert out[0].recipe is not None and out[1].recipe is None and out[1].note == ""


def test_a_night_run_after_midnight_counts_for_its_own_day(site: SiteConfig) -> None:
    day = dt.date(2026, 5, 14)  # the eve of z1's first event, planned at 18:00
    run = planned("z1", local(day + dt.timedelta(days=1), "02:00"), 120)
    (out,) = attach_recipes([run], site, day)
    assert out.recipe is not None


# ------------------------------------------------------------------ done and missed


def test_done_partial_running_missed_and_upcoming_from_stored_runs(
    site: SiteConfig, store: Store
) -> None:
    record_run(store, "z1", local(dt.date(2026, 5, 16)), {"N": 11.2})  # event 0: done
    record_run(store, "z1", local(dt.date(2026, 5, 27)), None)  # water only
    record_run(store, "z2", local(dt.date(2026, 5, 15)), {"N": 3.0}, RunState.ABORTED)
    record_run(store, "z3", local(dt.date(2026, 5, 18)), {}, RunState.RUNNING)
    runs = store.runs()
    today = dt.date(2026, 6, 1)
    status = {(s.event.zone, s.event.index): s for s in event_status(site, runs, today)}
    assert status["z1", 0].state is EventState.DONE and len(status["z1", 0].run_ids) == 1
    assert status["z1", 1].state is EventState.MISSED  # 05-25..05-30, only water
    assert status["z2", 0].state is EventState.PARTIAL
    assert status["z2", 0].remaining_kg() == {"N": pytest.approx(11.25 - 3.0)}
    assert status["z3", 0].state is EventState.IN_PROGRESS
    assert status["z4", 0].state is EventState.MISSED
    assert status["z1", 2].state is EventState.UPCOMING  # day 45 = 06-04


def test_a_partial_event_gets_the_rest_and_a_done_one_is_not_given_again(
    site: SiteConfig, store: Store
) -> None:
    record_run(store, "z1", local(dt.date(2026, 5, 15)), {"N": 11.25})
    record_run(store, "z2", local(dt.date(2026, 5, 15)), {"N": 5.0}, RunState.ABORTED)
    history = store.runs()
    day = dt.date(2026, 5, 16)
    runs = [planned("z1", local(day, "20:00"), 120), planned("z2", local(day, "23:00"), 120)]
    z1, z2 = attach_recipes(runs, site, day, history=history)
    assert z1.recipe is None and z1.event is None
    assert z2.recipe is not None and dict(z2.recipe.kg) == {"N": pytest.approx(6.25)}
    assert "still to give: N 6.25 kg" in z2.note
    found = recipe_for(site, "z2", day, history)
    assert found is not None and dict(found[1].kg) == {"N": pytest.approx(6.25)}
    assert recipe_for(site, "z1", day, history) is None


def test_a_fertigation_run_in_progress_is_not_doubled(site: SiteConfig, store: Store) -> None:
    record_run(store, "z1", local(dt.date(2026, 5, 15), "20:00"), {}, RunState.RUNNING)
    day = dt.date(2026, 5, 15)
    (out,) = attach_recipes(
        [planned("z1", local(day, "23:00"), 120)], site, day, history=store.runs()
    )
    assert out.recipe is None


# ------------------------------------------------------------------ config checks


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "day_after_planting = 25\n",
            'day_after_planting = 25\nzones = ["z1", "z9"]\n',
            "fertigation.events[0].zones[1]: unknown zone 'z9' (site.toml)",
        ),
        (
            "day_after_planting = 25\n",
            'day_after_planting = 25\nzones = ["z1", "z1"]\n',
            "fertigation.events[0].zones[1]: zone 'z1' is listed twice",
        ),
        (
            "day_after_planting = 25\n",
            "day_after_planting = 25\nzones = []\n",
            "fertigation.events[0].zones: List should have at least 1 item",
        ),
        (
            "n_kg_mu = 0.45",
            "n_kg_mu = -0.45",
            "fertigation.events[0].n_kg_mu: Input should be greater than 0 (given -0.45) "
            "(site.toml)",
        ),
        (
            "n_kg_mu = 0.45",
            "n_kg = 0.45",
            "fertigation.events[0].n_kg: unknown key (did you mean 'n_kg_mu'?) (site.toml)",
        ),
        (
            "day_after_planting = 25\n",
            "day_after_planting = 25\ndate = 2026-05-15\n",
            "fertigation.events[0]: give exactly one of day_after_planting or date",
        ),
        (
            "day_after_planting = 25\nn_kg_mu = 0.45\n",
            "day_after_planting = 25\n",
            "fertigation.events[0]: give n_kg_mu, p2o5_kg_mu or k2o_kg_mu, or target_ec_ms_cm",
        ),
        (
            "n_kg_mu = 0.45",
            "n_kg_mu = 0.45\ntarget_ec_ms_cm = 2",
            "fertigation.events[0]: give kg per mu or target_ec_ms_cm, not both",
        ),
        (
            "n_kg_mu = 0.45",
            'target_ec_ms_cm = 4.0\ntank = "brine"',
            "fertigation.events[0].tank: unknown tank 'brine'",
        ),
        (
            "n_kg_mu = 0.45",
            'target_ec_ms_cm = 4.0\ntank = "urea"',
            "fertigation.events[0].target_ec_ms_cm: 4 mS/cm exceeds safety.ec_max_ms_cm 3.5",
        ),
        (
            '  { name = "phosphate", level = "tank_p", nutrient = "P2O5", '
            "concentration_kg_m3 = 100, area_m2 = 1.13, low_level_m = 0.15 },\n",
            "",
            "fertigation.events[1].p2o5_kg_mu: no fertigation.tanks holds P2O5 (site.toml)",
        ),
        (
            "day_after_planting = 35\n",
            "day_after_planting = 25\n",
            "fertigation.events[1]: zone 'z1' already has fertigation.events[0] on 2026-05-15",
        ),
        ("event_window_days = 5", "event_window_days = -1", "fertigation.event_window_days"),
        ("min_inject_min = 30", "min_inject_min = 0", "fertigation.min_inject_min: Input"),
    ],
)
def test_broken_plan_is_refused_with_key_path(
    tmp_path: Path, demo_site_text: str, old: str, new: str, expected: str
) -> None:
    assert old in demo_site_text, f"test precondition: {old!r} not in the example"
    path = tmp_path / "site.toml"
    path.write_text(demo_site_text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_site(path)
    assert any(expected in p for p in info.value.problems), info.value.problems


def test_a_manual_zone_is_outside_the_default_group_and_cannot_be_named(
    tmp_path: Path, demo_site_text: str
) -> None:
    text = demo_site_text.replace('mode = "calendar"', 'mode = "manual"', 1)
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    site = load_site(path)
    assert zone_events(site, "z4") == [] and len(zone_events(site, "z1")) == 8
    named = text.replace("day_after_planting = 25\n", 'day_after_planting = 25\nzones = ["z4"]\n')
    path.write_text(named, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_site(path)
    assert info.value.problems == [
        "fertigation.events[0].zones[0]: zone 'z4' is manual: no run is planned (site.toml)"
    ]
