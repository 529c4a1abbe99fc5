"""A crop late against its calendar, judged by the AquaCrop referee: before and after crop
monitoring.

The truth is AquaCrop's seed maize (:data:`~controller.simulation.referee.aquacrop.
SEED_MAIZE_ZHANGYE`) sown on the site's sowing date but ``lag_days`` late on every stage
(:func:`late_crop_params`: emergence, maximum rooting, the start of yield formation,
senescence and maturity all ``lag_days`` later, canopy growth and decline rates kept) — a cold
seed bed, a late emergence. The calendar is shifted, not the planting date: the sowing date is
a fact the grower knows and the daemon is given, and a truth planted later would start its soil
water balance later, dropping any water delivered before it. The harvest stays on the
scenario's date (20 Sep, 153 days): a crop 10 days late reaches it 7 days before maturity, in
every variant and in the fully watered reference alike.

The daemon runs the ``et`` strategy at agronomy fidelity
(:class:`~controller.simulation.fidelity.AgronomySeason`) on that truth, on the same weather
seed, in three variants:

* ``calendar``: no observation, no camera (the balance's Kc from days after planting);
* ``observed``: the technician records emergence, V6, jointing and silking (:data:`OBSERVED`)
  at the 08:00 round of the day the truth reaches each (the crop library's stage position on
  the FAO-56 calendar plus ``lag_days``: the calibration's own emergence, 12 d, and start of
  yield formation, 88 d, are those positions), through the crop desk the page and the API use
  (:class:`~controller.daemon.cropdesk.CropDesk`: checked, stored, audited);
* ``camera``: at the 08:00 round each zone's canopy cover, AquaCrop's of the day before, is
  put into the daemon's cover records as the camera job stores a photo's estimate
  (:class:`~controller.canopy.records.CoverRecords`, status ``ok``), exact by default; with
  ``camera_images`` (``--camera images``) as a drawn photo (:func:`camera_photo`) through the
  daemon's own path instead (:meth:`~controller.canopy.watch.CanopyWatch.estimate_photo`:
  decoded, classified by the site's classifier, stored), about 2.7 times the season's time.
  The balance takes Kcb from the cover (FAO-56 eq. 97; in the late stage only below the
  calendar's), and the planner holds the trigger at 20 % of TAW while the cover is between
  10 % and 80 % (:mod:`controller.agronomy.expansion`; for ``observed``, while the observed
  stages put the crop in its FAO-56 development stage).

Every zone runs with ``cold_kc`` on (``--no-cold-kc``: off), as an admin sets it in
``site.overrides.toml``: on a cool day the balance takes maize's transpiring share of Kc times
AquaCrop's cold-stress coefficient (:mod:`models.crops.cold`), as the truth's maize does.
``krs`` (``--krs 0.148``, or ``--krs normals``: :func:`normals_krs`) sets the site's FAO-56
eq. 50 coefficient the same way (the station has no pyranometer; default: the site file's).

Each season is reported as the referee reports a strategy
(:func:`~controller.simulation.referee.evaluate.season_row`; relative yield over the same late
truth fully watered on the same weather), with the daily error of the balance's ETc
(the daemon's final water-balance row of each day) against AquaCrop's actual Tr + Es and its
potential TrPot + EsPot, mm/d, from sowing to harvest, and its mean bias (balance − Tr − Es,
mm/d) in each FAO-56 stage of the late truth (:data:`PERIODS`); over its development stage
also AquaCrop's mean canopy cover and root-zone depletion (fraction of TAW): AquaCrop's maize
slows its canopy expansion from a small depletion. A season cut short (``days``) reports no
yield.

``python -m controller.simulation.referee.latecrop --seeds 1-5`` (or ``python -m
controller.simulation.latecrop --truth aquacrop --seed 1 --seed 2``) prints one JSON line per
seed and variant, then one per variant with mean, min and max over the seeds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from controller.canopy.records import CoverRecord
from controller.clock import VirtualClock
from controller.config.krs import KRS_MAX, KRS_MIN, KrsOption, krs_refusal
from controller.daemon.cropdesk import CropDesk
from controller.simulation.canopy import referee_cover
from controller.simulation.fidelity import FAST_TMP, AgronomySeason, Round
from controller.simulation.latecrop import true_stage_dates
from controller.simulation.referee.aquacrop import SEED_MAIZE_ZHANGYE, SeasonResult
from controller.simulation.referee.evaluate import (
    practice_outcome,
    season_row,
    season_weather,
    truth_outcome,
)
from controller.simulation.referee.practices import Accounting, accounting, practices
from controller.simulation.referee.truth import AquaCropTruth, aquacrop_factory
from controller.simulation.referee.years import parse_seeds
from controller.simulation.season import Scenario, ScenarioError, load_scenario, quiet_logs
from controller.store import Store
from drivers.sim.canopy import Scene, draw_scene
from models.crops import crop
from models.crops.phenology import Stage
from models.et0.krs import krs_from_sunshine

__all__ = [
    "LAG_DAYS",
    "OBSERVED",
    "REPORTED",
    "SHIFTED_PARAMS",
    "VARIANTS",
    "BalanceDay",
    "LateSeason",
    "VariantSeason",
    "camera_photo",
    "camera_round",
    "cold_overrides",
    "late_crop_params",
    "late_season",
    "main",
    "normals_krs",
    "observation_round",
    "observed_stage_dates",
    "summary",
    "summary_table",
]

SCENARIO = "zhangye-seed-corn"
STRATEGY = "et"
LAG_DAYS = 10
VARIANTS = ("calendar", "observed", "camera")
#: The stages the technician records: emergence and a few that move the Kc curve.
OBSERVED = (Stage.VE, Stage.V6, Stage.JOINTING, Stage.SILKING)
#: AquaCrop's calendar-day crop parameters counted from sowing (aquacrop ``Crop``, calendar
#: mode): each is ``lag_days`` later for the late crop. Durations (flowering, yield formation)
#: and rates (CGC, CDC) are the crop's own, unchanged.
SHIFTED_PARAMS = ("EmergenceCD", "MaxRootingCD", "HIstartCD", "SenescenceCD", "MaturityCD")
#: The referee's keys reported per variant (and the ETc errors, mm/d).
REPORTED = (
    "water_in_season_m3_mu",
    "water_annual_m3_mu",
    "relative_yield",
    "yield_t_ha",
    "critical_stress_days",
    "transpiration_mm",
    "drainage_mm",
    "etc_error_actual_mm_day",
    "etc_error_potential_mm_day",
    "balance_etc_mm",
    "etc_bias_initial_mm_day",
    "etc_bias_development_mm_day",
    "etc_bias_mid_mm_day",
    "etc_bias_late_mm_day",
    "canopy_cover_development",
    "depletion_taw_development",
)
#: What a season cut short (``days``) cannot report: it is not harvested.
UNHARVESTED = ("relative_yield", "yield_t_ha", "wp_kg_m3")
#: The FAO-56 stages of the late truth (the crop library's lengths, ``lag_days`` later), over
#: which the bias of the balance's ETc (balance − AquaCrop's Tr + Es, mm/d) is reported.
PERIODS = ("initial", "development", "mid", "late")
TECHNICIAN = "technician"
CAMERA_DETAIL = "simulated camera: AquaCrop canopy cover"
SUNNY_SHARE = 0.7  # of the camera's mornings: Zhangye's growing season is mostly clear
#: The months the site computes ET0 for the season: April (sowing) to September (harvest).
SEASON_MONTHS = range(4, 10)


def late_crop_params(
    lag_days: int, base: Mapping[str, float] = SEED_MAIZE_ZHANGYE
) -> dict[str, float]:
    """``base`` with every stage of :data:`SHIFTED_PARAMS` ``lag_days`` later (d after
    sowing); ``ValueError`` naming ``lag_days`` if negative."""
    if lag_days < 0:
        raise ValueError(f"lag_days: {lag_days} (a late crop is 0 or more days late)")
    return {k: v + lag_days if k in SHIFTED_PARAMS else v for k, v in base.items()}


def observed_stage_dates(
    sown: dt.date, lag_days: int, stages: Sequence[Stage] = OBSERVED
) -> dict[Stage, dt.date]:
    """The date the late truth reaches each of ``stages``: the seed-maize crop library's
    position of the stage on the FAO-56 calendar (d after sowing, rounded up to a whole day)
    plus ``lag_days`` (:func:`controller.simulation.latecrop.true_stage_dates`)."""
    every = true_stage_dates(crop("seed_corn"), sown, lag_days)
    return {s: every[s] for s in stages}


def observation_round(stages: Mapping[Stage, dt.date]) -> Round:
    """The technician's round: each zone's stage recorded on the day the truth reaches it,
    through the crop desk (refused, like on the page, if out of order or in the future)."""

    def round_(season: AgronomySeason, now: dt.datetime) -> None:
        agronomy = season.daemon.agronomy
        today = agronomy.local_date(now)
        desk = CropDesk(
            season.store,
            agronomy.crop_clock,
            lambda: {z.name: z for z in agronomy.site.zones},
            lambda: today,
            None,
        )
        for stage, on in stages.items():
            if on == today:
                for zone in agronomy.site.zones:
                    desk.add(zone.name, stage.value, on, "seen on the round", None, TECHNICIAN)

    return round_


def camera_photo(cover: float, zone: str, date: dt.date) -> bytes:
    """What the zone's camera sends on ``date`` of a canopy covering ``cover`` (0..1): a
    drawn scene (:mod:`drivers.sim.canopy`: white film, sun or overcast and the sun's
    brightness drawn from the zone and the date) as JPEG."""
    rng = np.random.default_rng([date.toordinal(), zlib.crc32(zone.encode())])
    scene = Scene(
        cover=min(max(cover, 0.0), 1.0),
        film="white",
        light="sun" if rng.uniform() < SUNNY_SHARE else "overcast",
        brightness=float(rng.uniform(0.6, 1.2)),
        seed=int(rng.integers(2**31)),
    )
    return draw_scene(scene).jpeg()


def camera_round(truths: Mapping[str, AquaCropTruth], *, images: bool = True) -> Round:
    """Each zone's canopy cover (AquaCrop's, of the last day stepped) into the daemon's cover
    records. ``images``: as a photo (:func:`camera_photo`) through the daemon's own canopy
    path (:meth:`~controller.canopy.watch.CanopyWatch.estimate_photo`: decoded, its cover
    estimated by the site's classifier, stored with the photo); else the exact cover stored
    as the camera job stores an estimate (no classifier error, faster)."""

    def round_(season: AgronomySeason, now: dt.datetime) -> None:
        watch = season.daemon.canopy
        zones = {z.name: z for z in season.daemon.agronomy.site.zones}
        today = season.daemon.agronomy.local_date(now)
        for zone, truth in truths.items():
            cover = referee_cover(truth)
            if images:
                watch.estimate_photo(
                    zones[zone], camera_photo(cover, zone, today), source=CAMERA_DETAIL
                )
            else:
                watch.records.add(
                    CoverRecord(zone, now, "ok", round(cover, 4), None, CAMERA_DETAIL)
                )

    return round_


@dataclass(frozen=True, slots=True)
class BalanceDay:
    """A day of the daemon's balance (its latest revision): Kc, ETc (mm) and its notes (where
    the Kc came from: calendar, observation, canopy cover), and its ET0 (mm)."""

    kc: float
    etc_mm: float
    notes: str
    et0_mm: float = 0.0


@dataclass(frozen=True, slots=True)
class VariantSeason:
    """One variant's season: the printed ``row``, each zone's balance day by day and each
    zone's AquaCrop season (``truth``: its days, Tr, Es, canopy cover)."""

    row: dict[str, Any]
    balance: dict[str, dict[dt.date, BalanceDay]]
    truth: dict[str, SeasonResult] = field(default_factory=dict)


