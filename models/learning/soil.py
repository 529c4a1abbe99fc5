"""A zone's effective soil and crop coefficient from its probes' dry-downs after each run.

A **dry-down** (:class:`DryDown`) is the zone's root-zone probes' volumetric water content θ
(m³/m³, calibrated, averaged over the probes) at the end of each day: index 0 the evening
before an irrigation run, then the day of the run and each following day until the next
run, with each day's net water into the soil (metered gross × efficiency, mm), effective rain
(mm), reference evapotranspiration ET0 (mm) and calendar crop coefficient Kc (the crop
library's, mulched), the root depth Zr (m) and the FAO-56 depletion fraction p (Table 22,
adjusted for ETc).

:func:`fit_soil` fits three numbers shared by all the zone's dry-downs:

* ``wp_m3m3``: the effective wilting point θwp;
* ``fc_m3m3``: the effective field capacity θfc (fitted as θwp + (θfc − θwp));
* ``kc_factor``: the correction of the calendar Kc, ETc adj = Ks · kc_factor · Kc · ET0
  (FAO-56 eq. 80 with the single Kc of eq. 56);

so TAW = 1000 (θfc − θwp) Zr (eq. 82). The model is the FAO-56 root-zone balance kept in
available water A = TAW − Dr (mm, :func:`simulate_available_mm`): each day's water enters
first and what would rise above TAW drains (Dr ≥ 0, eq. 85's DP); then the crop takes
ETc adj with Ks = A / ((1 − p) TAW) below RAW = p · TAW (eq. 84). A is chained from one
dry-down to the next (the metered water of each run is what moves it), so the water in mm
ties the curves to TAW.

The probes see θ at their depths, not the root zone's mean: a run wets the top of the root
zone first. Crops take water from each layer in proportion to its water above θwp, so the
probes' θ − θwp stays proportional to A between wettings: θ = θwp + A / (1000 z), with one
sensed depth z (m) per wetting (the run, and each day with :data:`WETTING_MM` of rain or
more), fitted. The :data:`SETTLE_DAYS` evenings after a wetting are left out: the water is
still spreading. What the dry-downs tell:

* their slope above RAW against Kc · ET0 and the metered water that refilled them:
  ``kc_factor``;
* their bend below RAW, an exponential decay of θ − θwp at the rate
  kc_factor · Kc · ET0 / ((1 − p) TAW): θwp (the level it tends to) and TAW;
* the level the probes drain to after a run that wetted them past field capacity (their θ
  falls faster over the settling days than the crop's use explains, :func:`_plateau`):
  θfc, each such run an observation of it (σ :data:`PLATEAU_SD_M3M3`; drainage stops at
  θfc, eq. 88), except a level more than :data:`PLATEAU_LOW_M3M3` below the highest: a run
  that wetted only the upper probe (:func:`_drained_levels`). This is what pins TAW in mm
  when the probes see only the top of the roots.

Priors: the configured texture's θfc and θwp (σ :data:`PRIOR_SD_M3M3`, about half the spread
of a FAO-56 Table 19 texture class) and ``kc_factor`` 1 (σ :data:`PRIOR_SD_KC_FACTOR`). Dry-
downs that never pass RAW leave TAW near the prior with a large standard error. The fit is a
weighted nonlinear least squares (:func:`scipy.optimize.least_squares`). Its Jacobian gives
standard errors with the probes' scatter about the fit standing for their reading error (never
below :data:`MIN_READING_SD_M3M3`); they miss what the model gets wrong the same way over a
dry-down (the probes see the rewetted top while the deep roots dry), which shows as dry-downs
that disagree. So each standard error is at least the delete-a-group jackknife's: the fit
repeated leaving out each of up to :data:`JACKKNIFE_GROUPS` consecutive groups of dry-downs.

Fewer than :data:`MIN_DRYDOWNS` usable dry-downs (a run with water metered, then at least
:data:`SETTLE_DAYS` + :data:`MIN_DAYS` days) is :class:`~models.learning.errors.TooLittleDataError`;
malformed input is :class:`~models.learning.errors.LearningInputError` naming the dry-down.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.learning.errors import LearningInputError, TooLittleDataError

__all__ = [
    "FORMAT_VERSION",
    "KIND",
    "MIN_DAYS",
    "MIN_DRYDOWNS",
    "DryDown",
    "SoilFit",
    "SoilPrior",
    "fit_soil",
    "simulate_available_mm",
]

KIND = "soil"
FORMAT_VERSION = 1

MIN_DRYDOWNS = 3
MIN_DAYS = 3  # evenings fitted after the settling: fewer show no slope
PRIOR_SD_M3M3 = 0.05
PRIOR_SD_KC_FACTOR = 0.15
MIN_READING_SD_M3M3 = 0.002
SUBSTEPS = 4  # per day, so the stress bend is followed smoothly
N_SHARED = 3  # θwp, θfc − θwp, kc_factor; then each dry-down's sensed depth, the starts
MIN_SENSED_M, MAX_SENSED_M = 0.05, 3.0
MAX_START_MM = 1000.0
WETTING_MM = 5.0
DRAINED_M3M3 = 0.01
DRAIN_RATIO = 1.5
PLATEAU_SD_M3M3 = 0.01  # a day's water or rain from which the probes' θ must settle again
PLATEAU_LOW_M3M3 = 3.0 * PLATEAU_SD_M3M3  # below the highest drained level: partly wetted
KC_FACTOR_LIMITS = (0.3, 2.0)  # the fit's search bounds (the setting is clipped to its range)
JACKKNIFE_GROUPS = 5  # refits for the jackknife: bounds the time on a long season
SETTLE_DAYS = 3  # days after the run's own while the water spreads through the root zone
_MIN_AW_M3M3 = 0.02  # θfc − θwp at least this
_THETA_MAX = 0.6


@dataclass(frozen=True, slots=True)
class DryDown:
    """One run and the days after it (module docstring). ``theta_m3m3`` has one value more
    than the daily inputs: the evening before the run comes first."""

    theta_m3m3: tuple[float, ...]
    water_mm: tuple[float, ...]  # net, per day after index 0 (the run's on day 1)
    rain_mm: tuple[float, ...]
    et0_mm: tuple[float, ...]
    kc: tuple[float, ...]
    root_depth_m: float
    p: float = 0.5  # FAO-56 Table 22 depletion fraction, for Ks (eq. 84)
    follows_previous: bool = True  # index 0 is the previous dry-down's last evening
    label: str = ""

    @property
    def days(self) -> int:
        return len(self.et0_mm)


@dataclass(frozen=True, slots=True)
class SoilPrior:
    """What the site file says: the configured texture's θfc and θwp (m³/m³)."""

    fc_m3m3: float
    wp_m3m3: float
    sd_m3m3: float = PRIOR_SD_M3M3
    kc_factor_sd: float = PRIOR_SD_KC_FACTOR


