"""Readers for the pyfao56 text files of the Maricopa cotton 2013 season (tests/data).

pyfao56 writes fixed headers between lines of asterisks; "-99.999" means "not applicable".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data" / "pyfao56-cotton2013"


def _body(path: Path) -> list[str]:
    """Lines after the last row of asterisks."""
    lines = path.read_text().splitlines()
    last = max(i for i, line in enumerate(lines) if line.startswith("*****"))
    return [line for line in lines[last + 1 :] if line.strip()]


def read_par(path: Path) -> dict[str, float]:
    """Parameters: ``value name, description`` per line -> {name: value}."""
    params: dict[str, float] = {}
    for line in _body(path):
        value, rest = line.split(maxsplit=1)
        params[rest.split(",")[0]] = float(value)
    return params


@dataclass(frozen=True)
class Weather:
    """Daily weather keyed by 'YYYY-DOY': ETref (mm), rain (mm), wind (m/s at ``wind_height_m``),
    RHmin (%)."""

    wind_height_m: float
    et_ref: dict[str, float]
    rain: dict[str, float]
    wind: dict[str, float]
    rhmin: dict[str, float]


def read_wth(path: Path) -> Weather:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Year-DOY"))
    height = next(float(line.split()[0]) for line in lines if "Wind speed measurement" in line)
    header = lines[start].split()
    columns: dict[str, dict[str, float]] = {name: {} for name in header[1:]}
    for line in lines[start + 1 :]:
        fields = line.split()
        if len(fields) != len(header):
            continue
        for name, value in zip(header[1:], fields[1:], strict=True):
            if name != "MorP":
                columns[name][fields[0]] = float(value)
    return Weather(height, columns["ETref"], columns["Rain"], columns["Wndsp"], columns["RHmin"])


def read_irr(path: Path) -> dict[str, tuple[float, float, float]]:
    """Irrigation events: {'YYYY-DOY': (depth mm, fw, efficiency %)}."""
    events = {}
    for line in _body(path):
        if line.startswith("Year-DOY"):
            continue
        key, depth, fw, eff = line.split()
        events[key] = (float(depth), float(fw), float(eff))
    return events


def read_out(path: Path) -> dict[str, np.ndarray]:
    """Daily outputs by column name (e.g. 'Dr', 'ETa', 'DP', 'E'), in date order."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Year-DOY"))
    header = lines[start].split()
    rows = [line.split() for line in lines[start + 1 :] if line.strip()]
    table: dict[str, np.ndarray] = {}
    for j, name in enumerate(header):
        if name in table or name in ("Year-DOY", "Year", "DOY", "DOW", "Date"):
            continue
        table[name] = np.array([float(row[j]) for row in rows])
    table["keys"] = np.array([row[0] for row in rows])
    return table


def season_keys(first: str, last: str) -> list[str]:
    """'YYYY-DOY' keys from first to last inclusive."""
    start = dt.datetime.strptime(first, "%Y-%j")
    end = dt.datetime.strptime(last, "%Y-%j")
    return [(start + dt.timedelta(days=i)).strftime("%Y-%j") for i in range((end - start).days + 1)]
