"""A camera zone's canopy cover sets its Kcb (FAO-56 eq. 97); in the late stage it can only
lower the calendar's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.jobs import COVER_MAX_AGE, Agronomy, CoverOf
from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.store import Store
from models.crops import crop, kcb_from_cover
from models.waterbalance import CropStep
from tests.helpers.agronomy import DAY1, local, weather_day
from tests.helpers.site import DEMO_SITE


@pytest.fixture
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(DAY1, 0)))
    weather_day(s, DAY1)
    yield s
    s.close()


def _cover(zone: str, value: float, taken: dt.datetime) -> tuple[list[tuple[object, ...]], CoverOf]:
    asked: list[tuple[object, ...]] = []

    def cover(name: str, start: dt.datetime, end: dt.datetime) -> tuple[float, dt.datetime] | None:
        asked.append((name, start, end))
        return (value, taken) if name == zone and start <= taken <= end else None

    return asked, cover


def _z1(agro: Agronomy) -> tuple[float, str]:
    row = next(r for r in agro.close_day(DAY1) if r.zone == "z1")
    return row.kc, row.notes


def test_cover_sets_kcb_in_development_and_moves_kc_with_it(site: SiteConfig, store: Store) -> None:
    clock = VirtualClock(local(DAY1 + dt.timedelta(days=1), 1))
    plain = Agronomy(site, store, clock)
    z1 = next(z for z in site.zones if z.name == "z1")
    assert plain.crop_state(z1, DAY1).stage == "development"  # the premise
    kc_plain, notes_plain = _z1(plain)
    assert "canopy cover" not in notes_plain
    taken = local(DAY1, 10)
    step = CropStep.on_day(crop("seed_corn"), (DAY1 - z1.planting_date).days)
    for cover, direction in ((0.03, -1), (0.95, +1)):
        asked, of = _cover("z1", cover, taken)
        kc, notes = _z1(Agronomy(site, store, clock, cover=of))
        kcb = kcb_from_cover(
            cover, step.height_m, kcb_full_value=crop("seed_corn").kcb_mid, kc_min=step.kcb_min
        )
        assert f"Kcb {kcb:.2f} from canopy cover {cover:.2f}" in notes
        assert (kc - kc_plain) * direction > 0.01  # bare: less water than the calendar; full: more
        z1_asks = [a for a in asked if a[0] == "z1"]
        assert z1_asks and z1_asks[0][2] - z1_asks[0][1] == COVER_MAX_AGE
    # other zones (no photo) keep the calendar
    other = next(
        r for r in Agronomy(site, store, clock, cover=of).close_day(DAY1) if r.zone == "z2"
    )
    assert "canopy cover" not in other.notes


def test_a_photo_older_than_the_limit_keeps_the_calendar(site: SiteConfig, store: Store) -> None:
    clock = VirtualClock(local(DAY1 + dt.timedelta(days=1), 1))
    kc_plain, _ = _z1(Agronomy(site, store, clock))
    day_end = local(DAY1 + dt.timedelta(days=1), 0)
    old = day_end - COVER_MAX_AGE - dt.timedelta(minutes=1)
    _, of = _cover("z1", 0.03, old)
    kc, notes = _z1(Agronomy(site, store, clock, cover=of))
    assert kc == kc_plain and "canopy cover" not in notes
    _, of = _cover("z1", 0.03, day_end - COVER_MAX_AGE)  # at the limit: used
    kc, notes = _z1(Agronomy(site, store, clock, cover=of))
    assert kc < kc_plain and "canopy cover 0.03" in notes


def _z1_on(site: SiteConfig, store: Store, dap: int, cover: float | None) -> tuple[float, str]:
    z1 = next(z for z in site.zones if z.name == "z1")
    day = z1.planting_date + dt.timedelta(days=dap)
    weather_day(store, day)
    of = None if cover is None else _cover("z1", cover, local(day, 10))[1]
    agro = Agronomy(site, store, VirtualClock(local(day + dt.timedelta(days=1), 1)), cover=of)
    row = agro.balance_day(z1, day, agro.measured_et0(day))
    return row.kc, row.notes


def test_mid_season_cover_sets_kcb(site: SiteConfig, store: Store) -> None:
    # day 80 of 30/40/50/33: mid season, calendar Kcb 1.15; cover 0.5 at h 2 m:
    # Kd = min(1, 2 · 0.5, 0.5^(1/3) = 0.794) → Kcb = 0.15 + 0.794 · 1.0 = 0.944 (eq. 97-98)
    kc_plain, _ = _z1_on(site, store, 80, None)
    kc, notes = _z1_on(site, store, 80, 0.5)
    assert "Kcb 0.94 from canopy cover 0.50" in notes
    assert kc == pytest.approx(kc_plain * (1.2 - 1.15 + 0.15 + 0.5 ** (1 / 3)) / 1.2, rel=1e-3)


def test_late_cover_only_lowers_the_calendar_kcb(site: SiteConfig, store: Store) -> None:
    # day 140: late stage day 20 of 33, calendar Kcb 1.15 − 20/33 · 0.65 = 0.756; a green
    # cover 0.8 (Kd 0.8^(1/3) = 0.928, Kcb 1.078) is above it: the calendar's kept
    kc_plain, _ = _z1_on(site, store, 140, None)
    kc, notes = _z1_on(site, store, 140, 0.8)
    assert kc == kc_plain
    assert "Kcb 1.08 by FAO-56 eq. 97, above the calendar's 0.76" in notes
    # a thin cover 0.1 (Kd 0.2, Kcb 0.35) is below it: used
    kc, notes = _z1_on(site, store, 140, 0.1)
    assert "Kcb 0.35 from canopy cover 0.10" in notes and kc < kc_plain - 0.2
