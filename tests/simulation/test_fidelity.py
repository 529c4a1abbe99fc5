"""The agronomy fidelity season: same decisions as the full stack, water that closes, no
empty seasons, and a truth that only steps whole days."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from controller.cli import main
from controller.config.site import ConfigError
from controller.daemon.daemon import Daemon
from controller.simulation.fidelity import AgronomySeason
from controller.simulation.fidelity_report import (
    DecisionRow,
    FidelityReport,
    RunRow,
    decisions_of,
    runs_of,
)
from controller.simulation.season import Scenario, ScenarioError, Season, load_scenario, quiet_logs
from controller.simulation.truth import (
    BucketTruth,
    DayOutcome,
    SubDailyTruth,
    TruthSetup,
    ZoneTruth,
)

SCENARIO = "zhangye-seed-corn"
PEAK = dt.date(2026, 7, 1)
WEEK = 7
# Planned minutes may differ a little: the daemon's balance reads the probes, and their
# reading noise is drawn in a different order (the full stack's field draws flow noise every
# second from the same generator); and the full stack meters its water (1 % flow noise, the
# valve opening on the control tick), so the irrigation the balance sees differs slightly.
MINUTES_TOLERANCE = 0.05  # relative, or MINUTES_FLOOR, whichever is larger
MINUTES_FLOOR = 5.0  # minutes
VOLUME_TOLERANCE = 0.03  # relative, applied m³ per run
# The depletion each decision saw: the station is read at the same instants except while
# water runs (the full stack polls on its 1 s ticks), so ET0 and rain differ a hair; the
# metered water too. Measured: within 0.2 mm over the peak week.
DEPLETION_MM = 1.0
CLOSURE_MM = 0.5


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SCENARIO)


def _agronomy(scenario: Scenario, strategy: str, **kw: object) -> FidelityReport:
    with quiet_logs():
        return AgronomySeason(scenario, strategy, seed=1, **kw).run()  # type: ignore[arg-type]


def _full_stack(
    scenario: Scenario, start: dt.date, days: int
) -> tuple[list[RunRow], list[DecisionRow]]:
    with quiet_logs(), Season(scenario, "et", seed=1, days=days, start=start) as season:
        season.run()
        store = season.store
        assert store is not None
        span = (season.start, season.end)
        zones = season.site.zones
        return (
            [r for z in zones for r in runs_of(store, z, *span, season.tz)],
            [d for z in zones for d in decisions_of(store, z.name, *span, season.tz)],
        )


def _key(row: RunRow | DecisionRow) -> tuple[object, ...]:
    return (row.zone, row.start if isinstance(row, RunRow) else row.time)


def test_same_decisions_as_the_full_stack_over_a_peak_week(scenario: Scenario) -> None:
    fast = _agronomy(scenario, "et", days=WEEK, start=PEAK)
    runs, decisions = _full_stack(scenario, PEAK, WEEK)
    ours = sorted((r for z in fast.zones for r in z.runs), key=_key)
    theirs = sorted(runs, key=_key)
    assert ours, "the week should have runs to compare"
    assert [(r.zone, r.start.date()) for r in ours] == [(r.zone, r.start.date()) for r in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert abs(a.start - b.start) <= dt.timedelta(minutes=1), (a, b)
        assert abs(a.minutes - b.minutes) <= max(MINUTES_FLOOR, MINUTES_TOLERANCE * b.minutes)
        assert a.applied_m3 == pytest.approx(b.applied_m3, rel=VOLUME_TOLERANCE)
        assert a.fertilizer.keys() == b.fertilizer.keys()
    mine = sorted((d for z in fast.zones for d in z.decisions), key=_key)
    full = sorted(decisions, key=_key)
    assert [(d.zone, d.time, d.action, d.planned_start) for d in mine] == [
        (d.zone, d.time, d.action, d.planned_start) for d in full
    ]
    for x, y in zip(mine, full, strict=True):
        assert abs(x.minutes - y.minutes) <= max(MINUTES_FLOOR, MINUTES_TOLERANCE * y.minutes)
        if x.dr_now_mm is not None or y.dr_now_mm is not None:
            assert x.dr_now_mm == pytest.approx(y.dr_now_mm, abs=DEPLETION_MM), (x, y)


@pytest.mark.parametrize(
    ("strategy", "start", "days"),
    [("et", PEAK, 5), ("conventional", dt.date(2026, 6, 19), 3)],  # the second has a flood
)
def test_water_closes_per_zone(
    scenario: Scenario, strategy: str, start: dt.date, days: int
) -> None:
    report = _agronomy(scenario, strategy, days=days, start=start)
    for z in report.zones:
        assert len(z.days) == days
        assert abs(z.closure_mm) < CLOSURE_MM, z.to_dict()
        for d in z.days:
            assert abs(d.closure_mm) < CLOSURE_MM, d
        assert z.water_mm > 0, "a run or a flood should have watered the zone"
    if strategy == "conventional":
        flood_mm = scenario.flood_m3_mu / 666.6666666666666 * 1000.0
        assert all(z.water_mm == pytest.approx(flood_mm) for z in report.zones)
        assert all(not z.runs for z in report.zones)


def test_empty_season_is_refused(scenario: Scenario) -> None:
    with pytest.raises(ScenarioError, match="at least one day"):
        AgronomySeason(scenario, "et", days=0)


def test_season_before_planting_says_so(scenario: Scenario) -> None:
    # the scenario starts six days before planting: two days have no crop to report on
    with pytest.raises(ValueError, match="no day of the season on or after planting"):
        _agronomy(scenario, "et", days=2)


def test_the_daemon_starts_with_the_site_overrides(scenario: Scenario) -> None:
    fitted = {"soil_fc_m3m3": 0.2, "soil_wp_m3m3": 0.09, "kc_factor": 0.9}
    season = AgronomySeason(
        scenario, "et", seed=1, days=1, start=PEAK, overrides={"zones": {"z1": fitted}}
    )
    with quiet_logs():
        season.run()
    z1, z2 = season.daemon.agronomy.site.zones
    assert (z1.soil_fc_m3m3, z1.soil_wp_m3m3, z1.kc_factor) == (0.2, 0.09, 0.9)
    assert (z2.soil_fc_m3m3, z2.soil_wp_m3m3, z2.kc_factor) == (None, None, 1.0)


def test_an_override_the_site_refuses_is_named(scenario: Scenario) -> None:
    season = AgronomySeason(
        scenario, "et", days=1, start=PEAK, overrides={"zones": {"z9": {"kc_factor": 0.9}}}
    )
    with pytest.raises(ConfigError, match=r"zones\.z9: no such zone"):
        season.run()


class DailyOnly:
    """A truth with only the required protocol: whole days (as a daily crop model)."""

    def __init__(self, inner: BucketTruth) -> None:
        self.inner = inner
        self.calls: list[tuple[dt.date, float]] = []

    def step_day(self, date: dt.date, irrigation_mm: float) -> DayOutcome:
        self.calls.append((date, irrigation_mm))
        return self.inner.step_day(date, irrigation_mm)

    def probe_theta(self, depth_m: float) -> float:
        return self.inner.probe_theta(depth_m)


def test_a_daily_truth_plugs_in(scenario: Scenario) -> None:
    made: list[DailyOnly] = []

    def factory(setup: TruthSetup, zone: str) -> ZoneTruth:
        made.append(DailyOnly(BucketTruth.for_zone(setup, zone)))
        return made[-1]

    report = _agronomy(scenario, "et", days=5, start=PEAK, truth=factory)
    assert not isinstance(made[0], SubDailyTruth)
    assert [d for d, _ in made[0].calls] == [PEAK + dt.timedelta(days=i) for i in range(5)]
    for z in report.zones:
        assert abs(z.closure_mm) < CLOSURE_MM
        assert z.water_mm == pytest.approx(sum(r.depth_mm for r in z.runs))


def test_simulate_at_agronomy_fidelity(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "--fidelity", "agronomy", "--strategy", "conventional", "--days", "8"]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["fidelity"] == "agronomy" and report["strategy"] == "conventional"
    assert [z["zone"] for z in report["zones"]] == ["z1", "z2"]
    assert all(abs(z["closure_mm"]) < CLOSURE_MM for z in report["zones"])
    assert main(args) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[2:4]] == ["z1", "z2"]


def test_simulate_at_agronomy_fidelity_refuses_a_season_without_crop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["simulate", "--fidelity", "agronomy", "--days", "2"]) == 2
    assert "planting" in capsys.readouterr().err


def test_the_partial_balance_every_hour_changes_no_decision(scenario: Scenario) -> None:
    # only the revision before a planning time reaches a plan: skipping the others is free
    def decisions(report: FidelityReport) -> list[tuple[object, ...]]:
        return [
            (d.zone, d.time, d.action, d.planned_start, d.minutes, d.dr_now_mm)
            for z in report.zones
            for d in z.decisions
        ]

    lazy = _agronomy(scenario, "et", days=5, start=PEAK)
    hourly = _agronomy(scenario, "et", days=5, start=PEAK, hourly_balance=True)
    assert decisions(lazy) == decisions(hourly)
    assert any(z.runs for z in lazy.zones)


def test_a_run_the_pump_cannot_carry_is_refused_as_the_sequencer_would(scenario: Scenario) -> None:
    # the border calendar waters both 100 m³/h zones at 20:00 on 1 June; the pump gives 120
    report = _agronomy(scenario, "calendar", days=2, start=dt.date(2026, 5, 31))
    started = {z.zone: [r.start.date() for r in z.runs] for z in report.zones}
    assert started == {"z1": [dt.date(2026, 6, 1)], "z2": []}
    assert report.refused == 1 and report.overlaps == 0
    # the season ends at 00:30 with z1's 12-hour run going: the run has its 4.5 h of water
    # (100 m³/h on 25 mu: 6 mm/h), the season's days (to midnight) 4 h of it
    z1 = report.zones[0]
    assert z1.runs[0].depth_mm == pytest.approx(4.5 * 6.0)
    assert z1.water_mm == pytest.approx(4.0 * 6.0)


def test_retention_runs_only_when_it_could_purge(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retention deletes only readings an office acknowledged; a season has none, so the pass
    is skipped — and runs once something is acknowledged."""
    passes: list[object] = []
    monkeypatch.setattr(Daemon, "retention", lambda self: passes.append(self))
    _agronomy(scenario, "et", days=2, start=PEAK)
    assert passes == []
    season = AgronomySeason(scenario, "et", seed=1, days=2, start=PEAK)
    season._setup(tmp_path)
    try:
        assert not season._retention_can_purge()
        season._due(season.start)  # the first polls: rows to acknowledge
        season.store.flush()
        season.store.ack_export("readings", "office", 1)
        assert season._retention_can_purge()
        season._loop()
        assert len(passes) == 2  # 03:30 on each of the two days
    finally:
        season.instruments.close()
        season.store.close()