@dataclass(frozen=True, slots=True)
class SoilFit:
    """The fitted effective soil and Kc correction with 1 σ standard errors."""

    fc_m3m3: float
    wp_m3m3: float
    kc_factor: float
    fc_se_m3m3: float
    wp_se_m3m3: float
    kc_factor_se: float
    aw_se_m3m3: float  # of θfc − θwp, with their covariance
    reading_sd_m3m3: float  # the probes' scatter about the fit
    n_drydowns: int
    n_days: int
    sensed_m: tuple[float, ...]  # per wetting, the depth of soil the probes' θ stands for
    used: tuple[int, ...] = ()  # which of the dry-downs given were fitted (indices)
    # per dry-down fitted, the fitted θ (m³/m³) of each of its evenings; None where the
    # water of a wetting was still spreading (not fitted)
    fitted_m3m3: tuple[tuple[float | None, ...], ...] = ()

    def taw_mm(self, root_depth_m: float) -> float:
        """TAW = 1000 (θfc − θwp) Zr, mm (FAO-56 eq. 82)."""
        return 1000.0 * (self.fc_m3m3 - self.wp_m3m3) * root_depth_m

    def taw_se_mm(self, root_depth_m: float) -> float:
        """1 σ standard error (mm) of :meth:`taw_mm`."""
        return 1000.0 * self.aw_se_m3m3 * root_depth_m


