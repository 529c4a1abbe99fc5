"""Soil-probe calibration: a probe's raw reading (% vol) → volumetric θ (% vol), from samples.

A technician takes soil samples next to a probe: gravimetric (water mass / dry mass × bulk
density, ± ~1.5 % vol) or a reference probe's θ (± ~1 % vol), each with the probe's raw
reading at that time. :func:`fit_calibration` fits ``θ = gain · raw + offset``:

* 1 sample, or samples whose raw readings span less than :data:`MIN_RAW_SPAN_PCT`, or
  whose fitted gain is out of range by less than twice its standard error from the samples'
  reference errors (the gain cannot be told from them): **offset only** (gain 1), the
  weighted mean difference;
* :data:`MIN_SAMPLES_GAIN` or more samples spanning enough: **gain and offset**, a weighted
  least-squares line (scikit-learn ``LinearRegression``, weights 1 / σ² of each method).

Uncertainty: each sample's reference error σ (its method's, :data:`METHOD_SD_PCT`, or given)
is the prior; when the samples scatter more about the fit than those σ say (χ²/dof > 1: the
soil is patchy, the probe noisy), the covariance is scaled up by that factor. The standard
error of the calibrated θ at a raw value is ``sqrt(xᵀ C x)``, ``x = (1, raw)``: smallest at
the samples' mean, growing outside the range sampled.

Nonsense is refused with :class:`~models.learning.errors.LearningInputError` naming the sample
(``element``): a θ or raw value out of range, a fitted gain ≤ 0 or outside
[:data:`MIN_GAIN`, :data:`MAX_GAIN`] by more than the samples' reference errors explain
(the sample pulling the fit most is named). Too few
samples (none) is :class:`~models.learning.errors.TooLittleDataError`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.learning.errors import LearningInputError, TooLittleDataError

__all__ = [
    "FORMAT_VERSION",
    "KIND",
    "MAX_GAIN",
    "MAX_RAW_PCT",
    "MAX_THETA_PCT",
    "METHOD_SD_PCT",
    "MIN_GAIN",
    "MIN_RAW_SPAN_PCT",
    "MIN_SAMPLES_GAIN",
    "CalibrationSample",
    "ProbeCalibration",
    "fit_calibration",
    "fit_each",
]

KIND = "probe_calibration"
FORMAT_VERSION = 1

# Reference error (1 σ, % vol) of each sampling method: a gravimetric sample with a measured
# bulk density, a reference (laboratory-calibrated or TDR) probe.
METHOD_SD_PCT: dict[str, float] = {"gravimetric": 1.5, "reference": 1.0}
MAX_THETA_PCT = 60.0  # no mineral soil holds more water than this by volume
MAX_RAW_PCT = 100.0  # a probe's raw reading, % vol as it reports it
MIN_SAMPLES_GAIN = 3  # fewer: offset only
MIN_RAW_SPAN_PCT = 3.0  # raw readings spanning less cannot tell a gain: offset only
MIN_GAIN, MAX_GAIN = 0.25, 4.0  # a gain outside is a mistake in the samples, not a soil


@dataclass(frozen=True, slots=True)
class CalibrationSample:
    """One soil sample: the probe's ``raw_pct`` next to the reference ``theta_pct`` (% vol).

    ``sd_pct`` is the reference's 1 σ error; ``label`` names the sample in errors."""

    raw_pct: float
    theta_pct: float
    sd_pct: float = METHOD_SD_PCT["gravimetric"]
    label: str = ""


@dataclass(frozen=True, slots=True)
class ProbeCalibration:
    """``θ = gain · raw + offset_pct`` (% vol), with its covariance for the uncertainty."""

    gain: float
    offset_pct: float
    n_samples: int
    gain_fitted: bool  # False: offset only (gain 1)
    cov: tuple[tuple[float, float], tuple[float, float]]  # of (offset, gain), (% vol)² ...
    raw_min_pct: float
    raw_max_pct: float
    rms_residual_pct: float  # of the samples about the fit

    def theta_pct(self, raw_pct: float) -> float:
        """The calibrated θ (% vol) of a raw reading (% vol)."""
        return self.gain * raw_pct + self.offset_pct

    def theta_se_pct(self, raw_pct: float) -> float:
        """1 σ standard error (% vol) of :meth:`theta_pct` at ``raw_pct`` (the calibration's,
        not the probe's reading noise)."""
        (c00, c01), (_, c11) = self.cov
        var = c00 + 2.0 * raw_pct * c01 + raw_pct * raw_pct * c11
        return math.sqrt(max(var, 0.0))

    @property
    def se_pct(self) -> float:
        """The standard error (% vol) in the middle of the raw range sampled."""
        return self.theta_se_pct((self.raw_min_pct + self.raw_max_pct) / 2.0)


def _name(sample: CalibrationSample, i: int) -> str:
    return sample.label or f"sample {i + 1}"


