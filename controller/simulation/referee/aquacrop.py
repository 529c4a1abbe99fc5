"""The crop-model referee: AquaCrop-OSPy (PyPI ``aquacrop``, pinned 3.1.0) stepped day by day.

:class:`AquaCropField` runs one field (one zone, one season) of FAO's AquaCrop. The caller
decides each day's irrigation depth and calls :meth:`AquaCropField.step`; the field answers
with that day's state (canopy, biomass, transpiration, soil evaporation, soil water,
drainage, runoff and, on the last day, the yield). :meth:`AquaCropField.run_schedule` runs a
whole season with AquaCrop's own fixed-schedule method (``irrigation_method=3``) instead, so a
stepped season can be checked against the model's own run.

How the stepping works (aquacrop 3.1, ``aquacrop/timestep/run_single_timestep.py`` and
``aquacrop/solution/irrigation.py``): with ``IrrigationManagement(irrigation_method=5)`` the
model irrigates, on each simulated day, ``min(IrrMngt.MaxIrr, IrrMngt.depth)`` where
``IrrMngt`` is ``model._param_struct.IrrMngt`` (a copy made at initialisation). So the day's
depth is written there *before* ``model.run_model(num_steps=1, initialize_model=False,
process_outputs=False)`` simulates that day. None of this is public API: every internal this
module touches is listed in :data:`INTERNALS`, checked when a field is built, and each
stepped day is checked afterwards (the model's recorded irrigation for the day must equal the
depth asked for), so a changed aquacrop fails loudly instead of quietly judging wrong.

Pitfalls handled here (each one silently gives wrong numbers in plain aquacrop):

* ``MaxIrr`` defaults to 25 mm/day and caps any depth without a word: set from
  ``max_irrigation_mm`` (default 500) and a larger request raises.
* ``IrrigationManagement`` and ``Crop`` drop misspelt keyword arguments (``schedule=`` for
  ``Schedule=``, ``hi0=`` for ``HI0=``) without a word: every override is read back.
* The weather frame is read by *position* (MinTemp, MaxTemp, Precipitation, ReferenceET) and
  by *row* (row i = day i of the simulation): the frame is built here in that order and the
  days are checked to be consecutive.
* ``Soil`` and ``Crop`` objects are mutated by a run (compartments thickened, calendar
  computed): fresh ones are built for every model.
* ``run_model(process_outputs=True)`` turns the output arrays into DataFrames mid-season and
  breaks further stepping: never used here.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import inspect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

# From the modules, not the package: aquacrop/__init__.py imports nothing when '-m' is
# anywhere in sys.argv (as in ``python -m pytest -m "not season"``).
from aquacrop.core import AquaCropModel
from aquacrop.entities.co2 import CO2
from aquacrop.entities.crop import Crop
from aquacrop.entities.fieldManagement import FieldMngt
from aquacrop.entities.inititalWaterContent import InitialWaterContent
from aquacrop.entities.irrigationManagement import IrrigationManagement
from aquacrop.entities.soil import Soil
from aquacrop.solution import irrigation as _aq_irrigation

from controller.counted import counted
from controller.errors import ControllerError
from controller.simulation.referee import rootzone as _rootzone
from controller.simulation.referee.rootzone import root_zone_water

__all__ = [
    "INTERNALS",
    "SEED_MAIZE_ZHANGYE",
    "AquaCropField",
    "DayState",
    "Mulch",
    "RefereeInternalsError",
    "SeasonResult",
    "SoilLayer",
    "SoilSpec",
    "compartment_tops_m",
    "weather_from_csv",
]

AQUACROP_VERSION: Final = importlib.metadata.version("aquacrop")

# Column order of aquacrop's output arrays (aquacrop/timestep/outputs_when_model_is_finished.py).
FLUX_COLUMNS: Final = (
    "time_step_counter", "season_counter", "dap", "Wr", "z_gw", "surface_storage", "IrrDay",
    "Infl", "Runoff", "DeepPerc", "TileDrain", "CR", "GwIn", "Es", "EsPot", "Tr", "TrPot",
)  # fmt: skip
GROWTH_COLUMNS: Final = (
    "time_step_counter", "season_counter", "dap", "gdd", "gdd_cum", "z_root", "canopy_cover",
    "canopy_cover_ns", "biomass", "biomass_ns", "harvest_index", "harvest_index_adj",
    "DryYield", "FreshYield", "YieldPot",
)  # fmt: skip
_F = {name: i for i, name in enumerate(FLUX_COLUMNS)}
_G = {name: i for i, name in enumerate(GROWTH_COLUMNS)}
STORAGE_HEAD: Final = 3  # water_storage rows: time_step_counter, growing_season, dap, th1..thN

#: Every aquacrop internal this module reads or writes, as attribute paths from the model.
INTERNALS: Final = (
    "AquaCropModel._initialize()",
    "AquaCropModel.run_model(num_steps=1, initialize_model=False, process_outputs=False)",
    "model._param_struct.IrrMngt.{irrigation_method, depth, MaxIrr, MaxIrrSeason, AppEff}",
    "model._param_struct.Soil.{Profile, z_top, profile}",
    "model._param_struct.Seasonal_Crop_List[0].{Zmin, Aer}",
    "model._clock_struct.{time_step_counter, model_is_finished, time_span, season_counter}",
    "model._init_cond.{th, z_root, surface_storage, harvest_flag, crop_mature, crop_dead}",
    "model._outputs.{water_flux, crop_growth, water_storage} (numpy arrays while stepping)",
    "model._outputs.final_stats['Dry yield (tonne/ha)', 'Fresh yield (tonne/ha)', "
    "'Harvest Date (Step)']",
    "model._weather (numpy rows: MinTemp, MaxTemp, Precipitation, ReferenceET, Date)",
    "aquacrop.solution.irrigation.irrigation(..., IrrMngt_MaxIrr, ..., IrrMngt_depth, ...)",
    "aquacrop.solution.root_zone_water.root_zone_water(prof, z_root, th, z_top, Zmin, Aer), "
    "imported by name in the modules of rootzone.CALLERS (replaced by rootzone.py's twin)",
)

WEATHER_COLUMNS: Final = ("date", "tmin_c", "tmax_c", "rain_mm", "et0_mm")
InitialWater = float | Literal["FC", "WP", "SAT"]


class RefereeInternalsError(ControllerError, RuntimeError):
    """The installed aquacrop no longer has the internals this wrapper relies on."""


# -- calibration ----------------------------------------------------------------------------

#: Seed maize under mulched drip in Ganzhou (Zhangye), sown 20 Apr, harvested 20 Sep: overrides
#: of AquaCrop's built-in calendar-day 'Maize' (a grain-maize hybrid, ~14 t/ha dry here).
#: Sources and reasoning in docs/simulation.md; in short: FAO-56 maize stage lengths
#: 30/40/50/33 d as in the scenario; 97 500 plants/ha with a lower canopy (inbred parent, male
#: rows cut after pollination); an effective HI0 of 0.30: ~0.36 for the inbred female line
#: (hybrid grain maize 0.48 in AquaCrop) times ~5/6 of the rows that bear seed; roots to 1.0 m
#: (scenario); WP* 33.7 g/m2 kept (conservative in AquaCrop); fresh yield at 14 % moisture
#: (YldWC 86), as Chinese seed and grain yields are reported.
SEED_MAIZE_ZHANGYE: Final[Mapping[str, float]] = {
    "EmergenceCD": 12,  # cool April seed bed: ~12 d to 90 % emergence (default 6)
    "MaxRootingCD": 100,  # roots at Zmax near silking (default 108 of 132)
    "HIstartCD": 88,  # silking ~17 Jul (default 66)
    "FloweringCD": 13,  # default
    "YldFormCD": 57,  # grain fill to ~12 Sep (default 61)
    "SenescenceCD": 120,  # FAO-56 late stage starts at day 120 (default 107)
    "MaturityCD": 150,  # physiological maturity ~16 Sep, harvest 20 Sep (default 132)
    "CGC_CD": 0.118,  # full canopy (98 % CCx) day 75 = FAO-56 ini 30 + dev 40 d (default 0.163)
    "CDC_CD": 0.07,  # CC at maturity ~0.6 CCx, as the scenario's Kc end 0.60 (default 0.117)
    "PlantPop": 97_500,  # seed-maize control density, Gansu (Shi et al. 2022) (default 75 000)
    "CCx": 0.88,  # inbred canopy, male rows removed (default 0.96)
    "Zmax": 1.0,  # scenario root_depth_m (default 2.3)
    "HI0": 0.30,  # 0.36 inbred female x 5/6 female rows; ~10 t/ha at 14 % (default 0.48)
    "YldWC": 86,  # yield at 14 % moisture (default 90)
}


# -- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SoilLayer:
    """One soil layer: thickness (m), θ at wilting point, field capacity and saturation
    (m³/m³), saturated conductivity (mm/day) and root penetrability (%)."""

    thickness_m: float
    theta_wp: float
    theta_fc: float
    theta_sat: float
    ksat_mm_day: float
    penetrability_pct: float = 100.0

    def __post_init__(self) -> None:
        if not 0 < self.theta_wp < self.theta_fc < self.theta_sat < 1:
            raise ValueError(
                f"soil layer: need 0 < theta_wp < theta_fc < theta_sat < 1, got "
                f"{self.theta_wp}, {self.theta_fc}, {self.theta_sat}"
            )
        if not (self.thickness_m > 0 and self.ksat_mm_day > 0):
            raise ValueError("soil layer: thickness_m and ksat_mm_day must be positive")


@dataclass(frozen=True, slots=True)
class SoilSpec:
    """A built-in aquacrop texture (``'Loam'``, ``'SandyLoam'``, …) or, with ``layers``, a
    custom profile. ``compartments_m`` are the model's compartments (aquacrop thickens them
    if the profile is shallower than the crop's Zmax + 0.1 m). ``curve_number`` and
    ``rew_mm`` (readily evaporable water) default to the texture's or, for a custom soil,
    to loam's (61, 9 mm)."""

    texture: str = "Loam"
    layers: tuple[SoilLayer, ...] = ()
    compartments_m: tuple[float, ...] = (0.1,) * 12
    curve_number: float | None = None
    rew_mm: float | None = None

    def __post_init__(self) -> None:
        if self.layers and self.texture != "custom":
            raise ValueError("soil: layers need texture='custom'")
        if self.texture == "custom" and not self.layers:
            raise ValueError("soil: texture='custom' needs layers")

    def build(self) -> Any:
        """A fresh aquacrop ``Soil`` (a run mutates it, so never reuse one)."""
        kwargs: dict[str, Any] = {"dz": list(self.compartments_m)}
        if self.texture == "custom":
            kwargs["cn"] = 61.0 if self.curve_number is None else self.curve_number
            kwargs["rew"] = 9.0 if self.rew_mm is None else self.rew_mm
        soil = Soil(self.texture, **kwargs)
        if self.texture != "custom":  # built-ins overwrite cn and rew in __init__
            if self.curve_number is not None:
                soil.cn = self.curve_number
            if self.rew_mm is not None:
                soil.rew = self.rew_mm
        for layer in self.layers:
            soil.add_layer(
                layer.thickness_m,
                layer.theta_wp,
                layer.theta_fc,
                layer.theta_sat,
                layer.ksat_mm_day,
                layer.penetrability_pct,
            )
        return soil


