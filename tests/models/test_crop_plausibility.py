"""Whether a maize stage on a date is plausible by the degree days since sowing, or the
calendar without them (seed corn: 30/40/50/33 d; VE on calendar day 12 at 65 °C·d,
tasselling on day 83 at 700 °C·d)."""

from __future__ import annotations

import pytest

from models.crops import crop
from models.crops.phenology import SEED_MAIZE_GDD, Stage, stage_crop_day
from models.crops.plausibility import (
    CALENDAR_DAYS_OFF,
    GDD_HIGH_FACTOR,
    GDD_LATE_MARGIN_DEGC_DAY,
    GDD_LOW_FACTOR,
    implausible,
)

SEED = crop("seed_corn")


def test_emergence_on_a_mid_season_crop_is_refused_by_its_degree_days() -> None:
    """The field's case: VE recorded 77 days after planting with 640 °C·d since sowing."""
    doubt = implausible(SEED, Stage.VE, 77, 640.0, 77)
    assert doubt is not None and doubt.by == "gdd"
    assert doubt.gdd_degc_day == 640.0 and doubt.expected_degc_day == SEED_MAIZE_GDD[Stage.VE]
    assert (doubt.low_degc_day, doubt.high_degc_day) == (
        GDD_LOW_FACTOR * SEED_MAIZE_GDD[Stage.VE],
        SEED_MAIZE_GDD[Stage.VE] + GDD_LATE_MARGIN_DEGC_DAY,  # 265: over 2 × 65
    )


@pytest.mark.parametrize("stage", list(Stage))
def test_each_stage_at_its_own_degree_days_and_calendar_day_is_plausible(stage: Stage) -> None:
    day = round(stage_crop_day(SEED, stage))
    assert implausible(SEED, stage, day, SEED_MAIZE_GDD[stage], day) is None


@pytest.mark.parametrize("stage", list(Stage))
def test_the_degree_days_band_is_closed_at_both_ends(stage: Stage) -> None:
    day = round(stage_crop_day(SEED, stage))
    expected = SEED_MAIZE_GDD[stage]
    high = max(GDD_HIGH_FACTOR * expected, expected + GDD_LATE_MARGIN_DEGC_DAY)
    for gdd in (GDD_LOW_FACTOR * expected, high):
        assert implausible(SEED, stage, day, gdd, day) is None
    for gdd in (GDD_LOW_FACTOR * expected - 1.0, high + 1.0):
        doubt = implausible(SEED, stage, day, gdd, day)
        assert doubt is not None and doubt.by == "gdd"


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("days_off", [-45, 45])
def test_with_degree_days_counted_the_calendar_does_not_judge(stage: Stage, days_off: int) -> None:
    """A crop sown late or in a warmer year reaches a stage at its own degree days weeks off
    the calendar (maturity at 1310 °C·d on day 100, 45 days before the calendar's 145)."""
    day = max(round(stage_crop_day(SEED, stage)) + days_off, 1)
    assert implausible(SEED, stage, day, SEED_MAIZE_GDD[stage], day) is None
    doubt = implausible(SEED, stage, day, 3.0 * SEED_MAIZE_GDD[stage] + 300.0, day)
    assert doubt is not None and doubt.by == "gdd"  # the degree days still refuse


def test_maturity_at_its_degree_days_on_day_100_is_plausible() -> None:
    assert implausible(SEED, Stage.MATURITY, 100, 1310.0, 100) is None


def test_without_enough_measured_days_the_calendar_decides() -> None:
    vt = stage_crop_day(SEED, Stage.TASSELING)
    near, far = round(vt + CALENDAR_DAYS_OFF), round(vt + CALENDAR_DAYS_OFF) + 1
    # 0 °C·d over 8 of 80 days measured: not counted, not a reason to refuse
    assert implausible(SEED, Stage.TASSELING, near, 0.0, 8) is None
    doubt = implausible(SEED, Stage.TASSELING, far, 0.0, 8)
    assert doubt is not None and doubt.by == "calendar" and doubt.gdd_degc_day is None
    # sown the same day: no day to count, the calendar's 12 days away is fine
    assert implausible(SEED, Stage.VE, 0, 0.0, 0) is None


@pytest.mark.parametrize(
    ("stage", "high"),
    [(Stage.VE, 265.0), (Stage.V6, 370.0), (Stage.JOINTING, 450.0), (Stage.MILK, 1960.0)],
)
def test_early_stages_take_a_late_margin_later_ones_a_factor_of_two(
    stage: Stage, high: float
) -> None:
    day = round(stage_crop_day(SEED, stage))
    assert implausible(SEED, stage, day, high, day) is None
    assert implausible(SEED, stage, day, high + 1.0, day) is not None
