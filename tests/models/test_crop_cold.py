"""Cold on maize transpiration (models/crops/cold.py): hand-worked answers."""

from __future__ import annotations

import math

import pytest

from models.crops.cold import cold_gdd, cold_kc, cold_stress_coefficient
from models.errors import ModelInputError


def test_degree_days_method_3() -> None:
    assert cold_gdd(25.0, 10.0) == pytest.approx(9.5)  # (25 + 10) / 2 − 8
    assert cold_gdd(35.0, 20.0) == pytest.approx(17.0)  # Tmax held at 30: (30 + 20) / 2 − 8
    assert cold_gdd(10.0, -2.0) == 0.0  # mean 4 °C, below the base: none
    assert cold_gdd(12.0, 2.0) == 0.0  # (12 + 2) / 2 = 7 < 8
    with pytest.raises(ModelInputError, match="tmax_c"):
        cold_gdd(5.0, 10.0)
    with pytest.raises(ModelInputError, match="tmax_c"):
        cold_gdd(math.nan, 10.0)


def test_the_logistic_by_hand() -> None:
    # f = −ln[(0.02 − 0.98 · 0.02) / (0.98 · 0.98)] = ln 2401; at x = 1/2, e^(−f/2) = 1/49:
    # Ks = 0.02 / (0.02 + 0.98 / 49) − 0.02 · 0.5 = 0.5 − 0.01
    assert cold_stress_coefficient(6.0) == pytest.approx(0.49)
    # x = 1/3: e^(−ln 2401 / 3) = 2401^(−1/3) = 0.074680; 0.02 / (0.02 + 0.073186) − 0.013333
    assert cold_stress_coefficient(4.0) == pytest.approx(0.201291, abs=1e-5)
    assert cold_stress_coefficient(12.0) == 1.0
    assert cold_stress_coefficient(15.0) == 1.0
    assert cold_stress_coefficient(0.0) == 0.0
    assert cold_stress_coefficient(11.9) < 1.0
    # rises with the degree days
    ks = [cold_stress_coefficient(g / 2) for g in range(25)]
    assert ks == sorted(ks)


def test_only_the_transpiring_share_of_kc_feels_it() -> None:
    # Kcb 1.15 above Kc min 0.15: share 1.0 × (1 − 0.49) = 0.51 off Kc 1.2 and Kcb 1.15
    kc, kcb = cold_kc(1.2, 1.15, 0.15, 0.49)
    assert (kc, kcb) == (pytest.approx(0.69), pytest.approx(0.64))
    assert cold_kc(1.2, 1.15, 0.15, 1.0) == (1.2, 1.15)
    # bare soil (Kcb at Kc min): evaporation only, nothing to take
    assert cold_kc(0.3, 0.15, 0.15, 0.0) == (0.3, 0.15)
    # no transpiration at all: Kcb down to Kc min, Kc keeps its evaporation share
    assert cold_kc(1.2, 1.15, 0.15, 0.0) == (pytest.approx(0.2), pytest.approx(0.15))
