"""The late crop's ETc error taken apart: ET0, soil evaporation and transpiration, per stage.

The seasons of :mod:`controller.simulation.referee.latecrop` (the same seeds, variants and
``--krs``), each zone's balance day against AquaCrop's day, in the late truth's FAO-56 stages
(:data:`~controller.simulation.referee.latecrop.PERIODS`), mm/d:

* ``bias``: the balance's ETc − (Tr + Es);
* ``et0``: Kc (ET0 of the balance − ET0 of the referee): the part the ET0 estimate makes;
* ``es`` (mid-season only): the balance's evaporation share, (Kc mid − Kcb mid) × the crop's
  mulch factor × the referee's ET0 (the cover rule and the cold rule keep Kc − Kcb), − Es;
* ``tr`` (mid-season only): the rest, bias − et0 − es: the transpiring part of the balance's
  Kc against AquaCrop's Tr.

Also: over the mid-season's warm days (AquaCrop's cold coefficient of the day 1,
:mod:`models.crops.cold` on the referee's Tmax and Tmin) AquaCrop's Tr / ET0 and canopy cover
and the balance's Kcb (its Kc less the evaporation share, over the mulch factor); the mean
difference between the balance's cold coefficient (its notes) and the referee's day's; the
observed stages' crop day (their notes) against the truth's own (days after sowing − the
lag) on days 50–80 after sowing.

``python -m controller.simulation.referee.latecrop_parts --seeds 1-3 [--krs normals]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from controller.config.krs import KrsOption
from controller.simulation.referee.aquacrop import DayState
from controller.simulation.referee.latecrop import (
    LAG_DAYS,
    SCENARIO,
    VARIANTS,
    BalanceDay,
    LateSeason,
    krs_of_option,
)
from controller.simulation.referee.years import parse_seeds
from controller.simulation.season import load_scenario
from models.crops import crop
from models.crops.cold import cold_gdd, cold_stress_coefficient

__all__ = ["ZoneDay", "main", "report", "zone_days"]

CROP = "seed_corn"
MID = "mid"
#: Days after sowing over which the observed stages' crop day is compared with the truth's.
DEVELOPMENT_DAYS = (50, 80)
_COLD = re.compile(r"transpiration × ([0-9.]+)")
_CROP_DAY = re.compile(r"crop day ([0-9.]+)")


@dataclass(frozen=True, slots=True)
class ZoneDay:
    """A zone's day: the late truth's FAO-56 ``stage``, days after sowing, the balance's day,
    AquaCrop's, and the referee's cold coefficient of the day (0..1)."""

    stage: str
    dap: int
    balance: BalanceDay
    truth: DayState
    ks_cold: float


def zone_days(late: LateSeason, variant: str) -> list[ZoneDay]:
    """Every zone's days of one variant's season that the balance and AquaCrop both have."""
    season = late.run(variant)
    weather = {
        (d if isinstance(d, dt.date) else d.date()): (tx, tn)
        for d, tx, tn in zip(
            late.weather["date"], late.weather["tmax_c"], late.weather["tmin_c"], strict=True
        )
    }
    out = []
    for zone, result in season.truth.items():
        balance = season.balance[zone]
        days = [d for d in result.days if d.date in balance]
        if not days:
            continue
        periods = late.periods(days[0].date)
        for d in days:
            stage = next(p for p, inside in periods if inside(d.date))
            tx, tn = weather[d.date]
            ks = cold_stress_coefficient(cold_gdd(float(tx), float(tn)))
            dap = (d.date - late.acc.planting).days
            out.append(ZoneDay(stage, dap, balance[d.date], d, ks))
    return out


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def report(days: Sequence[ZoneDay], lag_days: int) -> list[str]:
    """The parts of one variant's days (module docstring), as lines of text."""
    c = crop(CROP)
    share = (c.kc_mid - c.kcb_mid) * c.mulch_factor  # the evaporation share of mid-season Kc
    lines = []
    for stage in ("initial", "development", "mid", "late"):
        mine = [d for d in days if d.stage == stage]
        if not mine:
            continue
        bias = _mean([d.balance.etc_mm - d.truth.tr_mm - d.truth.es_mm for d in mine])
        err = _mean([abs(d.balance.etc_mm - d.truth.tr_mm - d.truth.es_mm) for d in mine])
        et0 = _mean([d.balance.kc * (d.balance.et0_mm - d.truth.et0_mm) for d in mine])
        ratio = _mean([d.balance.et0_mm for d in mine]) / _mean([d.truth.et0_mm for d in mine])
        line = (
            f"{stage}: {len(mine)} zone-days, |error| {err:.3f}, bias {bias:+.3f} = ET0 {et0:+.3f}"
        )
        if stage == MID:
            es = _mean([share * d.truth.et0_mm - d.truth.es_mm for d in mine])
            line += (
                f" + Es {es:+.3f} (balance {_mean([share * d.truth.et0_mm for d in mine]):.3f},"
                f" AquaCrop {_mean([d.truth.es_mm for d in mine]):.3f}) + Tr {bias - et0 - es:+.3f}"
            )
        lines.append(f"{line}; balance ET0 / referee ET0 {ratio:.3f}")
    mid = [d for d in days if d.stage == MID]
    warm = [d for d in mid if d.ks_cold >= 1.0]
    if warm:
        kcb = _mean([(d.balance.kc - share) / c.mulch_factor for d in warm])
        lines.append(
            f"mid, {len(warm)} warm zone-days: AquaCrop Tr/ET0 "
            f"{_mean([d.truth.tr_mm / d.truth.et0_mm for d in warm]):.3f} at cover "
            f"{_mean([d.truth.canopy_cover for d in warm]):.3f}; balance Kcb {kcb:.3f} "
            f"(× mulch factor {kcb * c.mulch_factor:.3f}); AquaCrop Tr/ET0 on the first 10 "
            f"days {_warm_ratio(warm, 0):.3f}, the last 10 {_warm_ratio(warm, -1):.3f}"
        )
    if mid:
        gap = [abs(_cold_of(d) - d.ks_cold) for d in mid]
        lines.append(f"mid: |balance's cold coefficient − referee's| {_mean(gap):.3f}")
    lo, hi = DEVELOPMENT_DAYS
    for start in range(lo, hi, 10):
        seen = [
            (float(m.group(1)), d)
            for d in days
            if start <= d.dap < start + 10 and (m := _CROP_DAY.search(d.balance.notes))
        ]
        if seen:
            lines.append(
                f"days {start}-{start + 9}: crop day − the truth's "
                f"{_mean([cd - (d.dap - lag_days) for cd, d in seen]):+.2f} d; balance Kc "
                f"{_mean([d.balance.kc for _, d in seen]):.3f}, AquaCrop (Tr + Es)/ET0 "
                f"{_mean([(d.truth.tr_mm + d.truth.es_mm) / d.truth.et0_mm for _, d in seen]):.3f}"
                f" at cover {_mean([d.truth.canopy_cover for _, d in seen]):.3f}"
            )
    return lines


