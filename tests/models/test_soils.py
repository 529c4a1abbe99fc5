"""Soil textures (FAO-56 Table 19) and layered profiles: TAW (eq. 82), RAW (eq. 83), TEW (73)."""

from __future__ import annotations

import pytest

from models.soils import (
    Layer,
    SoilDataError,
    SoilProfile,
    saturation_from_bulk_density,
    texture,
    texture_keys,
)


def test_table19_textures_and_middle_values() -> None:
    assert len(texture_keys()) == 9
    loam = texture("loam")
    assert loam.theta_fc == pytest.approx(0.25)
    assert loam.theta_wp == pytest.approx(0.12)
    assert loam.rew_mm == pytest.approx(9.0)
    assert loam.theta_wp < loam.theta_fc < loam.theta_sat


@pytest.mark.parametrize("key", texture_keys())
def test_eq73_tew_of_the_middle_values_falls_in_table19_range(key: str) -> None:
    soil = texture(key)
    profile = SoilProfile.uniform(soil, 1.0, ze_m=0.10)
    low, high = soil.tew_range_mm
    assert low <= profile.tew_mm() <= high


def test_uniform_profile_taw_raw() -> None:
    profile = SoilProfile.uniform(texture("loam"), 1.2)
    assert profile.taw_mm(1.0) == pytest.approx(1000 * (0.25 - 0.12) * 1.0)  # eq. 82
    assert profile.raw_mm(1.0, 0.55) == pytest.approx(0.55 * 130.0)  # eq. 83


def test_layered_profile_integrates_the_layers_the_roots_reach() -> None:
    profile = SoilProfile(
        (
            Layer(0.0, 0.3, 0.28, 0.12, 0.45),
            Layer(0.3, 0.6, 0.30, 0.14),
            Layer(0.6, 1.5, 0.20, 0.08),
        ),
        ze_m=0.10,
        rew_mm=9.0,
    )
    assert profile.taw_mm(0.2) == pytest.approx(160 * 0.2)
    assert profile.taw_mm(0.45) == pytest.approx(160 * 0.3 + 160 * 0.15)
    assert profile.taw_mm(1.0) == pytest.approx(160 * 0.3 + 160 * 0.3 + 120 * 0.4)
    assert profile.tew_mm() == pytest.approx(1000 * (0.28 - 0.06) * 0.1)
    assert profile.field_capacity_mm(0.2, 0.4) == pytest.approx(280 * 0.1 + 300 * 0.1)


def test_profile_refuses_bad_layers_and_depths() -> None:
    with pytest.raises(SoilDataError, match=r"layers\[1\]\.top_m 0\.4"):
        SoilProfile((Layer(0.0, 0.3, 0.28, 0.12), Layer(0.4, 0.6, 0.3, 0.1)))
    with pytest.raises(SoilDataError, match="theta_wp < theta_fc"):
        Layer(0.0, 0.3, 0.10, 0.12)
    with pytest.raises(SoilDataError, match="start at the surface"):
        SoilProfile((Layer(0.1, 0.3, 0.28, 0.12),))
    profile = SoilProfile.uniform(texture("sand"), 0.8)
    with pytest.raises(SoilDataError, match=r"root depth 1\.2 m outside"):
        profile.taw_mm(1.2)
    with pytest.raises(SoilDataError, match="rew_mm"):
        SoilProfile.uniform(texture("sand"), 0.8, rew_mm=50.0)


def test_saturation_estimate_from_bulk_density() -> None:
    # scenario soil: bulk density 1.40 g/cm³ -> porosity ≈ 0.47 (scenario sat 0.45)
    assert saturation_from_bulk_density(1.40) == pytest.approx(1 - 1.40 / 2.65)
    with pytest.raises(SoilDataError, match="bulk_density"):
        saturation_from_bulk_density(3.0)


def test_unknown_texture() -> None:
    with pytest.raises(SoilDataError, match="unknown soil texture 'peat'"):
        texture("peat")
