"""A cool day lowers the Kc of a maize zone with ``cold_kc`` by the cold on its transpiration
(models/crops/cold.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.jobs import Agronomy
from controller.clock import VirtualClock
from controller.config.site import ConfigError, SiteConfig, apply_overrides, load_site
from controller.store import Store
from models.crops import crop
from models.crops.cold import cold_gdd, cold_kc, cold_stress_coefficient
from models.waterbalance import CropStep
from tests.helpers.agronomy import DAY1, local, weather_day
from tests.helpers.site import DEMO_SITE


@pytest.fixture
def site() -> SiteConfig:
    return apply_overrides(load_site(DEMO_SITE), {"zones": {"z1": {"cold_kc": True}}})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(DAY1, 0)))
    yield s
    s.close()


def _z1_row(site: SiteConfig, store: Store) -> tuple[float, str]:
    agro = Agronomy(site, store, VirtualClock(local(DAY1 + dt.timedelta(days=1), 1)))
    row = next(r for r in agro.close_day(DAY1) if r.zone == "z1")
    return row.kc, row.notes


def test_a_warm_day_keeps_the_calendar_kc(site: SiteConfig, store: Store) -> None:
    weather_day(store, DAY1)  # 12..28 °C: (28 + 12) / 2 − 8 = 12 °C·d, no cold
    z1 = next(z for z in site.zones if z.name == "z1")
    step = CropStep.on_day(crop(z1.crop), (DAY1 - z1.planting_date).days)
    kc, notes = _z1_row(site, store)
    assert "cool day" not in notes
    assert kc == pytest.approx(step.kc * step.mulch_factor * z1.kc_factor, rel=1e-6)


def test_a_cool_day_takes_the_transpiring_share(site: SiteConfig, store: Store) -> None:
    weather_day(store, DAY1, tmin_c=6.0, tmax_c=18.0)  # (18 + 6) / 2 − 8 = 4 °C·d
    z1 = next(z for z in site.zones if z.name == "z1")
    step = CropStep.on_day(crop(z1.crop), (DAY1 - z1.planting_date).days)
    ks = cold_stress_coefficient(cold_gdd(18.0, 6.0))
    assert ks == pytest.approx(0.2013, abs=1e-4)  # tests/models/test_crop_cold.py by hand
    want, _ = cold_kc(step.kc, step.kcb, step.kcb_min, ks)
    kc, notes = _z1_row(site, store)
    assert "cool day (4.0 °C·d above 8 °C): transpiration × 0.20" in notes
    assert kc == pytest.approx(want * step.mulch_factor * z1.kc_factor, rel=1e-6)
    assert kc < step.kc * step.mulch_factor * z1.kc_factor - 0.05


def test_without_the_setting_a_cool_day_keeps_the_calendar_kc(store: Store) -> None:
    weather_day(store, DAY1, tmin_c=6.0, tmax_c=18.0)
    site = load_site(DEMO_SITE)
    z1 = next(z for z in site.zones if z.name == "z1")
    step = CropStep.on_day(crop(z1.crop), (DAY1 - z1.planting_date).days)
    kc, notes = _z1_row(site, store)
    assert "cool day" not in notes
    assert kc == pytest.approx(step.kc * step.mulch_factor * z1.kc_factor, rel=1e-6)


def test_the_setting_needs_a_maize_crop() -> None:
    with pytest.raises(ConfigError, match=r"zones\[0\]\.cold_kc: true needs a maize crop"):
        apply_overrides(
            load_site(DEMO_SITE), {"zones": {"z1": {"cold_kc": True, "crop": "pepper"}}}
        )


def test_a_cool_day_before_the_canopy_grows_changes_nothing(site: SiteConfig, store: Store) -> None:
    early = dt.date(2026, 5, 1)  # z1 planted 20 April: initial stage, Kcb = Kc min
    weather_day(store, early, tmin_c=6.0, tmax_c=18.0)
    z1 = next(z for z in site.zones if z.name == "z1")
    step = CropStep.on_day(crop(z1.crop), (early - z1.planting_date).days)
    assert step.kcb == step.kcb_min  # the premise
    agro = Agronomy(site, store, VirtualClock(local(early + dt.timedelta(days=1), 1)))
    row = next(r for r in agro.close_day(early) if r.zone == "z1")
    assert "cool day" not in row.notes
    assert row.kc == pytest.approx(step.kc * step.mulch_factor * z1.kc_factor, rel=1e-6)
