"""Maize phenology: growing degree days and the FAO-56 crop-calendar day they imply.

**Growing degree days** (°C·d), McMaster & Wilhelm (1997, Agric. For. Meteorol. 87: 291-300),
their method 2 with an upper cut-off (the "86/50" rule of US maize): each of Tmax and Tmin is
held within [T_base, T_cap] before averaging, GDD = (Tmax* + Tmin*) / 2 − T_base, so a day is
never negative and heat above the cap adds nothing. Maize: T_base 10 °C, T_cap 30 °C.

**Thresholds from sowing** (:data:`SEED_MAIZE_GDD`, °C·d): the degree days a normal year of
Zhangye accumulates from sowing (20 Apr) to each stage's day on the crop library's seed-maize
calendar (below): the mean of 30 years drawn by the weather generator from the seed-corn
scenario's climate normals (``controller/simulation/scenarios/zhangye-seed-corn.toml``),
rounded to 5 °C·d; ``tests/models/test_phenology.py`` recomputes them. So the degree days
and the calendar agree in a normal year and part in a cold or a warm one. Cross-check against
Abendroth, Elmore, Boyer & Marlay (2011), *Corn growth and development*, Iowa State PMR 1009
(a ~110-day hybrid, °F·d × 5/9): VE 67, V6 264, V8 339, VT 722, R1 778, R3 1069, R6 1500 —
the same at emergence and flowering; this inbred seed line in a cool May reaches V6 and
jointing on fewer degree days, and matures ~190 °C·d earlier (seed is harvested early).

**Where each stage sits on the FAO-56 calendar** (:data:`SEED_MAIZE_ANCHORS`): a stage is a
position (FAO-56 stage, fraction of it) on the crop's four stage lengths (FAO-56 Table 11),
placed from the Zhangye seed-maize season the crop library documents (30/40/50/33 d:
emergence ~12 d, jointing ~35 d, tasselling ~83 d, silking ~88 d, milk ~108 d, black layer
~145 d). The crop-calendar day of a stage is then ``start + fraction × length``; a crop with
other stage lengths (grain maize) keeps the same relative positions.

**The crop-calendar day** (:func:`crop_days`) is the day after planting on the FAO-56
calendar whose Kc and root depth the crop has now. From sowing (day 0) it advances each day by
the day's GDD along the segment it is in (between two stages' thresholds and positions,
linear; past maturity the last segment continues); an observed stage sets it to that stage's
position on the day observed (it re-anchors), and a day without temperatures advances it one
calendar day.
Without any observation or temperature it is the days after planting: the fixed calendar.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.crops.library import Crop
from models.errors import ModelInputError

__all__ = [
    "FAO_STAGES",
    "MAIZE_TBASE_C",
    "MAIZE_TCAP_C",
    "PHENOLOGY_CROPS",
    "SEED_MAIZE_ANCHORS",
    "SEED_MAIZE_GDD",
    "CropDay",
    "DayTemperatures",
    "PhenologyInputError",
    "Stage",
    "crop_days",
    "fao_stage",
    "gdd_day",
    "stage_crop_day",
]

MAIZE_TBASE_C = 10.0
MAIZE_TCAP_C = 30.0
FAO_STAGES = ("initial", "development", "mid", "late")
#: The library crops whose stages these thresholds and positions describe.
PHENOLOGY_CROPS = ("seed_corn", "maize_grain")


class PhenologyInputError(ModelInputError):
    """Temperatures or observations the phenology cannot use (the message names them)."""


class Stage(enum.StrEnum):
    """Maize stages a technician records, in the order the crop passes them."""

    VE = "VE"  # emergence, 出苗
    V6 = "V6"  # sixth leaf collar, 六叶
    JOINTING = "jointing"  # ~V8, stem elongation, 拔节
    TASSELING = "tasseling"  # VT, 抽雄
    SILKING = "silking"  # R1, 吐丝
    MILK = "milk"  # R3, 乳熟
    MATURITY = "maturity"  # R6, black layer, 成熟

    @property
    def order(self) -> int:
        """0 for VE … 6 for maturity."""
        return list(Stage).index(self)


#: GDD (°C·d, base 10 °C, cap 30 °C) from sowing to each stage (module docstring).
SEED_MAIZE_GDD: Mapping[Stage, float] = {
    Stage.VE: 65.0,
    Stage.V6: 170.0,
    Stage.JOINTING: 225.0,
    Stage.TASSELING: 700.0,
    Stage.SILKING: 755.0,
    Stage.MILK: 980.0,
    Stage.MATURITY: 1310.0,
}

#: Each stage's position on the FAO-56 calendar: (stage index 0-3, fraction of that stage).
SEED_MAIZE_ANCHORS: Mapping[Stage, tuple[int, float]] = {
    Stage.VE: (0, 12 / 30),
    Stage.V6: (0, 28 / 30),
    Stage.JOINTING: (1, 5 / 40),
    Stage.TASSELING: (2, 13 / 50),
    Stage.SILKING: (2, 18 / 50),
    Stage.MILK: (2, 38 / 50),
    Stage.MATURITY: (3, 25 / 33),
}


def gdd_day(
    tmax_c: float, tmin_c: float, tbase_c: float = MAIZE_TBASE_C, tcap_c: float = MAIZE_TCAP_C
) -> float:
    """Growing degree days of one day, °C·d (McMaster & Wilhelm 1997, method 2, capped).

    GDD = (min(max(Tmax, Tb), Tc) + min(max(Tmin, Tb), Tc)) / 2 − Tb.
    """
    if tmax_c < tmin_c:
        raise PhenologyInputError(f"tmax_c {tmax_c} is below tmin_c {tmin_c}")
    hi = min(max(tmax_c, tbase_c), tcap_c)
    lo = min(max(tmin_c, tbase_c), tcap_c)
    return (hi + lo) / 2.0 - tbase_c


def stage_crop_day(crop: Crop, stage: Stage) -> float:
    """The crop-calendar day (days after planting on the FAO-56 calendar) of ``stage``."""
    index, fraction = SEED_MAIZE_ANCHORS[stage]
    start = float(sum(crop.stage_days[:index]))
    return start + fraction * crop.stage_days[index]


def fao_stage(crop: Crop, crop_day: float) -> tuple[str, float]:
    """The FAO-56 stage (``initial`` … ``late``) of a crop-calendar day and the days into it
    (after the season: ``late`` with its days past the start of the late stage)."""
    start = 0.0
    for name, days in zip(FAO_STAGES, crop.stage_days, strict=True):
        if crop_day < start + days or name == "late":
            return name, max(crop_day - start, 0.0)
        start += days
    raise AssertionError("unreachable: the late stage returns")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class DayTemperatures:
    """A local day's Tmax and Tmin, °C (None: not measured)."""

    date: dt.date
    tmax_c: float | None
    tmin_c: float | None


