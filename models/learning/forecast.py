"""Moisture forecast: the correction a site's own history makes to the FAO-56 depletion forecast.

The physics forecast steps the root-zone balance (FAO-56 eq. 84-86: Ks from RAW, ETa =
Ks · Kc · ET0, effective rain and net irrigation in, clamped to 0..TAW) ahead from the
balance's depletion with the ET0 of the days ahead (forecast, or recent measured). The
probes, read against the configured soil, say what the depletion then was; where the
configured soil is wrong (a sandy loam taken for a loam holds less, drains sooner, reads
drier at field capacity), the physics forecast misses the same way day after day.

For each horizon h of :data:`HORIZONS_D` (1, 2, 3 days = 24, 48, 72 h) a model learns

    target = (observed depletion at day i + h − observed at day i)
             − (physics forecast for day i + h made at day i − balance's Dr at day i)

that is, the error of the physics forecast's *change* in depletion against the change the
probes saw. The level the probes read is not learned: on a soil whose true field capacity is
below the configured one, the probes read tens of mm "depleted" right after a refill, and a
forecast of that level would make the planner refill sooner; the change over one to three
days (the drying rate, drainage included) is measured well whatever the calibration, and it
is added to the balance's own depletion. A sample whose horizon holds a run is left out (the
planner forecasts the path without irrigation). Version 1 models (which learned the level) are
refused on load and retrained.

from features of day i: the balance's Dr and Dr/TAW, the probes' observed depletion and its
gap to Dr, ET0 of the last :data:`RECENT_D` days and of the days ahead, water and rain of the
last days and of the days ahead, days since the last water, DAP and Kc, and the physics
increment itself. The learned forecast is physics + predicted correction, from the balance's
own Dr.

Estimator: scikit-learn :class:`~sklearn.linear_model.Ridge` on standardised features. A
site has one season of daily samples (≈ 100-150 per horizon): boosted trees
(``GradientBoostingRegressor``) overfit that few rows, cannot extrapolate beyond the
depletions they saw, and their validation error swings with the seed; the correction is close
to linear in these features (an offset from a wrong θfc, a rate from a wrong TAW or Kc, the
gap between probes and balance carried forward), and ridge's L2 penalty keeps it small and
stable when the features are collinear. It fits in milliseconds, so the box can retrain daily.

Validation is time-ordered: the first ``1 − VALIDATION_FRACTION`` of the days train, the rest
validate, and a training sample whose target day falls in the validation period is dropped
(purged), so no observation of the validation period reaches the fit. A horizon's learned
forecast is used only when its validation MAE is lower than the physics forecast's on the same
days; the model is then refitted on every sample for use. Too few samples raise
:class:`~models.learning.errors.TooLittleDataError`: the physics forecast stays in charge.

Units: depths in mm, ET0 in mm/day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from models.learning.errors import LearningInputError, TooLittleDataError

__all__ = [
    "FORMAT_VERSION",
    "HORIZONS_D",
    "KIND",
    "MIN_SAMPLES",
    "WET_MM",
    "ForecastModel",
    "ForecastResult",
    "FutureDay",
    "HistoryDay",
    "Validation",
    "observed_change_target",
    "physics_path",
    "train_forecast",
]

KIND = "forecast"
FORMAT_VERSION = 2  # 2: the target is the observed change in depletion, not its level
HORIZONS_D: tuple[int, ...] = (1, 2, 3)  # 24, 48, 72 h
RECENT_D = 3  # days of past ET0, rain and water in the features
MIN_SAMPLES = 21  # usable 24 h samples (three weeks of days with probes) before a model is fitted
MIN_VALIDATION = 6  # validation samples per horizon
VALIDATION_FRACTION = 0.3  # the last 30 % of the days validate
RIDGE_ALPHA = 1.0  # L2 penalty on standardised features
WET_MM = 2.0  # water or rain above this (mm/day) counts as "watered" for days-since-water

FEATURES: tuple[str, ...] = (
    "observed_minus_dr_mm",
    "dr_fraction_taw",
    "et0_recent_mm_day",
    "rain_recent_mm",
    "water_recent_mm",
    "days_since_water",
    "etc_ahead_mm",
    "rain_ahead_mm",
    "water_ahead_mm",
    "physics_increment_mm",
)


def _finite(name: str, value: float, low: float | None = 0.0) -> None:
    if not math.isfinite(value) or (low is not None and value < low):
        bound = "" if low is None else f" and ≥ {low:g}"
        raise LearningInputError(f"forecast: {name} = {value!r} must be finite{bound}")


@dataclass(frozen=True)
class HistoryDay:
    """One zone-day of history, at the end of the day (mm unless named).

    ``dr_mm``: the balance's depletion, ``taw_mm``/``raw_mm`` its TAW and RAW;
    ``observed_mm``: the probes' depletion over the root zone against the configured soil
    (None: no good reading); ``et0_mm`` the day's ET0; ``rain_mm`` effective rain;
    ``water_mm`` net irrigation; ``kc`` the crop coefficient; ``dap`` days after planting.
    """

    dr_mm: float
    taw_mm: float
    raw_mm: float
    observed_mm: float | None
    et0_mm: float
    rain_mm: float
    water_mm: float
    kc: float
    dap: int

    def __post_init__(self) -> None:
        for name in ("dr_mm", "raw_mm", "et0_mm", "rain_mm", "water_mm", "kc"):
            _finite(name, float(getattr(self, name)))
        _finite("taw_mm", self.taw_mm)
        if self.taw_mm <= 0:
            raise LearningInputError(f"forecast: taw_mm = {self.taw_mm!r} must be > 0")
        if self.observed_mm is not None:
            _finite("observed_mm", self.observed_mm, None)


@dataclass(frozen=True)
class FutureDay:
    """One day ahead: ET0 (forecast or recent, mm/day), effective rain, net water and Kc."""

    et0_mm: float
    rain_mm: float = 0.0
    water_mm: float = 0.0
    kc: float = 1.0

    def __post_init__(self) -> None:
        for name in ("et0_mm", "rain_mm", "water_mm", "kc"):
            _finite(name, float(getattr(self, name)))


def physics_path(
    dr_mm: float, taw_mm: float, raw_mm: float, days: Sequence[FutureDay]
) -> list[float]:
    """Depletion at the end of each day ahead, FAO-56 eq. 84-86 (single Kc): Ks from RAW,
    Dr ← clamp(Dr − rain − water + Ks · Kc · ET0, 0, TAW), mm."""
    out, dr = [], min(max(dr_mm, 0.0), taw_mm)
    for d in days:
        ks = 1.0 if dr <= raw_mm else max((taw_mm - dr) / max(taw_mm - raw_mm, 1e-9), 0.0)
        dr = min(max(dr - d.rain_mm - d.water_mm + ks * d.kc * d.et0_mm, 0.0), taw_mm)
        out.append(dr)
    return out


def _features(
    history: Sequence[HistoryDay], i: int, ahead: Sequence[FutureDay], physics_mm: float
) -> list[float]:
    """The feature row of day ``i`` (state at its end) for a forecast over ``ahead``."""
    day = history[i]
    past = history[max(0, i - RECENT_D + 1) : i + 1]
    since = 0
    for k in range(i, -1, -1):
        if history[k].water_mm + history[k].rain_mm > WET_MM:
            break
        since += 1
    observed = day.observed_mm if day.observed_mm is not None else day.dr_mm
    return [
        observed - day.dr_mm,
        day.dr_mm / day.taw_mm,
        sum(p.et0_mm for p in past) / len(past),
        sum(p.rain_mm for p in past),
        sum(p.water_mm for p in past),
        float(min(since, 30)),
        sum(a.kc * a.et0_mm for a in ahead),
        sum(a.rain_mm for a in ahead),
        sum(a.water_mm for a in ahead),
        physics_mm - day.dr_mm,
    ]


def _ahead(history: Sequence[HistoryDay], i: int, h: int) -> list[FutureDay]:
    """The days i+1..i+h as they happened (training: their measured ET0, rain and water)."""
    return [FutureDay(d.et0_mm, d.rain_mm, d.water_mm, d.kc) for d in history[i + 1 : i + 1 + h]]


@dataclass(frozen=True)
class _Samples:
    day: np.ndarray  # index of the day the forecast is made on
    x: np.ndarray
    physics: np.ndarray  # physics forecast, mm
    observed: np.ndarray  # balance's Dr at day i + the probes' change to the target day, mm


def _samples(history: Sequence[HistoryDay], h: int) -> _Samples:
    days, rows, phys, obs = [], [], [], []
    for i in range(len(history) - h):
        start, end = history[i].observed_mm, history[i + h].observed_mm
        if start is None or end is None:
            continue
        ahead = _ahead(history, i, h)
        d = history[i]
        if _irrigated(ahead):
            continue
        physics = physics_path(d.dr_mm, d.taw_mm, d.raw_mm, ahead)[-1]
        days.append(i)
        rows.append(_features(history, i, ahead, physics))
        phys.append(physics)
        obs.append(observed_change_target(d.dr_mm, start, end))
    return _Samples(
        np.asarray(days, dtype=np.int64),
        np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES)),
        np.asarray(phys, dtype=np.float64),
        np.asarray(obs, dtype=np.float64),
    )


def observed_change_target(dr_mm: float, observed_now_mm: float, observed_then_mm: float) -> float:
    """What the probes say the balance's depletion became h days on, mm: the balance's own
    depletion now plus the change the probes saw (``observed_then − observed_now``).

    The change is what the probes measure well whatever the soil's calibration: a soil whose
    true field capacity is below the configured one reads tens of mm "depleted" even right
    after a refill, an offset that cancels in the difference of two readings."""
    return dr_mm + observed_then_mm - observed_now_mm


def _irrigated(ahead: Sequence[FutureDay]) -> bool:
    """Whether a run waters the days ahead (net water above :data:`WET_MM`). The probes'
    change over a run is mostly the depletion they read before it, their offset included,
    not a drying rate; the planner asks only for the path without irrigation, so these
    samples teach nothing it uses and are left out. Rain days stay in."""
    return sum(a.water_mm for a in ahead) > WET_MM


def _fit(x: np.ndarray, y: np.ndarray) -> Pipeline:
    model = make_pipeline(StandardScaler(), Ridge(alpha=RIDGE_ALPHA))
    model.fit(x, y)
    return model


@dataclass(frozen=True)
class Validation:
    """One horizon's time-ordered validation: mean absolute errors (mm) of the learned and the
    physics forecast on the same ``n_validation`` held-out days, after ``n_train`` samples."""

    horizon_d: int
    learned_mae_mm: float
    physics_mae_mm: float
    n_train: int
    n_validation: int

    @property
    def use_learned(self) -> bool:
        """The learned forecast is used only when it validated better than physics."""
        return self.learned_mae_mm < self.physics_mae_mm


@dataclass(frozen=True)
class ForecastResult:
    """A forecast from the end of the last history day: ``physics_mm`` and ``learned_mm`` at
    each horizon (mm), and per horizon whether the learned value is the one to use."""

    horizons_d: tuple[int, ...]
    physics_mm: tuple[float, ...]
    learned_mm: tuple[float, ...]
    use_learned: tuple[bool, ...]

    @property
    def chosen_mm(self) -> tuple[float, ...]:
        """Per horizon, the learned forecast where it validated better, else physics."""
        return tuple(
            lv if use else pv
            for lv, pv, use in zip(self.learned_mm, self.physics_mm, self.use_learned, strict=True)
        )


@dataclass(frozen=True)
class ForecastModel:
    """One zone's fitted corrections, one ridge pipeline per horizon, with their validation."""

    horizons_d: tuple[int, ...]
    models: tuple[Pipeline, ...]
    validation: tuple[Validation, ...]
    n_samples: int

    @property
    def use_learned(self) -> bool:
        """Whether the 24 h forecast is learned (the planner's first day)."""
        return self.validation[0].use_learned

    def predict(self, history: Sequence[HistoryDay], ahead: Sequence[FutureDay]) -> ForecastResult:
        """Forecast from the end of ``history[-1]`` over ``ahead`` (at least the longest
        horizon's days; water ahead is what will be applied, 0 for the no-irrigation path)."""
        if not history:
            raise LearningInputError("forecast: no history to forecast from")
        need = max(self.horizons_d)
        if len(ahead) < need:
            raise LearningInputError(f"forecast: {len(ahead)} days ahead given, need {need}")
        last = history[-1]
        path = physics_path(last.dr_mm, last.taw_mm, last.raw_mm, ahead[:need])
        i = len(history) - 1
        physics, learned = [], []
        for h, model in zip(self.horizons_d, self.models, strict=True):
            p = path[h - 1]
            x = np.asarray([_features(history, i, ahead[:h], p)], dtype=np.float64)
            correction = float(model.predict(x)[0])
            physics.append(p)
            learned.append(min(max(p + correction, 0.0), last.taw_mm * 1.5))
        return ForecastResult(
            self.horizons_d,
            tuple(physics),
            tuple(learned),
            tuple(v.use_learned for v in self.validation),
        )


