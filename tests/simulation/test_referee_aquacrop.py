"""The AquaCrop referee: stepping equals AquaCrop's own run, water closes, guards bite."""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache

import pandas as pd
import pytest

from controller.simulation.referee import aquacrop as r
from controller.simulation.referee.evaluate import season_weather
from controller.simulation.referee.practices import accounting
from controller.simulation.season import load_scenario

PLANT, HARVEST = dt.date(2026, 4, 20), dt.date(2026, 9, 20)
LOAM = r.SoilSpec("custom", (r.SoilLayer(1.2, 0.12, 0.28, 0.45, 500.0),))  # scenario zone z1
FLOODS = (
    dt.date(2026, 6, 1),
    dt.date(2026, 6, 20),
    dt.date(2026, 7, 8),
    dt.date(2026, 7, 25),
    dt.date(2026, 8, 12),
)  # scenario [conventional].events, 90 m3/mu = 135 mm each


@cache
def weather(seed: int) -> pd.DataFrame:
    scenario = load_scenario("zhangye-seed-corn")
    return season_weather(scenario, seed, accounting(scenario))


def field(seed: int = 0, **kw: object) -> r.AquaCropField:
    args: dict[str, object] = dict(
        planting=PLANT,
        harvest=HARVEST,
        soil=LOAM,
        crop_params=r.SEED_MAIZE_ZHANGYE,
        initial_water=0.95,
        mulch=r.Mulch(70, 1.0),
        wetted_surface_pct=30,
    )
    args.update(kw)
    return r.AquaCropField(weather(seed), **args)  # type: ignore[arg-type]


def drip_10_day(total_mm: float = 360.0) -> dict[dt.date, float]:
    """Lian & Ma practice: 3600 m3/ha at a 10-day interval, here 12 events from 20 May."""
    days = [dt.date(2026, 5, 20) + dt.timedelta(days=10 * i) for i in range(12)]
    return {d: total_mm / len(days) for d in days}


def border() -> dict[dt.date, float]:
    return {d: 135.0 for d in FLOODS}


def step_through(f: r.AquaCropField, schedule: dict[dt.date, float]) -> r.SeasonResult:
    while not f.finished:
        f.step(schedule.get(f.today, 0.0))
    return f.result()


CASES = [
    ("drip-360", 0, drip_10_day, {}),
    ("drip-360", 3, drip_10_day, {}),
    ("border-5x135", 1, border, {"mulch": None, "wetted_surface_pct": 100.0}),
    (
        "default-maize-border",
        2,
        border,
        {"crop_params": {}, "soil": r.SoilSpec("SandyLoam"), "initial_water": "FC"},
    ),
]


@pytest.mark.parametrize(
    ("name", "seed", "make", "kw"), CASES, ids=[f"{c[0]}-s{c[1]}" for c in CASES]
)
def test_stepping_reproduces_aquacrop_schedule_run(
    name: str, seed: int, make: object, kw: dict[str, object]
) -> None:
    schedule = make()  # type: ignore[operator]
    f = field(seed, **kw)
    stepped = step_through(f, schedule)
    own = f.run_schedule(schedule)
    assert stepped.yield_t_ha == pytest.approx(own.yield_t_ha, abs=1e-6)
    assert stepped.yield_t_ha > 1.0
    assert stepped.irrigation_mm == pytest.approx(sum(schedule.values()), abs=1e-6)
    assert own.irrigation_mm == pytest.approx(sum(schedule.values()), abs=1e-6)
    for name_ in ("tr_mm", "es_mm", "deep_percolation_mm", "runoff_mm"):
        assert stepped.total(name_) == pytest.approx(own.total(name_), abs=1e-6), name_
    assert len(stepped.days) == len(own.days)
    for a, b in zip(stepped.days, own.days, strict=True):  # every field of every day
        assert dataclasses.astuple(a) == dataclasses.astuple(b), a.date


def test_big_flood_is_applied_whole_on_its_day() -> None:
    f = field(1, mulch=None, wetted_surface_pct=100.0)
    days = {s.date: s for s in step_through(f, border()).days}
    for d in FLOODS:
        assert days[d].irrigation_mm == 135.0
        assert days[d - dt.timedelta(days=1)].irrigation_mm == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("schedule", [drip_10_day, border], ids=["drip", "border"])
def test_season_water_balance_closes(seed: int, schedule: object) -> None:
    res = step_through(field(seed), schedule())  # type: ignore[operator]
    assert abs(res.balance_error_mm()) < 0.5
    assert abs(res.balance_error_mm()) < 1e-6  # in fact exact to rounding
    # and each day closes on its own
    prev = res.initial_storage_mm
    for d in res.days:
        flow = (
            d.rain_mm
            + d.irrigation_mm
            + d.capillary_rise_mm
            - d.tr_mm
            - d.es_mm
            - d.deep_percolation_mm
            - d.runoff_mm
            - d.application_loss_mm
        )
        assert flow - (d.storage_mm - prev) == pytest.approx(0.0, abs=1e-9), d.date
        prev = d.storage_mm


def test_balance_closes_with_application_losses() -> None:
    res = step_through(field(2, application_efficiency_pct=80.0), drip_10_day())
    assert res.total("application_loss_mm") == pytest.approx(0.2 * 360.0)
    assert abs(res.balance_error_mm()) < 1e-6


def test_day_state_contents() -> None:
    f = field(0)
    first = f.step(0.0)
    assert first.date == PLANT and first.dap == 1
    assert len(first.theta) == len(first.soil_water_mm) == len(r.compartment_tops_m(f))
    assert first.root_zone_taw_mm > 0 and first.root_zone_depletion_mm >= 0
    res = step_through(f, drip_10_day())
    last = res.days[-1]
    assert last.harvested and last.yield_t_ha == res.yield_t_ha
    assert not any(d.harvested for d in res.days[:-1])
    assert max(d.canopy_cover for d in res.days) > 0.8
    with pytest.raises(RuntimeError, match="season is over"):
        f.step(0.0)


def test_guards_fail_loudly() -> None:
    f = field(0, max_irrigation_mm=100.0)
    with pytest.raises(ValueError, match="cap it silently"):
        f.step(135.0)
    with pytest.raises(ValueError, match="does not take 'hi0'"):
        field(0, crop_params={"hi0": 0.3})
    w = weather(0)
    with pytest.raises(ValueError, match="every day"):
        r.AquaCropField(w.drop(index=40), planting=PLANT, harvest=HARVEST)
    with pytest.raises(ValueError, match=r"weather: missing 1 column [a-z0-9_]+$"):
        r.AquaCropField(w.drop(columns=w.columns[-1]), planting=PLANT, harvest=HARVEST)
    with pytest.raises(ValueError, match="outside"):
        field(0).run_schedule({HARVEST: 10.0})
