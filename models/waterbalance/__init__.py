"""FAO-56 soil water balance per zone (chapters 6-8): single Kc or dual Kcb + Ke, daily or
sub-daily steps, probe assimilation; one zone at a time in plain Python, or many zones over a
season with the numba kernel."""

from models.waterbalance.assimilation import (
    ProbeCorrection,
    ProbeReading,
    assimilate,
    observed_depletion_mm,
)
from models.waterbalance.errors import WaterBalanceInputError
from models.waterbalance.season import (
    CropCurves,
    SeasonResult,
    StateArrays,
    WeatherSeries,
    ZoneTable,
    run_season,
    run_season_reference,
)
from models.waterbalance.step import (
    CropStep,
    StepInputs,
    StepResult,
    ZoneSetup,
    ZoneState,
    advance,
)

__all__ = [
    "CropCurves",
    "CropStep",
    "ProbeCorrection",
    "ProbeReading",
    "SeasonResult",
    "StateArrays",
    "StepInputs",
    "StepResult",
    "WaterBalanceInputError",
    "WeatherSeries",
    "ZoneSetup",
    "ZoneState",
    "ZoneTable",
    "advance",
    "assimilate",
    "observed_depletion_mm",
    "run_season",
    "run_season_reference",
]
