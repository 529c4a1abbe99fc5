"""The season in CI, at the fidelity each question needs (one to three minutes together).

* **The whole season at agronomy fidelity** (:mod:`controller.simulation.fidelity`: the
  daemon's own balance, planning and fertigation jobs on a virtual clock, each planned run's
  water delivered as planned; seconds): the Zhangye seed-corn scenario under the ET strategy,
  weather seed 1, held to the demonstration goals of :mod:`hil_tests.season_goals` against
  the scenario's conventional practice (≥ 200 m³/mu saved, no stress day from jointing to
  grain filling, actual ET within 5 % of the unstressed ETc), the fertigation plan given,
  and the soil's water balance closed.
* **Twelve peak days through the production daemon** (1–12 July: the silking fertigation
  event, real Modbus on loopback, the field's meter and valves): metered water is the water the
  soil received, runs start in the night window, the fertilizer of the event is given, the
  daemon's savings ledger agrees with its meter, the season chart is drawn.
* ``tests/simulation/test_fidelity.py`` shows the two fidelities take the same decisions
  over a peak week, which is what lets the first stand for the whole season.

The whole season at full fidelity (10–30 minutes a seed) runs by hand:
``python -m hil_tests.season_goals --seeds 1`` (hil_tests/README.md). The savings claim
itself is the referee's (README: AquaCrop as the field, the surveyed practice, thirty years).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.fertplan import zone_events
from controller.agronomy.savings import savings_to_date
from controller.cli.simulate import plot_season
from controller.config.site import M2_PER_MU, SiteConfig
from controller.simulation.fidelity import AgronomySeason
from controller.simulation.fidelity_report import FidelityReport
from controller.simulation.season import Season, SeasonReport, load_scenario, quiet_logs
from hil_tests.season_goals import ETA_TOLERANCE, SAVING_M3_MU

pytestmark = [pytest.mark.season, pytest.mark.timeout(1800)]

SCENARIO = "zhangye-seed-corn"
PEAK_START = dt.date(2026, 7, 1)
PEAK_DAYS = 12
FERTILIZER_REL = 0.1  # the dosing pump's accuracy, relative
CLOSURE_MM = 0.5


@pytest.fixture(scope="module")
def whole_season() -> tuple[AgronomySeason, FidelityReport]:
    season = AgronomySeason(load_scenario(SCENARIO), "et", seed=1)
    with quiet_logs():
        return season, season.run()


@pytest.fixture(scope="module")
def peak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Season, SeasonReport]]:
    workdir = tmp_path_factory.mktemp("season")
    sc = load_scenario(SCENARIO)
    with (
        quiet_logs(),
        Season(sc, "et", seed=1, days=PEAK_DAYS, start=PEAK_START, workdir=workdir) as season,
    ):
        yield season, season.run()


def _plan(site: SiteConfig, zone: str, first: dt.date, last: dt.date) -> dict[str, float]:
    """The plan's kg per nutrient for ``zone`` over the events whose window lies within
    ``[first, last]``."""
    planned: dict[str, float] = {}
    for event in zone_events(site, zone):
        if first <= event.day and event.until <= last:
            for nutrient, kg in event.kg.items():
                planned[nutrient] = planned.get(nutrient, 0.0) + kg
    return planned


# -- the whole season, agronomy fidelity ----------------------------------------------------
def test_the_season_meets_the_demonstration_goals(
    whole_season: tuple[AgronomySeason, FidelityReport],
) -> None:
    season, report = whole_season
    baseline_m3_mu = season.scenario.conventional_total_m3_mu
    assert report.zones, "no zone simulated"
    for z in report.zones:
        assert z.days and z.days[-1].date == report.end, z.zone  # every day to harvest
        assert z.runs, f"{z.zone}: no run in the season"
        assert baseline_m3_mu - z.water_m3_per_mu >= SAVING_M3_MU, (z.zone, z.water_m3_per_mu)
        assert z.critical_stress_days == 0, z.zone
        assert z.eta_ratio >= 1 - ETA_TOLERANCE, z.zone
        assert z.stress_days <= 3, z.zone  # outside the critical stages: a day before a run


def test_the_fertigation_plan_is_given(
    whole_season: tuple[AgronomySeason, FidelityReport],
) -> None:
    """Every nutrient of the plan reaches each zone (events the ET plan does not water on
    get runs of their own)."""
    season, report = whole_season
    for z in report.zones:
        planned = _plan(season.site, z.zone, report.start, report.end)
        assert planned, f"{z.zone}: the fertigation plan is empty: nothing to show given"
        given: dict[str, float] = {}
        for run in z.runs:
            for nutrient, kg in run.fertilizer.items():
                given[nutrient] = given.get(nutrient, 0.0) + kg
        for nutrient, kg in planned.items():
            assert given.get(nutrient, 0.0) == pytest.approx(kg, rel=FERTILIZER_REL), (
                z.zone,
                nutrient,
            )


def test_the_soil_water_balance_closes(
    whole_season: tuple[AgronomySeason, FidelityReport],
) -> None:
    _, report = whole_season
    for z in report.zones:
        assert z.water_mm > 0 and z.eta_mm > 0, z.zone  # else 0 ≈ 0 would show nothing
        assert abs(z.closure_mm) <= CLOSURE_MM, z.zone


# -- twelve peak days, full stack ------------------------------------------------------------
def test_the_peak_fertigation_event_is_given(peak: tuple[Season, SeasonReport]) -> None:
    """The silking event (4–9 July) through the sequencer's injector, within the dosing
    pump's accuracy; no other event falls in the window."""
    season, report = peak
    last = PEAK_START + dt.timedelta(days=PEAK_DAYS - 1)
    for z in report.zones:
        planned = _plan(season.site, z.zone, PEAK_START, last)
        assert planned, f"{z.zone}: no fertigation event in the window: nothing to show given"
        for nutrient, kg in planned.items():
            given = z.fertilizer_kg.get(nutrient, 0.0)
            assert given == pytest.approx(kg, rel=FERTILIZER_REL), (z.zone, nutrient, given, kg)