@dataclass(frozen=True, slots=True)
class Mulch:
    """Surface mulch: ``cover_pct`` of the surface covered, ``f_mulch`` the fraction of soil
    evaporation it stops there (AquaCrop: 1.0 plastic film, 0.5 organic)."""

    cover_pct: float = 70.0
    f_mulch: float = 1.0


def weather_from_csv(path: str) -> pd.DataFrame:
    """A weather table (``date,tmin_c,tmax_c,rain_mm,et0_mm``) from a CSV file."""
    return pd.read_csv(path, parse_dates=["date"])


def _weather_frame(
    weather: pd.DataFrame | Iterable[Mapping[str, Any]], start: dt.date, end: dt.date
) -> pd.DataFrame:
    """aquacrop's weather frame for ``start``…``end``, columns in the order it indexes them."""
    df = weather if isinstance(weather, pd.DataFrame) else pd.DataFrame(list(weather))
    missing = [c for c in WEATHER_COLUMNS if c not in df.columns]
    if missing:
        columns = counted(len(missing), "column", "columns")
        raise ValueError(f"weather: missing {columns} {', '.join(missing)}")
    dates = pd.to_datetime(df["date"]).dt.normalize()
    sel = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
    df, dates = df.loc[sel], dates.loc[sel]
    want = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    if len(dates) != len(want) or not (dates.to_numpy() == want.to_numpy()).all():
        raise ValueError(f"weather: need every day {start}..{end} once, in order")
    out = pd.DataFrame(
        {
            "MinTemp": df["tmin_c"].to_numpy(float),
            "MaxTemp": df["tmax_c"].to_numpy(float),
            "Precipitation": df["rain_mm"].to_numpy(float),
            "ReferenceET": df["et0_mm"].to_numpy(float),
            "Date": want,
        }
    )
    values = out[["MinTemp", "MaxTemp", "Precipitation", "ReferenceET"]].to_numpy()
    if not np.isfinite(values).all():
        raise ValueError("weather: values must be finite")
    if (out.Precipitation < 0).any() or (out.ReferenceET < 0).any():
        raise ValueError("weather: rain_mm and et0_mm must be >= 0")
    if (out.MaxTemp < out.MinTemp).any():
        raise ValueError("weather: tmax_c below tmin_c")
    return out


