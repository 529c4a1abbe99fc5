"""Growing degree days and the crop-calendar day they and the observed stages give."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.crops import crop
from models.crops.phenology import (
    SEED_MAIZE_GDD,
    DayTemperatures,
    PhenologyInputError,
    Stage,
    crop_days,
    fao_stage,
    gdd_day,
    stage_crop_day,
)

SOWN = dt.date(2026, 4, 20)
SEED_CORN = crop("seed_corn")


def _day(n: int) -> dt.date:
    return SOWN + dt.timedelta(days=n)


def test_gdd_by_hand() -> None:
    # 25/12 °C: (25 + 12) / 2 − 10 = 8.5
    assert gdd_day(25.0, 12.0) == pytest.approx(8.5)
    # 34/18 °C: Tmax held at 30: (30 + 18) / 2 − 10 = 14
    assert gdd_day(34.0, 18.0) == pytest.approx(14.0)
    # 16/2 °C: Tmin raised to 10: (16 + 10) / 2 − 10 = 3 (method 2, never the −1 of the mean)
    assert gdd_day(16.0, 2.0) == pytest.approx(3.0)
    # a cold day below the base: 0, not negative
    assert gdd_day(8.0, -3.0) == 0.0
    # a day hotter than the cap all day: 20, the most a day can give
    assert gdd_day(38.0, 31.0) == pytest.approx(20.0)


def test_gdd_refuses_tmax_below_tmin() -> None:
    with pytest.raises(PhenologyInputError, match=r"tmax_c 10\.0 is below tmin_c 12\.0"):
        gdd_day(10.0, 12.0)


def test_stage_positions_follow_the_calendar() -> None:
    # seed corn 30/40/50/33 d: silking 18 d into mid-season (30 + 40 + 18 = 88)
    assert stage_crop_day(SEED_CORN, Stage.SILKING) == pytest.approx(88.0)
    assert stage_crop_day(SEED_CORN, Stage.MATURITY) == pytest.approx(145.0)
    assert fao_stage(SEED_CORN, 88.0) == ("mid", pytest.approx(18.0))
    assert fao_stage(SEED_CORN, 29.5) == ("initial", pytest.approx(29.5))
    assert fao_stage(SEED_CORN, 30.0) == ("development", pytest.approx(0.0))
    assert fao_stage(SEED_CORN, 170.0) == ("late", pytest.approx(50.0))


def test_without_temperature_or_observation_it_is_the_calendar() -> None:
    days = crop_days(SEED_CORN, SOWN, [], {}, _day(40))
    assert [d.crop_day for d in days] == [float(n) for n in range(41)]
    assert {d.source for d in days} == {"calendar"}


def test_gdd_advance_by_hand() -> None:
    # 10 days of 25/12 °C (8.5 °C·d each) from sowing. Sowing → VE is 65 °C·d for 12 d,
    # so 0.185 d per °C·d: 8.5 °C·d moves the crop 1.57 d a day, until VE is passed.
    temps = [DayTemperatures(_day(n), 25.0, 12.0) for n in range(10)]
    days = crop_days(SEED_CORN, SOWN, temps, {}, _day(7))
    rate = 12.0 / SEED_MAIZE_GDD[Stage.VE]
    assert days[1].crop_day == pytest.approx(8.5 * rate)
    assert days[7].crop_day == pytest.approx(7 * 8.5 * rate)
    assert days[7].gdd_degc_day == pytest.approx(59.5)
    assert days[7].source == "gdd"
    # day 8 starts at 68 °C·d, past VE (65 °C·d at 12 d): from VE on, VE→V6's rate
    # (16 d over 105 °C·d)
    days = crop_days(SEED_CORN, SOWN, temps, {}, _day(9))
    v6_rate = 16.0 / (SEED_MAIZE_GDD[Stage.V6] - SEED_MAIZE_GDD[Stage.VE])
    past_ve = 8 * 8.5 - SEED_MAIZE_GDD[Stage.VE]
    assert past_ve > 0.0
    assert days[8].crop_day == pytest.approx(12.0 + past_ve * v6_rate)
    assert days[9].crop_day == pytest.approx(12.0 + (past_ve + 8.5) * v6_rate)


def test_an_observation_reanchors() -> None:
    # cold days: 2 °C·d a day; the crop is seen silking on day 95
    temps = [DayTemperatures(_day(n), 14.0, 10.0) for n in range(120)]
    seen = {Stage.VE: _day(15), Stage.SILKING: _day(95)}
    days = crop_days(SEED_CORN, SOWN, temps, seen, _day(100))
    assert days[15].crop_day == pytest.approx(12.0)  # VE's position
    assert days[15].source == "observation" and days[15].anchor is Stage.VE
    assert days[95].crop_day == pytest.approx(88.0)  # silking's position, whatever came before
    assert days[95].anchor is Stage.SILKING
    # after silking: 2 °C·d a day at the silking→milk rate (20 d over 225 °C·d)
    rate = 20.0 / (SEED_MAIZE_GDD[Stage.MILK] - SEED_MAIZE_GDD[Stage.SILKING])
    assert days[100].crop_day == pytest.approx(88.0 + 5 * 2.0 * rate)
    assert days[100].gdd_degc_day == pytest.approx(200.0)


def test_missing_temperatures_advance_one_calendar_day() -> None:
    temps = [DayTemperatures(_day(0), 25.0, 12.0), DayTemperatures(_day(1), None, 12.0)]
    days = crop_days(SEED_CORN, SOWN, temps, {}, _day(3))
    rate = 12.0 / SEED_MAIZE_GDD[Stage.VE]
    assert days[2].crop_day == pytest.approx(8.5 * rate + 1.0)
    assert days[3].crop_day == pytest.approx(8.5 * rate + 2.0)
    assert days[3].gdd_degc_day == pytest.approx(8.5)


def test_observations_out_of_order_or_before_sowing_are_refused() -> None:
    with pytest.raises(PhenologyInputError, match="silking on 2026-07-01: before tasseling"):
        crop_days(
            SEED_CORN, SOWN, [], {Stage.TASSELING: _day(80), Stage.SILKING: _day(72)}, _day(90)
        )
    with pytest.raises(PhenologyInputError, match="VE on 2026-04-19: before sowing"):
        crop_days(SEED_CORN, SOWN, [], {Stage.VE: _day(-1)}, _day(90))
    # the same day is allowed (tassels and silks can show together): the later stage holds
    days = crop_days(
        SEED_CORN, SOWN, [], {Stage.TASSELING: _day(80), Stage.SILKING: _day(80)}, _day(80)
    )
    assert days[-1].anchor is Stage.SILKING


def test_thresholds_are_a_normal_zhangye_year_on_the_calendar() -> None:
    """The thresholds are what the module docstring says: the degree days of the scenario's
    normal years on each stage's calendar day (10 generated years here, within 4 %)."""
    from controller.simulation.season import load_scenario
    from drivers.sim.weathergen import WeatherGenerator

    scenario = load_scenario("zhangye-seed-corn")
    sown = dt.date(scenario.start.year, 4, 20)
    totals = dict.fromkeys(Stage, 0.0)
    for seed in range(1, 11):
        series = WeatherGenerator(scenario.normals, seed).generate(
            sown - dt.timedelta(days=1), sown + dt.timedelta(days=160)
        )
        cumulative = [0.0]
        for day in series.days(sown, sown + dt.timedelta(days=150)):
            cumulative.append(cumulative[-1] + gdd_day(day.tmax_c, day.tmin_c))
        for stage in Stage:
            x = stage_crop_day(SEED_CORN, stage)
            k = int(x)
            totals[stage] += cumulative[k] + (cumulative[k + 1] - cumulative[k]) * (x - k)
    for stage in Stage:
        assert totals[stage] / 10 == pytest.approx(SEED_MAIZE_GDD[stage], rel=0.04), stage