def _warm_ratio(warm: Sequence[ZoneDay], end: int) -> float:
    """AquaCrop's Tr / ET0 on the warm days among the first (``end`` 0) or last (-1) ten
    days of the mid-season."""
    daps = sorted({d.dap for d in warm})
    first, last = daps[0], daps[-1]
    inside = [d for d in warm if (d.dap < first + 10 if end == 0 else d.dap > last - 10)]
    return _mean([d.truth.tr_mm / d.truth.et0_mm for d in inside])


def _cold_of(day: ZoneDay) -> float:
    """The balance's cold coefficient of the day (its notes), 1 when it named none."""
    m = _COLD.search(day.balance.notes)
    return float(m.group(1)) if m else 1.0


def main(argv: Sequence[str] | None = None) -> int:
    """Print each variant's parts over the seeds."""
    parser = argparse.ArgumentParser(prog="python -m controller.simulation.referee.latecrop_parts")
    parser.add_argument("--seeds", default="1-3", help="weather years: 1-3, 1,3")
    parser.add_argument("--variant", choices=VARIANTS, action="append")
    parser.add_argument(
        "--krs",
        action=KrsOption,
        words=("normals",),
        help="a number, or 'normals' (as the latecrop command)",
    )
    args = parser.parse_args(argv)
    scenario = load_scenario(SCENARIO)
    try:
        seeds = parse_seeds(args.seeds, scenario)
    except ValueError as exc:
        parser.error(str(exc))
    krs = krs_of_option(parser, args.krs, scenario)
    days: dict[str, list[ZoneDay]] = {}
    for seed in seeds:
        late = LateSeason(scenario, seed, krs=krs)
        for variant in args.variant or VARIANTS:
            days.setdefault(variant, []).extend(zone_days(late, variant))
    for variant, mine in days.items():
        print(f"{variant} (seeds {args.seeds}, krs {krs if krs is not None else 'site file'}):")
        for line in report(mine, LAG_DAYS):
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