# -- outputs --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayState:
    """One simulated day (water in mm, biomass and yield in t/ha dry matter unless said).

    ``soil_water_mm`` is per compartment (θ × thickness) at the end of the day, tops at
    ``compartment_tops_m(field)``; ``root_zone_depletion_mm`` / ``root_zone_taw_mm`` are over the
    day's root depth (at least Zmin), as AquaCrop's stress functions see them. ``yield_t_ha``
    is set on the harvest day only (``harvested``); ``fresh_yield_t_ha`` is at the crop's
    yield water content (YldWC). ``irrigation_mm`` is the gross depth applied;
    ``application_loss_mm`` the part that never reaches the soil (1 − application efficiency;
    zero at the default 100 %). ``deep_percolation_mm`` is drainage out of the profile bottom;
    ``capillary_rise_mm`` is zero without a water table."""

    date: dt.date
    dap: int
    rain_mm: float
    et0_mm: float
    irrigation_mm: float
    application_loss_mm: float
    infiltration_mm: float
    runoff_mm: float
    deep_percolation_mm: float
    capillary_rise_mm: float
    tr_mm: float
    tr_pot_mm: float
    es_mm: float
    es_pot_mm: float
    surface_storage_mm: float
    canopy_cover: float
    biomass_t_ha: float
    harvest_index: float
    root_depth_m: float
    theta: tuple[float, ...]
    soil_water_mm: tuple[float, ...]
    root_zone_depletion_mm: float
    root_zone_taw_mm: float
    harvested: bool
    yield_t_ha: float | None = None
    fresh_yield_t_ha: float | None = None

    @property
    def storage_mm(self) -> float:
        """Water in the profile plus any ponded on the surface."""
        return sum(self.soil_water_mm) + self.surface_storage_mm


