"""Flow signatures: a zone's normal run learned from its own runs, and slow drift flagged.

A zone's steady flow (m³/h, the median of its meter's readings once the line is full) is
nearly constant from run to run; what moves it is the supply pressure (kPa, when the site
has a transmitter) and slow faults: emitters clogging (less flow) or a leak (more flow).

Model. :func:`fit_signature` fits a :class:`sklearn.linear_model.HuberRegressor` of the
steady flow on the run's line pressure (standardized; a constant column when the site has no
transmitter or the pressure did not vary in training, so the fit is then a robust location).
Huber's loss is quadratic near the fit and linear beyond ``epsilon`` scale units, so the few
odd runs a real history holds (a run stopped early, a burst the supervisor cut) pull the
normal far less than a least-squares fit would, without the need to remove them first. The
residual scale is the fitted Huber scale, floored at ``min_sigma_pct`` of the normal flow (a
meter cannot resolve run-to-run changes finer than its own error). The learned fill time (s,
the median of the training runs') is kept for the page.

The fit itself (:func:`huber_line`) is the only use of scikit-learn: the daemon runs it in a
short-lived child process (:mod:`models.learning.child`) and :class:`FlowSignature` keeps
plain numbers, the line's intercept and coefficient (m³/h) and the Huber scale, so judging a
run is numpy arithmetic, the same as the estimator's own ``predict`` (``x @ coef +
intercept``) bit for bit.

Drift. One run's standardized residual ``z = (flow - normal) / sigma`` is not evidence: a
two-sided CUSUM (Page 1954) adds ``z - k`` (upward, leak) and ``-z - k`` (downward, clog) run
by run, floored at 0, and decides at ``h``, never on fewer than :data:`MIN_EXCURSION_RUNS`
runs, and each run's residual is clipped at :data:`Z_CLIP` before it is added (one odd run,
however far, is not a drift, nor does it carry the next normal run over ``h``). With
``k = 0.5`` and ``h = 4`` a step of 10 % against a 2 % scale (z = -5, clipped to -3) is
decided at its second run; noise alone (z ~ N(0, 1)) crosses ``h`` about once in several
hundred runs. A decision is only
reported when the mean change over the excursion is at least ``min_change_pct``, so a real
but negligible drift is not a leak. The confidence is one minus the one-sided p-value of the
excursion's mean residual, ``Phi(sum z / sqrt n)``.

Before ``min_runs`` runs a zone has no signature; :func:`fixed_verdict` judges a run
against the configured design flow with a fixed band instead (two runs in a row beyond it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from threadpoolctl import threadpool_limits

from models.learning.errors import LearningInputError, TooLittleDataError

__all__ = [
    "FORMAT_VERSION",
    "KIND",
    "Drift",
    "DriftState",
    "FlowRun",
    "FlowSignature",
    "FlowTuning",
    "Line",
    "fit_signature",
    "fixed_verdict",
    "huber_line",
    "step_drift",
]

KIND = "flow"
FORMAT_VERSION = 2  # 2: the signature is plain numbers (1 pickled the fitted HuberRegressor)
PRESSURE_MIN_SPREAD_KPA = 3.0  # below this training spread the pressure explains nothing
MIN_EXCURSION_RUNS = 2  # a drift is never decided on one run, however far it is
Z_CLIP = 3.0  # one run adds at most this many scale units to a CUSUM sum


@dataclass(frozen=True, slots=True)
class FlowTuning:
    """How the flow signature is learned and judged (``[learning.flow]`` of the site file)."""

    min_runs: int = 5  # runs before the learned signature replaces the fixed band
    window_runs: int = 40  # the newest normal runs a signature is trained on
    fixed_band_pct: float = 25.0  # fixed band around the design flow (before min_runs)
    min_sigma_pct: float = 2.0  # floor of the residual scale, % of the normal flow
    min_change_pct: float = 6.0  # smallest mean change reported as a leak or clog
    cusum_k: float = 0.5  # allowance per run, in scale units
    cusum_h: float = 4.0  # decision interval, in scale units


@dataclass(frozen=True, slots=True)
class FlowRun:
    """One run's features: steady flow (m³/h), fill time (s), line pressure (kPa) if read."""

    run_id: int
    steady_m3h: float
    fill_s: float
    pressure_kpa: float | None = None

    def check(self) -> None:
        for name in ("steady_m3h", "fill_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise LearningInputError(
                    f"run {self.run_id}: {name} {v!r} is not a finite value >= 0", element=name
                )
        if self.pressure_kpa is not None and not math.isfinite(self.pressure_kpa):
            raise LearningInputError(
                f"run {self.run_id}: pressure_kpa {self.pressure_kpa!r} is not finite",
                element="pressure_kpa",
            )