def _validate(s: _Samples, h: int, first_validation_day: int) -> Validation:
    """Fit on the samples before ``first_validation_day`` whose target day is before it too
    (purged), score on the samples from it on. Too few: :class:`TooLittleDataError` counts
    usable days (probes read that day and ``h`` days on, no run between)."""
    train = s.day + h < first_validation_day
    test = s.day >= first_validation_day
    n_train, n_test = int(train.sum()), int(test.sum())
    if n_train < MIN_SAMPLES - h or n_test < MIN_VALIDATION:
        raise TooLittleDataError(
            f"forecast {24 * h} h: {n_train} training and {n_test} validation samples, "
            f"need {MIN_SAMPLES - h} and {MIN_VALIDATION}",
            have=n_train,
            need=MIN_SAMPLES - h,
        )
    model = _fit(s.x[train], s.observed[train] - s.physics[train])
    learned = s.physics[test] + model.predict(s.x[test])
    return Validation(
        h,
        float(np.mean(np.abs(learned - s.observed[test]))),
        float(np.mean(np.abs(s.physics[test] - s.observed[test]))),
        n_train,
        n_test,
    )


def train_forecast(history: Sequence[HistoryDay]) -> ForecastModel:
    """Fit one zone's correction per horizon on its days (oldest first, one per day, no
    gaps: a day without probes has ``observed_mm`` None). Raises
    :class:`TooLittleDataError` with fewer than :data:`MIN_SAMPLES` usable 24 h samples."""
    usable = sum(1 for d in history[1:] if d.observed_mm is not None)
    if usable < MIN_SAMPLES:
        raise TooLittleDataError(
            f"forecast: {usable} days with probe readings, need {MIN_SAMPLES}",
            have=usable,
            need=MIN_SAMPLES,
        )
    first_validation_day = int(len(history) * (1.0 - VALIDATION_FRACTION))
    models, checks = [], []
    for h in HORIZONS_D:
        s = _samples(history, h)
        checks.append(_validate(s, h, first_validation_day))
        models.append(_fit(s.x, s.observed - s.physics))
    return ForecastModel(HORIZONS_D, tuple(models), tuple(checks), usable)
