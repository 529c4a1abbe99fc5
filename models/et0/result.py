"""What an ET0 computation returns: values, and how each one was obtained."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import codes

__all__ = ["ET0Result", "InputProblem"]


@dataclass(frozen=True)
class InputProblem:
    """One physically impossible input: where, which element, and why."""

    index: tuple[int, int]  # (station, time)
    element: str
    reason: str

    def __str__(self) -> str:
        s, t = self.index
        return f"{self.element}[station {s}, time {t}]: {self.reason}"


@dataclass(frozen=True)
class ET0Result:
    """Reference ET over (station × time) with per-element procedure flags.

    ``et0_mm`` is mm per period (day or hour), NaN where ``et0_source`` is ``missing`` or
    ``invalid``. The flag arrays hold the codes documented in :mod:`models.et0.codes`.
    ``method`` names the method (``fao56-daily``, ``asce-etrs-hourly``, …) and ``night_fcd``
    the night-time cloudiness procedure (hourly only). ``intermediates`` maps names with units
    (``Rn_mj_m2`` …) to arrays when asked for.
    """

    et0_mm: np.ndarray
    et0_source: np.ndarray
    rs_source: np.ndarray
    ea_source: np.ndarray
    wind_source: np.ndarray
    problem: np.ndarray
    method: str
    night_fcd: str | None = None
    intermediates: dict[str, np.ndarray] = field(default_factory=dict)

    def problems(self, limit: int | None = None) -> list[InputProblem]:
        """The invalid elements in (station, time) order, at most ``limit``."""
        where = np.argwhere(self.problem != codes.P_NONE)
        if limit is not None:
            where = where[:limit]
        out = []
        for s, t in where:
            element, reason = codes.PROBLEMS[int(self.problem[s, t])]
            out.append(InputProblem((int(s), int(t)), element, reason))
        return out