@dataclass(frozen=True, slots=True)
class SeasonResult:
    """A whole season: every day's state, the start storage and the final yields."""

    days: tuple[DayState, ...]
    initial_storage_mm: float
    yield_t_ha: float
    fresh_yield_t_ha: float
    irrigation_mm: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "irrigation_mm", sum(d.irrigation_mm for d in self.days))

    def total(self, name: str) -> float:
        """Season sum of a DayState field (``'tr_mm'``, ``'es_mm'``, …)."""
        return float(sum(getattr(d, name) for d in self.days))

    def balance_error_mm(self) -> float:
        """rain + irrigation + capillary rise − Tr − Es − deep percolation − runoff
        − application loss − ΔS (mm; zero but for rounding)."""
        inflow = (
            self.total("rain_mm") + self.total("irrigation_mm") + self.total("capillary_rise_mm")
        )
        outflow = (
            self.total("tr_mm")
            + self.total("es_mm")
            + self.total("deep_percolation_mm")
            + self.total("runoff_mm")
            + self.total("application_loss_mm")
        )
        return inflow - outflow - (self.days[-1].storage_mm - self.initial_storage_mm)


# -- the field ------------------------------------------------------------------------------


class AquaCropField:
    """One field and season of AquaCrop, stepped a day at a time.

    ``crop_params`` override the built-in crop's (aquacrop names, e.g. ``HI0``, ``CCx``,
    ``MaturityCD``; :data:`SEED_MAIZE_ZHANGYE` is the calibrated seed maize).
    ``initial_water`` is a fraction of TAW (0–1) or ``'FC'``/``'WP'``/``'SAT'``, uniform over
    the profile. The season runs from ``planting`` to the day before ``harvest`` or to
    maturity, whichever is first (AquaCrop harvests on maturity).
    """

    def __init__(
        self,
        weather: pd.DataFrame | Iterable[Mapping[str, Any]],
        *,
        planting: dt.date,
        harvest: dt.date,
        soil: SoilSpec | None = None,
        crop: str = "Maize",
        crop_params: Mapping[str, Any] | None = None,
        initial_water: InitialWater = 0.6,
        mulch: Mulch | None = None,
        max_irrigation_mm: float = 500.0,
        wetted_surface_pct: float = 100.0,
        application_efficiency_pct: float = 100.0,
        co2_ppm: float | None = None,
    ) -> None:
        if not planting < harvest or harvest.year != planting.year:
            raise ValueError("season: need planting < harvest within one calendar year")
        if isinstance(initial_water, str):
            if initial_water not in ("FC", "WP", "SAT"):
                raise ValueError(f"initial_water: {initial_water!r} (FC, WP, SAT or 0-1)")
        elif not 0.0 <= initial_water <= 1.0:
            raise ValueError(f"initial_water: fraction of TAW 0-1, got {initial_water}")
        if not max_irrigation_mm > 0:
            raise ValueError("max_irrigation_mm must be positive")
        self.planting, self.harvest = planting, harvest
        self.soil = soil or SoilSpec()
        self.crop_name = crop
        self.crop_params = dict(crop_params or {})
        self.initial_water = initial_water
        self.mulch = mulch
        self.max_irrigation_mm = float(max_irrigation_mm)
        self.wetted_surface_pct = float(wetted_surface_pct)
        self.application_efficiency_pct = float(application_efficiency_pct)
        self.co2_ppm = co2_ppm
        self._weather = _weather_frame(weather, planting, harvest)
        self._model = self._build(
            IrrigationManagement(irrigation_method=5, depth=0.0, **self._irr_common())
        )
        self._model._initialize()
        _check_model(self._model, method=5, max_irr=self.max_irrigation_mm)
        self.initial_storage_mm = _storage_mm(self._model)
        self._days: list[DayState] = []

    # -- public -------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """True once the crop is harvested (maturity, death or the harvest date)."""
        return bool(self._model._clock_struct.model_is_finished)

    @property
    def today(self) -> dt.date:
        """The date the next :meth:`step` simulates."""
        clock = self._model._clock_struct
        today: dt.date = pd.Timestamp(clock.time_span[clock.time_step_counter]).date()
        return today

    @property
    def days(self) -> tuple[DayState, ...]:
        """Every day stepped so far."""
        return tuple(self._days)

    def step(self, irrigation_mm: float) -> DayState:
        """Apply ``irrigation_mm`` today, simulate the day and return its state."""
        if self.finished:
            raise RuntimeError("field: the season is over (crop harvested)")
        depth = float(irrigation_mm)
        if not (math.isfinite(depth) and depth >= 0):
            raise ValueError(f"irrigation_mm must be finite and >= 0, got {irrigation_mm}")
        if depth > self.max_irrigation_mm:
            raise ValueError(
                f"irrigation_mm {depth} > max_irrigation_mm "
                f"{self.max_irrigation_mm}: aquacrop would cap it silently"
            )
        model = self._model
        row = int(model._clock_struct.time_step_counter)
        model._param_struct.IrrMngt.depth = depth
        model.run_model(num_steps=1, initialize_model=False, process_outputs=False)
        state = _day_state(model, row)
        if abs(state.irrigation_mm - depth) > 1e-9:
            raise RefereeInternalsError(
                f"{state.date}: asked aquacrop {AQUACROP_VERSION} for {depth} mm, it recorded "
                f"{state.irrigation_mm} mm (MaxIrr, MaxIrrSeason or the stepping changed?)"
            )
        self._days.append(state)
        return state

    def theta_at(self, depth_m: float) -> float:
        """Volumetric water content (m³/m³) now in the compartment holding ``depth_m`` (m):
        what a probe there reads (the state after the last stepped day)."""
        prof = self._model._param_struct.Soil.Profile
        tops = np.asarray(prof.z_top, float)
        th = np.asarray(self._model._init_cond.th, float)
        i = int(np.searchsorted(tops, max(depth_m, 0.0), side="right")) - 1
        return float(th[min(max(i, 0), len(th) - 1)])

    def result(self) -> SeasonResult:
        """The stepped season so far (yields are 0 until harvest)."""
        last = self._days[-1] if self._days else None
        return SeasonResult(
            days=tuple(self._days),
            initial_storage_mm=self.initial_storage_mm,
            yield_t_ha=(last.yield_t_ha or 0.0) if last else 0.0,
            fresh_yield_t_ha=(last.fresh_yield_t_ha or 0.0) if last else 0.0,
        )

    def run_schedule(self, schedule: Mapping[dt.date, float]) -> SeasonResult:
        """The same field, run whole by AquaCrop with a fixed schedule (irrigation_method 3).

        Independent of the stepped model: a fresh model is built and run to termination.
        Dates outside the season raise (aquacrop would drop them silently)."""
        days = pd.date_range(pd.Timestamp(self.planting), pd.Timestamp(self.harvest), freq="D")
        for date, depth in schedule.items():
            if not self.planting <= date < self.harvest:
                raise ValueError(f"schedule: {date} is outside {self.planting}..{self.harvest}")
            if not (math.isfinite(depth) and 0 <= depth <= self.max_irrigation_mm):
                raise ValueError(f"schedule: {date}: {depth} mm not in 0..max_irrigation_mm")
        frame = pd.DataFrame(
            {
                "Date": pd.DatetimeIndex(sorted(schedule)),
                "Depth": [float(schedule[d]) for d in sorted(schedule)],
            }
        )
        model = self._build(
            IrrigationManagement(irrigation_method=3, Schedule=frame, **self._irr_common())
        )
        model._initialize()
        _check_model(model, method=3, max_irr=self.max_irrigation_mm)
        initial = _storage_mm(model)
        want = np.zeros(len(days))
        for date, depth in schedule.items():
            want[(pd.Timestamp(date) - days[0]).days] = depth
        if not np.array_equal(np.asarray(model._param_struct.IrrMngt.Schedule, float), want):
            raise RefereeInternalsError("run_schedule: aquacrop read the schedule differently")
        model.run_model(till_termination=True, initialize_model=False)
        n = int(model._clock_struct.time_step_counter) + 1
        states = tuple(_day_state(model, i) for i in range(n))
        stats = model._outputs.final_stats
        return SeasonResult(
            days=states,
            initial_storage_mm=initial,
            yield_t_ha=float(stats["Dry yield (tonne/ha)"].iloc[-1]),
            fresh_yield_t_ha=float(stats["Fresh yield (tonne/ha)"].iloc[-1]),
        )

    # -- building -----------------------------------------------------------------------

    def _irr_common(self) -> dict[str, float]:
        return {
            "MaxIrr": self.max_irrigation_mm,
            "WetSurf": self.wetted_surface_pct,
            "AppEff": self.application_efficiency_pct,
        }

    def _build(self, irrigation: Any) -> Any:
        crop = Crop(
            self.crop_name,
            planting_date=self.planting.strftime("%m/%d"),
            harvest_date=self.harvest.strftime("%m/%d"),
            **self.crop_params,
        )
        for key, value in self.crop_params.items():  # Crop drops unknown keys silently
            if getattr(crop, key, _MISSING) != value:
                raise ValueError(f"crop_params: aquacrop's Crop does not take {key!r}")
        soil = self.soil.build()
        n_layers = int(soil.nLayer)
        if isinstance(self.initial_water, str):
            iwc = InitialWaterContent(
                wc_type="Prop",
                method="Layer",
                depth_layer=list(range(1, n_layers + 1)),
                value=[self.initial_water] * n_layers,
            )
        else:
            iwc = InitialWaterContent(
                wc_type="Pct",
                method="Layer",
                depth_layer=list(range(1, n_layers + 1)),
                value=[100.0 * self.initial_water] * n_layers,
            )
        mulch = self.mulch
        field_mngt = FieldMngt(
            mulches=mulch is not None,
            mulch_pct=mulch.cover_pct if mulch else 0.0,
            f_mulch=mulch.f_mulch if mulch else 0.0,
        )
        co2 = (
            CO2()
            if self.co2_ppm is None
            else CO2(constant_conc=True, current_concentration=self.co2_ppm)
        )
        return AquaCropModel(
            sim_start_time=self.planting.strftime("%Y/%m/%d"),
            sim_end_time=self.harvest.strftime("%Y/%m/%d"),
            weather_df=self._weather.copy(),
            soil=soil,
            crop=crop,
            initial_water_content=iwc,
            irrigation_management=irrigation,
            field_management=field_mngt,
            co2_concentration=co2,
        )


