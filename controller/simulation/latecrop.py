"""A season whose crop is late against its calendar: how far the Kc the balance uses misses.

The true crop is the scenario's seed maize ``lag_days`` late on every stage (a cold seed bed,
a late emergence): its Kc on day ``d`` after sowing is the crop library's FAO-56 Kc curve on
day ``d − lag`` (Fig. 25, eq. 66, times the mulch factor). The weather is the scenario's
generated year (``seed``), ET0 the station's FAO-56 Penman-Monteith (eq. 6). Three
estimates of each day's ETc = Kc · ET0 (eq. 56) are held against the truth:

* ``calendar``: the days after planting (what the balance does without observations);
* ``gdd``: degree days since sowing (``crop_clock = "gdd"``, no observations);
* ``observed``: the calendar until the first stage is seen, then the observed stages (entered
  on the true crop's stage dates, each known from its day on) moved on by degree days — what
  :class:`controller.agronomy.cropstate.CropClock` does for a zone with observations.

The error of a day is |ETc estimate − ETc true| (mm/d), over sowing to the true crop's end
of season. The truth is the FAO-56 curve shifted, not AquaCrop's canopy: it measures the
timing of Kc alone, which is what observations correct (docs/simulation.md).

``python -m controller.simulation.latecrop [--seed N] [--lag-days D]`` prints the figures as
JSON. With ``--truth aquacrop`` it runs the late crop on the AquaCrop referee instead, the
daemon watering it (:mod:`controller.simulation.referee.latecrop`: water and relative yield
of the season, calendar against observations and camera cover; one JSON line per seed and
variant, then the summary).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from controller.simulation.season import Scenario, load_scenario, station_et0
from drivers.sim.weathergen import WeatherGenerator
from models.crops import Crop, crop, kc_on_day
from models.crops.phenology import DayTemperatures, Stage, crop_days, stage_crop_day

__all__ = ["LateCropFigures", "late_crop_errors", "main"]

SCENARIO = "zhangye-seed-corn"
CROP = "seed_corn"


@dataclass(frozen=True)
class LateCropFigures:
    """Mean and largest daily |ETc error| (mm/d) and the season's ETc error (mm) of each
    estimate; ``ratio``: observed over calendar mean error (the goal: ≤ 0.5; None when the
    calendar makes no error: a crop on time)."""

    seed: int
    lag_days: int
    days: int
    etc_true_mm: float
    mean_error_mm_day: dict[str, float]
    max_error_mm_day: dict[str, float]
    season_error_mm: dict[str, float]
    observations: dict[str, str]
    ratio: float | None


def true_stage_dates(c: Crop, sown: dt.date, lag_days: int) -> dict[Stage, dt.date]:
    """The day each stage is reached by the crop ``lag_days`` late (the first whole day on or
    after its calendar position)."""
    return {s: sown + dt.timedelta(days=math.ceil(stage_crop_day(c, s)) + lag_days) for s in Stage}


def _estimate(
    c: Crop,
    sown: dt.date,
    temps: Sequence[DayTemperatures],
    seen: dict[Stage, dt.date],
    last: dt.date,
    *,
    from_first_observation: bool,
) -> list[float]:
    """The crop day of each day from sowing to ``last``; a calendar zone keeps to the
    calendar until its first observation (:meth:`CropClock._days`)."""
    calendar_until = None
    if from_first_observation:
        calendar_until = min(seen.values(), default=last + dt.timedelta(days=1))
    days = crop_days(c, sown, temps, seen, last, calendar_until=calendar_until)
    return [d.crop_day for d in days]


def late_crop_errors(
    scenario: Scenario | None = None, seed: int = 1, lag_days: int = 10
) -> LateCropFigures:
    """The figures of one generated year (module docstring)."""
    scenario = scenario or load_scenario(SCENARIO)
    c = crop(CROP)
    month, day = (int(v) for v in str(scenario.raw["crop"]["sowing"]).split("-"))
    sown = dt.date(scenario.start.year, month, day)
    last = sown + dt.timedelta(days=c.season_days + lag_days - 1)
    series = WeatherGenerator(scenario.normals, seed).generate(
        sown - dt.timedelta(days=1), last + dt.timedelta(days=1)
    )
    site = scenario.raw["site"]
    et0 = station_et0(series, sown, last, float(site["latitude_deg"]), float(site["elevation_m"]))
    weather = series.days(sown, last)
    temps = [DayTemperatures(d.date, d.tmax_c, d.tmin_c) for d in weather]
    seen = true_stage_dates(c, sown, lag_days)
    seen = {s: d for s, d in seen.items() if d <= last}
    days = [sown + dt.timedelta(days=k) for k in range((last - sown).days + 1)]
    crop_day = {
        "calendar": [float(k) for k in range(len(days))],
        "gdd": _estimate(c, sown, temps, {}, last, from_first_observation=False),
        "observed": _estimate(c, sown, temps, seen, last, from_first_observation=True),
    }
    truth = [kc_on_day(c, max(k - lag_days, 0), mulched=True) * et0[d] for k, d in enumerate(days)]
    errors = {
        name: [
            kc_on_day(c, x, mulched=True) * et0[d] - t
            for x, d, t in zip(cd, days, truth, strict=True)
        ]
        for name, cd in crop_day.items()
    }
    mean = {n: round(sum(abs(e) for e in es) / len(es), 3) for n, es in errors.items()}
    return LateCropFigures(
        seed=seed,
        lag_days=lag_days,
        days=len(days),
        etc_true_mm=round(sum(truth), 1),
        mean_error_mm_day=mean,
        max_error_mm_day={n: round(max(abs(e) for e in es), 3) for n, es in errors.items()},
        season_error_mm={n: round(sum(es), 1) for n, es in errors.items()},
        observations={s.value: d.isoformat() for s, d in seen.items()},
        ratio=round(mean["observed"] / mean["calendar"], 3) if mean["calendar"] else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures of the given years as JSON (one object per seed)."""
    parser = argparse.ArgumentParser(prog="python -m controller.simulation.latecrop")
    parser.add_argument("--seed", type=int, action="append", help="weather year (repeatable)")
    parser.add_argument("--lag-days", type=int, default=10, help="days the true crop is late")
    parser.add_argument(
        "--truth",
        choices=("fao56", "aquacrop"),
        default="fao56",
        help="fao56: the shifted FAO-56 Kc curve, Kc timing only (default); aquacrop: the "
        "daemon's season on the AquaCrop referee",
    )
    args = parser.parse_args(argv)
    if args.truth == "aquacrop":  # the referee needs the sim extra: imported only here
        from controller.simulation.referee import latecrop as referee_latecrop

        seeds = ",".join(str(s) for s in args.seed or [1])
        return referee_latecrop.main(["--seeds", seeds, "--lag-days", str(args.lag_days)])
    scenario = load_scenario(SCENARIO)
    out = [asdict(late_crop_errors(scenario, s, args.lag_days)) for s in args.seed or [1]]
    print(json.dumps(out if len(out) > 1 else out[0], indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
