"""Kcb from ground cover (FAO-56 eq. 97-99) against examples worked by hand."""

from __future__ import annotations

import pytest

from models.crops.cover import density_coefficient, kcb_from_cover, kcb_full
from models.errors import ModelInputError


def test_maize_at_forty_percent_cover_standard_climate() -> None:
    # By hand: h = 1.0 m, u2 = 2 m/s, RHmin = 45 % -> climate term 0,
    # Kcb full = min(1.0 + 0.1*1.0, 1.20) = 1.10                          (eq. 99)
    # Kd = min(1, 2.0*0.40 = 0.80, 0.40^(1/2) = 0.6325) = 0.6325          (eq. 98)
    # Kcb = 0.15 + 0.6325 * (1.10 - 0.15) = 0.7508                        (eq. 97)
    assert kcb_full(1.0) == pytest.approx(1.10)
    assert density_coefficient(0.40, 1.0, ml=2.0) == pytest.approx(0.6325, abs=1e-4)
    assert kcb_from_cover(0.40, 1.0) == pytest.approx(0.7508, abs=1e-4)


def test_sparse_tall_crop_in_windy_dry_climate_is_limited_by_ml() -> None:
    # By hand: h = 2.0 m, u2 = 3 m/s, RHmin = 30 %:
    # climate = [0.04*(3-2) - 0.004*(30-45)] * (2/3)^0.3 = 0.10 * 0.8855 = 0.0885
    # Kcb full = min(1.2, 1.20) + 0.0885 = 1.2885                         (eq. 99)
    # Kd = min(1, 1.5*0.20 = 0.30, 0.20^(1/3) = 0.585) = 0.30             (eq. 98)
    # Kcb = 0.15 + 0.30 * (1.2885 - 0.15) = 0.4916                        (eq. 97)
    assert kcb_full(2.0, 3.0, 30.0) == pytest.approx(1.2885, abs=1e-4)
    assert density_coefficient(0.20, 2.0, ml=1.5) == pytest.approx(0.30)
    got = kcb_from_cover(0.20, 2.0, ml=1.5, u2_m_s=3.0, rhmin_pct=30.0)
    assert got == pytest.approx(0.4916, abs=1e-4)


def test_bare_and_full_cover_are_the_ends() -> None:
    assert kcb_from_cover(0.0, 0.5) == pytest.approx(0.15)
    assert kcb_from_cover(1.0, 2.5, kcb_full_value=1.15) == pytest.approx(1.15)
    # more cover never lowers Kcb
    values = [kcb_from_cover(f / 20, 1.5) for f in range(21)]
    assert values == sorted(values)


@pytest.mark.parametrize(
    ("kwargs", "culprit"),
    [
        ({"fc_eff": 1.2, "height_m": 1.0}, "fc_eff"),
        ({"fc_eff": float("nan"), "height_m": 1.0}, "fc_eff"),
        ({"fc_eff": 0.5, "height_m": -0.1}, "height_m"),
        ({"fc_eff": 0.5, "height_m": 1.0, "ml": 2.5}, "ml"),
        ({"fc_eff": 0.5, "height_m": 1.0, "kcb_full_value": 0.1}, "kcb_full"),
    ],
)
def test_refuses_inputs_out_of_range_naming_them(kwargs: dict[str, float], culprit: str) -> None:
    with pytest.raises(ModelInputError, match=culprit):
        kcb_from_cover(**kwargs)