_MISSING = object()


# -- internals ------------------------------------------------------------------------------


def _check_static() -> None:
    """The aquacrop entry points this module calls exist with the expected parameters."""
    if not AQUACROP_VERSION.startswith("3."):
        raise RefereeInternalsError(f"aquacrop {AQUACROP_VERSION}: this wrapper needs 3.x")
    if not callable(getattr(AquaCropModel, "_initialize", None)):
        raise RefereeInternalsError("aquacrop: AquaCropModel._initialize is gone")
    run = inspect.signature(AquaCropModel.run_model).parameters
    for name in ("num_steps", "till_termination", "initialize_model", "process_outputs"):
        if name not in run:
            raise RefereeInternalsError(f"aquacrop: run_model() has no {name!r}")
    irr = inspect.signature(_aq_irrigation.irrigation).parameters
    for name in ("IrrMngt_IrrMethod", "IrrMngt_MaxIrr", "IrrMngt_depth", "IrrMngt_Schedule"):
        if name not in irr:
            raise RefereeInternalsError(f"aquacrop: irrigation() has no {name!r}")
    src = inspect.getsource(_aq_irrigation.irrigation)
    if "IrrMngt_IrrMethod == 5" not in src or "min(IrrMngt_MaxIrr, IrrMngt_depth)" not in src:
        raise RefereeInternalsError("aquacrop: irrigation method 5 no longer applies `depth`")
    changed = _rootzone.install()
    if changed:
        raise RefereeInternalsError(
            f"aquacrop: {', '.join(changed)} no longer call root_zone_water by that name"
        )