def _check(samples: Sequence[CalibrationSample]) -> None:
    for i, s in enumerate(samples):
        name = _name(s, i)
        if not (math.isfinite(s.theta_pct) and 0.0 <= s.theta_pct <= MAX_THETA_PCT):
            raise LearningInputError(
                f"{name}: reference θ {s.theta_pct} % vol is outside 0–{MAX_THETA_PCT:g} %",
                element=name,
            )
        if not (math.isfinite(s.raw_pct) and 0.0 <= s.raw_pct <= MAX_RAW_PCT):
            raise LearningInputError(
                f"{name}: probe raw reading {s.raw_pct} % is outside 0–{MAX_RAW_PCT:g} %",
                element=name,
            )
        if not (math.isfinite(s.sd_pct) and s.sd_pct > 0.0):
            raise LearningInputError(
                f"{name}: reference error {s.sd_pct} % must be > 0", element=name
            )


def _line(raw: np.ndarray, theta: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """(gain, offset) of the weighted least-squares line."""
    from sklearn.linear_model import LinearRegression  # the fit's, never who reads θ

    reg = LinearRegression().fit(raw.reshape(-1, 1), theta, sample_weight=w)
    return float(reg.coef_[0]), float(reg.intercept_)


def fit_calibration(samples: Sequence[CalibrationSample]) -> ProbeCalibration:
    """Fit a probe's calibration from its samples (see the module docstring)."""
    if not samples:
        raise TooLittleDataError("no soil sample for this probe", have=0, need=1)
    _check(samples)
    raw = np.array([s.raw_pct for s in samples], dtype=float)
    theta = np.array([s.theta_pct for s in samples], dtype=float)
    w = 1.0 / np.array([s.sd_pct for s in samples], dtype=float) ** 2
    n = len(samples)
    with_gain = n >= MIN_SAMPLES_GAIN and float(raw.max() - raw.min()) >= MIN_RAW_SPAN_PCT
    if with_gain:
        gain, offset = _line(raw, theta, w)
        x = np.column_stack([np.ones(n), raw])
        cov = np.linalg.inv(x.T @ (x * w[:, None]))
        dof = n - 2
        if not (MIN_GAIN <= gain <= MAX_GAIN):
            # Could the samples' own reference error have put the gain this far out? Then
            # they lie too close together to tell a gain: offset only. Otherwise a sample
            # is wrong (a typo, another probe's reading): refused, naming it.
            reach = 2.0 * math.sqrt(float(cov[1, 1]))
            if gain + reach < MIN_GAIN or gain - reach > MAX_GAIN:
                culprit = _pulling_most(samples, raw, theta, w)
                found = samples[_index(samples, culprit)]
                raise LearningInputError(
                    f"fitted gain {gain:.2f} is outside {MIN_GAIN:g}–{MAX_GAIN:g} "
                    f"(θ should rise with the probe's reading); check {culprit} "
                    f"(raw {found.raw_pct:g} %, θ {found.theta_pct:g} %)",
                    element=culprit,
                )
            with_gain = False
    if not with_gain:
        gain = 1.0
        offset = float(np.sum(w * (theta - raw)) / np.sum(w))
        cov = np.array([[1.0 / float(np.sum(w)), 0.0], [0.0, 0.0]])
        dof = n - 1
    residual = theta - (gain * raw + offset)
    if dof > 0:
        chi2_per_dof = float(np.sum(w * residual**2)) / dof
        cov = cov * max(1.0, chi2_per_dof)
    return ProbeCalibration(
        gain=gain,
        offset_pct=offset,
        n_samples=n,
        gain_fitted=with_gain,
        cov=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
        raw_min_pct=float(raw.min()),
        raw_max_pct=float(raw.max()),
        rms_residual_pct=float(np.sqrt(np.mean(residual**2))),
    )


def fit_each(
    probes: Sequence[Sequence[CalibrationSample]],
) -> list[ProbeCalibration | Exception]:
    """:func:`fit_calibration` of each probe's samples, its error in place of a probe that
    cannot be fitted: every probe of a box in one call, so one child process fits them all
    (:mod:`models.learning.child`)."""
    out: list[ProbeCalibration | Exception] = []
    for samples in probes:
        try:
            out.append(fit_calibration(samples))
        except Exception as exc:  # the caller reports it for this probe only
            out.append(exc)
    return out


def _index(samples: Sequence[CalibrationSample], name: str) -> int:
    return next(i for i, s in enumerate(samples) if _name(s, i) == name)


def _pulling_most(
    samples: Sequence[CalibrationSample], raw: np.ndarray, theta: np.ndarray, w: np.ndarray
) -> str:
    """The sample whose removal brings the gain nearest 1 (the one most at odds), by name."""
    best, best_i = math.inf, 0
    for i in range(len(samples)):
        keep = np.arange(len(samples)) != i
        if float(raw[keep].max() - raw[keep].min()) < MIN_RAW_SPAN_PCT:
            continue
        gain, _ = _line(raw[keep], theta[keep], w[keep])
        if abs(gain - 1.0) < best:
            best, best_i = abs(gain - 1.0), i
    return _name(samples[best_i], best_i)
