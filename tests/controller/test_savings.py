"""The savings ledger over a real store, and GET /api/v1/savings through the real daemon service."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from controller.agronomy.savings import baseline_practice, savings_to_date
from controller.clock import VirtualClock
from controller.config.site import ConfigError, SiteConfig, load_site
from controller.store import RunState, Store
from tests.helpers.ledger import add_quiet_day
from tests.helpers.site import DEMO_SITE, on_free_ports

TZ = dt.timezone(dt.timedelta(hours=8))


def _site(tmp_path: Path, extra: str = "") -> SiteConfig:
    path = tmp_path / "site.toml"
    path.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")) + extra, encoding="utf-8")
    return load_site(path)


def _run(store: Store, zone: str, when: dt.datetime, m3: float) -> None:
    run = store.plan_run(zone, "plan", 60.0)
    assert run.id is not None
    store.start_run(run.id)
    store.update_run_progress(run.id, m3)
    store.finish_run(run.id, RunState.DONE, "done", m3)


def test_default_baseline_is_surveyed_border_practice(tmp_path: Path) -> None:
    """440 m³/mu a year with the winter irrigation (Zhangye survey), named as such."""
    practice = baseline_practice(_site(tmp_path))
    assert practice.winter_m3_mu == 100
    assert [e[:2] for e in practice.events] == [(6, 3), (6, 26), (7, 18), (8, 10)]
    assert practice.winter_m3_mu + sum(e[2] for e in practice.events) == 440
    assert "surveyed" in practice.name and "440" in practice.name


def test_saving_to_date_from_metered_runs(tmp_path: Path) -> None:
    site = _site(tmp_path)
    clock = VirtualClock(dt.datetime(2026, 6, 25, 12, tzinfo=TZ))
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", clock.now(), 1000.0)  # 40 m³/mu on 25 mu
        report = savings_to_date(site, store, clock.now())
    z1 = next(z for z in report.zones if z.zone == "z1")
    assert z1.baseline_m3_per_mu == pytest.approx(100 + 85)  # winter, 06-03 (06-26 not yet)
    assert z1.applied_m3_per_mu == pytest.approx(40.0)
    assert z1.saving_m3_per_mu == pytest.approx(145.0)
    assert "z4" in {z.zone for z in report.zones}  # the calendar zone counts too
    assert report.assumptions and "winter" in report.baseline


def test_configured_baseline_skips_an_event_after_measured_rain(tmp_path: Path) -> None:
    extra = """
[baseline]
name = "border, two events"
winter_m3_mu = 0
rain_skip_mm = 20
events = [{ date = "06-01", m3_mu = 80 }, { date = "06-20", m3_mu = 80 }]
"""
    site = _site(tmp_path, extra)
    clock = VirtualClock(dt.datetime(2026, 6, 25, 12, tzinfo=TZ))
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        # measured by the station's balance
        add_quiet_day(store, "z1", dt.date(2026, 6, 18), rain_mm=25.0)
        report = savings_to_date(site, store, clock.now())
    z1 = next(z for z in report.zones if z.zone == "z1")
    assert z1.baseline_m3_per_mu == 80
    assert z1.events_skipped and "06-20" in z1.events_skipped[0]


def test_baseline_dates_are_checked_with_their_key_path(tmp_path: Path) -> None:
    extra = """
[baseline]
events = [{ date = "02-30", m3_mu = 80 }, { date = "06-01", m3_mu = 80 },
          { date = "06-01", m3_mu = 70 }]
