"""The AquaCrop referee as a zone truth behind the agronomy fidelity.

:class:`AquaCropTruth` implements :class:`controller.simulation.truth.ZoneTruth` over an
:class:`~controller.simulation.referee.aquacrop.AquaCropField`, so the daemon's own agronomy
and planning (:class:`controller.simulation.fidelity.AgronomySeason`) water a field they do
not share a model with. AquaCrop steps whole days: the probes read the state of the day's
start until the day is stepped at local midnight.

AquaCrop's season runs from sowing to harvest (or maturity). Days before sowing are not
modelled (no water moves in the soil); water the daemon delivers before sowing
(``early_irrigation_mm``) or after the crop is harvested (``late_irrigation_mm``) is charged
to the strategy but reaches no crop.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from controller.simulation.referee.aquacrop import (
    SEED_MAIZE_ZHANGYE,
    AquaCropField,
    DayState,
    Mulch,
    SoilLayer,
    SoilSpec,
)
from controller.simulation.referee.practices import Accounting
from controller.simulation.season import Scenario
from controller.simulation.truth import DayOutcome, TruthFactory, TruthSetup
from drivers.sim.weathergen import WeatherDay

__all__ = ["AquaCropTruth", "aquacrop_factory", "truth_field", "weather_frame"]

STRESS_TR_RATIO = 0.95  # transpiration below 95 % of potential: a stressed day


def weather_frame(
    days: Sequence[WeatherDay], et0_mm: Mapping[dt.date, float], acc: Accounting
) -> pd.DataFrame:
    """The referee's daily weather: the generator's days and the station's true ET0 (mm),
    rain as it falls (``rain_fallen_mm``) and as it reaches the soil (``rain_mm``)."""
    return pd.DataFrame(
        {
            "date": [d.date for d in days],
            "tmin_c": [d.tmin_c for d in days],
            "tmax_c": [d.tmax_c for d in days],
            "rain_mm": [d.rain_mm * acc.rain_effective_fraction for d in days],
            "rain_fallen_mm": [d.rain_mm for d in days],
            "et0_mm": [et0_mm[d.date] for d in days],
        }
    )


def truth_field(
    scenario: Scenario,
    acc: Accounting,
    zone: str,
    weather: pd.DataFrame,
    drip: bool,
    initial: str,
    crop_params: Mapping[str, float] = SEED_MAIZE_ZHANGYE,
) -> AquaCropField:
    """The zone's AquaCrop field: its true soil (one layer down to the scenario's bottom),
    the crop (``crop_params``, default the calibrated seed maize), film mulch, drip's wetted
    strip or a flooded surface, and the sowing-day water (``initial``: the spring fraction of
    TAW, or ``"FC"``)."""
    soil = scenario.soils[zone]
    spec = SoilSpec(
        "custom",
        (
            SoilLayer(
                max(soil.layer_bottoms_m),
                soil.theta_wp,
                soil.theta_fc,
                soil.theta_sat,
                acc.ksat_mm_day[zone],
            ),
        ),
    )
    return AquaCropField(
        weather,
        planting=acc.planting,
        harvest=acc.harvest,
        soil=spec,
        crop_params=crop_params,
        initial_water="FC" if initial == "FC" else acc.spring_fraction_taw,
        mulch=Mulch(acc.film_cover_pct, 1.0) if acc.film_cover_pct > 0 else None,
        wetted_surface_pct=acc.drip_wetted_pct if drip else 100.0,
    )


class AquaCropTruth:
    """One zone's AquaCrop field as a :class:`~controller.simulation.truth.ZoneTruth`."""

    def __init__(self, field: AquaCropField, critical_dap: tuple[int, int]) -> None:
        self.field = field
        self.critical_dap = critical_dap
        self.early_irrigation_mm = 0.0  # water delivered before sowing (mm)
        self.late_irrigation_mm = 0.0  # water delivered once the crop was harvested (mm)
        self._theta: dict[float, float] = {}  # θ by depth until the next step: AquaCrop's
        # state moves only when a day is stepped, and the probes are read at every stop

    def probe_theta(self, depth_m: float) -> float:
        theta = self._theta.get(depth_m)
        if theta is None:
            theta = self._theta[depth_m] = self.field.theta_at(depth_m)
        return theta

    def step_day(self, date: dt.date, irrigation_mm: float) -> DayOutcome:
        self._theta.clear()
        if not (math.isfinite(irrigation_mm) and irrigation_mm >= 0):
            raise ValueError(f"aquacrop truth: {date}: irrigation {irrigation_mm} mm")
        f = self.field
        if date < f.planting:
            self.early_irrigation_mm += irrigation_mm
            return self._idle(date, 0.0)
        if f.finished:
            self.late_irrigation_mm += irrigation_mm
            return self._idle(date, 0.0)
        if f.today != date:
            raise ValueError(f"aquacrop truth: asked to step {date}, the field is at {f.today}")
        before = f.days[-1].storage_mm if f.days else f.initial_storage_mm
        return self._outcome(f.step(irrigation_mm), before)

    def _idle(self, date: dt.date, irrigation_mm: float) -> DayOutcome:
        s = self.field.days[-1].storage_mm if self.field.days else self.field.initial_storage_mm
        return DayOutcome(
            date=date,
            transpiration_mm=0.0,
            soil_evaporation_mm=0.0,
            eta_mm=0.0,
            etc_mm=0.0,
            drainage_mm=0.0,
            runoff_mm=0.0,
            rain_mm=0.0,
            irrigation_mm=irrigation_mm,
            storage_start_mm=s,
            storage_mm=s + irrigation_mm,
            depletion_mm=0.0,
            taw_mm=0.0,
            stressed=False,
            critical=False,
        )

    def _outcome(self, d: DayState, storage_start_mm: float) -> DayOutcome:
        lo, hi = self.critical_dap
        return DayOutcome(
            date=d.date,
            transpiration_mm=d.tr_mm,
            soil_evaporation_mm=d.es_mm,
            eta_mm=d.tr_mm + d.es_mm,
            etc_mm=d.tr_pot_mm + d.es_pot_mm,
            drainage_mm=d.deep_percolation_mm,
            runoff_mm=d.runoff_mm + d.application_loss_mm,
            rain_mm=d.rain_mm,
            irrigation_mm=d.irrigation_mm,
            storage_start_mm=storage_start_mm,
            storage_mm=d.storage_mm,
            depletion_mm=d.root_zone_depletion_mm,
            taw_mm=d.root_zone_taw_mm,
            stressed=d.tr_pot_mm > 0.5 and d.tr_mm < STRESS_TR_RATIO * d.tr_pot_mm,
            critical=lo <= d.dap <= hi,
        )


def aquacrop_factory(
    acc: Accounting,
    *,
    drip: bool,
    initial: str,
    made: dict[str, AquaCropTruth],
    crop_params: Mapping[str, float] = SEED_MAIZE_ZHANGYE,
) -> TruthFactory:
    """A truth factory for :class:`AgronomySeason`: each zone's AquaCrop field from the
    scenario's true soil and the referee's accounting (the crop: ``crop_params``); every
    truth made is kept in ``made`` (by zone) for the referee to read the season afterwards."""

    def make(setup: TruthSetup, zone: str) -> AquaCropTruth:
        weather = weather_frame(setup.weather.days(acc.planting, acc.harvest), setup.et0_mm, acc)
        field = truth_field(setup.scenario, acc, zone, weather, drip, initial, crop_params)
        truth = AquaCropTruth(field, acc.critical_dap)
        made[zone] = truth
        return truth

    return make
