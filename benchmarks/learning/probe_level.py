"""The balance's level read from the probes: a diagnostic of the forecast part
(:mod:`benchmarks.learning.forecast`), not a model the box uses.

FAO-56's 24 h forecast misses the truth's root-zone depletion almost only by the balance's
*level* at the day it is made (the forecast part's ``mae_24h_physics_level_*`` against
``mae_24h_physics_change_*``), so a learned forecast could beat it only by a better starting
level. The probes are the only measure of a level a site has; this module builds that level
from them two ways, each from what a site holds (the balance's rows and the probes' evening θ
of the training days), and the forecast part scores the 24 h forecast that starts from it
(that level plus FAO-56's own change, eq. 84-86) against the truth:

* :func:`drained_theta_m3m3` / :func:`drained_level_mm`: the probes' θ one and two evenings
  after a run (drainage done, no water or rain since) taken as field capacity, and the
  depletion the probes then read below it over the root zone, ``1000 (θfc − θ) Zr`` (eq. 82's
  form); the hypothesis that the probes reveal the soil's effective θfc;
* :func:`fit_probe_line` / :func:`drift_level_mm`: the probes' θ against the balance's Dr on
  the training days with the roots at their deepest and at least ``min_since_d`` days since
  water, a line ``θ = a + b Dr``; later, the balance's Dr shifted by the median of
  ``(θ − a − b Dr) / b`` over the newest ``window_d`` such days: the drift of the balance from
  the probes since the line was fitted. A level offset already there when the line was fitted
  is in ``a`` and cannot be seen;
* :func:`slowdown_deficit_mm`: the crop's stress read from the probes' slowdown: in each
  dry-down the probes' fall per mm of Kc · ET0 on its days :data:`EARLY_D` is the unstressed
  rate, and a later day falling slower, while the balance's crop is unstressed (Dr ≤ RAW,
  eq. 84), says the crop took that much less than Kc · ET0 (Ks = fall / rate); the balance's
  Dr less the sum of those deficits is the level (the truth's crop on a soil holding less is
  stressed before the balance's).

Units: depths in mm, θ in m³/m³.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.learning.shadow import ProbeDay
from models.learning.errors import TooLittleDataError
from models.learning.forecast import WET_MM, HistoryDay

__all__ = [
    "DRAINED_AFTER_D",
    "EARLY_D",
    "MIN_LINE_DAYS",
    "ProbeLine",
    "days_since_wet",
    "drained_level_mm",
    "drained_theta_m3m3",
    "drift_level_mm",
    "fit_probe_line",
    "slowdown_deficit_mm",
]

DRAINED_AFTER_D = (1, 2)  # evenings after a run whose probes' θ is taken as field capacity
MIN_LINE_DAYS = 5  # days the probes' line needs
EARLY_D = (2, 4)  # days after water whose probes' fall per mm of ETc is a dry-down's own rate


def days_since_wet(history: Sequence[HistoryDay], i: int) -> int:
    """Days from the last day up to ``i`` with water and rain above
    :data:`~models.learning.forecast.WET_MM` (0: day ``i`` itself; none: ``i + 1``)."""
    for k in range(i, -1, -1):
        if history[k].water_mm + history[k].rain_mm > WET_MM:
            return i - k
    return i + 1


def drained_theta_m3m3(history: Sequence[HistoryDay], probes: Sequence[ProbeDay]) -> float:
    """The probes' mean evening θ on the days :data:`DRAINED_AFTER_D` after a run with no
    water or rain since, m³/m³. :class:`TooLittleDataError` without such a day."""
    seen = []
    for i, probe in enumerate(probes):
        since = days_since_wet(history, i)
        if since in DRAINED_AFTER_D and history[i - since].water_mm > WET_MM:
            seen.append(probe.theta_m3m3)
    if not seen:
        raise TooLittleDataError("probe level: no evening after a run", have=0, need=1)
    return statistics.fmean(seen)


def drained_level_mm(theta_fc_m3m3: float, probe: ProbeDay) -> float:
    """The depletion the probes read below the drained θ over the root zone,
    ``1000 (θfc − θ) Zr``, mm (not clamped)."""
    return 1000.0 * (theta_fc_m3m3 - probe.theta_m3m3) * probe.root_depth_m


@dataclass(frozen=True)
class ProbeLine:
    """The probes' evening θ against the balance's Dr on the reference days,
    ``θ = intercept + slope · Dr`` (m³/m³, m³/m³ per mm), from ``first_day`` on."""

    intercept_m3m3: float
    slope_m3m3_per_mm: float
    first_day: int


def fit_probe_line(
    history: Sequence[HistoryDay], probes: Sequence[ProbeDay], min_since_d: int
) -> ProbeLine:
    """Least squares over the days given with the roots at their deepest and at least
    ``min_since_d`` days since water or rain. :class:`TooLittleDataError` with fewer than
    :data:`MIN_LINE_DAYS` such days or no spread in Dr."""
    deepest = max(p.root_depth_m for p in probes)
    days = [
        i
        for i, p in enumerate(probes)
        if p.root_depth_m >= deepest - 1e-9 and days_since_wet(history, i) >= min_since_d
    ]
    if len(days) < MIN_LINE_DAYS:
        raise TooLittleDataError(
            f"probe level: {len(days)} drained days with the roots deepest",
            have=len(days),
            need=MIN_LINE_DAYS,
        )
    dr = [history[i].dr_mm for i in days]
    theta = [probes[i].theta_m3m3 for i in days]
    if statistics.pvariance(dr) <= 0.0:
        raise TooLittleDataError("probe level: the balance's Dr never moved", have=0, need=1)
    slope, intercept = statistics.linear_regression(dr, theta)
    if slope == 0.0:
        raise TooLittleDataError("probe level: the probes do not follow Dr", have=0, need=1)
    return ProbeLine(intercept, slope, days[0])


def drift_level_mm(
    history: Sequence[HistoryDay],
    probes: Sequence[ProbeDay],
    line: ProbeLine,
    i: int,
    *,
    min_since_d: int,
    window_d: int,
) -> float:
    """Day ``i``'s level, mm: the balance's Dr plus the median drift
    ``(θ − intercept − slope Dr) / slope`` of the newest ``window_d`` days up to ``i`` at
    least ``min_since_d`` days since water or rain (the balance's Dr where there is none)."""
    days = [k for k in range(line.first_day, i + 1) if days_since_wet(history, k) >= min_since_d][
        -window_d:
    ]
    if not days:
        return history[i].dr_mm
    drift = statistics.median(
        (probes[k].theta_m3m3 - line.intercept_m3m3 - line.slope_m3m3_per_mm * history[k].dr_mm)
        / line.slope_m3m3_per_mm
        for k in days
    )
    return history[i].dr_mm + drift


def slowdown_deficit_mm(
    history: Sequence[HistoryDay], probes: Sequence[ProbeDay], root_depth_max_m: float
) -> list[float]:
    """Per day, the ET (mm) the probes say the crop missed where the balance's did not
    (module docstring): ``ETc (1 − Ks)`` with ``Ks = min(fall / ETc / rate, 1)``, ``fall`` the
    probes' evening θ the day before less the day's, ``rate`` the median of ``fall / ETc``
    over the dry-down's days :data:`EARLY_D` after water; 0 on those days, before them, with
    the roots above ``root_depth_max_m`` or the balance's Dr at the day's start above RAW."""
    out = [0.0] * len(history)
    rates: list[float] = []
    for k in range(1, len(history)):
        since = days_since_wet(history, k)
        if since == 0:
            rates = []
            continue
        day = history[k]
        etc_mm = day.kc * day.et0_mm  # eq. 56
        if etc_mm <= 0.0:
            continue
        fall = probes[k - 1].theta_m3m3 - probes[k].theta_m3m3
        if EARLY_D[0] <= since <= EARLY_D[1]:
            rates.append(fall / etc_mm)
            continue
        rate = statistics.median(rates) if rates else 0.0
        unstressed = history[k - 1].dr_mm <= history[k - 1].raw_mm
        if since < EARLY_D[0] or rate <= 0.0 or not unstressed:
            continue
        if probes[k].root_depth_m < root_depth_max_m - 1e-9:
            continue
        ks = min(max(fall / etc_mm / rate, 0.0), 1.0)
        out[k] = etc_mm * (1.0 - ks)
    return out
