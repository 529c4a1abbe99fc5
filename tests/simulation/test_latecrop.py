"""A crop 10 days late against its calendar: observed stages at least halve the Kc's daily
ETc error of the calendar-only balance (one generated year; the figures of ten years are in
docs/simulation.md)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from controller.simulation.latecrop import late_crop_errors, main, true_stage_dates
from models.crops import crop
from models.crops.phenology import Stage


def test_observations_halve_the_etc_error_of_a_late_crop() -> None:
    figures = late_crop_errors(seed=1, lag_days=10)
    calendar = figures.mean_error_mm_day["calendar"]
    observed = figures.mean_error_mm_day["observed"]
    # 10 days late through development (Kc rising 0.02/d) costs the calendar ~1 mm/d there
    assert calendar > 0.2 and figures.max_error_mm_day["calendar"] > 0.8
    assert observed <= 0.5 * calendar
    assert figures.ratio == pytest.approx(observed / calendar, abs=1e-3)
    # the calendar overestimates a late crop's water use over the season
    assert figures.season_error_mm["calendar"] > 10.0


def test_a_crop_on_time_is_the_calendar() -> None:
    figures = late_crop_errors(seed=1, lag_days=0)
    assert figures.mean_error_mm_day["calendar"] == 0.0
    # observed stages on time, degree days between them: the year's weather still moves it a
    # little (seed 1 is a cool year), far less than ten days late costs the calendar
    assert figures.mean_error_mm_day["observed"] < 0.15
    assert figures.ratio is None


def test_true_stages_are_the_calendar_positions_late() -> None:
    sown = dt.date(2026, 4, 20)
    dates = true_stage_dates(crop("seed_corn"), sown, 10)
    assert dates[Stage.VE] == sown + dt.timedelta(days=22)  # day 12 + 10
    assert dates[Stage.SILKING] == sown + dt.timedelta(days=98)  # day 88 + 10


def test_the_entry_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seed", "2", "--lag-days", "10"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seed"] == 2 and out["lag_days"] == 10
    assert set(out["mean_error_mm_day"]) == {"calendar", "gdd", "observed"}
