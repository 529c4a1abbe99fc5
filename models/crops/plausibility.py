"""Whether a maize stage recorded on a date is plausible by the degree days the crop has had.

A stage record re-anchors the crop's calendar (:mod:`models.crops.phenology`), so one
mistaken record (emergence chosen on a mid-season crop) sends its Kc and root depth back to
the initial stage. A record is **implausible** by one rule only:

* ``gdd``, when the degree days can be counted (the station measured at least
  :data:`MIN_MEASURED_FRACTION` of the days since sowing): the GDD since sowing on the day
  recorded is below :data:`GDD_LOW_FACTOR` × the stage's threshold
  (:data:`~models.crops.phenology.SEED_MAIZE_GDD`) or above the larger of
  :data:`GDD_HIGH_FACTOR` × it and it + :data:`GDD_LATE_MARGIN_DEGC_DAY`. Why a factor of 2
  either way: the degree days to a stage differ between years by ~10-15 % and between
  hybrids by up to ~1.6× (V6: 170 °C·d for the seed line, 264 °C·d for the Iowa hybrid of
  Abendroth et al. 2011; maturity 1310 against 1500); a factor of 2 stays outside all of
  that, yet refuses a stage chosen well off (emergence at 640 °C·d, V6 at 700). Why the
  margin late: a crop emerges late in a cold or dry seedbed, the very crop a record is for,
  and the days that delay it add degree days the early stages' small thresholds cannot
  absorb: the late-crop scenario's crop, 10 days late, emerges at 102-155 °C·d over seeds
  1-30 of the Zhangye weather (65 expected): a factor of 2 alone refused 10 of the 30, and
  the margin was chosen after seeing that, on the scenario's generated weather (not on the
  referee's crop model); ``tests/simulation/test_latecrop_plausible.py`` checks its
  records are all plausible. 200 °C·d is over three weeks late at the 4-9 °C·d a day those
  10 days added;
* ``calendar``, only when they cannot be counted (too few days measured): the days after
  planting are more than :data:`CALENDAR_DAYS_OFF` days from the stage's crop-calendar day
  (FAO-56 stage lengths of the crop library). Why 30 days: a season's stages drift from the
  calendar by up to ~2-3 weeks in a cold or a warm year, never by a month. Why not with the
  degree days counted: they are what the crop had, the calendar only what an average year
  gives; a crop sown 45 days late reaches silking at exactly its degree days up to 27 days
  before the calendar's day (seeds 1-30 of the Zhangye weather: 3 days inside the 30), and
  maturity at its 1310 °C·d on day 100 is 45 days off, both right.
  What that gives up: a late stage chosen on a young crop that is within the degree days'
  band (tasselling, 700 °C·d, at 410 °C·d on day 41) is no longer refused.

A stage so refused can still be kept when the technician confirms it: the crop in the field
is the truth; this only catches a slip of the finger.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.crops.library import Crop
from models.crops.phenology import SEED_MAIZE_GDD, Stage, stage_crop_day

__all__ = [
    "CALENDAR_DAYS_OFF",
    "GDD_HIGH_FACTOR",
    "GDD_LATE_MARGIN_DEGC_DAY",
    "GDD_LOW_FACTOR",
    "MIN_MEASURED_FRACTION",
    "Implausible",
    "implausible",
]

GDD_LOW_FACTOR = 0.5
GDD_HIGH_FACTOR = 2.0
GDD_LATE_MARGIN_DEGC_DAY = 200.0
CALENDAR_DAYS_OFF = 30.0
MIN_MEASURED_FRACTION = 0.9


@dataclass(frozen=True, slots=True)
class Implausible:
    """Why a stage on a day is implausible: ``by`` ``gdd`` (the GDD since sowing,
    ``gdd_degc_day``, outside ``low_degc_day``-``high_degc_day`` around the stage's
    ``expected_degc_day``) or ``calendar`` (too few days measured to count them,
    ``gdd_degc_day`` None, and ``days_after_planting`` more than :data:`CALENDAR_DAYS_OFF`
    from the stage's crop-calendar ``expected_day``)."""

    stage: Stage
    by: str
    days_after_planting: int
    expected_day: float
    gdd_degc_day: float | None
    expected_degc_day: float
    low_degc_day: float
    high_degc_day: float


def implausible(
    crop: Crop,
    stage: Stage,
    days_after_planting: int,
    gdd_degc_day: float,
    measured_days: int,
) -> Implausible | None:
    """Why ``stage`` recorded ``days_after_planting`` days after sowing, with
    ``gdd_degc_day`` °C·d counted over ``measured_days`` of those days, is implausible
    (module docstring); None when it is plausible."""
    expected_day = stage_crop_day(crop, stage)
    days = max(days_after_planting, 0)
    counted = days > 0 and measured_days >= MIN_MEASURED_FRACTION * days
    gdd = gdd_degc_day if counted else None
    expected = SEED_MAIZE_GDD[stage]
    low = GDD_LOW_FACTOR * expected
    high = max(GDD_HIGH_FACTOR * expected, expected + GDD_LATE_MARGIN_DEGC_DAY)
    if gdd is not None:
        if low <= gdd <= high:
            return None
        by = "gdd"  # counted: the degree days alone judge
    elif abs(days - expected_day) > CALENDAR_DAYS_OFF:
        by = "calendar"
    else:
        return None
    return Implausible(stage, by, days, expected_day, gdd, expected, low, high)
