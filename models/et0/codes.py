"""Integer codes that travel with every ET0 element: which procedure produced it, or why not.

The kernels write one ``uint8`` per element into each flag array of an
:class:`~models.et0.result.ET0Result`. The codes are stable (they are exported in CSVs); the
``*_NAMES`` mappings give the human-readable name of each code.

``et0_source``: how ET0 itself was obtained
    0 ``penman-monteith``  FAO-56 eq. 6 / 53 or ASCE-EWRI eq. 1
    1 ``hargreaves``       FAO-56 eq. 52, only when asked for and radiation and humidity are
                            both estimated from temperature
    2 ``missing``          a required input (Tmax/Tmin, hourly T, Rs or humidity) is NaN
    3 ``invalid``          an input is physically impossible; ``problem`` says which

``rs_source``: 0 measured, 1 Angstrom from sunshine hours (eq. 35), 2 Hargreaves temperature
range with krs (eq. 50), 255 not used (ET0 missing/invalid, or Hargreaves ET0).

``ea_source``: 0 measured ea, 1 dew point (eq. 14), 2 RHmax and RHmin (eq. 17), 3 RHmax only
(eq. 18), 4 RH mean (eq. 19 daily, eq. 54 hourly), 5 Tmin as dew point (eq. 48), 255 not used.

``wind_source``: 0 measured (converted to 2 m by eq. 47), 1 default u2 = 2 m/s (FAO-56 p. 63),
255 not used.

``problem``: 0 none, otherwise the :data:`PROBLEMS` entry naming the element and the reason.
"""

from __future__ import annotations

__all__ = [
    "EA_NAMES",
    "ET0_NAMES",
    "NOT_USED",
    "PROBLEMS",
    "RS_NAMES",
    "WIND_NAMES",
]

NOT_USED = 255

ET0_PENMAN_MONTEITH = 0
ET0_HARGREAVES = 1
ET0_MISSING = 2
ET0_INVALID = 3
ET0_NAMES: dict[int, str] = {
    ET0_PENMAN_MONTEITH: "penman-monteith",
    ET0_HARGREAVES: "hargreaves",
    ET0_MISSING: "missing",
    ET0_INVALID: "invalid",
}

RS_MEASURED = 0
RS_ANGSTROM = 1
RS_HARGREAVES = 2
RS_NAMES: dict[int, str] = {
    RS_MEASURED: "measured",
    RS_ANGSTROM: "sunshine-angstrom-eq35",
    RS_HARGREAVES: "temperature-range-eq50",
    NOT_USED: "",
}

EA_MEASURED = 0
EA_TDEW = 1
EA_RH_MAX_MIN = 2
EA_RH_MAX = 3
EA_RH_MEAN = 4
EA_TMIN = 5
EA_NAMES: dict[int, str] = {
    EA_MEASURED: "measured",
    EA_TDEW: "dew-point-eq14",
    EA_RH_MAX_MIN: "rh-max-min-eq17",
    EA_RH_MAX: "rh-max-eq18",
    EA_RH_MEAN: "rh-mean-eq19",
    EA_TMIN: "tmin-eq48",
    NOT_USED: "",
}

WIND_MEASURED = 0
WIND_DEFAULT = 1
WIND_NAMES: dict[int, str] = {WIND_MEASURED: "measured", WIND_DEFAULT: "default-2m-s", NOT_USED: ""}

# problem code -> (input element, reason). Element names are the keyword names of
# models.et0.daily()/hourly(); a CSV reader maps them to its columns.
P_NONE = 0
P_TMAX_RANGE = 1
P_TMIN_RANGE = 2
P_TMIN_ABOVE_TMAX = 3
P_RH_MAX_RANGE = 4
P_RH_MIN_RANGE = 5
P_RH_MIN_ABOVE_RH_MAX = 6
P_RH_MEAN_RANGE = 7
P_TDEW_RANGE = 8
P_EA_RANGE = 9
P_WIND_RANGE = 10
P_RS_RANGE = 11
P_SUNSHINE_RANGE = 12
P_T_RANGE = 13
P_RH_RANGE = 14
PROBLEMS: dict[int, tuple[str, str]] = {
    P_TMAX_RANGE: ("tmax", "outside -90..70 °C or not finite"),
    P_TMIN_RANGE: ("tmin", "outside -90..70 °C or not finite"),
    P_TMIN_ABOVE_TMAX: ("tmin", "Tmin above Tmax"),
    P_RH_MAX_RANGE: ("rh_max", "relative humidity outside 0..100 %"),
    P_RH_MIN_RANGE: ("rh_min", "relative humidity outside 0..100 %"),
    P_RH_MIN_ABOVE_RH_MAX: ("rh_min", "RHmin above RHmax"),
    P_RH_MEAN_RANGE: ("rh_mean", "relative humidity outside 0..100 %"),
    P_TDEW_RANGE: ("tdew", "dew point above the air temperature (Tmax for a day) or not finite"),
    P_EA_RANGE: ("ea", "vapour pressure not positive or not finite"),
    P_WIND_RANGE: ("wind", "negative or not finite wind speed"),
    P_RS_RANGE: ("rs", "negative or not finite solar radiation"),
    P_SUNSHINE_RANGE: ("sunshine", "sunshine hours negative or above daylength N"),
    P_T_RANGE: ("t", "outside -90..70 °C or not finite"),
    P_RH_RANGE: ("rh", "relative humidity outside 0..100 %"),
}