@dataclass(frozen=True, slots=True)
class CropDay:
    """The crop on a day (at its start): crop-calendar day, GDD since sowing (°C·d, measured
    days only) and what set the crop-calendar day: ``calendar`` (days after planting: no
    temperature and no observation yet), ``gdd`` (degree days since sowing) or
    ``observation`` (degree days since the last observed stage, named in ``anchor``, seen on
    ``anchor_on``)."""

    date: dt.date
    crop_day: float
    gdd_degc_day: float
    source: str
    anchor: Stage | None = None
    anchor_on: dt.date | None = None


def _segments(crop: Crop) -> tuple[list[float], list[float]]:
    gdd = [0.0] + [SEED_MAIZE_GDD[s] for s in Stage]
    day = [0.0] + [stage_crop_day(crop, s) for s in Stage]
    return gdd, day


def _interp(x: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    """Piecewise-linear y(x) through the points, the last segment extended past the end."""
    for k in range(1, len(xs)):
        if x < xs[k] or k == len(xs) - 1:
            return ys[k - 1] + (x - xs[k - 1]) * (ys[k] - ys[k - 1]) / (xs[k] - xs[k - 1])
    raise AssertionError("unreachable")  # pragma: no cover


def _advance(crop_day: float, g: float, gdd: Sequence[float], day: Sequence[float]) -> float:
    """``crop_day`` moved by ``g`` °C·d along the stages' thresholds and positions (a day that
    passes a stage moves at each segment's own rate). A day without degree days leaves it
    where it is (the round trip through the thresholds would move it by a rounding error)."""
    if g <= 0.0:
        return crop_day
    return max(_interp(_interp(crop_day, day, gdd) + g, gdd, day), crop_day)


def crop_days(
    crop: Crop,
    sowing: dt.date,
    temperatures: Sequence[DayTemperatures],
    observations: Mapping[Stage, dt.date],
    until: dt.date,
    *,
    calendar_until: dt.date | None = None,
) -> list[CropDay]:
    """The crop on each day from ``sowing`` to ``until`` (module docstring).

    ``temperatures``: the measured days (any order; days missing or without both values
    advance one calendar day). ``observations``: the date each stage was seen; they must be
    on or after sowing, a later stage never on an earlier date than one before it
    (:class:`PhenologyInputError` names the pair). ``calendar_until``: before this date the
    crop keeps to the calendar (one day a day) though the degree days are counted (a zone
    whose calendar only observations move: the first observation's date).
    """
    _check_observations(sowing, observations)
    temps = {t.date: t for t in temperatures}
    # two stages seen the same day: the later one holds
    anchors = {d: s for s, d in sorted(observations.items(), key=lambda item: item[0].order)}
    gdd, day = _segments(crop)
    crop_day, total, source = 0.0, 0.0, "calendar"
    anchor: Stage | None = None
    anchor_on: dt.date | None = None
    out: list[CropDay] = []
    date = sowing
    while date <= until:
        if date in anchors:
            anchor, anchor_on = anchors[date], date
            crop_day, source = stage_crop_day(crop, anchor), "observation"
        out.append(CropDay(date, crop_day, total, source, anchor, anchor_on))
        t = temps.get(date)
        g = None
        if t is not None and t.tmax_c is not None and t.tmin_c is not None:
            g = gdd_day(t.tmax_c, t.tmin_c)
            total += g
        if g is None or (calendar_until is not None and date < calendar_until):
            crop_day += 1.0
        else:
            crop_day = _advance(crop_day, g, gdd, day)
            if source == "calendar":
                source = "gdd"
        date += dt.timedelta(days=1)
    return out


def _check_observations(sowing: dt.date, observations: Mapping[Stage, dt.date]) -> None:
    seen = sorted(observations.items(), key=lambda item: item[0].order)
    for stage, date in seen:
        if date < sowing:
            raise PhenologyInputError(f"{stage.value} on {date}: before sowing on {sowing}")
    for (early, d1), (late, d2) in itertools.pairwise(seen):
        if d2 < d1:
            raise PhenologyInputError(
                f"{late.value} on {d2}: before {early.value} on {d1} (stages come in order)"
            )
