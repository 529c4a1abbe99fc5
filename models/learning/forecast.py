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

from features of day i: the balance's Dr/TAW, ET0 of the last :data:`RECENT_D` days and Kc ·
ET0 of the days ahead, water and rain of the last days and of the days ahead, days since the
last water, and the physics increment itself. The probes' reading of day i is not a feature:
it is the start of the target's change, so a fit given it learns to anticipate that
reading's noise and "wins" against its own reference (on noise alone, see the tests) while
moving the forecast away from the soil. The learned forecast is physics + predicted
correction, from the balance's own Dr.

Estimator: scikit-learn :class:`~sklearn.linear_model.Ridge` on standardised features. A
site has one season of daily samples (≈ 100-150 per horizon): boosted trees
(``GradientBoostingRegressor``) overfit that few rows, cannot extrapolate beyond the
depletions they saw, and their validation error swings with the seed; the correction is close
to linear in these features (a rate from a wrong TAW or Kc, a drainage after the last
water), and ridge's L2 penalty keeps it small and stable when the features are collinear.
It fits in milliseconds, so the box can retrain daily.

Validation is time-ordered (rolling origin): the last :data:`VALIDATION_FRACTION` of the days
are cut into :data:`VALIDATION_FOLDS` consecutive blocks, and each block is forecast by a fit
on the samples before it whose target day is before it too (purged), never shuffled, so no
observation of a block reaches the fit that forecasts it. Physics is scored on the same days
against the same reference. A horizon's learned forecast is used only when its validation MAE
is below physics' by more than :data:`MARGIN_SE` standard errors of the day-by-day gain (one
forecast in ``h`` counted as independent at horizon ``h``): a win within the noise is taken
for none. A horizon is learned only when it and every shorter one validated so
(:attr:`ForecastModel.used_at`); elsewhere the forecast *is* physics
(``ForecastResult.chosen_mm``). The model is then refitted on every sample for use. Too few
samples raise :class:`~models.learning.errors.TooLittleDataError`: the physics forecast stays
in charge.
Version 2 models (one validation block, used on any win) are refused on load and retrained.

What the validation can and cannot see: its reference is the probes' change, the only
independent measure a site has, and two probes at 20 and 40 cm see the wetted top of the
root zone dry faster than the whole of it. On the simulated seasons of
``python -m benchmarks.learning --part forecast``, scored against the simulated truth's
root-zone depletion, FAO-56's MAE barely grows from 24 to 72 h: its error is the balance's
level, a few mm that drift over the season and that no probe-derived change can see, and
there the margin keeps the learned forecast out.

Units: depths in mm, ET0 in mm/day.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from models.learning.errors import LearningInputError, TooLittleDataError

if TYPE_CHECKING:  # scikit-learn is imported by the fit, not by who plans with its result
    from sklearn.pipeline import Pipeline

__all__ = [
    "FORMAT_VERSION",
    "HORIZONS_D",
    "KIND",
    "MARGIN_SE",
    "MIN_SAMPLES",
    "VALIDATION_FOLDS",
    "VALIDATION_FRACTION",
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
FORMAT_VERSION = 3  # 2: the observed change, not the level; 3: validation margin, folds
HORIZONS_D: tuple[int, ...] = (1, 2, 3)  # 24, 48, 72 h
RECENT_D = 3  # days of past ET0, rain and water in the features
MIN_SAMPLES = 21  # usable 24 h samples (three weeks of days with probes) before a model is fitted
MIN_VALIDATION = 6  # validation samples per horizon
VALIDATION_FRACTION = 0.4  # the last 40 % of the days validate ...
VALIDATION_FOLDS = 3  # ... in this many consecutive blocks, each fitted on the days before it
MARGIN_SE = 2.0  # the learned forecast must beat physics by this many standard errors
RIDGE_ALPHA = 1.0  # L2 penalty on standardised features
WET_MM = 2.0  # water or rain above this (mm/day) counts as "watered" for days-since-water

FEATURES: tuple[str, ...] = (
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
    return [
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
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), Ridge(alpha=RIDGE_ALPHA))
    model.fit(x, y)
    return model


@dataclass(frozen=True)
class Validation:
    """One horizon's time-ordered validation: mean absolute errors (mm) of the learned and the
    physics forecast on the same ``n_validation`` held-out days, the first block used fitted on
    ``n_train`` samples, and the margin (mm) the learned one must win by."""

    horizon_d: int
    learned_mae_mm: float
    physics_mae_mm: float
    n_train: int
    n_validation: int
    margin_mm: float = 0.0

    @property
    def use_learned(self) -> bool:
        """The learned forecast is used only when its validation MAE is below physics' by
        more than ``margin_mm`` (:func:`_margin_mm`): a win within the noise is no win."""
        return self.physics_mae_mm - self.learned_mae_mm > self.margin_mm


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
        """Whether the learned forecast is used at any horizon (else it is physics only)."""
        return any(self.used_at)

    @property
    def used_at(self) -> tuple[bool, ...]:
        """Per horizon, whether the learned forecast is used: it validated better there and
        at every shorter horizon. The planner follows one path day by day; a path that is
        FAO-56's on day 1 and learned by day 2 would put a correction the 24 h validation
        could not tell from noise all into the second day."""
        out, so_far = [], True
        for v in self.validation:
            so_far = so_far and v.use_learned
            out.append(so_far)
        return tuple(out)

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
            self.used_at,
        )