def simulate_available_mm(
    drydown: DryDown, start_mm: float, taw_mm: float, kc_factor: float
) -> np.ndarray:
    """The root zone's available water A = TAW − Dr (mm) at the end of index 0 and of each
    day of ``drydown`` from ``start_mm`` at index 0: each day's water first, what rises above
    TAW draining (Dr ≥ 0), then ETc adj = Ks · kc_factor · Kc · ET0 (FAO-56 eq. 80) with
    Ks = A / ((1 − p) TAW) below RAW (eq. 84)."""
    out = np.empty(drydown.days + 1)
    a = min(start_mm, taw_mm)
    out[0] = a
    knee_mm = (1.0 - drydown.p) * taw_mm
    for d in range(drydown.days):
        a = min(a + drydown.water_mm[d] + drydown.rain_mm[d], taw_mm)
        demand = kc_factor * drydown.kc[d] * drydown.et0_mm[d] / SUBSTEPS
        for _ in range(SUBSTEPS):
            ks = 1.0 if a >= knee_mm else max(a / knee_mm, 0.0)
            a -= min(ks * demand, a)
        out[d + 1] = a
    return out


def _check(drydowns: Sequence[DryDown]) -> list[int]:
    """The indices of the usable dry-downs; :class:`LearningInputError` on malformed ones."""
    usable = []
    for i, d in enumerate(drydowns):
        name = d.label or f"dry-down {i + 1}"
        n = d.days
        if len(d.theta_m3m3) != n + 1 or not (len(d.water_mm) == len(d.rain_mm) == len(d.kc) == n):
            raise LearningInputError(
                f"{name}: θ needs one value more than the {n} days of ET0, Kc, water, rain",
                element=name,
            )
        values = (*d.theta_m3m3, *d.water_mm, *d.rain_mm, *d.et0_mm, *d.kc, d.root_depth_m, d.p)
        if not all(math.isfinite(v) for v in values):
            raise LearningInputError(f"{name}: a value is not finite", element=name)
        if not all(0.0 <= t <= _THETA_MAX for t in d.theta_m3m3):
            raise LearningInputError(
                f"{name}: θ outside 0–{_THETA_MAX} m³/m³ (give m³/m³, not %)", element=name
            )
        if min((*d.water_mm, *d.rain_mm, *d.et0_mm, *d.kc)) < 0:
            raise LearningInputError(f"{name}: negative water, rain, ET0 or Kc", element=name)
        if not (0.05 <= d.root_depth_m <= 5.0 and 0.05 <= d.p <= 0.95):
            raise LearningInputError(
                f"{name}: root depth {d.root_depth_m} m or p {d.p} out of range", element=name
            )
        if n >= SETTLE_DAYS + MIN_DAYS and d.water_mm[0] > 0:
            usable.append(i)
    return usable


def _wettings(drydown: DryDown) -> list[np.ndarray]:
    """The evenings fitted after each wetting of ``drydown`` (the run, then each day of rain
    of :data:`WETTING_MM` or more): from :data:`SETTLE_DAYS` after it to the next one. The
    water reaches the probes' depths unevenly, so each wetting has its own sensed depth."""
    wet = [
        d + 1
        for d in range(drydown.days)
        if d == 0 or drydown.water_mm[d] + drydown.rain_mm[d] >= WETTING_MM
    ]
    out = []
    for i, start in enumerate(wet):
        stop = wet[i + 1] if i + 1 < len(wet) else drydown.days + 1
        evenings = np.arange(start + SETTLE_DAYS, stop)
        if evenings.size:
            out.append(evenings)
    return out


def _curves(
    usable: Sequence[DryDown],
    wettings: Sequence[Sequence[np.ndarray]],
    paths: Sequence[np.ndarray],
    wp: float,
    depths_m: np.ndarray,
) -> tuple[tuple[float | None, ...], ...]:
    """The fitted θ of each fitted evening, None elsewhere (for the evidence shown)."""
    out = []
    k = 0
    for d, w, path in zip(usable, wettings, paths, strict=True):
        curve: list[float | None] = [None] * (d.days + 1)
        for evenings in w:
            for e in evenings:
                curve[int(e)] = float(wp + path[e] / (1000.0 * float(depths_m[k])))
            k += 1
        out.append(tuple(curve))
    return tuple(out)


