"""``qanat et0 WEATHER.csv``: reference evapotranspiration from a daily or hourly weather CSV.

Input columns (units in the name; any may be blank, ``NA`` or absent unless required):

* daily — ``date`` (ISO ``YYYY-MM-DD``), ``tmax_c`` and ``tmin_c`` (required), ``rh_max_pct``,
  ``rh_min_pct``, ``rh_mean_pct``, ``tdew_c``, ``ea_kpa``, ``wind_m_s`` (at ``--wind-height``),
  ``rs_mj_m2`` (MJ m⁻² d⁻¹), ``sunshine_h``. ``tmean_c`` is passed through: FAO-56 takes the
  daily mean as (Tmax + Tmin) / 2.
* hourly — ``time`` (ISO 8601 with UTC offset, the *start* of the hour, in order), ``t_c`` or
  ``tmean_c`` (required), ``rh_pct`` or ``rh_mean_pct``, ``tdew_c``, ``ea_kpa``, ``wind_m_s``,
  ``rs_mj_m2`` (MJ m⁻² h⁻¹).

Output: the input columns, then ``et0_mm`` (mm per row's period), ``method``, ``et0_source``,
``rs_source``, ``ea_source``, ``wind_source`` (the FAO-56 procedure used, see
:mod:`models.et0.codes`), ``night_fcd`` (hourly) and, with ``--explain``, every intermediate.

Exit status: 0 when every row was usable (rows with missing required data are written with an
empty ``et0_mm`` and ``et0_source=missing``, which is not an error); 1 when any row was bad — an
unparsable cell or a physically impossible value, reported on stderr as ``row N, column C``
(N counts the header as row 1) and written with ``et0_source=invalid`` while every other row is
still computed; 2 when the file or the options are unusable.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from controller.cli.csvio import (
    CellError,
    CsvFormatError,
    Table,
    parse_float,
    read_table,
    write_table,
)
from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.cli.stationopt import StationOption
from controller.config.krs import KRS_DEFAULT, KRS_MAX, KRS_MIN, KrsOption
from controller.errors import CommandError
from models import et0
from models.errors import ModelInputError

__all__ = ["add_arguments", "run"]

# model keyword -> accepted CSV columns, first found wins
DAILY_COLUMNS: dict[str, tuple[str, ...]] = {
    "tmax": ("tmax_c",),
    "tmin": ("tmin_c",),
    "rh_max": ("rh_max_pct",),
    "rh_min": ("rh_min_pct",),
    "rh_mean": ("rh_mean_pct",),
    "tdew": ("tdew_c",),
    "ea": ("ea_kpa",),
    "wind": ("wind_m_s",),
    "rs": ("rs_mj_m2",),
    "sunshine": ("sunshine_h",),
}
HOURLY_COLUMNS: dict[str, tuple[str, ...]] = {
    "t": ("t_c", "tmean_c"),
    "rh": ("rh_pct", "rh_mean_pct"),
    "tdew": ("tdew_c",),
    "ea": ("ea_kpa",),
    "wind": ("wind_m_s",),
    "rs": ("rs_mj_m2",),
}


class _Unusable(CommandError):
    """The file or options cannot be used at all (exit status 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weather", type=Path, help="weather CSV (a 'date' or a 'time' column)")
    parser.add_argument("-o", "--output", type=Path, help="write the CSV here (default stdout)")
    parser.add_argument(
        "--lat",
        action=StationOption,
        rule="lat_deg",
        required=True,
        help="latitude, degrees north (-90 to 90)",
    )
    parser.add_argument(
        "--lon",
        action=StationOption,
        rule="lon_deg",
        help="longitude, degrees east (-180 to 180; hourly data)",
    )
    parser.add_argument(
        "--elev",
        action=StationOption,
        rule="elev_m",
        required=True,
        help="station elevation, m (-500 to 9000)",
    )
    parser.add_argument(
        "--wind-height",
        action=StationOption,
        rule="wind_height_m",
        default=2.0,
        help="anemometer height above ground, m (0.1 to 1000; default 2)",
    )
    parser.add_argument(
        "--method",
        choices=et0.METHODS,
        default="fao56",
        help="fao56 (FAO-56) or asce (ASCE-EWRI 2005 standardized)",
    )
    parser.add_argument(
        "--crop",
        choices=et0.CROPS,
        default="short",
        help="reference surface: short (grass, ETo) or tall (alfalfa, ETr; asce)",
    )
    parser.add_argument(
        "--krs",
        action=KrsOption,
        default=KRS_DEFAULT,
        help=f"Hargreaves radiation krs (FAO-56 eq. 50, {KRS_MIN:.2f} to {KRS_MAX:.2f}): "
        "0.16 interior, 0.19 coastal (daily)",
    )
    parser.add_argument(
        "--hargreaves-fallback",
        action="store_true",
        help="days without radiation and humidity data: Hargreaves eq. 52",
    )
    parser.add_argument(
        "--night-fcd",
        choices=tuple(et0.NIGHT_FCD),
        default="carry",
        help="hourly night-time cloudiness: carry (ASCE) or one",
    )
    parser.add_argument("--explain", action="store_true", help="add every intermediate")


def run(args: argparse.Namespace) -> int:
    try:
        with args.weather.open(encoding="utf-8-sig", newline="") as f:
            table = read_table(f)
        if "date" in table.header:
            header, rows, errors = _daily(table, args)
        elif "time" in table.header:
            header, rows, errors = _hourly(table, args)
        else:
            raise _Unusable("no 'date' (daily) or 'time' (hourly) column")
    except OSError as exc:  # the file named once, not again in the errno's text
        print(f"qanat et0: {args.weather}: {exc.strerror or exc}", file=sys.stderr)
        return UNUSABLE
    except UnicodeDecodeError as exc:  # Excel on a Chinese desktop saves CSV as GBK
        print(
            f"qanat et0: {args.weather}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
            "save it as CSV UTF-8",
            file=sys.stderr,
        )
        return UNUSABLE
    except (CsvFormatError, ModelInputError, _Unusable) as exc:
        print(f"qanat et0: {args.weather}: {exc}", file=sys.stderr)
        return UNUSABLE
    for err in sorted(errors, key=lambda e: (e.row, e.column)):
        print(f"qanat et0: {args.weather}: {err}", file=sys.stderr)
    if args.output is None:
        write_table(sys.stdout, header, rows)
    else:
        try:
            with args.output.open("w", encoding="utf-8", newline="") as f:
                write_table(f, header, rows)
        except OSError as exc:
            print(f"qanat et0: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return UNUSABLE
    return FAILED if errors else OK


def _numeric(
    table: Table, columns: dict[str, tuple[str, ...]], errors: list[CellError]
) -> tuple[dict[str, np.ndarray | None], dict[str, str]]:
    """Parse every known column to a float array (None if absent); bad cells become NaN."""
    arrays: dict[str, np.ndarray | None] = {}
    names: dict[str, str] = {}
    for key, candidates in columns.items():
        name = next((c for c in candidates if c in table.header), None)
        cells = table.column(name) if name else None
        if name is None or cells is None:
            arrays[key] = None
            continue
        names[key] = name
        values = np.empty(len(cells))
        for i, cell in enumerate(cells):
            try:
                values[i] = parse_float(cell)
            except ValueError:
                errors.append(CellError(i + 2, name, f"not a number: {cell!r}"))
                values[i] = math.nan
        arrays[key] = values
    return arrays, names


def _require(
    arrays: dict[str, np.ndarray | None], columns: dict[str, tuple[str, ...]], *keys: str
) -> None:
    for key in keys:
        if arrays[key] is None:
            raise _Unusable(f"missing required column {' or '.join(columns[key])}")


def _present(a: np.ndarray | None) -> np.ndarray:
    assert a is not None  # checked by _require
    return a


def _mark_invalid(arrays: dict[str, np.ndarray | None], key: str, errors: list[CellError]) -> None:
    """Rows with a bad cell must not be computed: blank the required input."""
    required = arrays[key]
    assert required is not None
    for err in errors:
        required[err.row - 2] = math.nan


def _daily(
    table: Table, args: argparse.Namespace
) -> tuple[list[str], list[list[str]], list[CellError]]:
    errors: list[CellError] = []
    arrays, names = _numeric(table, DAILY_COLUMNS, errors)
    _require(arrays, DAILY_COLUMNS, "tmax", "tmin")
    doy = np.ones(len(table.rows))
    for i, cell in enumerate(table.column("date") or []):
        try:
            doy[i] = date.fromisoformat(cell).timetuple().tm_yday
        except ValueError:
            errors.append(CellError(i + 2, "date", f"not an ISO date (YYYY-MM-DD): {cell!r}"))
    _mark_invalid(arrays, "tmax", errors)
    a = arrays
    result = et0.daily(
        tmax=_present(a["tmax"]),
        tmin=_present(a["tmin"]),
        rh_max=a["rh_max"],
        rh_min=a["rh_min"],
        rh_mean=a["rh_mean"],
        tdew=a["tdew"],
        ea=a["ea"],
        wind=a["wind"],
        rs=a["rs"],
        sunshine=a["sunshine"],
        doy=doy,
        lat_deg=args.lat,
        elev_m=args.elev,
        wind_height_m=args.wind_height,
        method=args.method,
        crop=args.crop,
        krs=args.krs,
        hargreaves_fallback=args.hargreaves_fallback,
        on_invalid="flag",
        explain=args.explain,
    )
    return _output(table, result, names, errors, decimals=2)


def _hourly(
    table: Table, args: argparse.Namespace
) -> tuple[list[str], list[list[str]], list[CellError]]:
    if args.lon is None:
        raise _Unusable("--lon is required for hourly data (solar time)")
    errors: list[CellError] = []
    arrays, names = _numeric(table, HOURLY_COLUMNS, errors)
    _require(arrays, HOURLY_COLUMNS, "t")
    stamps: list[datetime | None] = []
    for i, cell in enumerate(table.column("time") or []):
        try:
            stamp = datetime.fromisoformat(cell)
            if stamp.utcoffset() is None:
                raise ValueError("no UTC offset")
            stamps.append(stamp)
        except ValueError as exc:
            errors.append(CellError(i + 2, "time", f"not ISO 8601 with UTC offset ({exc})"))
            stamps.append(None)
    good = [s for s in stamps if s is not None]
    if any(b <= a for a, b in itertools.pairwise(good)):
        raise _Unusable("hourly rows must be in strictly increasing time order")
    offset = good[0].utcoffset() if good else timedelta(0)
    assert offset is not None
    # clock time and day of year in the first row's zone; its meridian is 15° per hour
    zone = timezone(offset)
    local = [s.astimezone(zone) if s else None for s in stamps]
    hour = np.array([(s.hour + s.minute / 60.0) if s else 0.0 for s in local])
    doy = np.array([s.timetuple().tm_yday if s else 1 for s in local], dtype=np.float64)
    _mark_invalid(arrays, "t", errors)
    if arrays["rs"] is not None:  # nor may a bad row's Rs feed the night-time fcd carry-over
        _mark_invalid(arrays, "rs", errors)
    a = arrays
    result = et0.hourly(
        t=_present(a["t"]),
        rh=a["rh"],
        tdew=a["tdew"],
        ea=a["ea"],
        wind=a["wind"],
        rs=a["rs"],
        doy=doy,
        hour=hour,
        lat_deg=args.lat,
        lon_deg=args.lon,
        elev_m=args.elev,
        tz_meridian_deg=15.0 * offset.total_seconds() / 3600.0,
        wind_height_m=args.wind_height,
        method=args.method,
        crop=args.crop,
        night_fcd=args.night_fcd,
        on_invalid="flag",
        explain=args.explain,
    )
    return _output(table, result, names, errors, decimals=3)


def _output(
    table: Table,
    result: et0.ET0Result,
    names: dict[str, str],
    errors: list[CellError],
    decimals: int,
) -> tuple[list[str], list[list[str]], list[CellError]]:
    """The input table with ET0, its method and procedures; model problems join ``errors``."""
    for p in result.problems():
        errors.append(CellError(p.index[1] + 2, names.get(p.element, p.element), p.reason))
    bad_rows = {e.row - 2 for e in errors}
    c = et0.codes
    extra = ["et0_mm", "method", "et0_source", "rs_source", "ea_source", "wind_source"]
    if result.night_fcd is not None:
        extra.append("night_fcd")
    inter = list(result.intermediates)
    header = [h for h in table.header if h not in extra and h not in inter] + extra + inter
    keep = [i for i, h in enumerate(table.header) if h in header]
    rows = []
    for i, row in enumerate(table.rows):
        value = float(result.et0_mm[0, i])
        source = "invalid" if i in bad_rows else c.ET0_NAMES[int(result.et0_source[0, i])]
        out = [row[k] if k < len(row) else "" for k in keep]
        out += [
            "" if math.isnan(value) or i in bad_rows else f"{value:.{decimals}f}",
            result.method,
            source,
            c.RS_NAMES[int(result.rs_source[0, i])],
            c.EA_NAMES[int(result.ea_source[0, i])],
            c.WIND_NAMES[int(result.wind_source[0, i])],
        ]
        if result.night_fcd is not None:
            out.append(result.night_fcd)
        ok = source == "penman-monteith"
        out += [f"{float(result.intermediates[n][0, i]):.4f}" if ok else "" for n in inter]
        rows.append(out)
    return header, rows, errors
