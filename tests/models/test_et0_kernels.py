"""The numba kernels equal their plain-Python references on random inputs.

Inputs cover every missing-data path (NaN masks per element and whole absent arrays), invalid
values, every method/crop and both night-time procedures. The kernels hoist per-station and
per-day terms and use sin ωs = √(1 − cos² ωs), so results differ from the references only by
floating-point rounding: rtol 1e-12, and the flag arrays must be identical.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.et0 import codes
from models.et0.kernels import DAILY_EXPLAIN, HOURLY_EXPLAIN, daily_kernel, hourly_kernel
from models.et0.methods import daily_method, hourly_method
from models.et0.reference import daily_reference, hourly_reference

RTOL = 1e-12
ABSENT = np.empty((0, 0))


def _masked(rng: np.random.Generator, a: np.ndarray, p_nan: float) -> np.ndarray:
    """``a`` with NaN at random; sometimes the whole input is absent."""
    if rng.random() < 0.15:
        return ABSENT
    a = a.copy()
    a[rng.random(a.shape) < p_nan] = np.nan
    return a


def _outputs(shape: tuple[int, int], k: int) -> list[np.ndarray]:
    return [
        np.full(shape, -1.0),
        *(np.zeros(shape, np.uint8) for _ in range(5)),
        np.zeros((*shape, k)),
    ]


def _assert_same(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    np.testing.assert_allclose(a[0], b[0], rtol=RTOL, atol=1e-13, equal_nan=True)
    for fa, fb in zip(a[1:6], b[1:6], strict=True):
        np.testing.assert_array_equal(fa, fb)
    ok = a[4] == codes.ET0_PENMAN_MONTEITH
    np.testing.assert_allclose(a[6][ok], b[6][ok], rtol=RTOL, atol=1e-13)


def daily_inputs(seed: int, n_st: int = 5, n_t: int = 40) -> tuple[list[np.ndarray], ...]:
    rng = np.random.default_rng(seed)
    shape = (n_st, n_t)
    tmin = rng.uniform(-20, 30, shape)
    tmax = tmin + rng.uniform(0, 20, shape)
    rh_min = rng.uniform(5, 90, shape)
    rh_max = np.minimum(100, rh_min + rng.uniform(0, 40, shape))
    wx = [
        tmax,
        tmin,
        rh_max,
        rh_min,
        rng.uniform(10, 100, shape),
        tmin - rng.uniform(0, 5, shape),
        rng.uniform(0.1, 3, shape),
        rng.uniform(0, 8, shape),
        rng.uniform(0, 35, shape),
        rng.uniform(0, 8, shape),
    ]
    wx[0][rng.random(shape) < 0.05] = np.nan
    wx[2:] = [_masked(rng, a, 0.3) for a in wx[2:]]
    if wx[2].shape[0]:  # a few impossible values to exercise the checks
        wx[2][rng.random(shape) < 0.03] = 104.0
    station = [
        np.radians(rng.uniform(-66, 66, n_st)),
        rng.uniform(-50, 3000, n_st),
        rng.uniform(1.5, 10, n_st),
        rng.choice([0.16, 0.19], n_st),
    ]
    doy = rng.integers(1, 367, n_t).astype(np.float64)
    return wx, station, [doy]


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    method=st.sampled_from([("fao56", "short"), ("asce", "short"), ("asce", "tall")]),
    fallback=st.booleans(),
)
def test_daily_kernel_equals_reference(seed: int, method: tuple[str, str], fallback: bool) -> None:
    wx, station, doy = daily_inputs(seed)
    m = daily_method(*method)
    params = [m.Cn, m.Cd_day, m.sigma, m.delta_coef, fallback, 0.25, 0.5]
    shape = wx[0].shape
    got = _outputs(shape, len(DAILY_EXPLAIN))
    want = _outputs(shape, len(DAILY_EXPLAIN))
    daily_kernel(*wx, *station, *doy, *params, *got[:6], True, got[6])
    daily_reference(*wx, *station, *doy, *params, *want[:6], True, want[6])
    _assert_same(got, want)


def hourly_inputs(seed: int, n_st: int = 4, n_t: int = 72) -> tuple[list[np.ndarray], ...]:
    rng = np.random.default_rng(seed)
    shape = (n_st, n_t)
    T = rng.uniform(-10, 40, shape)
    T[rng.random(shape) < 0.03] = np.nan
    wx = [
        T,
        rng.uniform(5, 100, shape),
        T - rng.uniform(0, 15, shape),
        rng.uniform(0.1, 3, shape),
        rng.uniform(0, 10, shape),
        rng.uniform(0, 3.5, shape),
    ]
    wx[1:] = [_masked(rng, a, 0.2) for a in wx[1:]]
    if wx[1].shape[0]:
        wx[1][rng.random(shape) < 0.03] = 101.0
    station = [
        np.radians(rng.uniform(-60, 60, n_st)),
        rng.uniform(-180, 180, n_st),
        rng.uniform(0, 2500, n_st),
        rng.uniform(1.5, 10, n_st),
        15.0 * rng.integers(-12, 13, n_st).astype(np.float64),
    ]
    start = rng.integers(1, 360)
    hours = np.arange(n_t, dtype=np.float64)
    time = [start + hours // 24, hours % 24]
    return wx, station, time


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    method=st.sampled_from([("fao56", "short"), ("asce", "short"), ("asce", "tall")]),
    carry=st.booleans(),
)
def test_hourly_kernel_equals_reference(seed: int, method: tuple[str, str], carry: bool) -> None:
    wx, station, time = hourly_inputs(seed)
    m = hourly_method(*method)
    params = [
        1.0,
        m.Cn,
        m.Cd_day,
        m.Cd_night,
        m.G_day,
        m.G_night,
        m.sigma,
        m.delta_coef,
        carry,
        0.7,
    ]
    shape = wx[0].shape
    got = _outputs(shape, len(HOURLY_EXPLAIN))
    want = _outputs(shape, len(HOURLY_EXPLAIN))
    hourly_kernel(*wx, *station, *time, *params, *got[:6], True, got[6])
    hourly_reference(*wx, *station, *time, *params, *want[:6], True, want[6])
    _assert_same(got, want)


@pytest.mark.parametrize("explain", [False, True])
def test_explain_does_not_change_et0(explain: bool) -> None:
    wx, station, doy = daily_inputs(7)
    m = daily_method("asce", "short")
    params = [m.Cn, m.Cd_day, m.sigma, m.delta_coef, False, 0.25, 0.5]
    a = _outputs(wx[0].shape, len(DAILY_EXPLAIN))
    b = _outputs(wx[0].shape, len(DAILY_EXPLAIN))
    daily_kernel(*wx, *station, *doy, *params, *a[:6], explain, a[6])
    daily_kernel(*wx, *station, *doy, *params, *b[:6], not explain, b[6])
    np.testing.assert_array_equal(a[0], b[0])
