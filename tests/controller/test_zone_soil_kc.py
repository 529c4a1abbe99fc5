"""An approved soil and ``kc_factor`` reach every user of the zone's soil and Kc: the balance's
zone model, the planner's projected Kc and the stage targets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from controller.agronomy.targets import zone_targets
from controller.config.site import ConfigError, SiteConfig, apply_overrides, load_site
from controller.config.soil import configured_soil, zone_crop, zone_soil
from models.crops import crop, kc_on_day
from models.soils import texture
from tests.helpers.agronomy import planned
from tests.helpers.site import DEMO_SITE

SEED = crop("seed_corn")


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


def _approved(site: SiteConfig, **values: float) -> SiteConfig:
    return apply_overrides(site, {"zones": {"z1": values}})


def test_approved_soil_values_replace_the_texture(site: SiteConfig) -> None:
    zone = site.zones[0]
    t = texture(zone.soil)
    assert configured_soil(zone) == (t.theta_fc, t.theta_wp)
    approved = _approved(site, soil_fc_m3m3=0.21, soil_wp_m3m3=0.10).zones[0]
    assert configured_soil(approved) == (0.21, 0.10)
    assert zone_soil(approved, 1.0).taw_mm(1.0) == pytest.approx(110.0)
    assert zone_soil(zone, 1.0).taw_mm(1.0) == pytest.approx(1000 * (t.theta_fc - t.theta_wp))


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"kc_factor": 1.5}, "kc_factor"),
        ({"kc_factor": 0.5}, "kc_factor"),
        ({"soil_fc_m3m3": 0.21}, "give both soil_fc_m3m3 and soil_wp_m3m3"),
        ({"soil_fc_m3m3": 0.12, "soil_wp_m3m3": 0.11}, "must exceed soil_wp_m3m3"),
    ],
)
def test_soil_and_kc_overrides_are_validated_like_the_site_file(
    site: SiteConfig, values: dict[str, float], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        _approved(site, **values)


def test_kc_factor_scales_the_zone_crop_and_the_stage_targets(site: SiteConfig) -> None:
    zone = _approved(site, kc_factor=1.2).zones[0]
    scaled = zone_crop(SEED, zone)
    assert kc_on_day(scaled, 80, mulched=True) == pytest.approx(
        1.2 * kc_on_day(SEED, 80, mulched=True)
    )
    assert zone_crop(SEED, site.zones[0]) is SEED
    # flowering (DAP 79 on) holds the trigger to p, and p falls as ETc = Kc · ET0 rises
    args = {"today": dt.date(2026, 7, 6), "forecast_rain_mm_day": None, "rain_normals_mm": None}
    plain = zone_targets(site.zones[0], SEED, 80, 120.0, [10.0] * 3, **args)  # type: ignore[arg-type]
    corrected = zone_targets(zone, scaled, 80, 120.0, [10.0] * 3, **args)  # type: ignore[arg-type]
    kc = kc_on_day(SEED, 80, mulched=True)
    assert plain.mad_fraction[0] == pytest.approx(0.55 + 0.04 * (5 - kc * 10.0))
    assert corrected.mad_fraction[0] == pytest.approx(0.55 + 0.04 * (5 - 1.2 * kc * 10.0))


def _plan_kc(site: SiteConfig, tmp_path: Path) -> tuple[list[float], float]:
    today = dt.date(2026, 5, 31)
    with planned(site, tmp_path / "q.db", today) as store:
        z1 = next(d for d in store.decisions() if d.zone == "z1")
        balance = store.water_balance("z1", today - dt.timedelta(days=1), today)
    return list(z1.inputs["kc"]), balance[-1].kc


def test_the_planner_and_the_balance_use_the_approved_kc_factor(
    site: SiteConfig, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    kc_plain, balance_plain = _plan_kc(site, tmp_path / "a")
    kc_scaled, balance_scaled = _plan_kc(_approved(site, kc_factor=0.8), tmp_path / "b")
    assert kc_scaled == pytest.approx([0.8 * k for k in kc_plain])
    assert balance_scaled == pytest.approx(0.8 * balance_plain)
