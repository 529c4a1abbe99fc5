"""Reference evapotranspiration: FAO-56 and ASCE-EWRI 2005, daily and hourly.

``daily()`` and ``hourly()`` take (station × time) arrays and return an
:class:`ET0Result` whose flag arrays say, per element, which FAO-56 procedure produced the
value (codes in :mod:`models.et0.codes`). Every FAO-56 chapter 3 intermediate is a function in
:mod:`models.et0.equations`. The work is done by numba kernels (:mod:`models.et0.kernels`),
each with a plain-Python reference (:mod:`models.et0.reference`).
"""

from __future__ import annotations

from . import codes, equations
from .compute import NIGHT_FCD, STATION_RULES, daily, hourly, station_problem
from .methods import CROPS, METHODS, Method, daily_method, hourly_method
from .result import ET0Result, InputProblem

__all__ = [
    "CROPS",
    "METHODS",
    "NIGHT_FCD",
    "STATION_RULES",
    "ET0Result",
    "InputProblem",
    "Method",
    "codes",
    "daily",
    "daily_method",
    "equations",
    "hourly",
    "hourly_method",
    "station_problem",
]
