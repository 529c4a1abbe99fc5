"""The reference-ET methods and their constants, by name.

===================  =====  ========  ==========  =======  ========  =========================
method name          Cn     Cd day    Cd night    G day    G night   source
===================  =====  ========  ==========  =======  ========  =========================
fao56-daily          900    0.34      0.34        0        0         FAO-56 eq. 6, eq. 42
asce-etos-daily      900    0.34      0.34        0        0         ASCE-EWRI 2005 Table 1
asce-etrs-daily      1600   0.38      0.38        0        0         ASCE-EWRI 2005 Table 1
fao56-hourly         37     0.34      0.34        0.1 Rn   0.5 Rn    FAO-56 eqs. 53, 45, 46
asce-etos-hourly     37     0.24      0.96        0.1 Rn   0.5 Rn    ASCE-EWRI 2005 Table 1
asce-etrs-hourly     66     0.25      1.7         0.04 Rn  0.2 Rn    ASCE-EWRI 2005 Table 1
===================  =====  ========  ==========  =======  ========  =========================

FAO-56 also differs from ASCE in two rounded constants: Δ's numerator (4098 × 0.6108 vs 2503)
and the Stefan-Boltzmann constant (4.903e-9 vs 4.901e-9 per day; /24 vs 2.042e-10 per hour).
FAO-56 defines only the short (grass) reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ModelInputError
from . import equations as eq

__all__ = ["CROPS", "METHODS", "Method", "daily_method", "hourly_method"]

METHODS = ("fao56", "asce")
CROPS = ("short", "tall")


@dataclass(frozen=True)
class Method:
    """Constants of one reference-ET method (see the module table)."""

    name: str
    Cn: float
    Cd_day: float
    Cd_night: float
    G_day: float
    G_night: float
    sigma: float
    delta_coef: float


_DAILY = {
    ("fao56", "short"): Method(
        "fao56-daily", 900.0, 0.34, 0.34, 0.0, 0.0, eq.SIGMA_DAY_FAO56, eq.DELTA_COEF_FAO56
    ),
    ("asce", "short"): Method(
        "asce-etos-daily", 900.0, 0.34, 0.34, 0.0, 0.0, eq.SIGMA_DAY_ASCE, eq.DELTA_COEF_ASCE
    ),
    ("asce", "tall"): Method(
        "asce-etrs-daily", 1600.0, 0.38, 0.38, 0.0, 0.0, eq.SIGMA_DAY_ASCE, eq.DELTA_COEF_ASCE
    ),
}
_HOURLY = {
    ("fao56", "short"): Method(
        "fao56-hourly", 37.0, 0.34, 0.34, 0.1, 0.5, eq.SIGMA_HOUR_FAO56, eq.DELTA_COEF_FAO56
    ),
    ("asce", "short"): Method(
        "asce-etos-hourly", 37.0, 0.24, 0.96, 0.1, 0.5, eq.SIGMA_HOUR_ASCE, eq.DELTA_COEF_ASCE
    ),
    ("asce", "tall"): Method(
        "asce-etrs-hourly", 66.0, 0.25, 1.7, 0.04, 0.2, eq.SIGMA_HOUR_ASCE, eq.DELTA_COEF_ASCE
    ),
}


def _lookup(table: dict[tuple[str, str], Method], method: str, crop: str) -> Method:
    if method not in METHODS:
        raise ModelInputError(f"unknown method {method!r}; one of {METHODS}", element="method")
    if crop not in CROPS:
        raise ModelInputError(f"unknown crop {crop!r}; one of {CROPS}", element="crop")
    try:
        return table[(method, crop)]
    except KeyError:
        raise ModelInputError(
            "FAO-56 defines only the short (grass) reference; use method 'asce' for tall",
            element="crop",
        ) from None


def daily_method(method: str, crop: str) -> Method:
    """The daily :class:`Method` for ``method`` ('fao56'|'asce') and ``crop`` ('short'|'tall')."""
    return _lookup(_DAILY, method, crop)


def hourly_method(method: str, crop: str) -> Method:
    """The hourly :class:`Method` for ``method`` and ``crop``."""
    return _lookup(_HOURLY, method, crop)
