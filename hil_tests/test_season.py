"""The season suite's CI variant: the season's first five weeks (planting to before jointing)
under the ET strategy, and a flood of the conventional practice, through the production daemon
against the simulated field.

The whole-season goals (≥ 200 m³/mu saved, no stress in the critical stages, actual ET within
5 % of unstressed ETc, over 10 weather seeds) take minutes per seed; they run by hand with
``python -m hil_tests.season_goals`` (hil_tests/README.md). Here the same machinery is held to
the same standards over a window where the ET planner has to water.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.config import M2_PER_MU
from controller.savings import savings_to_date
from controller.season import Season, SeasonReport, load_scenario

WINDOW_DAYS = 37  # from the scenario start (14 April) to 20 May: two irrigations per zone


@pytest.fixture(scope="module")
def et_window(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Season, SeasonReport]]:
    workdir = tmp_path_factory.mktemp("season")
    with Season(load_scenario("zhangye-seed-corn"), "et", seed=1, days=WINDOW_DAYS,
                workdir=workdir) as season:  # fmt: skip
        yield season, season.run()


def test_et_strategy_waters_without_stress(et_window: tuple[Season, SeasonReport]) -> None:
    _, report = et_window
    assert sum(z.runs for z in report.zones) >= 1, "the ET planner had to water in this window"
    for z in report.zones:
        assert z.critical_stress_days == 0, z.zone
        assert z.stress_days <= 1, z.zone  # measured: one day on the sandy loam before a run
        assert z.eta_ratio >= 0.95, z.zone


def test_metered_water_is_the_water_the_soil_received(
    et_window: tuple[Season, SeasonReport],
) -> None:
    season, report = et_window
    for z in report.zones:
        cfg = next(c for c in season.site.zones if c.name == z.zone)
        truth_m3 = z.irrigation_mm * cfg.area_m2_value / 1000.0
        # The meter's totalizer counts whole m³ plus its fraction; runs still open at the end
        # carry their last recorded progress.
        assert z.applied_m3 == pytest.approx(truth_m3, rel=0.03, abs=2.0), z.zone


def test_runs_start_inside_the_night_window(et_window: tuple[Season, SeasonReport]) -> None:
    season, _ = et_window
    assert season.store is not None
    for zone in season.site.zones:
        for run in season.store.runs(zone.name, season.start, season.end):
            assert run.started_at is not None
            local = run.started_at.replace(tzinfo=dt.UTC).astimezone(season.tz)
            assert local.hour >= 20 or local.hour < 8, f"{zone.name} run {run.id} at {local}"


def test_savings_ledger_of_the_daemon_matches_its_metered_water(
    et_window: tuple[Season, SeasonReport],
) -> None:
    season, report = et_window
    assert season.store is not None
    ledger = savings_to_date(season.site, season.store, season.clock.now())
    for z in ledger.zones:
        zone_report = next(r for r in report.zones if r.zone == z.zone)
        assert z.applied_m3 == pytest.approx(zone_report.applied_m3)
        assert z.baseline_m3_per_mu == 100  # the winter irrigation; no event before June
        assert z.saving_m3_per_mu == pytest.approx(100 - zone_report.applied_m3_per_mu)


def test_conventional_flood_goes_onto_the_soil_and_counts_the_winter_irrigation(
    tmp_path: Path,
) -> None:
    sc = load_scenario("zhangye-seed-corn")
    with Season(sc, "conventional", seed=1, days=3, start=dt.date(2026, 6, 19),
                workdir=tmp_path) as season:  # fmt: skip
        report = season.run()
    depth_mm = sc.flood_m3_mu / M2_PER_MU * 1000.0
    for z in report.zones:
        assert z.runs == 0  # the drip head stays off: border water comes from the canal
        assert z.irrigation_mm == pytest.approx(depth_mm)  # the 20 June event, 135 mm
        assert z.applied_m3_per_mu == pytest.approx(sc.winter_m3_mu + sc.flood_m3_mu)
        assert z.drainage_mm > 0  # a flood overfills the root zone: the border's loss