@dataclass(frozen=True)
class FlowSignature:
    """A zone's learned normal run (see the module docstring)."""

    intercept_m3h: float  # the Huber line's steady flow at the training mean pressure
    coef_m3h: float  # its change per standard deviation of pressure (0 without pressure)
    scale_m3h: float  # the Huber fit's own residual scale (before the floor)
    pressure_mean_kpa: float | None  # None: pressure not used
    pressure_sd_kpa: float
    normal_m3h: float  # predicted steady flow at the training pressure
    sigma_m3h: float  # residual scale (floored)
    fill_s: float  # median fill time of the training runs
    n_runs: int
    last_run_id: int  # newest run trained on

    def expected_m3h(self, pressure_kpa: float | None) -> float:
        """The normal steady flow (m³/h) at ``pressure_kpa`` (the training mean if unknown)."""
        x = self._x([pressure_kpa])
        # the estimator's predict, as it computes it: x @ coef + intercept
        return float((x @ np.array([self.coef_m3h]) + self.intercept_m3h)[0])

    def z(self, run: FlowRun) -> float:
        """The run's standardized residual (positive: more flow than normal)."""
        run.check()
        return (run.steady_m3h - self.expected_m3h(run.pressure_kpa)) / self.sigma_m3h

    def _x(self, pressures: list[float | None]) -> np.ndarray:
        if self.pressure_mean_kpa is None:
            return np.zeros((len(pressures), 1))
        mean = self.pressure_mean_kpa
        return np.array(
            [[((mean if p is None else p) - mean) / self.pressure_sd_kpa] for p in pressures]
        )


Line = Callable[[np.ndarray, np.ndarray], tuple[float, float, float]]
"""A fit of ``y`` (m³/h) on one column ``x``: (intercept, coefficient, scale), m³/h."""


def huber_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """The Huber fit of ``y`` (m³/h) on the column ``x`` (n×1): intercept, coefficient and
    residual scale (m³/h), as plain numbers. scikit-learn is imported here, by the fit."""
    from sklearn.linear_model import HuberRegressor

    regressor = HuberRegressor(epsilon=1.35, alpha=1e-3, max_iter=500)
    # an all-zero column leaves the coefficient at 0 and the intercept a robust location
    with threadpool_limits(limits=1):  # forty numbers: threads only contend on a small box
        regressor.fit(x, y)
    return float(regressor.intercept_), float(regressor.coef_[0]), float(regressor.scale_)


def fit_signature(
    runs: list[FlowRun], tuning: FlowTuning, *, line: Line = huber_line
) -> FlowSignature:
    """A signature from a zone's normal runs (oldest first; the newest ``window_runs`` used).

    ``line`` fits the Huber line (:func:`huber_line` here; the daemon passes one that runs it
    in a child process). :class:`TooLittleDataError` with fewer than ``tuning.min_runs``; a
    malformed run raises :class:`LearningInputError` naming it."""
    if len(runs) < tuning.min_runs:
        raise TooLittleDataError(
            f"{len(runs)} of {tuning.min_runs} runs", have=len(runs), need=tuning.min_runs
        )
    runs = runs[-tuning.window_runs :]
    for r in runs:
        r.check()
    y = np.array([r.steady_m3h for r in runs])
    pressures = [r.pressure_kpa for r in runs]
    known = np.array([p for p in pressures if p is not None])
    use_pressure = len(known) == len(runs) and float(np.ptp(known)) >= PRESSURE_MIN_SPREAD_KPA
    mean = float(known.mean()) if use_pressure else None
    sd = float(known.std()) if use_pressure and known.std() > 0 else 1.0
    x = ((known - mean) / sd).reshape(-1, 1) if mean is not None else np.zeros((len(runs), 1))
    intercept, coef, scale = line(x, y)
    normal = intercept
    if not (math.isfinite(normal) and normal > 0):
        raise LearningInputError(
            f"fitted normal flow {normal!r} m³/h is not positive", element="steady_m3h"
        )
    sigma = max(scale, normal * tuning.min_sigma_pct / 100)
    return FlowSignature(
        intercept_m3h=intercept,
        coef_m3h=coef,
        scale_m3h=scale,
        pressure_mean_kpa=mean,
        pressure_sd_kpa=sd,
        normal_m3h=normal,
        sigma_m3h=sigma,
        fill_s=float(np.median([r.fill_s for r in runs])),
        n_runs=len(runs),
        last_run_id=runs[-1].run_id,
    )