def _check_model(model: Any, *, method: int, max_irr: float) -> None:
    """After ``_initialize()``: the structures and arrays stepping relies on are there."""
    ps, clock, cond, out = (
        getattr(model, a, None)
        for a in ("_param_struct", "_clock_struct", "_init_cond", "_outputs")
    )
    if ps is None or clock is None or cond is None or out is None:
        raise RefereeInternalsError("aquacrop: model structures renamed")
    irr = ps.IrrMngt
    for name in ("irrigation_method", "depth", "MaxIrr", "MaxIrrSeason", "AppEff", "Schedule"):
        if not hasattr(irr, name):
            raise RefereeInternalsError(f"aquacrop: _param_struct.IrrMngt.{name} is gone")
    if irr.irrigation_method != method or irr.MaxIrr != max_irr:
        raise RefereeInternalsError(
            f"aquacrop: IrrMngt method {irr.irrigation_method} MaxIrr {irr.MaxIrr}, "
            f"expected {method} and {max_irr}"
        )
    for name in ("time_step_counter", "model_is_finished", "time_span", "season_counter"):
        if not hasattr(clock, name):
            raise RefereeInternalsError(f"aquacrop: _clock_struct.{name} is gone")
    if clock.season_counter != 0 or clock.time_step_counter != 0:
        raise RefereeInternalsError("aquacrop: the simulation does not start on planting day")
    for name in ("th", "z_root", "surface_storage", "harvest_flag", "crop_mature", "crop_dead"):
        if not hasattr(cond, name):
            raise RefereeInternalsError(f"aquacrop: _init_cond.{name} is gone")
    n = len(clock.time_span)
    n_comp = len(cond.th)
    for name, width in (
        ("water_flux", len(FLUX_COLUMNS)),
        ("crop_growth", len(GROWTH_COLUMNS)),
        ("water_storage", STORAGE_HEAD + n_comp),
    ):
        arr = getattr(out, name, None)
        if not isinstance(arr, np.ndarray) or arr.shape != (n, width):
            raise RefereeInternalsError(f"aquacrop: _outputs.{name} is not a ({n}, {width}) array")
    prof = ps.Soil.Profile
    if not (hasattr(prof, "dz") and len(prof.dz) == n_comp):
        raise RefereeInternalsError("aquacrop: _param_struct.Soil.Profile.dz mismatch")


