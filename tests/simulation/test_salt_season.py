"""After a season the daemon states the leaching water its salt needs (agronomy fidelity):
the daemon's own runs and water balance over the simulated field, read back through the
daemon service's savings ledger as the pages and the API read it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from controller.agronomy.savings import SavingsReport
from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.runtime.fieldio import FieldIO
from controller.simulation.fidelity import AgronomySeason
from controller.simulation.season import load_scenario
from controller.store import Store

SCENARIO = load_scenario("zhangye-seed-corn")
SITE_LINE = 'timezone = "Asia/Shanghai"\n'


def _with_water_ec(tmp_path: Path, ec: float) -> Path:
    text = SCENARIO.site_path.read_text(encoding="utf-8")
    assert SITE_LINE in text
    path = tmp_path / f"site-ec{ec:g}.toml"
    path.write_text(text.replace(SITE_LINE, f"{SITE_LINE}irrigation_water_ec_ds_m = {ec}\n", 1))
    return path


def _ledger(tmp_path: Path, site_path: Path, end: dt.datetime) -> SavingsReport:
    site = load_site(site_path)
    with Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=VirtualClock(end)) as store:
        daemon = Daemon(site, store, VirtualClock(end), fieldio=FieldIO(site, {}))  # no I/O
        return DaemonService(daemon).savings()


def test_after_a_season_the_ledger_states_the_leaching_the_salt_needs(tmp_path: Path) -> None:
    """Three weeks of the ET strategy at peak demand on 0.6 dS/m water: the leaching needed
    is the FAO-29 share of the water the runs metered; with ECw 0 on the same store, none."""
    salty = _with_water_ec(tmp_path, 0.6)
    first = dt.date(SCENARIO.start.year, 6, 20)
    season = dataclasses.replace(SCENARIO, site_path=salty)
    AgronomySeason(season, "et", seed=3, days=21, start=first, workdir=tmp_path).run()
    end = dt.datetime.combine(first + dt.timedelta(days=20), dt.time(23), tzinfo=dt.UTC)
    ledger = _ledger(tmp_path, salty, end)
    lr = 0.6 / (5 * 1.7 - 0.6)
    watered = [z for z in ledger.zones if z.applied_m3_per_mu > 0]
    assert watered, "no run in three weeks: the test would prove nothing"
    for z in watered:
        assert z.salt is not None and not z.salt.problem
        assert z.salt.season_water_mm > 0
        assert z.leaching_m3_per_mu > 0
        # what drained in the season already carried some out; never more than LR × water
        assert z.leaching_m3_per_mu <= lr * z.applied_m3_per_mu + 1e-9
        if z.salt.drainage_mm == 0:
            assert z.leaching_m3_per_mu == pytest.approx(lr * z.applied_m3_per_mu)
        assert z.salt.ece_now_ds_m > z.salt.ece_start_ds_m
        assert z.saving_m3_per_mu == pytest.approx(
            z.baseline_m3_per_mu - z.applied_m3_per_mu - z.leaching_m3_per_mu
        )
    assert ledger.leaching_m3_per_mu > 0
    fresh = _ledger(tmp_path, _with_water_ec(tmp_path, 0.0), end)
    assert fresh.leaching_m3_per_mu == 0.0
    assert all(z.salt is not None and z.salt.leaching_mm == 0.0 for z in fresh.zones)
    assert [z.applied_m3_per_mu for z in fresh.zones] == [z.applied_m3_per_mu for z in ledger.zones]