@dataclass(frozen=True, slots=True)
class Drift:
    """A decided drift: ``kind`` leak or clog, mean change (%), over ``runs`` runs, how sure."""

    kind: Literal["leak", "clog"]
    change_pct: float
    runs: int
    confidence: float
    normal_m3h: float


@dataclass(frozen=True, slots=True)
class DriftState:
    """The two CUSUM sums and the current excursion's residuals (newest last)."""

    up: float = 0.0
    down: float = 0.0
    z_up: tuple[float, ...] = ()  # residuals since ``up`` left 0
    z_down: tuple[float, ...] = ()
    change_up: tuple[float, ...] = field(default=())  # relative changes, same runs
    change_down: tuple[float, ...] = field(default=())


def step_drift(
    state: DriftState, signature: FlowSignature, run: FlowRun, tuning: FlowTuning
) -> tuple[DriftState, Drift | None]:
    """Add one run to the CUSUM; the new state and a drift when one is decided (the sum
    that decided is then reset, so a persisting fault is decided again later)."""
    z = max(-Z_CLIP, min(Z_CLIP, signature.z(run)))
    expected = signature.expected_m3h(run.pressure_kpa)
    change = (run.steady_m3h - expected) / expected
    up = max(0.0, state.up + z - tuning.cusum_k)
    down = max(0.0, state.down - z - tuning.cusum_k)
    s = DriftState(
        up=up,
        down=down,
        z_up=(*state.z_up, z) if up > 0 else (),
        z_down=(*state.z_down, z) if down > 0 else (),
        change_up=(*state.change_up, change) if up > 0 else (),
        change_down=(*state.change_down, change) if down > 0 else (),
    )
    for kind, total, zs, changes in (
        ("leak", s.up, s.z_up, s.change_up),
        ("clog", s.down, s.z_down, s.change_down),
    ):
        if total < tuning.cusum_h or len(zs) < MIN_EXCURSION_RUNS:
            continue
        mean_change = sum(changes) / len(changes)
        if abs(mean_change) * 100 < tuning.min_change_pct:
            continue
        stat = abs(sum(zs)) / math.sqrt(len(zs))
        drift = Drift(
            kind="leak" if kind == "leak" else "clog",
            change_pct=abs(mean_change) * 100,
            runs=len(zs),
            confidence=min(0.999, _phi(stat)),
            normal_m3h=signature.normal_m3h,
        )
        reset = (
            replace(s, up=0.0, z_up=(), change_up=())
            if kind == "leak"
            else replace(s, down=0.0, z_down=(), change_down=())
        )
        return reset, drift
    return s, None


def fixed_verdict(
    recent_m3h: list[float], design_m3h: float, tuning: FlowTuning, runs_needed: int = 2
) -> Drift | None:
    """Before a signature exists: a leak or clog when each of the last ``runs_needed`` steady
    flows is beyond the fixed band around the design flow, on the same side."""
    if design_m3h <= 0 or len(recent_m3h) < runs_needed:
        return None
    changes = [(f - design_m3h) / design_m3h for f in recent_m3h[-runs_needed:]]
    band = tuning.fixed_band_pct / 100
    for kind, beyond in (
        ("leak", all(c > band for c in changes)),
        ("clog", all(c < -band for c in changes)),
    ):
        if beyond:
            return Drift(
                kind="leak" if kind == "leak" else "clog",
                change_pct=abs(sum(changes) / len(changes)) * 100,
                runs=runs_needed,
                confidence=0.0,  # no learned scale: a fixed rule, not a probability
                normal_m3h=design_m3h,
            )
    return None


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))
