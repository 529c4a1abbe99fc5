"""Probe calibration against samples with known answers; nonsense refused naming the sample."""

from __future__ import annotations

import random

import pytest

from models.learning import (
    CalibrationSample,
    LearningInputError,
    TooLittleDataError,
    fit_calibration,
)
from models.learning.calibration import fit_each


def _samples(gain: float, offset: float, raws: list[float], noise: float = 0.0, seed: int = 1):
    rng = random.Random(seed)
    # the probe reads raw; the truth is θ = gain · raw + offset (+ the reference's error)
    return [
        CalibrationSample(raw, gain * raw + offset + rng.gauss(0, noise), label=f"s{i}")
        for i, raw in enumerate(raws)
    ]


def test_one_sample_gives_an_offset_only() -> None:
    cal = fit_calibration([CalibrationSample(30.0, 26.5)])
    assert not cal.gain_fitted and cal.gain == 1.0
    assert cal.offset_pct == pytest.approx(-3.5)
    assert cal.theta_pct(20.0) == pytest.approx(16.5)
    assert cal.se_pct == pytest.approx(1.5)  # the gravimetric σ, alone


def test_exact_samples_give_the_true_line() -> None:
    cal = fit_calibration(_samples(0.8, 2.0, [15.0, 25.0, 35.0, 40.0]))
    assert cal.gain_fitted and cal.n_samples == 4
    assert cal.gain == pytest.approx(0.8) and cal.offset_pct == pytest.approx(2.0)
    assert cal.rms_residual_pct == pytest.approx(0.0, abs=1e-9)


def test_noisy_samples_come_near_the_truth_within_their_uncertainty() -> None:
    raws = [12.0, 18.0, 24.0, 30.0, 36.0, 42.0] * 3
    cal = fit_calibration(_samples(1.2, -6.0, raws, noise=1.5, seed=4))
    for raw in (15.0, 30.0, 40.0):
        truth = 1.2 * raw - 6.0
        assert abs(cal.theta_pct(raw) - truth) < 3 * cal.theta_se_pct(raw)
    assert 0.2 < cal.se_pct < 1.0
    # outside the raw range sampled the calibration is less sure than in its middle
    assert cal.theta_se_pct(80.0) > 2 * cal.se_pct


def test_more_samples_shrink_the_uncertainty_and_scatter_widens_it() -> None:
    few = fit_calibration(_samples(1.0, 0.0, [15.0, 25.0, 35.0]))
    many = fit_calibration(_samples(1.0, 0.0, [15.0, 25.0, 35.0] * 4))
    assert many.se_pct < few.se_pct
    scattered = fit_calibration(_samples(1.0, 0.0, [15.0, 25.0, 35.0] * 4, noise=6.0, seed=2))
    assert scattered.se_pct > many.se_pct


def test_samples_at_one_raw_value_cannot_tell_a_gain() -> None:
    cal = fit_calibration(_samples(0.7, 0.0, [30.0, 30.5, 31.0, 30.2]))
    assert not cal.gain_fitted and cal.gain == 1.0
    assert cal.theta_pct(30.4) == pytest.approx(0.7 * 30.4, abs=0.3)


def test_two_samples_are_an_offset_three_a_line() -> None:
    two = fit_calibration(_samples(0.5, 10.0, [20.0, 40.0]))
    three = fit_calibration(_samples(0.5, 10.0, [20.0, 30.0, 40.0]))
    assert not two.gain_fitted and three.gain_fitted
    assert three.gain == pytest.approx(0.5)


def test_no_sample_is_too_little_data() -> None:
    with pytest.raises(TooLittleDataError) as err:
        fit_calibration([])
    assert (err.value.have, err.value.need) == (0, 1)


@pytest.mark.parametrize(
    ("raw", "theta", "what"),
    [(30.0, 75.0, "reference θ"), (30.0, -1.0, "reference θ"), (130.0, 20.0, "raw reading")],
)
def test_a_sample_out_of_range_is_refused_by_name(raw: float, theta: float, what: str) -> None:
    samples = [*_samples(1.0, 0.0, [20.0, 25.0]), CalibrationSample(raw, theta, label="#17")]
    with pytest.raises(LearningInputError) as err:
        fit_calibration(samples)
    assert err.value.element == "#17"
    assert "#17" in str(err.value) and what in str(err.value)


def test_a_falling_line_is_refused_naming_the_sample_at_odds() -> None:
    good = _samples(1.0, 0.0, [15.0, 20.0, 25.0, 30.0])
    wrong = CalibrationSample(35.0, 2.0, label="#9 (2026-06-02 08:00)")  # θ typed as 2 for 32
    with pytest.raises(LearningInputError) as err:
        fit_calibration([*good[:2], wrong])
    assert err.value.element == "#9 (2026-06-02 08:00)"
    assert "gain" in str(err.value) and "#9" in str(err.value)
    # with more good samples the gain stays positive but implausibly flat: still refused
    with pytest.raises(LearningInputError):
        fit_calibration([*good[:2], wrong, CalibrationSample(34.0, 1.0, label="#10")])


def test_a_gain_out_of_range_within_the_samples_errors_is_an_offset_only() -> None:
    # three samples 3.5 % apart in raw: the reference errors (1.5 %) alone can tilt the line
    # below zero; that is too little spread to tell a gain, not a wrong sample
    samples = [
        CalibrationSample(30.0, 25.0, label="a"),
        CalibrationSample(31.5, 26.0, label="b"),
        CalibrationSample(33.5, 23.0, label="c"),
    ]
    cal = fit_calibration(samples)
    assert not cal.gain_fitted and cal.gain == 1.0
    assert cal.offset_pct == pytest.approx((25.0 - 30.0 + 26.0 - 31.5 + 23.0 - 33.5) / 3)


def test_each_probe_is_fitted_and_a_probe_that_fails_answers_with_its_error() -> None:
    good = _samples(1.1, -2.0, [12.0, 20.0, 28.0, 36.0])
    bad = [CalibrationSample(20.0, 75.0, 1.5, "typo")]
    one, failed, none = fit_each([good, bad, []])
    assert one == fit_calibration(good)
    assert isinstance(failed, LearningInputError) and failed.element == "typo"
    assert isinstance(none, TooLittleDataError) and none.need == 1
