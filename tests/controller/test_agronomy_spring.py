"""The balance's sowing-day state and the subsoil the roots grow into, over a real store.

Demo zones z1 and z2: seed corn on loam (θfc 0.25, θwp 0.12: 130 mm/m), planted 20 April,
roots 0.20 m to DAP 30, then 0.02 m a day to 1.0 m at DAP 70.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.agronomy.jobs import Agronomy
from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.store import Store
from tests.helpers.site import DEMO_SITE
from tests.helpers.station import local, probe_day, weather_day

PLANTING = dt.date(2026, 4, 20)
DAY40 = PLANTING + dt.timedelta(days=40)  # roots 0.40 m, growing 0.02 m a day
AWC_MM_M = 130.0


def site_with(tmp_path: Path, z1_lines: str = "") -> SiteConfig:
    text = DEMO_SITE.read_text(encoding="utf-8")
    assert text.count('name = "z1"\n') == 1
    path = tmp_path / "site.toml"
    path.write_text(text.replace('name = "z1"\n', f'name = "z1"\n{z1_lines}'), encoding="utf-8")
    return load_site(path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(PLANTING, 0)))
    yield s
    s.close()


def agronomy(site: SiteConfig, store: Store, day: dt.date) -> Agronomy:
    return Agronomy(site, store, VirtualClock(local(day + dt.timedelta(days=1), 1)))


def first_rows(agro: Agronomy, store: Store, day: dt.date) -> dict[str, Any]:
    weather_day(store, day)
    return {r.zone: r for r in agro.close_day(day)}


def test_the_site_files_spring_depletion_comes_first(tmp_path: Path, store: Store) -> None:
    site = site_with(tmp_path, "spring_depletion_fraction = 0.5\n")
    probe_day(store, PLANTING, {"probe1a": 20.0, "probe1b": 20.0})  # the measurement wins
    rows = first_rows(agronomy(site, store, PLANTING), store, PLANTING)
    # TAW at 0.20 m: 130 · 0.20 = 26 mm; half of it depleted: 13 mm
    assert rows["z1"].dr_start_mm == pytest.approx(13.0)
    assert (
        "planting: started from the site file's spring_depletion_fraction, Dr 13.0 mm "
        "(50% of TAW; the soil below the roots alike)" in rows["z1"].notes
    )


def test_else_the_probes_over_the_deepest_roots(tmp_path: Path, store: Store) -> None:
    probe_day(store, PLANTING, {"probe1a": 22.0, "probe1b": 17.0})
    rows = first_rows(agronomy(site_with(tmp_path), store, PLANTING), store, PLANTING)
    # over the crop's 1.0 m, the 0.2 m probe for 0-0.3 m, the 0.4 m one below:
    # Dr = 1000 (0.03 · 0.3 + 0.08 · 0.7) = 65 mm of TAW 130 mm: 50 %; on the 0.20 m root
    # zone (26 mm) 13 mm. (Over the 0.20 m roots alone it would be 6 mm.)
    assert rows["z1"].dr_start_mm == pytest.approx(13.0)
    assert "started from the probes (0.2 m 22.0 %, 0.4 m 17.0 %), Dr 13.0 mm" in rows["z1"].notes


def test_else_field_capacity(tmp_path: Path, store: Store) -> None:
    rows = first_rows(agronomy(site_with(tmp_path), store, PLANTING), store, PLANTING)
    assert rows["z2"].dr_start_mm == 0.0
    assert (
        "started from field capacity (no probe reading, no spring_depletion_fraction), Dr 0.0 mm"
        in rows["z2"].notes
    )


def test_the_growing_roots_take_in_the_spring_depletion(tmp_path: Path, store: Store) -> None:
    """A balance started at DAP 40 (no earlier rows), spring half depleted in z1, z2 full."""
    site = site_with(tmp_path, "spring_depletion_fraction = 0.5\n")
    agro = agronomy(site, store, DAY40 + dt.timedelta(days=3))
    first = first_rows(agro, store, DAY40)
    assert first["z1"].dr_start_mm == pytest.approx(0.5 * AWC_MM_M * 0.40)  # 26 mm
    assert "no balance before 2026-05-30" in first["z1"].notes
    assert agro.subsoil_depletion_fraction(site.zones[0], DAY40 + dt.timedelta(days=1)) == 0.5
    assert agro.subsoil_depletion_fraction(site.zones[1], DAY40 + dt.timedelta(days=1)) == 0.0
    for d in (1, 2):
        day = DAY40 + dt.timedelta(days=d)
        rows = first_rows(agro, store, day)
        # 0.02 m more roots a day: 2.6 mm of new soil, half of it depleted in z1
        grown = AWC_MM_M * 0.02
        for zone, fraction in (("z1", 0.5), ("z2", 0.0)):
            r = rows[zone]
            assert r.taw_mm == pytest.approx(AWC_MM_M * (0.40 + 0.02 * d))
            assert r.dr_end_mm == pytest.approx(
                r.dr_start_mm + fraction * grown + r.eta_mm, abs=1e-9
            )


def test_the_planner_adds_the_subsoil_of_roots_grown_since_the_balance(
    tmp_path: Path, store: Store
) -> None:
    site = site_with(tmp_path, "spring_depletion_fraction = 0.5\n")
    agro = agronomy(site, store, DAY40 + dt.timedelta(days=2))
    for d in range(3):
        first_rows(agro, store, DAY40 + dt.timedelta(days=d))
    today = DAY40 + dt.timedelta(days=3)  # the last balance is of the day before: 0.02 m since
    agro.plan_all(local(today, 18))
    decisions = {d.zone: d for d in store.decisions()}
    last = {r.zone: r for r in store.water_balance("z1", today - dt.timedelta(days=1), today)}
    # _dr_now: Dr of the last balance + 0.5 · the TAW the roots grew into since
    grown = decisions["z1"].inputs["taw_mm"] - last["z1"].taw_mm
    assert grown == pytest.approx(AWC_MM_M * 0.02)
    assert decisions["z1"].inputs["dr_now_mm"] == pytest.approx(last["z1"].dr_end_mm + 0.5 * grown)


def test_the_subsoil_fraction_is_read_once(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the first day is closed the season's rows are not read again for it."""
    site = site_with(tmp_path, "spring_depletion_fraction = 0.5\n")
    agro = agronomy(site, store, DAY40 + dt.timedelta(days=9))
    reads: list[tuple[str, dt.date | None]] = []
    real = store.water_balance

    def counting(zone: str, start: dt.date | None = None, end: dt.date | None = None) -> Any:
        reads.append((zone, start))
        return real(zone, start, end)

    monkeypatch.setattr(store, "water_balance", counting)
    for d in range(8):
        day = DAY40 + dt.timedelta(days=d)
        first_rows(agro, store, day)
        agro.update_today(local(day + dt.timedelta(days=1), 10))
        agro.plan_all(local(day + dt.timedelta(days=1), 18))
    season_reads = [r for r in reads if r == ("z1", PLANTING)]
    # day 40 (no row yet), day 41 (its first row is yesterday's, may still change): read per
    # call; from day 42 on the cached fraction, never again
    calls_while_open = len(season_reads)
    agro.plan_all(local(DAY40 + dt.timedelta(days=9), 18))
    for _ in range(3):
        agro.update_today(local(DAY40 + dt.timedelta(days=9), 12))
    assert len([r for r in reads if r == ("z1", PLANTING)]) == calls_while_open
    assert calls_while_open <= 5  # close 40; update, plan, close 41; update 42
    assert agro.subsoil_depletion_fraction(site.zones[0], DAY40 + dt.timedelta(days=9)) == 0.5