"""
    with pytest.raises(ConfigError) as err:
        _site(tmp_path, extra)
    text = "\n".join(err.value.problems)
    assert "baseline.events[0].date: no such day '02-30'" in text
    assert "baseline.events[2].date: duplicate '06-01'" in text


def test_api_savings_through_the_daemon_service(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from controller.daemon.daemon import Daemon
    from controller.daemon.service import DaemonService
    from controller.runtime.fieldio import FieldIO
    from web.app import create_app

    site = _site(tmp_path)
    clock = VirtualClock(dt.datetime(2026, 6, 25, 12, tzinfo=TZ))
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z2", clock.now(), 500.0)
        token = store.create_token("viewer", "viewer")[1]
        daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O
        client = TestClient(create_app(DaemonService(daemon), store))
        body = client.get("/api/v1/savings", headers={"Authorization": f"Bearer {token}"}).json()
    z2 = next(z for z in body["zones"] if z["zone"] == "z2")
    assert z2["applied_m3_per_mu"] == pytest.approx(20.0)
    assert z2["saving_m3_per_mu"] == pytest.approx(100 + 85 - 20.0)  # winter, 06-03 - metered
    assert body["as_of"] == "2026-06-25" and body["assumptions"]


def test_the_season_site_ledger_uses_the_scenarios_conventional_practice() -> None:
    """The simulated season reports against the scenario's [conventional] practice; the
    daemon's ledger on that site must count the same events (hil_tests/test_season.py
    compares the two over a whole season)."""
    from controller.simulation.season import load_scenario

    scenario = load_scenario("zhangye-seed-corn")
    practice = baseline_practice(load_site(scenario.site_path))
    assert [(m, d) for m, d, _ in practice.events] == [
        (f.month, f.day) for f in scenario.flood_dates
    ]
    assert all(v == scenario.flood_m3_mu for _, _, v in practice.events)
    assert practice.winter_m3_mu == scenario.winter_m3_mu
    total = practice.winter_m3_mu + sum(v for _, _, v in practice.events)
    assert total == scenario.conventional_total_m3_mu


def test_the_quota_and_the_practice_name_come_from_the_site(tmp_path: Path) -> None:
    site = _site(tmp_path, '\n[baseline]\nname = "村里的畦灌"\nquota_m3_mu = 320\n')
    clock = VirtualClock(dt.datetime(2026, 6, 25, 12, tzinfo=TZ))
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", clock.now(), 1000.0)
        report = savings_to_date(site, store, clock.now())
    assert report.quota_m3_per_mu == 320
    assert report.baseline_name == "村里的畦灌"
    assert report.applied_m3 == pytest.approx(1000.0)
    with pytest.raises(ConfigError, match="quota_m3_mu"):
        _site(tmp_path, "\n[baseline]\nquota_m3_mu = -5\n")


def test_the_season_by_day_follows_the_ledger(tmp_path: Path) -> None:
    """The board's cumulative series ends on the ledger's figures (one rule), steps up on
    the practice's event days, and counts the crop stage from planting."""
    from controller.agronomy.season_view import crop_stage, season_to_date

    site = _site(tmp_path)
    clock = VirtualClock(dt.datetime(2026, 6, 25, 12, tzinfo=TZ))
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", clock.now(), 1000.0)
        season = season_to_date(site, store, clock.now())
        ledger = savings_to_date(site, store, clock.now())
    last = season.days[-1]
    assert last.date == dt.date(2026, 6, 25)
    assert last.applied_m3_per_mu == pytest.approx(ledger.applied_m3_per_mu)
    assert last.baseline_m3_per_mu == pytest.approx(ledger.baseline_m3_per_mu)
    by_day = {d.date: d for d in season.days}
    jump = by_day[dt.date(2026, 6, 3)].baseline_m3_per_mu
    assert jump - by_day[dt.date(2026, 6, 2)].baseline_m3_per_mu == pytest.approx(85.0)
    assert by_day[dt.date(2026, 6, 24)].applied_m3_per_mu == 0.0  # the run was on the 25th
    assert crop_stage("seed_corn", -1) == "sown"
    assert crop_stage("seed_corn", 0) == "ini"
    assert crop_stage("seed_corn", 10_000) == "harvested"
    z1 = next(s for s in season.stages if s.zone == "z1")
    assert z1.days_after_planting == (dt.date(2026, 6, 25) - dt.date(2026, 4, 20)).days
