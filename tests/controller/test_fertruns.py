"""Fertigation runs of their own: an open event that no planned irrigation carries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.fertplan import attach_recipes
from controller.agronomy.fertruns import fertigation_runs
from controller.agronomy.jobs import REFILL_TARGET_FRACTION, PlannedRun
from controller.clock import VirtualClock
from controller.config.site import M2_PER_MU, SiteConfig, apply_overrides, load_site
from controller.store import RunSource, RunState, Store, WaterBalanceDay
from drivers.reading import Quality, Reading
from tests.helpers.fertigation import local, planned, record_run
from tests.helpers.said import said_in_english
from tests.helpers.site import DEMO_SITE

EVENT_DAY = dt.date(2026, 5, 15)  # day 25 after planting of z1 and z2 (z3, z4: 17 May)
LEAST_MIN = 15 + 30 + 25  # prewet + min_inject + flush of the demo site


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    clock = VirtualClock(local(EVENT_DAY, "18:00").astimezone(dt.UTC))
    with Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock) as s:
        yield s


def plan(
    site: SiteConfig, store: Store, runs: list[PlannedRun], now: dt.datetime | None = None
) -> list[PlannedRun]:
    now = now or local(EVENT_DAY, "18:00")
    today = now.date()
    history = store.runs()
    carried = attach_recipes(runs, site, today, history=history)
    return fertigation_runs(site, store, carried, now.astimezone(dt.UTC), history=history)


def test_each_uncarried_event_gets_a_run_alone_inside_the_window(
    site: SiteConfig, store: Store
) -> None:
    extra = plan(site, store, [])
    assert [r.zone for r in extra] == ["z1", "z2"]  # z3 and z4 are planted two days later
    first, second = extra
    assert first.start == local(EVENT_DAY, "23:00")  # in the window, where the valley tariff starts
    assert first.duration_min == LEAST_MIN  # no balance yet: nothing to refill
    assert second.start == first.start + dt.timedelta(minutes=LEAST_MIN)  # after, never beside
    assert all(r.source is RunSource.PLAN for r in extra)
    decisions = {d.id: d for d in store.decisions()}
    d1 = decisions[first.decision_id]
    assert d1.action == "irrigate"
    assert "fertigation event 1 (苗期 (拔节前))" in d1.reason
    assert "no planned irrigation carries it" in d1.reason
    assert d1.inputs["reasons"] == ["fertigation_run"]
    assert d1.reason == f"z1: {said_in_english(d1.inputs)}"  # the codes say the record
    # with the extra runs, attach_recipes gives each its event
    carried = attach_recipes(extra, site, EVENT_DAY, history=[])
    assert [fr.recipe is not None for fr in carried] == [True, True]
    assert carried[0].recipe.kg == {"N": pytest.approx(0.45 * 25)}  # type: ignore[union-attr]


def test_a_planned_irrigation_that_carries_the_event_needs_no_extra_run(
    site: SiteConfig, store: Store
) -> None:
    z1 = planned("z1", local(EVENT_DAY, "23:00"), 240)
    extra = plan(site, store, [z1])
    assert [r.zone for r in extra] == ["z2"]
    z2 = extra[0]
    assert z2.start == z1.start + dt.timedelta(minutes=240)  # after it, still in the valley


def test_the_run_refills_the_zone_when_that_is_longer(site: SiteConfig, store: Store) -> None:
    taw = 120.0
    store.add_water_balance(
        WaterBalanceDay(
            zone="z1",
            date=EVENT_DAY,
            et0_mm=5,
            kc=1,
            etc_mm=5,
            eta_mm=5,
            rain_mm=0,
            effective_rain_mm=0,
            irrigation_mm=0,
            dr_start_mm=40,
            dr_end_mm=45,
            taw_mm=taw,
            raw_mm=60,
            ks=1,
            method="seeded",
        )
    )
    (z1, _) = plan(site, store, [])
    zone = next(z for z in site.zones if z.name == "z1")
    gross_mm = (45 - REFILL_TARGET_FRACTION * taw) / zone.efficiency
    want = gross_mm * zone.area_mu * M2_PER_MU / 1000 / zone.nominal_flow_m3_h * 60  # type: ignore[operator]
    assert z1.duration_min == pytest.approx(min(want, zone.max_run_min))
    assert z1.duration_min > LEAST_MIN
    refill = store.decisions("z1")[-1]
    assert "the refill brought forward" in refill.reason
    assert refill.reason == f"z1: {said_in_english(refill.inputs)}"


def test_an_event_given_or_being_given_gets_no_run(site: SiteConfig, store: Store) -> None:
    record_run(store, "z1", local(EVENT_DAY, "02:00"), {"N": 0.45 * 25})
    record_run(store, "z2", local(EVENT_DAY, "17:00"), {}, RunState.RUNNING)
    assert plan(site, store, []) == []


def test_manual_zones_and_days_outside_the_window_get_none(site: SiteConfig, store: Store) -> None:
    manual = apply_overrides(site, {"zones": {"z1": {"mode": "manual"}}})
    assert [r.zone for r in plan(manual, store, [])] == ["z2"]
    assert plan(site, store, [], now=local(EVENT_DAY - dt.timedelta(days=1), "18:00")) == []
    late = local(EVENT_DAY + dt.timedelta(days=8), "18:00")  # every 5-day window is over
    assert [r.zone for r in plan(site, store, [], now=late)] == []


def test_without_a_tariff_the_window_opening_is_as_cheap_as_any(
    store: Store, tmp_path: Path
) -> None:
    text = DEMO_SITE.read_text(encoding="utf-8")
    tariff = text[text.index("tariff = [") :]
    text = text.replace(tariff[: tariff.index("]\n") + 2], "")  # one price all day
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    flat = load_site(tmp_path / "site.toml")
    assert flat.policy.tariff == []
    first, _ = plan(flat, store, [])
    assert first.start == local(EVENT_DAY, "20:00")


def test_rain_or_a_full_window_defers_with_the_reason(site: SiteConfig, store: Store) -> None:
    now = local(EVENT_DAY, "18:00")
    store.add_readings(
        [
            Reading("wx1", "rain", v, "mm", Quality.OK, now - dt.timedelta(hours=h))
            for h, v in ((20, 100.0), (2, 108.0))
        ]
    )
    store.flush()
    assert plan(site, store, []) == []
    deferred = [d for d in store.decisions() if d.action == "defer"]
    assert len(deferred) == 2 and all("8.0 mm rain in the last 24 h" in d.reason for d in deferred)
    assert all(d.reason == f"{d.zone}: {said_in_english(d.inputs)}" for d in deferred)
    dry = apply_overrides(site, {"policy": {"rain_skip_mm": 50}})
    busy = [planned("z3", local(EVENT_DAY, "19:00"), 13 * 60)]  # the whole night taken
    assert plan(dry, store, busy) == []
    no_room = store.decisions("z1")[-1]
    assert "no 70 min free in the allowed windows" in no_room.reason
    assert no_room.reason == f"z1: {said_in_english(no_room.inputs)}"
