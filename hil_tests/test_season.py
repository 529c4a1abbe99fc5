"""A whole season in CI: the Zhangye seed-corn scenario under the ET strategy, weather seed 1,
through the production daemon against the simulated field, held to the demonstration goals
(hil_tests.season_goals): ≥ 200 m³/mu saved against the conventional practice, no stress day
from jointing to grain filling, actual ET within 5 % of the unstressed ETc, and the
fertigation plan given.

The season takes about ten minutes (one core); ``scripts/test.sh`` runs this module
(marker ``season``) beside the rest of the suite. The same goals over ten weather seeds run
by hand: ``python -m hil_tests.season_goals --seeds 1-10`` (hil_tests/README.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.fertplan import zone_events
from controller.agronomy.savings import savings_to_date
from controller.cli.simulate import plot_season
from controller.config.site import M2_PER_MU
from controller.simulation.season import Season, SeasonReport, load_scenario
from hil_tests.season_goals import ETA_TOLERANCE, SAVING_M3_MU, failures

# The module's first test waits for the whole season (10-20 minutes beside the rest).
pytestmark = [pytest.mark.season, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def et_season(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Season, SeasonReport]]:
    workdir = tmp_path_factory.mktemp("season")
    with Season(load_scenario("zhangye-seed-corn"), "et", seed=1, workdir=workdir) as season:
        yield season, season.run()


def test_the_season_meets_the_demonstration_goals(
    et_season: tuple[Season, SeasonReport],
) -> None:
    _, report = et_season
    assert failures(report) == []
    assert report.saving_m3_per_mu >= SAVING_M3_MU
    for z in report.zones:
        assert z.critical_stress_days == 0, z.zone
        assert z.eta_ratio >= 1 - ETA_TOLERANCE, z.zone
        assert z.stress_days <= 3, z.zone  # outside the critical stages: a day before a run


def test_the_season_chart_is_written(et_season: tuple[Season, SeasonReport]) -> None:
    """``qanat simulate --plot`` on the whole season; kept in artifacts/ for the README."""
    season, report = et_season
    out = Path(__file__).resolve().parent.parent / "artifacts"
    (path,) = plot_season(season, report, out)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


def test_the_fertigation_plan_is_given(et_season: tuple[Season, SeasonReport]) -> None:
    """Every nutrient of the plan reaches each zone (events the ET plan does not water on
    get runs of their own), within the dosing pump's accuracy."""
    season, report = et_season
    for z in report.zones:
        planned: dict[str, float] = {}
        for event in zone_events(season.site, z.zone):
            for nutrient, kg in event.kg.items():
                planned[nutrient] = planned.get(nutrient, 0.0) + kg
        assert planned, f"{z.zone}: the fertigation plan is empty: nothing to show given"
        for nutrient, kg in planned.items():
            given = z.fertilizer_kg.get(nutrient, 0.0)
            assert given == pytest.approx(kg, rel=0.1), (z.zone, nutrient, given, kg)


def test_metered_water_is_the_water_the_soil_received(
    et_season: tuple[Season, SeasonReport],
) -> None:
    season, report = et_season
    for z in report.zones:
        cfg = next(c for c in season.site.zones if c.name == z.zone)
        truth_m3 = z.irrigation_mm * cfg.area_m2_value / 1000.0
        assert z.runs > 0 and truth_m3 > 0, z.zone  # else 0 ≈ 0 would show nothing
        # The meter's totalizer counts whole m³ plus its fraction; runs still open at the end
        # carry their last recorded progress.
        assert z.applied_m3 == pytest.approx(truth_m3, rel=0.03, abs=2.0), z.zone


def test_runs_start_inside_the_night_window(et_season: tuple[Season, SeasonReport]) -> None:
    season, _ = et_season
    assert season.store is not None
    for zone in season.site.zones:
        runs = season.store.runs(zone.name, season.start, season.end)
        assert runs, f"{zone.name}: no run in the season: nothing to show in the window"
        for run in runs:
            assert run.started_at is not None
            local = run.started_at.replace(tzinfo=dt.UTC).astimezone(season.tz)
            assert local.hour >= 20 or local.hour < 8, f"{zone.name} run {run.id} at {local}"


def test_savings_ledger_of_the_daemon_matches_its_metered_water(
    et_season: tuple[Season, SeasonReport],
) -> None:
    season, report = et_season
    assert season.store is not None
    ledger = savings_to_date(season.site, season.store, season.clock.now())
    for z in ledger.zones:
        zone_report = next(r for r in report.zones if r.zone == z.zone)
        assert z.applied_m3 == pytest.approx(zone_report.applied_m3)
        # the whole conventional season: winter irrigation and the five border floods
        assert z.baseline_m3_per_mu == pytest.approx(report.baseline_m3_per_mu)
        assert z.saving_m3_per_mu == pytest.approx(
            z.baseline_m3_per_mu - zone_report.applied_m3_per_mu
        )


def test_conventional_flood_goes_onto_the_soil_and_counts_the_winter_irrigation(
    tmp_path: Path,
) -> None:
    sc = load_scenario("zhangye-seed-corn")
    with Season(
        sc, "conventional", seed=1, days=3, start=dt.date(2026, 6, 19), workdir=tmp_path
    ) as season:
        report = season.run()
    depth_mm = sc.flood_m3_mu / M2_PER_MU * 1000.0
    for z in report.zones:
        assert z.runs == 0  # the drip head stays off: border water comes from the canal
        assert z.irrigation_mm == pytest.approx(depth_mm)  # the 20 June event, 135 mm
        assert z.applied_m3_per_mu == pytest.approx(sc.winter_m3_mu + sc.flood_m3_mu)
        assert z.drainage_mm > 0  # a flood overfills the root zone: the border's loss
