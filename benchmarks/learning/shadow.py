"""A shadow balance with the soil the site fits from its own dry-downs: a diagnostic of the
forecast part (:mod:`benchmarks.learning.forecast`), not a model the box uses.

The configured balance's level drifts from the truth over a season where the soil is not the
configured one (a sandy loam taken for a loam: the truth's crop is stressed before the
balance's reaches RAW, so it uses less water than the balance takes off). The box fits each
zone's soil from its dry-downs (:func:`models.learning.soil.fit_soil`, the daemon's
:class:`~controller.learning.soil.SoilLearning`) without an admin's approval, so a forecast
could re-run the zone's balance over the season with the fitted soil (a *shadow* balance) and
forecast from it. This module measures whether that helps:

* :func:`drydowns` cuts the training days into dry-downs as the daemon does (the evening
  before a run to the evening before the next one; the newest
  :data:`~controller.learning.soil.MAX_DRYDOWNS`, the first one's start fitted);
* :func:`fit` is the product's soil fit on them, the configured texture as its prior;
* :func:`shadow_dr_mm` re-runs the balance from the first day with TAW and RAW scaled by the
  fitted θfc − θwp over the configured one (FAO-56 eq. 82-83) and Kc by the fitted
  ``kc_factor``, one day at a time through the forecast's own FAO-56 step
  (:func:`models.learning.forecast.physics_path`: eq. 84-86); with a ratio and factor of 1 it
  is the configured balance, number for number;
* :func:`validated` is the only check a site has: on the last
  :data:`~models.learning.forecast.VALIDATION_FRACTION` of the training days, the shadow's
  24 h change in depletion against the probes' change, paired day by day with the configured
  balance's, must win by :data:`~models.learning.forecast.MARGIN_SE` standard errors of the
  gain (the forecast's margin). The probes' level is not the reference: it carries the wrong
  θfc and each probe's calibration offset.

Units: depths in mm, θ in m³/m³.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from controller.learning.soil import MAX_DRYDOWNS
from models.crops import depletion_fraction
from models.learning.forecast import (
    MARGIN_SE,
    VALIDATION_FRACTION,
    WET_MM,
    FutureDay,
    HistoryDay,
    physics_path,
)
from models.learning.soil import DryDown, SoilFit, SoilPrior, fit_soil

__all__ = ["ProbeDay", "drydowns", "fit", "shadow_dr_mm", "validated"]


@dataclass(frozen=True)
class ProbeDay:
    """What the soil fit reads of a day besides its balance row: the probes' mean θ of the
    evening (m³/m³, as read: calibration offset included), the root depth Zr (m) and the
    crop library's depletion fraction p (Table 22)."""

    theta_m3m3: float
    root_depth_m: float
    p_table: float


def drydowns(history: Sequence[HistoryDay], probes: Sequence[ProbeDay]) -> list[DryDown]:
    """The dry-downs of the days given, cut as the daemon cuts them (module docstring).
    ``history`` gives each day's net water, effective rain, ET0 and Kc (the library's,
    mulched)."""
    runs = [i for i, d in enumerate(history) if d.water_mm > 0 and i > 0]
    out: list[DryDown] = []
    for first, nxt in itertools.pairwise(runs):
        days, seen = history[first:nxt], probes[first:nxt]
        out.append(
            DryDown(
                theta_m3m3=tuple(p.theta_m3m3 for p in probes[first - 1 : nxt]),
                water_mm=tuple(d.water_mm for d in days),
                rain_mm=tuple(d.rain_mm for d in days),
                et0_mm=tuple(d.et0_mm for d in days),
                kc=tuple(d.kc for d in days),
                root_depth_m=statistics.fmean(p.root_depth_m for p in seen),
                p=statistics.fmean(
                    depletion_fraction(p.p_table, d.kc * d.et0_mm)
                    for d, p in zip(days, seen, strict=True)
                ),
                follows_previous=bool(out),
                label=f"run of day {first}",
            )
        )
    out = out[-MAX_DRYDOWNS:]
    if out:
        out[0] = dataclasses.replace(out[0], follows_previous=False)
    return out


def fit(
    history: Sequence[HistoryDay], probes: Sequence[ProbeDay], fc_m3m3: float, wp_m3m3: float
) -> SoilFit:
    """The product's soil fit on the days' dry-downs, the configured θfc and θwp its prior.
    Raises :class:`~models.learning.errors.TooLittleDataError` as the daemon's does."""
    return fit_soil(drydowns(history, probes), SoilPrior(fc_m3m3, wp_m3m3))


def shadow_dr_mm(history: Sequence[HistoryDay], taw_ratio: float, kc_factor: float) -> list[float]:
    """The balance re-run from the first day's Dr with TAW and RAW × ``taw_ratio`` and Kc ×
    ``kc_factor``: each day's end Dr, mm (module docstring)."""
    if not history:
        return []
    out = [min(history[0].dr_mm, history[0].taw_mm * taw_ratio)]
    for d in history[1:]:
        day = FutureDay(d.et0_mm, d.rain_mm, d.water_mm, d.kc * kc_factor)
        out.append(physics_path(out[-1], d.taw_mm * taw_ratio, d.raw_mm * taw_ratio, [day])[0])
    return out


def validated(
    history: Sequence[HistoryDay], shadow_mm: Sequence[float], taw_ratio: float, kc_factor: float
) -> bool:
    """Whether the shadow's 24 h change beats the configured balance's against the probes'
    change by the forecast's margin on the last part of ``history`` (module docstring)."""
    gains = []
    for i in range(int(len(history) * (1.0 - VALIDATION_FRACTION)), len(history) - 1):
        now, then = history[i].observed_mm, history[i + 1].observed_mm
        nxt = history[i + 1]
        if now is None or then is None or nxt.water_mm > WET_MM:
            continue
        day = FutureDay(nxt.et0_mm, nxt.rain_mm, nxt.water_mm, nxt.kc)
        d = history[i]
        balance = physics_path(d.dr_mm, d.taw_mm, d.raw_mm, [day])[0] - d.dr_mm
        shadow_day = dataclasses.replace(day, kc=day.kc * kc_factor)
        shadow = (
            physics_path(shadow_mm[i], d.taw_mm * taw_ratio, d.raw_mm * taw_ratio, [shadow_day])[0]
            - shadow_mm[i]
        )
        seen = then - now
        gains.append(abs(balance - seen) - abs(shadow - seen))
    if len(gains) < 2:
        return False
    margin = MARGIN_SE * statistics.stdev(gains) / math.sqrt(len(gains))
    return statistics.fmean(gains) > margin