def _validate(s: _Samples, h: int, n_days: int) -> Validation:
    """Rolling-origin validation over the last :data:`VALIDATION_FRACTION` of ``n_days``, in
    :data:`VALIDATION_FOLDS` consecutive blocks, oldest first: each block is forecast by a
    fit on the samples whose target day lies before the block (purged), never on a later or
    shuffled one; a block with too few samples before it is skipped (a short history). The
    learned and the physics errors are paired day by day. Too few samples:
    :class:`TooLittleDataError` counts usable days (probes read that day and ``h`` days on,
    no run between)."""
    first = int(n_days * (1.0 - VALIDATION_FRACTION))
    bounds = np.linspace(first, n_days, VALIDATION_FOLDS + 1).round().astype(np.int64)
    learned_err: list[np.ndarray] = []
    physics_err: list[np.ndarray] = []
    trained: list[int] = []  # training samples of each fold used
    for start, stop in itertools.pairwise(bounds):
        train = s.day + h < start
        test = (s.day >= start) & (s.day < stop)
        if int(train.sum()) < MIN_SAMPLES - h or not test.any():
            continue  # an early block of a short history: too little before it to fit
        model = _fit(s.x[train], s.observed[train] - s.physics[train])
        learned = s.physics[test] + model.predict(s.x[test])
        learned_err.append(np.abs(learned - s.observed[test]))
        physics_err.append(np.abs(s.physics[test] - s.observed[test]))
        trained.append(int(train.sum()))
    n_test = sum(len(e) for e in learned_err)
    if not trained or n_test < MIN_VALIDATION:
        have = int((s.day + h < bounds[-2]).sum())
        raise TooLittleDataError(
            f"forecast {24 * h} h: {have} training and {n_test} validation samples, "
            f"need {MIN_SAMPLES - h} and {MIN_VALIDATION}",
            have=have,
            need=MIN_SAMPLES - h,
        )
    le, pe = np.concatenate(learned_err), np.concatenate(physics_err)
    return Validation(
        h,
        float(le.mean()),
        float(pe.mean()),
        trained[0],
        n_test,
        _margin_mm(pe - le, h),
    )


def _margin_mm(gain_mm: np.ndarray, h: int) -> float:
    """What the learned forecast must win by (mm of MAE): :data:`MARGIN_SE` standard errors
    of the mean day-by-day gain ``|physics error| − |learned error|``. Forecasts ``h`` days
    ahead made on consecutive days share ``h − 1`` days of weather, so only one in ``h``
    counts as independent."""
    n_independent = max(len(gain_mm) // h, 2)
    sd = float(np.std(gain_mm, ddof=1)) if len(gain_mm) > 1 else math.inf
    return MARGIN_SE * sd / math.sqrt(n_independent)


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
    models, checks = [], []
    for h in HORIZONS_D:
        s = _samples(history, h)
        checks.append(_validate(s, h, len(history)))
        models.append(_fit(s.x, s.observed - s.physics))
    return ForecastModel(HORIZONS_D, tuple(models), tuple(checks), usable)
