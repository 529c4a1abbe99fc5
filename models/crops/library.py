"""The crop library: FAO-56 crop parameters as data, loaded into frozen dataclasses.

The values live in ``data/crops.toml`` (FAO-56 Tables 11, 12, 17 and 22). Every value is checked
when loaded; an error names the file, the crop and the key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from models.errors import ModelDataError

__all__ = [
    "STAGE_MAD_RANGE",
    "TUNING_MESSAGES",
    "Crop",
    "CropDataError",
    "Stage",
    "crop",
    "crop_keys",
    "load_crops",
    "with_stage_mad",
]

STAGE_MAD_RANGE = (0.2, 0.8)  # a period's MAD, fraction of TAW (checked on load and on tuning)


class CropDataError(ModelDataError):
    """Crop data is missing, malformed or physically implausible (names the culprit).

    A refused tuning (:func:`with_stage_mad`) also carries ``code`` (a key of
    :data:`TUNING_MESSAGES`) and the ``values`` that fill it, so that a page can say it in
    its own language; other errors have ``code`` ``""``."""

    def __init__(
        self, message: str, *, code: str = "", values: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.values: Mapping[str, str] = dict(values or {})


TUNING_MESSAGES: Mapping[str, str] = {
    "no_such_period": "no such period (periods: {periods})",
    "critical_period": "a critical period: its trigger is held to FAO-56 p (no deficit), "
    "its MAD is not tunable",
    "mad_not_number": "{value} is not a finite number",
    "mad_outside": "{value} outside [{low}, {high}]",
}
"""The English of each refused tuning of a period's MAD, after ``<crop>.stages.<period>: ``
(``<crop>.stages.<period>.mad: `` for the ``mad_`` codes); the values also name ``crop``
and ``period``."""


def _tuning_refused(crop: Crop, period: str, code: str, **values: str) -> CropDataError:
    key = f"{crop.key}.stages.{period}" + (".mad" if code.startswith("mad_") else "")
    message = f"{key}: " + TUNING_MESSAGES[code].format(**values)
    return CropDataError(message, code=code, values={"crop": crop.key, "period": period, **values})


@dataclass(frozen=True)
class Stage:
    """A growth period for water management: days after planting up to ``end_dap``
    (inclusive), FAO-33's yield response factor ``ky`` of the period (Doorenbos & Kassam 1979,
    Table 24: 1 − Ya/Ym = Ky (1 − ETa/ETm)), the management allowed depletion ``mad`` (fraction
    of TAW) that triggers irrigation in it, and ``critical``: no deficit is allowed (the
    trigger never passes FAO-56's p adjusted for ETc, so Ks stays 1, eq. 84)."""

    name: str
    end_dap: int
    ky: float
    mad: float
    critical: bool


@dataclass(frozen=True)
class Crop:
    """FAO-56 parameters of one crop.

    Stage lengths in days (Table 11), Kc and Kcb for the initial, mid-season and end of
    late season (Tables 12 and 17, for RHmin 45 % and u2 2 m/s), heights in m, effective root
    depth in m (Table 22), depletion fraction p at ETc 5 mm/d (Table 22), the multiplier on
    soil evaporation of the usual mulch (1.0 bare soil; FAO-56 chapter 9) and the salt
    tolerance: the root-zone ECe (dS/m, saturation extract) up to which the yield does not
    fall (FAO-29 Table 4, Maas & Hoffman 1977; None: not known).
    """

    key: str
    name: str
    stage_days: tuple[int, int, int, int]
    kc_ini: float
    kc_mid: float
    kc_end: float
    kcb_ini: float
    kcb_mid: float
    kcb_end: float
    height_initial_m: float
    height_max_m: float
    root_depth_min_m: float
    root_depth_max_m: float
    p: float
    mulch_factor: float = 1.0
    source: str = ""
    stages: tuple[Stage, ...] = ()
    ece_threshold_ds_m: float | None = None

    def __post_init__(self) -> None:
        for field, days in zip(("ini", "dev", "mid", "late"), self.stage_days, strict=True):
            if not isinstance(days, int) or days < 0:
                raise CropDataError(f"{self.key}.stage_days[{field}]: {days!r} is not a day count")
        if self.stage_days[1] == 0:
            raise CropDataError(f"{self.key}.stage_days[dev]: development stage needs ≥ 1 day")
        for name in ("kc_ini", "kc_mid", "kc_end", "kcb_ini", "kcb_mid", "kcb_end"):
            _check_range(self.key, name, getattr(self, name), 0.0, 2.0)
        if self.kcb_mid <= self.kcb_ini:
            raise CropDataError(f"{self.key}.kcb_mid: must exceed kcb_ini (canopy grows)")
        _check_range(self.key, "height_initial_m", self.height_initial_m, 0.001, 10.0)
        _check_range(self.key, "height_max_m", self.height_max_m, self.height_initial_m, 10.0)
        _check_range(self.key, "root_depth_min_m", self.root_depth_min_m, 0.01, 5.0)
        _check_range(
            self.key, "root_depth_max_m", self.root_depth_max_m, self.root_depth_min_m, 5.0
        )
        _check_range(self.key, "p", self.p, 0.1, 0.8)
        _check_range(self.key, "mulch_factor", self.mulch_factor, 0.5, 1.0)
        if self.ece_threshold_ds_m is not None:
            _check_range(self.key, "ece_threshold_ds_m", self.ece_threshold_ds_m, 0.1, 30.0)
        self._check_stages()

    def _check_stages(self) -> None:
        """The water-management periods: in order, within the season and ending with it,
        Ky and MAD in range, at least one critical; errors name the crop and the period."""
        season = sum(self.stage_days)
        last, before = -1, "planting"
        names: list[str] = []
        for k, stage in enumerate(self.stages):
            at = f"{self.key}.stages[{k}] ({stage.name})"
            if not isinstance(stage.name, str) or not stage.name.strip():
                raise CropDataError(f"{self.key}.stages[{k}].name: {stage.name!r} is no name")
            if stage.name in names:
                raise CropDataError(
                    f"{at}.name: duplicate (also stages[{names.index(stage.name)}])"
                )
            names.append(stage.name)
            end = stage.end_dap
            if not isinstance(end, int) or isinstance(end, bool):
                raise CropDataError(f"{at}.end_dap: {end!r} is not a whole day after planting")
            if end <= last:
                raise CropDataError(
                    f"{at}.end_dap: day {end} is not after {before} (day {last}); periods "
                    "must be in order"
                )
            if end > season:
                raise CropDataError(
                    f"{at}.end_dap: day {end} is past the season's {season} days "
                    f"(stage_days {list(self.stage_days)})"
                )
            last, before = end, f"stages[{k}] ({stage.name})"
            _check_range(at, "ky", stage.ky, 0.0, 2.0)
            _check_range(at, "mad", stage.mad, *STAGE_MAD_RANGE)
            if not isinstance(stage.critical, bool):
                raise CropDataError(f"{at}.critical: {stage.critical!r} is not true/false")
        if not self.stages:
            return
        if last < season:
            raise CropDataError(
                f"{self.key}.stages[{len(self.stages) - 1}] ({self.stages[-1].name}).end_dap: "
                f"the last period ends on day {last}, before the season's {season} days"
            )
        if not any(stage.critical for stage in self.stages):
            raise CropDataError(
                f"{self.key}.stages.critical: no period is critical (mark the yield-sensitive "
                "one critical = true, e.g. flowering; FAO-33 Ky is highest there)"
            )

    @property
    def season_days(self) -> int:
        """Days from planting to harvest (the sum of the FAO-56 stage lengths)."""
        return sum(self.stage_days)

    def stage_on_day(self, dap: int) -> Stage | None:
        """The water-management period of day ``dap`` after planting (the last one after the
        season), or None when the crop has none."""
        for stage in self.stages:
            if dap <= stage.end_dap:
                return stage
        return self.stages[-1] if self.stages else None


def with_stage_mad(crop: Crop, mad_by_stage: Mapping[str, float]) -> Crop:
    """``crop`` with the MAD (fraction of TAW) of the named water-management periods replaced
    (a site's tuning of the library's values; the other periods keep theirs).

    Refused with :class:`CropDataError` naming the crop and the period: a period the crop does
    not have, a *critical* period (its trigger is held to FAO-56 p whatever its MAD, so a
    tuned value would mislead), a MAD outside :data:`STAGE_MAD_RANGE`.
    """
    by_name = {s.name: s for s in crop.stages}
    for name, mad in mad_by_stage.items():
        stage = by_name.get(name)
        if stage is None:
            known = ", ".join(by_name) or "none"
            raise _tuning_refused(crop, name, "no_such_period", periods=known)
        if stage.critical:
            raise _tuning_refused(crop, name, "critical_period")
        if not isinstance(mad, int | float) or isinstance(mad, bool) or not math.isfinite(mad):
            raise _tuning_refused(crop, name, "mad_not_number", value=repr(mad))
        low, high = STAGE_MAD_RANGE
        if not low <= mad <= high:
            raise _tuning_refused(
                crop, name, "mad_outside", value=str(mad), low=str(low), high=str(high)
            )
    if not mad_by_stage:
        return crop
    stages = tuple(
        replace(s, mad=float(mad_by_stage[s.name])) if s.name in mad_by_stage else s
        for s in crop.stages
    )
    return replace(crop, stages=stages)


def _check_range(key: str, name: str, value: float, low: float, high: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise CropDataError(f"{key}.{name}: {value!r} is not a finite number")
    if not low <= value <= high:
        raise CropDataError(f"{key}.{name}: {value} outside [{low}, {high}]")


_KEYS = {
    "name",
    "stage_days",
    "kc",
    "kcb",
    "height_m",
    "root_depth_m",
    "p",
    "mulch_factor",
    "source",
    "stages",
    "ece_threshold_ds_m",
}

_STAGE_KEYS = ("name", "end_dap", "ky", "mad", "critical")


def _triple(key: str, table: dict[str, Any], name: str, size: int) -> list[Any]:
    value = table.get(name)
    if not isinstance(value, list) or len(value) != size:
        raise CropDataError(f"{key}.{name}: expected a list of {size} values, got {value!r}")
    return value


def _crop_from_table(key: str, table: dict[str, Any]) -> Crop:
    unknown = set(table) - _KEYS
    if unknown:
        raise CropDataError(f"{key}: unknown keys {sorted(unknown)}")
    missing = _KEYS - {"mulch_factor", "source", "stages", "ece_threshold_ds_m"} - set(table)
    if missing:
        raise CropDataError(f"{key}: missing keys {sorted(missing)}")
    stages = _triple(key, table, "stage_days", 4)
    kc = _triple(key, table, "kc", 3)
    kcb = _triple(key, table, "kcb", 3)
    height = _triple(key, table, "height_m", 2)
    roots = _triple(key, table, "root_depth_m", 2)
    return Crop(
        key=key,
        name=str(table["name"]),
        stage_days=(stages[0], stages[1], stages[2], stages[3]),
        kc_ini=kc[0],
        kc_mid=kc[1],
        kc_end=kc[2],
        kcb_ini=kcb[0],
        kcb_mid=kcb[1],
        kcb_end=kcb[2],
        height_initial_m=height[0],
        height_max_m=height[1],
        root_depth_min_m=roots[0],
        root_depth_max_m=roots[1],
        p=table["p"],
        mulch_factor=table.get("mulch_factor", 1.0),
        source=str(table.get("source", "")),
        stages=_stages(key, table.get("stages", {})),
        ece_threshold_ds_m=table.get("ece_threshold_ds_m"),
    )


def _stages(key: str, table: Any) -> tuple[Stage, ...]:
    """``[crop.stages]``: one list per field, one value per period (crops.toml header)."""
    if not isinstance(table, dict):
        raise CropDataError(f"{key}.stages: expected a table, got {table!r}")
    if not table:
        return ()
    unknown = set(table) - set(_STAGE_KEYS)
    if unknown:
        raise CropDataError(
            f"{key}.stages: unknown keys {sorted(unknown)} (known: {', '.join(_STAGE_KEYS)})"
        )
    names = table.get("name")
    if not isinstance(names, list) or not names:
        raise CropDataError(f"{key}.stages.name: expected a list of period names, got {names!r}")
    n = len(names)
    columns: dict[str, list[Any]] = {}
    for field in _STAGE_KEYS:
        column = table.get(field)
        if column is None:
            raise CropDataError(
                f"{key}.stages: missing key {field!r} (one value per period: {names})"
            )
        if not isinstance(column, list):
            raise CropDataError(f"{key}.stages.{field}: expected a list, got {column!r}")
        if len(column) < n:
            raise CropDataError(
                f"{key}.stages.{field}: {len(column)} values for {n} periods; "
                f"stages[{len(column)}] ({names[len(column)]}) has none"
            )
        if len(column) > n:
            raise CropDataError(
                f"{key}.stages.{field}: {len(column)} values for {n} periods ({names})"
            )
        columns[field] = column
    for k, critical in enumerate(columns["critical"]):
        if not isinstance(critical, bool):
            raise CropDataError(
                f"{key}.stages[{k}] ({names[k]}).critical: {critical!r} is not true/false"
            )
    return tuple(
        Stage(
            name=str(columns["name"][k]),
            end_dap=columns["end_dap"][k],
            ky=columns["ky"][k],
            mad=columns["mad"][k],
            critical=columns["critical"][k],
        )
        for k in range(n)
    )


def load_crops(path: Path | None = None) -> dict[str, Crop]:
    """Load and validate a crop library TOML file (default: the packaged FAO-56 library).

    Raises CropDataError naming the file, the crop and the key on any problem.
    """
    if path is None:
        text = resources.files("models.crops").joinpath("data/crops.toml").read_text("utf-8")
        origin = "models/crops/data/crops.toml"
    else:
        text = path.read_text("utf-8")
        origin = str(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CropDataError(f"{origin}: {exc}") from exc
    crops: dict[str, Crop] = {}
    for key, table in document.items():
        if not isinstance(table, dict):
            raise CropDataError(f"{origin}: {key}: expected a table")
        try:
            crops[key] = _crop_from_table(key, table)
        except CropDataError as exc:
            raise CropDataError(f"{origin}: {exc}") from exc
    return crops


@cache
def _library() -> dict[str, Crop]:
    return load_crops()


def crop_keys() -> tuple[str, ...]:
    """Keys of the packaged crops (e.g. 'seed_corn')."""
    return tuple(_library())


def crop(key: str) -> Crop:
    """One crop of the packaged library by key; CropDataError if unknown."""
    try:
        return _library()[key]
    except KeyError:
        raise CropDataError(f"unknown crop {key!r}; known: {', '.join(_library())}") from None
