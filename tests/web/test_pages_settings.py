"""Settings changed on the pages: validated like the site file, kept, applied to the daemon."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller import overrides
from controller.clock import SystemClock
from controller.config import ConfigError, SiteConfig, apply_overrides
from controller.control import DaemonService
from controller.daemon import Daemon
from controller.service import SettingsInvalid
from controller.simulation import Simulation
from controller.store import Store


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
