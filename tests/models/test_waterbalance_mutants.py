"""The water-balance equations on hand-worked cases, each bound at its edge
(scripts/mutation.sh models/waterbalance/equations.py)."""

from __future__ import annotations

import pytest

from models.waterbalance.equations import (
    canopy_cover,
    climate_term,
    depletion_fraction,
    evaporation_layer,
    evaporation_reduction,
    exposed_wetted_fraction,
    kc_max,
    root_zone_depletion,
    wetted_fraction,
)

approx = pytest.approx


def test_climate_term_and_its_bounds() -> None:
    assert climate_term(3.0, 30.0) == approx(0.04 + 0.06)
    assert climate_term(0.5, 50.0) == approx(-0.04 - 0.02)  # u2 held at 1 m/s
    assert climate_term(7.0, 45.0) == approx(0.16)  # u2 held at 6 m/s
    assert climate_term(2.0, 10.0) == approx(0.1)  # RHmin held at 20 %
    assert climate_term(2.0, 90.0) == approx(-0.14)  # RHmin held at 80 %


def test_kc_max_after_wetting() -> None:
    # 1.2 + 0.1 · (1.5 / 3)^0.3, with 0.5^0.3 = 0.812252
    assert kc_max(1.0, 0.1, 1.5) == approx(1.2812252, abs=1e-7)
    assert kc_max(1.3, 0.0, 2.0) == approx(1.35)  # Kcb + 0.05 when that is higher


def test_canopy_cover_eq_76() -> None:
    # ((0.65 − 0.15) / (1.25 − 0.15))^(1 + 0.5 · 2)
    assert canopy_cover(0.65, 0.15, 1.25, 2.0) == approx((0.5 / 1.1) ** 2)
    assert canopy_cover(1.3, 0.15, 1.25, 1.0) == 0.99  # never full cover
    assert canopy_cover(0.1, 0.15, 1.25, 1.0) == 0.0


@pytest.mark.parametrize(
    ("irrigation", "rain", "fw"),
    [
        (10.0, 0.0, 0.5),
        (0.5, 0.0, 0.5),  # any irrigation wets fw_irrigation
        (5.0, 10.0, 0.5),
        (0.0, 3.0, 1.0),
        (0.0, 2.9, 0.3),
        (0.0, 0.0, 0.3),
    ],
)
def test_wetted_fraction(irrigation: float, rain: float, fw: float) -> None:
    assert wetted_fraction(0.3, irrigation, rain, 0.5) == fw


def test_exposed_wetted_fraction_eq_75() -> None:
    assert exposed_wetted_fraction(0.6, 1.0) == approx(0.4)
    assert exposed_wetted_fraction(0.2, 0.5) == approx(0.5)
    assert exposed_wetted_fraction(0.995, 1.0) == 0.01


def test_evaporation_reduction_eq_74() -> None:
    assert evaporation_reduction(12.0, 20.0, 8.0) == approx(8.0 / 12.0)
    assert evaporation_reduction(5.0, 20.0, 8.0) == 1.0
    assert evaporation_reduction(25.0, 20.0, 8.0) == 0.0


def test_evaporation_layer_eq_77_to_79() -> None:
    # wetting 0 + 20 / 0.5 = 40; DPe = 40 − 10 = 30; De = 10 − 40 + 2 / 0.4 + 30 = 5
    de, dpe = evaporation_layer(10.0, 0.0, 20.0, 0.5, 2.0, 0.4, 25.0)
    assert (de, dpe) == (approx(5.0), approx(30.0))
    # wetting 5; DPe 2; De = 3 − 5 + 0 + 2 = 0
    de, dpe = evaporation_layer(3.0, 5.0, 0.0, 1.0, 0.0, 1.0, 25.0)
    assert (de, dpe) == (approx(0.0), approx(2.0))
    de, _ = evaporation_layer(20.0, 0.0, 0.0, 1.0, 10.0, 1.0, 25.0)
    assert de == 25.0  # never beyond TEW


def test_depletion_fraction_is_held_at_0_8() -> None:
    assert depletion_fraction(0.7, 1.0) == approx(0.8)
    assert depletion_fraction(0.5, 5.0) == approx(0.5)
    assert depletion_fraction(0.1, 9.0) == approx(0.1)


def test_root_zone_depletion_eq_85() -> None:
    assert root_zone_depletion(10.0, 2.0, 3.0, 4.0, 1.0) == approx(10.0)
    assert root_zone_depletion(5.0, 20.0, 0.0, 3.0, 0.0) == 0.0
