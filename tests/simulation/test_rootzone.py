"""The referee's root-zone water equals AquaCrop's own, bit for bit, and is what the
aquacrop modules call once the referee is imported."""

from __future__ import annotations

import importlib
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import controller.simulation.referee.aquacrop  # noqa: F401  (installs the twin)
from controller.simulation.referee.rootzone import CALLERS, ORIGINAL, install, root_zone_water

theta = st.floats(0.0, 0.55, allow_nan=False)


@st.composite
def cases(draw: st.DrawFn) -> tuple[object, ...]:
    n = draw(st.integers(1, 14))
    dz = np.array([draw(st.sampled_from([0.05, 0.1, 0.15, 0.2, 0.25, 0.3])) for _ in range(n)])
    dzsum = np.round(np.cumsum(dz), 2)
    wp = np.array([draw(st.floats(0.02, 0.2)) for _ in range(n)])
    fc = wp + np.array([draw(st.floats(0.02, 0.2)) for _ in range(n)])
    sat = fc + np.array([draw(st.floats(0.02, 0.15)) for _ in range(n)])
    dry = wp / 2
    prof = SimpleNamespace(dz=dz, dzsum=dzsum, th_s=sat, th_fc=fc, th_wp=wp, th_dry=dry)
    th = np.array([draw(theta) for _ in range(n)])
    depth = float(dzsum[-1])
    z_root = draw(st.floats(0.0, depth))
    z_min = draw(st.floats(0.0, min(0.3, depth)))
    z_top = draw(st.floats(0.05, depth))
    z_top_value = np.float64(z_top) if draw(st.booleans()) else z_top
    aer = draw(st.floats(0.0, 10.0))
    return prof, z_root, th, z_top_value, z_min, aer


def _same(a: object, b: object) -> bool:
    x, y = float(a), float(b)  # type: ignore[arg-type]
    return x == y or (math.isnan(x) and math.isnan(y))


# no root zone (roots and Zmin both 0) divides 0 by 0 in the original too
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@settings(max_examples=400, deadline=None)
@given(cases())
def test_equals_aquacrop_bit_for_bit(case: tuple[object, ...]) -> None:
    assert ORIGINAL is not root_zone_water
    try:
        expected = ORIGINAL(*case)
    except (AssertionError, IndexError) as exc:  # a top soil or root zone past the profile
        with pytest.raises(type(exc)):
            root_zone_water(*case)
        return
    got = root_zone_water(*case)
    assert len(got) == len(expected) == 11
    assert all(_same(a, b) for a, b in zip(got, expected, strict=True)), (got, expected)


def test_on_rounding_edges() -> None:
    """Root depths and storages on a half of a hundredth: NumPy's rounding, not Python's."""
    dz = np.array([0.1] * 8)
    prof = SimpleNamespace(
        dz=dz,
        dzsum=np.round(np.cumsum(dz), 2),
        th_s=np.full(8, 0.45),
        th_fc=np.full(8, 0.305),
        th_wp=np.full(8, 0.125),
        th_dry=np.full(8, 0.0625),
    )
    th = np.linspace(0.1, 0.3, 8)
    for z_root in (0.125, 0.135, 0.145, 0.155, 0.305, 0.795):
        for z_top in (0.1, 0.105, np.float64(0.115)):
            case = (prof, z_root, th, z_top, 0.1, 5.0)
            assert [float(v) for v in root_zone_water(*case)] == [float(v) for v in ORIGINAL(*case)]


def test_the_aquacrop_modules_call_the_twin() -> None:
    for name in CALLERS:
        assert importlib.import_module(name).root_zone_water is root_zone_water
    assert install() == []  # again: nothing changed, nothing refused