def _plateau(drydown: DryDown) -> float | None:
    """θ the probes drained to after a run that wetted them past field capacity, else None.

    Draining shows as a fall over the :data:`SETTLE_DAYS` after the run's day faster than
    :data:`DRAIN_RATIO` × the fall of as many days after it (the crop's use alone), and
    larger than :data:`DRAINED_M3M3`: the probes then stood above θfc, and the level they
    settled to is θfc less a day or so of the crop's use (eq. 88: DP ends at θfc)."""
    theta = drydown.theta_m3m3
    first = SETTLE_DAYS + 1
    later = min(first + SETTLE_DAYS, len(theta) - 1)
    if later <= first:
        return None
    draining = max(theta[1:first]) - theta[first]
    using = (theta[first] - theta[later]) * SETTLE_DAYS / (later - first)
    if draining < DRAINED_M3M3 or draining < DRAIN_RATIO * max(using, 0.0):
        return None
    return theta[first]


def _drained_levels(plateaus: Sequence[float | None]) -> np.ndarray:
    """The levels of :func:`_plateau` taken as θfc: those within :data:`PLATEAU_LOW_M3M3` of
    the highest. A run that wets only the upper probes leaves the deeper ones below θfc, so
    their mean drains to a level below it; nothing lifts the level above θfc but the probes'
    scatter, so a level far below the others is such a run, not the soil."""
    levels = np.array([p for p in plateaus if p is not None])
    if not levels.size:
        return levels
    return levels[levels >= levels.max() - PLATEAU_LOW_M3M3]


def fit_soil(drydowns: Sequence[DryDown], prior: SoilPrior) -> SoilFit:
    """Fit θfc, θwp and ``kc_factor`` from the dry-downs, in time order (module docstring)."""
    used = _check(drydowns)
    usable = [drydowns[i] for i in used]
    if len(usable) < MIN_DRYDOWNS:
        raise TooLittleDataError(
            f"dry-downs: {len(usable)} usable, {MIN_DRYDOWNS} needed",
            have=len(usable),
            need=MIN_DRYDOWNS,
        )
    fit = _solve(usable, prior)
    groups = np.array_split(np.arange(len(usable)), min(len(usable), JACKKNIFE_GROUPS))
    left_out = []
    for group in groups:
        kept = []
        for j, d in enumerate(usable):
            if j in group:
                continue
            if j > 0 and j - 1 in group:  # its start is no longer the evening kept before it
                d = dataclasses.replace(d, follows_previous=False)
            kept.append(d)
        left_out.append(_solve(kept, prior))
    g = len(groups)

    def spread(values: Sequence[float]) -> float:
        """The delete-a-group jackknife's standard error."""
        mean = sum(values) / g
        return math.sqrt((g - 1) / g * sum((v - mean) ** 2 for v in values))

    return dataclasses.replace(
        fit,
        fc_se_m3m3=max(fit.fc_se_m3m3, spread([f.fc_m3m3 for f in left_out])),
        wp_se_m3m3=max(fit.wp_se_m3m3, spread([f.wp_m3m3 for f in left_out])),
        kc_factor_se=max(fit.kc_factor_se, spread([f.kc_factor for f in left_out])),
        aw_se_m3m3=max(fit.aw_se_m3m3, spread([f.fc_m3m3 - f.wp_m3m3 for f in left_out])),
        used=tuple(used),
    )