def _storage_mm(model: Any) -> float:
    dz = np.asarray(model._param_struct.Soil.Profile.dz, float)
    th = np.asarray(model._init_cond.th, float)
    return float(1000.0 * (th * dz).sum() + model._init_cond.surface_storage)


def _row(arr: Any, i: int) -> np.ndarray:
    """Row ``i`` of an output table: a numpy array while stepping, a DataFrame once done."""
    return np.asarray(arr.iloc[i] if isinstance(arr, pd.DataFrame) else arr[i], float)


def _day_state(model: Any, i: int) -> DayState:
    out, ps = model._outputs, model._param_struct
    flux, growth = _row(out.water_flux, i), _row(out.crop_growth, i)
    store = _row(out.water_storage, i)
    if int(flux[_F["time_step_counter"]]) != i or int(growth[_G["time_step_counter"]]) != i:
        raise RefereeInternalsError(f"aquacrop: output row {i} holds another day")
    date = pd.Timestamp(model._clock_struct.time_span[i]).date()
    weather = model._weather[i]  # MinTemp, MaxTemp, Precipitation, ReferenceET, Date
    prof = ps.Soil.Profile
    dz = np.asarray(prof.dz, float)
    th = store[STORAGE_HEAD:]
    crop = ps.Seasonal_Crop_List[0]
    z_root = float(growth[_G["z_root"]])
    _, _, dr_rz, _, taw_rz, *_ = root_zone_water(
        prof, z_root, th.copy(), ps.Soil.z_top, float(crop.Zmin), crop.Aer
    )
    stats = out.final_stats
    harvested = bool(len(stats)) and int(stats["Harvest Date (Step)"].iloc[-1]) == i
    return DayState(
        date=date,
        dap=int(flux[_F["dap"]]),
        rain_mm=float(weather[2]),
        et0_mm=float(weather[3]),
        irrigation_mm=float(flux[_F["IrrDay"]]),
        application_loss_mm=float(flux[_F["IrrDay"]]) * (1.0 - float(ps.IrrMngt.AppEff) / 100.0),
        infiltration_mm=float(flux[_F["Infl"]]),
        runoff_mm=float(flux[_F["Runoff"]]),
        deep_percolation_mm=float(flux[_F["DeepPerc"]] + flux[_F["TileDrain"]]),
        capillary_rise_mm=float(flux[_F["CR"]] + flux[_F["GwIn"]]),
        tr_mm=float(flux[_F["Tr"]]),
        tr_pot_mm=float(flux[_F["TrPot"]]),
        es_mm=float(flux[_F["Es"]]),
        es_pot_mm=float(flux[_F["EsPot"]]),
        surface_storage_mm=float(flux[_F["surface_storage"]]),
        canopy_cover=float(growth[_G["canopy_cover"]]),
        biomass_t_ha=float(growth[_G["biomass"]]) / 100.0,
        harvest_index=float(growth[_G["harvest_index_adj"]]),
        root_depth_m=z_root,
        theta=tuple(float(v) for v in th),
        soil_water_mm=tuple(float(v) for v in 1000.0 * th * dz),
        root_zone_depletion_mm=float(dr_rz),
        root_zone_taw_mm=float(taw_rz),
        harvested=harvested,
        yield_t_ha=float(stats["Dry yield (tonne/ha)"].iloc[-1]) if harvested else None,
        fresh_yield_t_ha=float(stats["Fresh yield (tonne/ha)"].iloc[-1]) if harvested else None,
    )


def compartment_tops_m(field: AquaCropField) -> Sequence[float]:
    """Top depth (m) of each soil compartment, matching ``DayState.theta``."""
    return [float(z) for z in field._model._param_struct.Soil.Profile.z_top]


_check_static()