def test_a_calendar_zone_counts_degree_days_but_keeps_the_calendar_until_observed() -> None:
    temps = [DayTemperatures(_day(n), 25.0, 12.0) for n in range(40)]
    days = crop_days(
        SEED_CORN, SOWN, temps, {Stage.VE: _day(20)}, _day(25), calendar_until=_day(20)
    )
    assert days[19].crop_day == pytest.approx(19.0) and days[19].source == "calendar"
    assert days[19].gdd_degc_day == pytest.approx(19 * 8.5)  # counted all the same
    # from the observation on, degree days: VE→V6 at 16 d over 105 °C·d
    v6_rate = 16.0 / (SEED_MAIZE_GDD[Stage.V6] - SEED_MAIZE_GDD[Stage.VE])
    assert days[25].crop_day == pytest.approx(12.0 + 5 * 8.5 * v6_rate)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.tuples(st.floats(-10.0, 45.0), st.floats(0.0, 25.0)).map(
                lambda t: (t[0], t[0] - t[1])
            ),
        ),
        min_size=1,
        max_size=200,
    ),
    st.lists(st.integers(0, 199), min_size=0, max_size=7, unique=True),
)
def test_the_crop_only_moves_forward_between_observations(
    weather: list[tuple[float, float] | None], seen_days: list[int]
) -> None:
    temps = [
        DayTemperatures(_day(n), *w) if w is not None else DayTemperatures(_day(n), None, None)
        for n, w in enumerate(weather)
    ]
    stages = list(Stage)[: len(seen_days)]
    seen = {s: _day(d) for s, d in zip(stages, sorted(seen_days), strict=True)}
    days = crop_days(SEED_CORN, SOWN, temps, seen, _day(len(weather)))
    anchors = set(seen.values())
    for before, after in itertools.pairwise(days):
        if after.date in anchors:
            assert after.anchor is not None
            assert after.crop_day == pytest.approx(stage_crop_day(SEED_CORN, after.anchor))
            continue
        # a day moves the crop forward, at most 20 °C·d at the fastest segment's rate
        assert 0.0 <= after.crop_day - before.crop_day <= 20.0 * 0.25 + 1e-9
        assert after.gdd_degc_day >= before.gdd_degc_day
