"""Settings changed on the pages: validated like the site file, kept, applied to the daemon."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller import overrides
from controller.agronomy import PlannedRun
from controller.clock import SystemClock
from controller.config import M2_PER_MU, ConfigError, SiteConfig, apply_overrides
from controller.control import DaemonService
from controller.daemon import Daemon
from controller.service import SettingsInvalid
from controller.simulation import Simulation
from controller.store import RunSource, Store


def test_apply_overrides_changes_only_what_is_named(site: SiteConfig) -> None:
    z2 = {"crop": "cotton", "planting_date": dt.date(2026, 5, 1), "mode": "sensor"}
    changed = apply_overrides(site, {"zones": {"z2": z2}, "policy": {"probe_weight": 0.3}})
    zone = next(z for z in changed.zones if z.name == "z2")
    assert (zone.crop, zone.planting_date, zone.mode) == ("cotton", dt.date(2026, 5, 1), "sensor")
    assert changed.policy.probe_weight == 0.3
    assert changed.zones[0] == site.zones[0] and changed.safety == site.safety
    assert changed.profiles.keys() == site.profiles.keys()


def test_apply_overrides_names_each_problem_by_key_path(site: SiteConfig) -> None:
    with pytest.raises(ConfigError) as caught:
        apply_overrides(
            site,
            {"zones": {"z2": {"crop": "rice", "valve": "relay1.ch8"}, "z9": {"mode": "et"}},
             "safety": {"max_run_min": 9999}},
        )  # fmt: skip
    problems = "\n".join(caught.value.problems)
    assert "zones[1].valve: not editable from the pages" in problems
    assert "zones.z9: no such zone" in problems
    assert "safety: not editable from the pages" in problems
    with pytest.raises(ConfigError) as caught:  # types and ranges
        apply_overrides(site, {"policy": {"probe_weight": 2}})
    assert caught.value.problems[0].startswith("policy.probe_weight: ")
    with pytest.raises(ConfigError) as caught:  # the site's cross-checks
        apply_overrides(site, {"zones": {"z2": {"crop": "rice"}}})
    assert caught.value.problems[0].startswith("zones[1].crop: ")


def test_overrides_round_trip_through_the_file(site: SiteConfig, tmp_path: Path) -> None:
    saved = {"zones": {"z1": {"label": "1号地 \"北\"", "planting_date": dt.date(2026, 4, 25)}},
             "policy": {"rain_skip_mm": 7.5}}  # fmt: skip
    overrides.save(tmp_path, saved)
    assert overrides.load(tmp_path) == saved
    assert overrides.apply_saved(site, tmp_path).zones[0].label == '1号地 "北"'
    merged = overrides.merge(saved, {"zones": {"z1": {"mode": "manual"}, "z3": {"mode": "et"}}})
    assert merged["zones"]["z1"] == {**saved["zones"]["z1"], "mode": "manual"}
    assert merged["zones"]["z3"] == {"mode": "et"} and merged["policy"] == saved["policy"]


@pytest.fixture
def service(site: SiteConfig, sim: Simulation, tmp_path: Path) -> Iterator[DaemonService]:
    with Store.open_dir(tmp_path / "data") as store:
        daemon = Daemon(site, store, SystemClock())
        daemon.start(schedule=False)
        try:
            yield DaemonService(daemon, data_dir=tmp_path / "data")
        finally:
            daemon.stop()


def test_the_daemon_takes_new_settings_live_and_keeps_them(
    service: DaemonService, tmp_path: Path
) -> None:
    service.apply_settings({"zones": {"z3": {"mode": "manual"}}}, actor="ada")
    assert service.zone("z3").mode == "manual"
    assert service.d.agronomy.site.zones[2].mode == "manual"
    assert service.settings()["zones"]["z3"]["mode"] == "manual"
    assert overrides.load(tmp_path / "data") == {"zones": {"z3": {"mode": "manual"}}}
    audit = [a for a in service.d.store.rows_after("audit", 0) if a.action == "settings.change"]  # type: ignore[attr-defined]
    assert audit[-1].actor == "ada"  # type: ignore[attr-defined]

    with pytest.raises(SettingsInvalid) as caught:
        service.apply_settings({"zones": {"z3": {"crop": "rice"}}}, actor="ada")
    assert any(p.startswith("zones[2].crop") for p in caught.value.problems)
    assert overrides.load(tmp_path / "data") == {"zones": {"z3": {"mode": "manual"}}}


def test_an_emptied_mad_fraction_returns_to_the_site_files_value(
    site: SiteConfig, sim: Simulation, tmp_path: Path
) -> None:
    """As ``qanat run`` starts: the saved settings laid over the site file, then taken back."""
    data = tmp_path / "data"
    overrides.save(data, {"zones": {"z1": {"mad_fraction": 0.35, "mode": "sensor"}}})
    with Store.open_dir(data) as store:
        daemon = Daemon(overrides.apply_saved(site, data), store, SystemClock())
        daemon.start(schedule=False)
        try:
            service = DaemonService(daemon, data_dir=data, site_file=site)
            assert service.settings()["zones"]["z1"]["mad_fraction"] == 0.35
            service.apply_settings({"zones": {"z1": {"mad_fraction": None}}}, actor="ada")
            assert overrides.load(data) == {"zones": {"z1": {"mode": "sensor"}}}
            shown = service.settings()["zones"]["z1"]
            assert shown["mad_fraction"] is None and shown["mode"] == "sensor"
            assert (shown["crop_p"], shown["mad_site_file"]) == (0.55, None)  # seed corn p
            assert daemon.agronomy.site.zones[0].mad_fraction is None
        finally:
            daemon.stop()


NEW_PLAN = [{"label": "追肥 “试验”", "zones": ["z1"], "date": None, "n_kg_mu": 2.0}]


def test_a_plan_changed_in_the_settings_is_what_the_daemon_schedules(
    service: DaemonService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = service.d
    tz = daemon.site.site.tz
    today = daemon.clock.now().astimezone(tz).date()
    start = dt.datetime.combine(today, dt.time(21, 0), tz).astimezone(dt.UTC)
    if start <= daemon.clock.now():  # late in the day: tomorrow night's run, tomorrow's event
        today += dt.timedelta(days=1)
        start += dt.timedelta(days=1)
    # The planner's decision is not under test: a long run of z1 tonight is due.
    run = PlannedRun("z1", start, 180.0, 25.0, 1, RunSource.PLAN)
    monkeypatch.setattr(daemon.agronomy, "plan_all", lambda **_: [run])
    daemon.plan()
    assert not [e for e in daemon.store.events() if "追肥" in e.message]

    plan = [{**NEW_PLAN[0], "date": today}]
    service.apply_settings({"fertigation": {"events": plan}}, actor="ada")

    assert daemon.site.fertigation is not None and daemon.site.fertigation.events[0].date == today
    notes = [e.message for e in daemon.store.events() if e.code == "fertigation_plan"]
    assert any("carries fertigation event 0 (追肥 “试验”)" in n for n in notes), notes
    (queued,) = daemon._queue
    area_mu = daemon.site.zones[0].area_m2_value / M2_PER_MU
    assert queued.recipe is not None
    assert dict(queued.recipe.kg) == {"N": pytest.approx(2.0 * area_mu)}
    # kept, and what the daemon starts with after a restart
    restarted = overrides.apply_saved(service.site_file, tmp_path / "data")
    assert restarted.fertigation is not None
    assert [e.label for e in restarted.fertigation.events] == ["追肥 “试验”"]

    service.apply_settings({"fertigation": {"events": []}}, actor="ada")  # no plan at all
    (queued,) = daemon._queue
    assert queued.recipe is None
