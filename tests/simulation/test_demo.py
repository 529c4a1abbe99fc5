"""The living demo's parts that need no browser: its data directory, its day, its scenario,
and a short past handed over to the full stack (the store keeps it, the soil carries on)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from controller.config import overrides
from controller.daemon.service import DaemonService
from controller.simulation.demo import (
    MARKER,
    DemoError,
    LivingDemo,
    demo_day,
    demo_scenario,
    prepare_data_dir,
)
from controller.simulation.season import load_scenario
from tests.helpers.site import DEMO_SITE


def test_a_data_dir_in_use_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "qanat.db").write_text("someone's site")
    with pytest.raises(DemoError, match="not empty and not a previous demo's"):
        prepare_data_dir(tmp_path)
    assert (tmp_path / "qanat.db").read_text() == "someone's site"


def test_a_previous_demo_is_cleared(tmp_path: Path) -> None:
    prepare_data_dir(tmp_path / "d")
    (tmp_path / "d" / "qanat.db").write_text("last demo")
    (tmp_path / "d" / "sub").mkdir()
    prepare_data_dir(tmp_path / "d")
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [MARKER]


def test_the_day_is_inside_the_season() -> None:
    sc = load_scenario("zhangye-seed-corn")
    assert demo_day(sc) == dt.date(2026, 7, 5)
    assert demo_day(sc, day_of_season=10) == sc.start + dt.timedelta(days=10)
    assert demo_day(sc, dt.date(2026, 6, 1)) == dt.date(2026, 6, 1)
    with pytest.raises(DemoError, match="inside the season"):
        demo_day(sc, dt.date(2026, 12, 5))
    with pytest.raises(DemoError, match="inside the season"):
        demo_day(sc, sc.start)


def test_every_zone_of_the_demo_site_has_a_true_soil() -> None:
    sc = demo_scenario(DEMO_SITE)
    assert sc.site_path == DEMO_SITE
    assert sorted(sc.soils) == ["z1", "z2", "z3", "z4"]
    assert sc.soils["z3"] == sc.soils["z1"] and sc.soils["z4"] == sc.soils["z2"]


def test_a_day_outside_the_season_is_refused_by_the_command(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "controller.cli", "demo", "--day", "2026-12-05"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "day 2026-12-05: inside the season" in proc.stderr


def test_a_short_past_then_the_full_stack_on_the_same_store(tmp_path: Path) -> None:
    """Ten days of past at agronomy fidelity, then the full stack: the store holds the past's
    balances, the daemon started on it, and the accelerated clock moves."""
    sc = demo_scenario(DEMO_SITE)
    day = sc.start + dt.timedelta(days=10)
    prepare_data_dir(tmp_path / "data")
    # control port 0: the system picks it as the simulator binds
    with LivingDemo(sc, tmp_path / "data", day, speed=3600, control_port=0) as demo:
        season = demo.season
        assert season is not None and season.store is not None and season.daemon is not None
        balance = season.store.water_balance("z1", sc.start, day)
        assert balance, "the past's daily balances are not in the store"
        assert season.clock.now() >= dt.datetime.combine(day, dt.time(), tzinfo=season.tz)
        before = season.clock.now()
        stop = threading.Event()
        clock = threading.Thread(target=demo.run_clock, args=(stop,))
        clock.start()
        stop.wait(1.0)
        stop.set()
        clock.join(30)
        assert season.clock.now() > before  # the accelerated clock moved the site's time
    assert not any(season.sim.devices["relay1"].get(f"ch{i}") for i in range(1, 9))


def test_the_hand_off_plan_is_decided_and_noted_once(tmp_path: Path) -> None:
    """The past's last planning queued the runs the present starts with: the present does not
    plan that moment again (one decision set, one fertigation note per zone), it takes them."""
    sc = dataclasses.replace(demo_scenario(DEMO_SITE), start=dt.date(2026, 5, 9))
    day = dt.date(2026, 5, 15)  # z1's first fertigation event (planted 04-20, day 25)
    prepare_data_dir(tmp_path / "data")
    with LivingDemo(sc, tmp_path / "data", day, speed=3600, control_port=0) as demo:
        season = demo.season
        assert season is not None and season.store is not None and season.daemon is not None
        decisions = season.store.decisions()
        notes = [e for e in season.store.events() if e.code == "fertigation_plan"]
        queued = season.daemon.planned()
    hand_off = max(d.time for d in decisions)
    at_hand_off = [d for d in decisions if d.time == hand_off]
    keys = [(d.zone, d.action, d.planned_start, d.duration_min) for d in at_hand_off]
    assert len(keys) == len(set(keys)), f"decided twice at {hand_off}: {keys}"
    assert queued and {r.decision_id for r in queued} <= {d.id for d in at_hand_off}
    noted = [(e.time, e.source, e.message) for e in notes]
    assert len(noted) == len(set(noted)), f"noted twice: {noted}"
    assert [e.source for e in notes if e.time == hand_off] == ["z1"]


def test_a_hand_edit_of_the_settings_file_is_taken_up_in_the_demo(tmp_path: Path) -> None:
    """The pages' service is made once the demo's season has scheduled the daemon's jobs:
    its check of ``site.overrides.toml`` runs on the season's clock all the same, so a
    broken hand edit raises ``settings_refused`` as under ``qanat run``."""
    sc = demo_scenario(DEMO_SITE)
    data = tmp_path / "data"
    prepare_data_dir(data)
    with LivingDemo(sc, data, sc.start + dt.timedelta(days=10), speed=3600, control_port=0) as demo:
        season = demo.season
        assert season is not None and season.store is not None and season.daemon is not None
        DaemonService(season.daemon, data_dir=data)  # as `qanat demo` serves the pages
        (data / overrides.OVERRIDES_FILE).write_text("[zones.z9]\nmad_fraction = 0.3\n")
        with demo.lock:
            season.advance(5.0)
        refused = [e for e in season.store.open_alarms() if e.code == "settings_refused"]
    assert refused and "zones.z9: no such zone" in refused[0].message