def test_metered_water_is_the_water_the_soil_received(peak: tuple[Season, SeasonReport]) -> None:
    season, report = peak
    for z in report.zones:
        cfg = next(c for c in season.site.zones if c.name == z.zone)
        truth_m3 = z.irrigation_mm * cfg.area_m2_value / 1000.0
        assert z.runs > 0 and truth_m3 > 0, z.zone  # else 0 ≈ 0 would show nothing
        # The meter's totalizer counts whole m³ plus its fraction; runs still open at the end
        # carry their last recorded progress.
        assert z.applied_m3 == pytest.approx(truth_m3, rel=0.03, abs=2.0), z.zone


def test_runs_start_inside_the_night_window(peak: tuple[Season, SeasonReport]) -> None:
    season, _ = peak
    assert season.store is not None
    for zone in season.site.zones:
        runs = season.store.runs(zone.name, season.start, season.end)
        assert runs, f"{zone.name}: no run in the window: nothing to show in the window"
        for run in runs:
            assert run.started_at is not None
            local = run.started_at.replace(tzinfo=dt.UTC).astimezone(season.tz)
            assert local.hour >= 20 or local.hour < 8, f"{zone.name} run {run.id} at {local}"


def test_savings_ledger_of_the_daemon_matches_its_metered_water(
    peak: tuple[Season, SeasonReport],
) -> None:
    season, report = peak
    assert season.store is not None
    ledger = savings_to_date(season.site, season.store, season.clock.now())
    for z in ledger.zones:
        zone_report = next(r for r in report.zones if r.zone == z.zone)
        assert zone_report.applied_m3 > 0, z.zone
        assert z.applied_m3 == pytest.approx(zone_report.applied_m3)
        # the leaching the season's salt needs is charged to it (controller.agronomy.salt):
        # the site states no water EC, the simulated EC meter's plain-water readings give it
        assert z.salt is not None and z.salt.ec_water_source == "meter", z.zone
        assert z.salt.ec_water_ds_m == pytest.approx(0.6, abs=0.1)
        assert z.leaching_m3_per_mu > 0
        assert z.saving_m3_per_mu == pytest.approx(
            z.baseline_m3_per_mu - z.applied_m3_per_mu - z.leaching_m3_per_mu
        )


def test_the_season_chart_is_written(peak: tuple[Season, SeasonReport]) -> None:
    """``qanat simulate --plot`` on the window; kept in artifacts/."""
    season, report = peak
    out = Path(__file__).resolve().parent.parent / "artifacts"
    (path,) = plot_season(season, report, out)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


def test_conventional_flood_goes_onto_the_soil_and_counts_the_winter_irrigation(
    tmp_path: Path,
) -> None:
    sc = load_scenario(SCENARIO)
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
