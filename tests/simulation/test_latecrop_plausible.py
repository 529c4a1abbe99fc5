"""The stages the late-crop referee's technician records (the truth's dates, 10 days late)
are all plausible by the degree days of the scenario's weather: a crop late in a cold spring
is what a record is for, and the crop desk must take it without a confirmation."""

from __future__ import annotations

import datetime as dt

import pytest

from controller.simulation.referee.evaluate import season_weather
from controller.simulation.referee.latecrop import LAG_DAYS, OBSERVED, observed_stage_dates
from controller.simulation.referee.practices import accounting
from controller.simulation.season import load_scenario
from models.crops import crop
from models.crops.phenology import gdd_day
from models.crops.plausibility import implausible

SCENARIO = load_scenario("zhangye-seed-corn")


@pytest.mark.parametrize("seed", range(1, 31))
def test_the_late_crops_records_need_no_confirmation(seed: int) -> None:
    acc = accounting(SCENARIO)
    weather = season_weather(SCENARIO, seed, acc)
    day_gdd = {
        dt.date.fromisoformat(str(row.date)[:10]): gdd_day(float(row.tmax_c), float(row.tmin_c))
        for row in weather.itertuples()
    }
    stages = observed_stage_dates(acc.planting, LAG_DAYS)
    for stage in OBSERVED:
        days = (stages[stage] - acc.planting).days
        sown = [acc.planting + dt.timedelta(days=k) for k in range(days)]
        gdd = sum(day_gdd[d] for d in sown)
        assert implausible(crop("seed_corn"), stage, days, gdd, days) is None, (stage, gdd)
