"""One zone of the Zhangye seed-corn scenario watered by the ET rule, day by day: what the
soil and forecast benchmarks both learn from.

The truth is the simulated field's layered soil (:mod:`drivers.sim.soilphysics`, hourly):
the day's rain at 15:00, the run at :data:`WATER_HOUR`. The controller keeps the FAO-56
balance on the configured soil (:data:`CONFIGURED`) and waters the next morning when
Dr reaches RAW, refilling to :data:`REFILL_FRACTION` · TAW (the daemon's ET rule with
``probe_weight = 0``), at :data:`EFFICIENCY`. Each benchmark reads its own probes from
:attr:`ZoneDay.column` with its own random stream; :attr:`ZoneDay.true_dr_mm` (the truth's
root-zone depletion, its crop's Zr) is for scoring only, never for training or predicting.

``calibration_dr_fraction`` adds one **calibration dry-down**, by the daemon's own rule
(:func:`controller.agronomy.drydown.hold_triggers`, the zone's ``calibration_dry_down`` set to
that fraction, the planner's mean ET0 over its :data:`~controller.agronomy.types.HORIZON_DAYS`
days from the station's, the forecast the simulation has): once
the roots are past the zone's deeper probe, the dry-down started by the next refill is held
until the balance's Dr reaches that fraction of the configured TAW, so the probes see the crop
slow down below RAW (FAO-56 eq. 84); the refill itself is held instead when a dry-down from
it is predicted not to get there before the hold must be released. It is held only outside
the periods the crop library marks critical, and released the day before one starts. Each
day's decision, made the evening before the run as the daemon plans the run's morning, is the
zone's dry-down state after it (:attr:`ZoneDay.calibration`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from controller.agronomy.drydown import DryDownState, hold_triggers
from controller.agronomy.types import HORIZON_DAYS
from controller.config.site import SiteConfig
from controller.simulation.season import crop_truth, load_scenario, station_et0
from drivers.sim.soilphysics import DayTotals, SoilColumn, SoilTruth, step_zone
from drivers.sim.weathergen import WeatherGenerator
from models.crops import Crop
from models.soils import SoilProfile, texture
from models.waterbalance import CropStep, StepInputs, StepResult, ZoneSetup, ZoneState, advance

__all__ = [
    "CONFIGURED",
    "EFFICIENCY",
    "REFILL_FRACTION",
    "SCENARIO",
    "ZONE",
    "ZoneDay",
    "et_rule_days",
]

SCENARIO = "zhangye-seed-corn"
ZONE = "z1"
CONFIGURED = "loam"  # what the site file says
REFILL_FRACTION = 0.15
EFFICIENCY = 0.9
WATER_HOUR = 6  # the ET rule's runs start in the morning window
RAIN_HOUR = 15


@dataclass(frozen=True)
class ZoneDay:
    """One day's end: the truth's soil column (read it before the next day), the
    controller's balance step, and what went in."""

    date: dt.date
    dap: int  # days after planting
    et0_mm: float
    rain_mm: float
    water_gross_mm: float  # the run of this morning (metered, before efficiency)
    crop: CropStep
    result: StepResult
    state: ZoneState
    column: SoilColumn
    true_dr_mm: float  # the truth's root-zone depletion below its own θfc (score only)
    totals: DayTotals  # the truth's day: ETc, ETa, water in
    calibration: DryDownState | None = None  # after the evening's decision; None: not asked


def et_rule_days(
    site: SiteConfig,
    crop: Crop,
    truth: SoilTruth,
    weather_seed: int,
    *,
    kc_factor: float = 1.0,
    days: int | None = None,
    calibration_dr_fraction: float | None = None,
) -> Iterator[ZoneDay]:
    """The zone's days from planting to the scenario's end (or ``days`` of them), the true
    crop using ``kc_factor`` × the library's Kc; with ``calibration_dr_fraction``, one
    calibration dry-down (module docstring)."""
    scenario = load_scenario(SCENARIO)
    zone = next(z for z in site.zones if z.name == ZONE)
    planting = zone.planting_date
    end = scenario.end
    if days is not None:
        end = min(end, planting + dt.timedelta(days=days - 1))
    weather = WeatherGenerator(scenario.normals, weather_seed).generate(planting, end)
    et0 = station_et0(weather, planting, end, site.site.latitude_deg, site.site.elevation_m)
    ctruth = crop_truth(site, ZONE, scenario, et0)
    if kc_factor != 1.0:
        ctruth = dataclasses.replace(ctruth, kc=tuple(k * kc_factor for k in ctruth.kc))
    column = SoilColumn(truth, initial_fraction=scenario.initial_fraction)
    soil = SoilProfile.uniform(texture(CONFIGURED), crop.root_depth_max_m)
    setup = ZoneSetup(soil, method="single", efficiency=EFFICIENCY)
    state = ZoneState.at_planting(setup, CropStep.on_day(crop, 0).root_depth_m)
    water_gross_mm = 0.0  # decided the evening before
    date = planting
    asked = None
    if calibration_dr_fraction is not None:
        asked = zone.model_copy(update={"calibration_dry_down": calibration_dr_fraction})
    held: DryDownState | None = None
    watered = False  # a run since planting
    while date <= end:
        dap = (date - planting).days
        rain = weather.day(date).rain_mm
        totals = DayTotals(date)
        for hour in range(24):
            water = water_gross_mm * EFFICIENCY if hour == WATER_HOUR else 0.0
            step_zone(
                column, ctruth, totals, et0_day_mm=et0[date], h0=hour, h1=hour + 1,
                water_mm=water, rain_mm=rain if hour == RAIN_HOUR else 0.0,
            )  # fmt: skip
        cstep = CropStep.on_day(crop, dap)
        result = advance(
            state,
            setup,
            cstep,
            StepInputs(et_ref_mm=et0[date], rain_mm=rain, irrigation_gross_mm=water_gross_mm),
        )
        state = result.state
        watered = watered or water_gross_mm > 0
        tomorrow = date + dt.timedelta(days=1)
        mad = result.raw_mm / result.taw_mm
        if asked is not None:  # the daemon's plan of the run's morning
            ahead = [min(tomorrow + dt.timedelta(days=d), end) for d in range(HORIZON_DAYS)]
            hold, held = hold_triggers(
                asked, held, crop, dap + 1, (mad,), dr_mm=state.dr_mm, taw_mm=result.taw_mm,
                root_depth_m=CropStep.on_day(crop, dap + 1).root_depth_m, today=tomorrow,
                distrust=None, et0_mm_day=sum(et0[d] for d in ahead) / len(ahead),
                refill_fraction=REFILL_FRACTION, watered=watered,
            )  # fmt: skip
            mad = hold.mad_fraction[0]
        yield ZoneDay(
            date, dap, et0[date], rain, water_gross_mm, cstep, result, state, column,
            totals.dr_end_mm, totals, held,
        )  # fmt: skip
        need = state.dr_mm - REFILL_FRACTION * result.taw_mm
        water_gross_mm = need / EFFICIENCY if state.dr_mm >= mad * result.taw_mm else 0.0
        date = tomorrow