class LateSeason:
    """One seed of the late crop: the weather, the accounting and the fully watered yield
    per zone, shared by the variants (:meth:`run`)."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        *,
        lag_days: int = LAG_DAYS,
        days: int | None = None,
        camera_images: bool = False,
        cold_kc: bool = True,
        krs: float | None = None,
    ) -> None:
        self.scenario, self.seed, self.lag_days, self.days = scenario, seed, lag_days, days
        self.camera_images, self.cold_kc, self.krs = camera_images, cold_kc, krs
        self.acc: Accounting = accounting(scenario)
        self.params = late_crop_params(lag_days)
        self.weather = season_weather(scenario, seed, self.acc)
        self.stages = observed_stage_dates(self.acc.planting, lag_days)
        full = practices(scenario).get("full")
        if full is None:
            raise ScenarioError(f"{scenario.path}: referee.practices.full: missing")
        self.full_yield_t_ha = {
            zone: practice_outcome(
                scenario, self.acc, zone, self.weather, full, "spring", self.params
            ).season.fresh_yield_t_ha
            for zone in sorted(scenario.soils)
        }

    def run(self, variant: str) -> VariantSeason:
        """One variant's season: the site's row (zones' mean; the most critical stress days
        of a zone) with each zone's and the observations made, and the balance's days."""
        if variant not in VARIANTS:
            raise ValueError(f"variant: {variant!r} ({', '.join(VARIANTS)})")
        made: dict[str, AquaCropTruth] = {}
        factory = aquacrop_factory(
            self.acc, drip=True, initial="spring", made=made, crop_params=self.params
        )
        rounds: list[Round] = []
        if variant == "observed":
            rounds.append(observation_round(self.stages))
        elif variant == "camera":
            rounds.append(camera_round(made, images=self.camera_images))
        fast = FAST_TMP if FAST_TMP.is_dir() else None
        with tempfile.TemporaryDirectory(dir=fast, prefix="qanat-latecrop-") as tmp:
            season = AgronomySeason(
                self.scenario,
                STRATEGY,
                seed=self.seed,
                days=self.days,
                truth=factory,
                workdir=Path(tmp),
                rounds=rounds,
                overrides=self._overrides(),
            )
            with quiet_logs():
                season.run()
            balance = _balance_etc(Path(tmp), sorted(made), season.first, season.end_date)
        zones = {z: self._zone_row(z, made[z], balance[z]) for z in sorted(made)}
        keys = [k for k in REPORTED if k in next(iter(zones.values()))]
        site = {k: statistics.fmean(z[k] for z in zones.values()) for k in keys}
        site["critical_stress_days"] = max(z["critical_stress_days"] for z in zones.values())
        row = {
            "seed": self.seed,
            "variant": variant,
            "lag_days": self.lag_days,
            "cold_kc": self.cold_kc,
            "krs": self.krs,
            "camera": ("images" if self.camera_images else "records")
            if variant == "camera"
            else "",
            **{k: round(v, 4) for k, v in site.items()},
            "observations": (
                {s.value: d.isoformat() for s, d in self.stages.items()}
                if variant == "observed"
                else {}
            ),
            "zones": {z: {k: round(v, 4) for k, v in r.items()} for z, r in zones.items()},
        }
        return VariantSeason(row, balance, {z: made[z].field.result() for z in sorted(made)})

    def _overrides(self) -> dict[str, Any] | None:
        out = cold_overrides(sorted(self.scenario.soils), on=self.cold_kc)
        if self.krs is None:
            return out
        return {**(out or {}), "site": {"krs": self.krs}}

    def periods(self, first: dt.date) -> list[tuple[str, Callable[[dt.date], bool]]]:
        """Each of :data:`PERIODS` as a test of a date: the late truth's FAO-56 stages from
        sowing (the initial one from ``first``, the late one to the end of the year)."""
        sown = self.acc.planting
        ends = [sown + dt.timedelta(days=self.lag_days)]
        for length in crop("seed_corn").stage_days[:3]:
            ends.append(ends[-1] + dt.timedelta(days=length))
        bounds = [min(first, sown), *ends[1:], dt.date(sown.year + 1, 1, 1)]
        return [(p, _in_period(bounds[i], bounds[i + 1])) for i, p in enumerate(PERIODS)]

    def _zone_row(
        self, zone: str, truth: AquaCropTruth, balance: Mapping[dt.date, BalanceDay]
    ) -> dict[str, float]:
        outcome = truth_outcome(zone, truth, self.acc)
        result = outcome.season
        row = season_row(outcome, self.full_yield_t_ha[zone], self.weather)
        if self.days is not None:  # a season cut short has no yield yet
            for key in UNHARVESTED:
                del row[key]
        days = [d for d in result.days if d.date in balance]
        actual = [abs(balance[d.date].etc_mm - (d.tr_mm + d.es_mm)) for d in days]
        potential = [abs(balance[d.date].etc_mm - (d.tr_pot_mm + d.es_pot_mm)) for d in days]
        row["etc_error_actual_mm_day"] = statistics.fmean(actual) if actual else 0.0
        row["etc_error_potential_mm_day"] = statistics.fmean(potential) if potential else 0.0
        row["balance_etc_mm"] = sum(balance[d.date].etc_mm for d in days)
        for period, ends in self.periods(days[0].date if days else self.acc.planting):
            bias = [balance[d.date].etc_mm - (d.tr_mm + d.es_mm) for d in days if ends(d.date)]
            row[f"etc_bias_{period}_mm_day"] = statistics.fmean(bias) if bias else 0.0
            if period == "development":  # the canopy's expansion, and the soil it grew in
                grown = [d for d in result.days if ends(d.date) and d.root_zone_taw_mm > 0]
                row["canopy_cover_development"] = (
                    statistics.fmean(d.canopy_cover for d in grown) if grown else 0.0
                )
                row["depletion_taw_development"] = (
                    statistics.fmean(d.root_zone_depletion_mm / d.root_zone_taw_mm for d in grown)
                    if grown
                    else 0.0
                )
        return row


def cold_overrides(zones: Sequence[str], *, on: bool) -> dict[str, Any] | None:
    """Each zone's ``cold_kc`` as an admin sets it (``site.overrides.toml``) when ``on``; else
    None (the site file's setting: off)."""
    if not on:
        return None
    return {"zones": {zone: {"cold_kc": True} for zone in zones}}


def normals_krs(scenario: Scenario) -> float:
    """The site's FAO-56 eq. 50 krs calibrated on the scenario's climate normals (the
    regional station's monthly Tmax, Tmin and sunshine hours: eq. 35) over
    :data:`SEASON_MONTHS` (:func:`models.et0.krs.krs_from_sunshine`), rounded to 0.001."""
    site = scenario.raw.get("site", {})
    try:
        lat = float(site["latitude_deg"])
    except (KeyError, TypeError, ValueError):
        raise ScenarioError(f"{scenario.path}: site.latitude_deg: missing") from None
    n = scenario.normals
    return round(krs_from_sunshine(n.tmax_c, n.tmin_c, n.sunshine_h, lat, SEASON_MONTHS), 3)


def krs_of_option(
    parser: argparse.ArgumentParser, option: float | str | None, scenario: Scenario
) -> float | None:
    """The krs a ``--krs`` option (:class:`controller.config.krs.KrsOption` with the word
    ``normals``) gives the season: None (the site file's), the number given, or
    :func:`normals_krs`, which must lie in the site's range too (else the command stops
    with one line and exit status 2)."""
    if not isinstance(option, str):
        return option
    krs = normals_krs(scenario)
    refusal = krs_refusal(str(krs))
    if refusal is not None:
        parser.exit(2, f"{parser.prog}: {refusal} (calibrated by --krs normals)\n")
    return krs


def _in_period(lo: dt.date, hi: dt.date) -> Callable[[dt.date], bool]:
    return lambda d: lo <= d < hi


def _balance_etc(
    workdir: Path, zones: Sequence[str], first: dt.date, last: dt.date
) -> dict[str, dict[dt.date, BalanceDay]]:
    """Each zone's balance of every day, the day's latest revision, from the season's store
    left in ``workdir``."""
    start = dt.datetime.combine(last, dt.time(), tzinfo=dt.UTC)
    store = Store(f"sqlite:///{workdir / 'qanat.db'}", clock=VirtualClock(start))
    try:
        return {
            z: {
                r.date: BalanceDay(r.kc, r.etc_mm, r.notes, r.et0_mm)
                for r in store.water_balance(z, first, last)
            }
            for z in zones
        }
    finally:
        store.close()


def summary(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per variant: mean, min and max over the seeds of every :data:`REPORTED` key."""
    out = []
    for variant in VARIANTS:
        mine = [r for r in rows if r["variant"] == variant]
        if not mine:
            continue
        line: dict[str, Any] = {"variant": variant, "seeds": [r["seed"] for r in mine]}
        for key in (k for k in REPORTED if k in mine[0]):
            values = [float(r[key]) for r in mine]
            line[key] = {
                "mean": round(statistics.fmean(values), 4),
                "min": round(min(values), 4),
                "max": round(max(values), 4),
            }
        out.append(line)
    return out


#: The columns of :func:`summary_table`: (key, heading, decimals).
TABLE_COLUMNS = (
    ("water_in_season_m3_mu", "water in season, m³/mu", 1),
    ("relative_yield", "relative yield", 3),
    ("yield_t_ha", "yield, t/ha", 2),
    ("critical_stress_days", "critical stress days", 1),
    ("etc_error_actual_mm_day", "\\|ETc error\\| vs Tr + Es, mm/d", 3),
    ("etc_bias_development_mm_day", "ETc bias, development, mm/d", 2),
    ("etc_bias_late_mm_day", "ETc bias, late, mm/d", 2),
)


def summary_table(lines: Sequence[Mapping[str, Any]]) -> str:
    """The :func:`summary` as a Markdown table: mean [min–max] over the seeds."""
    head = "| variant | " + " | ".join(h for _, h, _ in TABLE_COLUMNS) + " |"
    out = [head, "|---" * (len(TABLE_COLUMNS) + 1) + "|"]
    for line in lines:
        cells = []
        for key, _, n in TABLE_COLUMNS:
            v = line.get(key)
            cells.append(
                "—" if v is None else f"{v['mean']:.{n}f} [{v['min']:.{n}f}–{v['max']:.{n}f}]"
            )
        out.append(f"| {line['variant']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def late_season(
    scenario: Scenario, seed: int, variants: Sequence[str] = VARIANTS, **kwargs: Any
) -> list[dict[str, Any]]:
    """Every variant of one seed (:class:`LateSeason`)."""
    late = LateSeason(scenario, seed, **kwargs)
    return [late.run(v).row for v in variants]


def main(argv: Sequence[str] | None = None) -> int:
    """Print one JSON line per seed and variant, then the summary per variant."""
    parser = argparse.ArgumentParser(prog="python -m controller.simulation.referee.latecrop")
    parser.add_argument(
        "--seeds", default="1", help="weather years: 1-5, 1,3 or dry,hot,1-10 (the named years)"
    )
    parser.add_argument("--lag-days", type=int, default=LAG_DAYS, help="days the crop is late")
    parser.add_argument(
        "--variant", choices=VARIANTS, action="append", help="(repeatable; default all)"
    )
    parser.add_argument(
        "--camera",
        choices=("images", "records"),
        default="records",
        help="records: the exact cover stored (default); images: drawn photos through the "
        "classifier (about 2.7x the season's time)",
    )
    parser.add_argument(
        "--cold-kc",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="each zone's cold_kc setting: maize transpiration lowered on a cool day (default on)",
    )
    parser.add_argument(
        "--krs",
        action=KrsOption,
        words=("normals",),
        help=f"the site's FAO-56 eq. 50 krs (a number, {KRS_MIN:.2f} to {KRS_MAX:.2f}), or "
        "'normals': calibrated on the scenario's sunshine normals, April-September (default: "
        "the site file's, 0.16)",
    )
    parser.add_argument(
        "--table", action="store_true", help="the summary as a Markdown table, not JSON"
    )
    args = parser.parse_args(argv)
    scenario = load_scenario(SCENARIO)
    try:
        seeds = parse_seeds(args.seeds, scenario)
    except ValueError as exc:
        parser.error(f"--{exc}")
    krs = krs_of_option(parser, args.krs, scenario)
    rows = []
    for seed in seeds:
        for row in late_season(
            scenario,
            seed,
            args.variant or VARIANTS,
            lag_days=args.lag_days,
            camera_images=args.camera == "images",
            cold_kc=args.cold_kc,
            krs=krs,
        ):
            print(json.dumps(row, ensure_ascii=False), flush=True)
            rows.append(row)
    if args.table:
        print(summary_table(summary(rows)))
        return 0
    for line in summary(rows):
        print(json.dumps(line, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