def _solve(usable: Sequence[DryDown], prior: SoilPrior) -> SoilFit:
    """The weighted least-squares fit of :func:`fit_soil` on the usable dry-downs, with the
    standard errors of its Jacobian."""
    from scipy.optimize import least_squares  # the fit's, never a reader of its result

    wettings = [_wettings(d) for d in usable]
    n_depths = sum(len(w) for w in wettings)
    starts: list[int | None] = []  # per dry-down, its own starting A's parameter, or chained
    for j, d in enumerate(usable):
        chained = j > 0 and d.follows_previous
        starts.append(None if chained else N_SHARED + n_depths + sum(s is not None for s in starts))
    n_starts = sum(s is not None for s in starts)
    n_params = N_SHARED + n_depths + n_starts
    observed = [
        [np.asarray(d.theta_m3m3)[e] for e in w] for d, w in zip(usable, wettings, strict=True)
    ]
    n_data = sum(len(e) for w in wettings for e in w)
    plateaus = _drained_levels([_plateau(d) for d in usable])
    zr_of_depth = np.array(
        [d.root_depth_m for d, w in zip(usable, wettings, strict=True) for _ in w]
    )

    def run(x: np.ndarray) -> list[np.ndarray]:
        """A (mm) of every dry-down, chained through the runs."""
        aw, kf = float(x[1]), float(x[2])
        paths: list[np.ndarray] = []
        for d, i in zip(usable, starts, strict=True):
            taw_mm = 1000.0 * aw * d.root_depth_m
            a0 = float(x[i]) if i is not None else float(paths[-1][-1])
            paths.append(simulate_available_mm(d, a0, taw_mm, kf))
        return paths

    def residuals(x: np.ndarray, reading_sd: float) -> np.ndarray:
        wp, aw, kf = float(x[0]), float(x[1]), float(x[2])
        parts = []
        depth = N_SHARED
        for path, w, obs in zip(run(x), wettings, observed, strict=True):
            for evenings, theta in zip(w, obs, strict=True):
                sensed_mm = 1000.0 * float(x[depth])
                parts.append((wp + path[evenings] / sensed_mm - theta) / reading_sd)
                depth += 1
        parts.append((wp + aw - plateaus) / PLATEAU_SD_M3M3)
        parts.append(
            np.array(
                [
                    (wp + aw - prior.fc_m3m3) / prior.sd_m3m3,
                    (wp - prior.wp_m3m3) / prior.sd_m3m3,
                    (kf - 1.0) / prior.kc_factor_sd,
                ]
            )
        )
        return np.concatenate(parts)

    aw0 = max(prior.fc_m3m3 - prior.wp_m3m3, 1.5 * _MIN_AW_M3M3)
    x0 = [prior.wp_m3m3, aw0, 1.0]
    x0 += list(0.7 * zr_of_depth)
    x0 += [
        0.5 * 1000.0 * aw0 * d.root_depth_m
        for d, i in zip(usable, starts, strict=True)
        if i is not None
    ]
    lower = np.array(
        [0.0, _MIN_AW_M3M3, KC_FACTOR_LIMITS[0], *([MIN_SENSED_M] * n_depths)] + [0.0] * n_starts
    )
    upper = np.array(
        [0.4, 0.4, KC_FACTOR_LIMITS[1], *([MAX_SENSED_M] * n_depths)] + [MAX_START_MM] * n_starts
    )
    x = np.clip(np.array(x0, dtype=float), lower + 1e-9, upper - 1e-9)
    sd = 2.5 * MIN_READING_SD_M3M3  # a first guess; the fit's scatter replaces it
    used_sd = sd
    result = None
    for _ in range(4):  # reweight by the scatter the fit finds
        used_sd = sd
        result = least_squares(
            residuals, x, bounds=(lower, upper), args=(used_sd,), x_scale="jac", method="trf"
        )
        x = result.x
        data = result.fun[:n_data] * used_sd
        dof = max(n_data - n_params, 1)
        sd = max(math.sqrt(float(np.sum(data**2)) / dof), MIN_READING_SD_M3M3)
        if abs(sd - used_sd) < 0.05 * used_sd:
            break
    assert result is not None
    jac = np.array(result.jac, dtype=float)
    jac[:n_data] *= used_sd / sd  # the data rows at the scatter found
    cov = np.linalg.pinv(jac.T @ jac)
    wp, aw, kf = (float(v) for v in result.x[:N_SHARED])
    var_wp, var_aw, cov_wp_aw = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
    var_fc = var_wp + var_aw + 2.0 * cov_wp_aw
    return SoilFit(
        fc_m3m3=wp + aw,
        wp_m3m3=wp,
        kc_factor=kf,
        fc_se_m3m3=math.sqrt(max(var_fc, 0.0)),
        wp_se_m3m3=math.sqrt(max(var_wp, 0.0)),
        kc_factor_se=math.sqrt(max(float(cov[2, 2]), 0.0)),
        aw_se_m3m3=math.sqrt(max(var_aw, 0.0)),
        reading_sd_m3m3=sd,
        n_drydowns=len(usable),
        n_days=n_data,
        sensed_m=tuple(float(v) for v in result.x[N_SHARED : N_SHARED + n_depths]),
        fitted_m3m3=_curves(usable, wettings, run(result.x), wp, result.x[N_SHARED:]),
    )
