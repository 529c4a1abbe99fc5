"""Device profiles: register maps as data (``drivers/profiles/*.toml``).

A profile describes one device model: its serial defaults, how many
registers one read may cover (and coils one write, ``max_write_coils``),
whether outputs are leases, and its points.
Each point names its table (coil, discrete, input, holding), 0-based
address, data type, scale and offset (value = raw × scale + offset), unit,
valid range, error sentinels and whether it may be written.

Points a controller relies on have standard names per device kind
(:data:`KIND_POINTS`), each with a fixed unit, so code that reads a
``flow_meter`` gets ``flow_rate`` in m3/h whichever meter is wired.

Loading validates everything and names the file and key path of each
problem: ``points[3].type: unknown type 'int17' (renke-rs-ecth-n01.toml)``.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.errors import ProfileError

__all__ = [
    "BUILTIN_PROFILE_DIR",
    "KIND_POINTS",
    "PROFILE_UNITS",
    "CommWatchdog",
    "DataType",
    "Lease",
    "Point",
    "Profile",
    "ProfileLibrary",
    "Table",
    "load_profile",
]

BUILTIN_PROFILE_DIR = Path(__file__).parent / "profiles"
MAX_WRITE_COILS = 1968  # the most coils one write-multiple-coils request (function 15) may carry


class Table(enum.StrEnum):
    """The four Modbus data tables."""

    COIL = "coil"
    DISCRETE = "discrete"
    INPUT = "input"
    HOLDING = "holding"

    @property
    def is_bit(self) -> bool:
        return self in (Table.COIL, Table.DISCRETE)


class DataType(enum.StrEnum):
    """Encodings of a point in its registers (bytes big-endian within a word)."""

    BOOL = "bool"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"

    @property
    def width(self) -> int:
        """Number of 16-bit registers (or bits, for BOOL) the type occupies."""
        return _WIDTHS[self]  # asked for every point of every poll: a lookup, not a scan


_WIDTHS: dict[DataType, int] = {
    t: 2 if t in (DataType.INT32, DataType.UINT32, DataType.FLOAT32) else 1 for t in DataType
}


class WordOrder(enum.StrEnum):
    """Order of the two words of a 32-bit value."""

    BIG = "big"  # high word first (Modbus convention)
    LITTLE = "little"  # low word first (e.g. TUF-2000M meters)


# Standard point names per device kind, with the unit each must be reported in.
KIND_POINTS: dict[str, dict[str, str]] = {
    "soil_probe": {"moisture": "%"},
    "weather_station": {"air_temperature": "°C", "humidity": "%", "wind_speed": "m/s"},
    "relay": {},
    "flow_meter": {"flow_rate": "m3/h", "total": "m3"},
    "ec_meter": {"ec": "mS/cm"},
    "ph_meter": {"ph": "pH"},
    "pressure": {"line_pressure": "kPa"},
    "tank_level": {"level": "m"},
    "injector": {"run": "", "rate_setpoint": "L/h"},
    # a digital-input counter module: its counters are named by the site's [[pulse_meters]]
    "pulse_counter": {},
}

# Units the standard names may carry where more than one is meaningful.
_OPTIONAL_UNITS: dict[str, str] = {
    "temperature": "°C",
    "rain": "mm",
    "solar_radiation": "W/m2",
    "pressure": "hPa",
    "wind_direction": "°",
    "filter_dp": "kPa",
    # an injector's counter: a run's record takes its change as litres (runtime/dosing.py)
    "dosed_volume": "L",
}


# A unit a standard point is often given in instead of its own, and the factor to its own:
# the refusal says how to mend the point (value = raw × scale + offset, min and max alike).
_UNIT_FACTORS: dict[tuple[str, str], float] = {
    ("mS/m", "mS/cm"): 0.01,
    ("uS/cm", "mS/cm"): 0.001,
    ("dS/m", "mS/cm"): 1.0,
    ("mL", "L"): 0.001,
    ("L/min", "m3/h"): 0.06,
    ("L/s", "m3/h"): 3.6,
    ("L", "m3"): 0.001,
    ("bar", "kPa"): 100.0,
    ("MPa", "kPa"): 1000.0,
    ("cm", "m"): 0.01,
    ("mm", "m"): 0.001,
}


def _fixed_unit_problem(unit: str, got: str) -> str:
    """What a standard point's wrong unit ``got`` is told: what it must be and, for a unit
    of :data:`_UNIT_FACTORS`, how to give the point in it."""
    message = f"must be in {unit!r}, got {got!r}"
    factor = _UNIT_FACTORS.get((got, unit))
    if factor is None:
        return message
    return (
        f"{message}: 1 {got} = {factor:g} {unit}, so multiply its scale, offset, min and max "
        f"by {factor:g} and write unit = {unit!r}"
    )


# Every unit a point may carry: those the controller, the pages and the bridge know how to
# read. A unit outside it is most often a typo ("uS/cn", "m³/h" for "m3/h"), refused by name.
PROFILE_UNITS: frozenset[str] = frozenset(
    {
        "",  # a code, a count or a switch
        "%",
        "°",
        "°C",
        "hPa",
        "kPa",
        "bar",
        "L",
        "mL",
        "L/h",
        "m",
        "mm",
        "mm/h",
        "m/s",
        "m3",
        "m3/h",
        "mS/cm",
        "uS/cm",
        "mg/L",
        "mV",
        "pH",
        "lx",
        "W/m2",
        "s",
        "pulses",
    }
)


@dataclass(frozen=True, slots=True)
class Point:
    """One register-mapped quantity of a device."""

    name: str
    table: Table
    address: int
    type: DataType
    word_order: WordOrder = WordOrder.BIG
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""
    min: float | None = None
    max: float | None = None
    writable: bool = False
    sentinels: tuple[int, ...] = ()
    description: str = ""

    @property
    def width(self) -> int:
        """Registers (or bits) occupied."""
        return self.type.width

    @property
    def end(self) -> int:
        """One past the last address occupied."""
        return self.address + self.width


@dataclass(frozen=True, slots=True)
class Lease:
    """How an output is opened so that it closes by itself.

    ``flash_on``: a write-single-coil (function 05) to ``address_offset +
    coil address`` whose 16-bit value is the on-time in ``unit_s`` steps;
    the module switches the relay off when the time runs out. Writing again
    restarts the timer, so a healthy controller renews the lease.
    """

    kind: str
    address_offset: int
    unit_s: float
    max_s: float


@dataclass(frozen=True, slots=True)
class CommWatchdog:
    """The module's own communication watchdog (``[comm_watchdog]`` in a profile).

    When no Modbus request reaches the module for the timeout, it switches every relay
    off by itself: the outputs close if the box dies or the bus goes silent, whatever
    the leases say. The timeout is written as a 16-bit value in ``unit_s`` steps to
    holding register ``address`` (function 06) and read back (function 03); 0 disables
    it; ``max_s`` is the longest timeout the module accepts.
    """

    address: int
    unit_s: float
    max_s: float

    def steps(self, seconds: float) -> int:
        """The register value for a timeout of ``seconds`` (at least one step)."""
        return max(1, round(seconds / self.unit_s))


@dataclass(frozen=True, slots=True)
class Profile:
    """A device model's register map and serial defaults."""

    name: str
    model: str
    kind: str
    manufacturer: str
    source: str
    points: tuple[Point, ...]
    baudrate: int = 9600
    parity: str = "N"
    stopbits: int = 1
    max_read_registers: int = 64
    read_gap: int = 0
    # coils one write may switch (function 15); 1: one coil a write (function 05 only)
    max_write_coils: int = 1
    lease: Lease | None = None
    comm_watchdog: CommWatchdog | None = None
    description: str = ""
    _by_name: Mapping[str, Point] = field(default_factory=dict, repr=False, compare=False)

    def point(self, name: str) -> Point:
        """The point called ``name``; KeyError naming the profile otherwise."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"profile {self.name!r} has no point {name!r}") from None

    def has_point(self, name: str) -> bool:
        return name in self._by_name


_DEVICE_KEYS = {
    "model",
    "kind",
    "manufacturer",
    "source",
    "baudrate",
    "parity",
    "stopbits",
    "max_read_registers",
    "max_write_coils",
    "read_gap",
    "word_order",
    "description",
}
_POINT_KEYS = {
    "name",
    "table",
    "address",
    "type",
    "word_order",
    "scale",
    "offset",
    "unit",
    "min",
    "max",
    "writable",
    "sentinels",
    "description",
}
_LEASE_KEYS = {"kind", "address_offset", "unit_s", "max_s"}
_WATCHDOG_KEYS = {"address", "unit_s", "max_s"}


class _Problems:
    """Collects every problem of one file before raising, so a technician fixes all at once."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message} ({self.filename})")

    def raise_if_any(self) -> None:
        if self.items:
            raise ProfileError("\n".join(self.items))


def _unknown_keys(p: _Problems, path: str, data: Mapping[str, Any], known: set[str]) -> None:
    for key in sorted(set(data) - known):
        p.add(f"{path}.{key}" if path else key, "unknown key")


def _number(p: _Problems, path: str, value: Any, *, integer: bool = False) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        p.add(path, f"expected a {'whole ' if integer else ''}number, got {value!r}")
        return None
    if integer and not isinstance(value, int):
        p.add(path, f"expected a whole number, got {value!r}")
        return None
    return value


def _enum(p: _Problems, path: str, value: Any, enum_cls: type[enum.StrEnum]) -> Any:
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        p.add(path, f"unknown {enum_cls.__name__.lower()} {value!r} (one of {allowed})")
        return None


def _parse_point(
    p: _Problems, path: str, raw: Any, default_order: WordOrder, fixed: Mapping[str, str]
) -> Point | None:
    """The point ``raw`` at ``path``; ``fixed``: the units the device's kind sets by point
    name (:func:`_fixed_units`: a wrong one is said as what it must be)."""
    if not isinstance(raw, dict):
        p.add(path, "expected a table")
        return None
    _unknown_keys(p, path, raw, _POINT_KEYS)
    ok = True
    for key in ("name", "table", "address", "type"):
        if key not in raw:
            p.add(f"{path}.{key}", "missing")
            ok = False
    if not ok:
        return None
    name = raw["name"]
    if not isinstance(name, str) or not name.isidentifier():
        p.add(f"{path}.name", f"must be an identifier, got {name!r}")
    table = _enum(p, f"{path}.table", raw["table"], Table)
    dtype = _enum(p, f"{path}.type", raw["type"], DataType)
    order = _enum(p, f"{path}.word_order", raw.get("word_order", default_order), WordOrder)
    address = _number(p, f"{path}.address", raw["address"], integer=True)
    if address is not None and not 0 <= address <= 0xFFFF:
        p.add(f"{path}.address", f"{address} outside 0..65535")
        address = None
    if address is not None and dtype is not None and address + dtype.width > 0x10000:
        p.add(f"{path}.address", f"{dtype.value} at {address} runs past 65535")
        address = None
    scale = _number(p, f"{path}.scale", raw.get("scale", 1.0))
    if scale == 0:
        p.add(f"{path}.scale", "must not be zero")
    offset = _number(p, f"{path}.offset", raw.get("offset", 0.0))
    lo = _number(p, f"{path}.min", raw["min"]) if "min" in raw else None
    hi = _number(p, f"{path}.max", raw["max"]) if "max" in raw else None
    if lo is not None and hi is not None and lo > hi:
        p.add(f"{path}.min", f"min {lo} is above max {hi}")
    writable = raw.get("writable", False)
    if not isinstance(writable, bool):
        p.add(f"{path}.writable", f"expected true or false, got {writable!r}")
        writable = False
    sentinels = raw.get("sentinels", [])
    if not isinstance(sentinels, list) or not all(isinstance(s, int) for s in sentinels):
        p.add(f"{path}.sentinels", "expected a list of raw integer values")
        sentinels = []
    unit = raw.get("unit", "")
    if not isinstance(unit, str):
        p.add(f"{path}.unit", f"expected a string, got {unit!r}")
        unit = ""
    elif isinstance(name, str) and name in fixed and unit != fixed[name]:
        p.add(f"{path}.unit", f"{name!r} {_fixed_unit_problem(fixed[name], unit)}")
    elif unit not in PROFILE_UNITS:
        known = ", ".join(repr(u) for u in sorted(PROFILE_UNITS) if u)
        p.add(f"{path}.unit", f"unknown unit {unit!r} (one of {known}, or none)")
    if table is not None and dtype is not None:
        if table.is_bit != (dtype is DataType.BOOL):
            p.add(f"{path}.type", f"type {dtype.value} does not fit table {table.value}")
        if writable is True and table in (Table.DISCRETE, Table.INPUT):
            p.add(f"{path}.writable", f"table {table.value} is read-only")
    # A point whose place is known takes part in the whole-profile checks (overlaps, standard
    # names) even when something else of it is wrong, so one mistake does not hide the others.
    if (
        table is None
        or dtype is None
        or order is None
        or address is None
        or scale is None
        or offset is None
    ):
        return None
    return Point(
        name=str(name),
        table=table,
        address=int(address),
        type=dtype,
        word_order=order,
        scale=float(scale),
        offset=float(offset),
        unit=unit,
        min=lo,
        max=hi,
        writable=writable,
        sentinels=tuple(sentinels),
        description=str(raw.get("description", "")),
    )


def _parse_lease(p: _Problems, raw: Any) -> Lease | None:
    if not isinstance(raw, dict):
        p.add("lease", "expected a table")
        return None
    _unknown_keys(p, "lease", raw, _LEASE_KEYS)
    if raw.get("kind") != "flash_on":
        p.add("lease.kind", f"unknown lease kind {raw.get('kind')!r} (one of flash_on)")
        return None
    offset = _number(p, "lease.address_offset", raw.get("address_offset"), integer=True)
    unit_s = _number(p, "lease.unit_s", raw.get("unit_s"))
    max_s = _number(p, "lease.max_s", raw.get("max_s"))
    if unit_s is not None and unit_s <= 0:
        p.add("lease.unit_s", "must be positive")
    if max_s is not None and max_s <= 0:
        p.add("lease.max_s", "must be positive")
    if offset is None or unit_s is None or max_s is None:
        return None
    return Lease("flash_on", int(offset), float(unit_s), float(max_s))


def _parse_watchdog(p: _Problems, raw: Any, points: list[Point]) -> CommWatchdog | None:
    if not isinstance(raw, dict):
        p.add("comm_watchdog", "expected a table")
        return None
    _unknown_keys(p, "comm_watchdog", raw, _WATCHDOG_KEYS)
    for key in sorted(_WATCHDOG_KEYS - set(raw)):
        p.add(f"comm_watchdog.{key}", "missing")
    if _WATCHDOG_KEYS - set(raw):
        return None
    address = _number(p, "comm_watchdog.address", raw["address"], integer=True)
    unit_s = _number(p, "comm_watchdog.unit_s", raw["unit_s"])
    max_s = _number(p, "comm_watchdog.max_s", raw["max_s"])
    if address is not None and not 0 <= address <= 0xFFFF:
        p.add("comm_watchdog.address", f"{address} outside 0..65535")
        address = None
    if address is not None:
        for pt in points:
            if pt.table is Table.HOLDING and pt.address <= address < pt.end:
                p.add("comm_watchdog.address", f"holding {address} is point {pt.name!r}")
    if unit_s is not None and unit_s <= 0:
        p.add("comm_watchdog.unit_s", "must be positive")
        unit_s = None
    if max_s is not None and max_s <= 0:
        p.add("comm_watchdog.max_s", "must be positive")
        max_s = None
    if unit_s is not None and max_s is not None:
        if max_s < unit_s:
            p.add("comm_watchdog.max_s", f"{max_s:g} s is shorter than one step ({unit_s:g} s)")
        elif round(max_s / unit_s) > 0xFFFF:
            p.add(
                "comm_watchdog.max_s",
                f"{max_s:g} s is {round(max_s / unit_s)} steps of {unit_s:g} s: "
                "more than a 16-bit register holds (65535)",
            )
    if not any(pt.table is Table.COIL and pt.writable for pt in points):
        p.add("comm_watchdog", "a communication watchdog needs writable coil points")
    if address is None or unit_s is None or max_s is None:
        return None
    return CommWatchdog(int(address), float(unit_s), float(max_s))


def _check_points(
    p: _Problems, kind: str, indexed: list[tuple[int, Point]], declared: set[str]
) -> None:
    """Whole-profile checks over the points that parsed, each with its index in the file;
    ``declared`` names every point written, so one refused for its own mistake is not also
    said to be missing."""
    seen: dict[str, int] = {}
    for i, pt in indexed:
        if pt.name in seen:
            first = seen[pt.name]
            p.add(f"points[{i}].name", f"duplicate point {pt.name!r} (also points[{first}])")
        seen.setdefault(pt.name, i)
    occupied: dict[tuple[Table, int], str] = {}
    for i, pt in indexed:
        for a in range(pt.address, pt.end):
            other = occupied.get((pt.table, a))
            if other is not None:
                p.add(f"points[{i}].address", f"{pt.table.value} {a} overlaps point {other!r}")
                break
            occupied[(pt.table, a)] = pt.name
    for name in KIND_POINTS.get(kind, {}):
        if name not in declared:
            p.add("points", f"a {kind} profile must define point {name!r}")


def _fixed_units(kind: str) -> dict[str, str]:
    """The unit of each standard point name of ``kind`` and of the optional ones."""
    return _OPTIONAL_UNITS | {n: u for n, u in KIND_POINTS.get(kind, {}).items() if u}


def _parse(name: str, filename: str, data: Mapping[str, Any]) -> Profile:
    p = _Problems(filename)
    _unknown_keys(p, "", data, {"device", "points", "lease", "comm_watchdog"})
    device = data.get("device")
    if not isinstance(device, dict):
        p.add("device", "missing [device] table")
        p.raise_if_any()
        raise AssertionError  # unreachable: raise_if_any raised
    _unknown_keys(p, "device", device, _DEVICE_KEYS)
    for key in ("model", "kind", "manufacturer", "source"):
        if not isinstance(device.get(key), str) or not device.get(key):
            p.add(f"device.{key}", "missing or empty")
    kind = str(device.get("kind", ""))
    if kind and kind not in KIND_POINTS:
        p.add("device.kind", f"unknown kind {kind!r} (one of {', '.join(KIND_POINTS)})")
    order = _enum(p, "device.word_order", device.get("word_order", "big"), WordOrder)
    max_read = _number(
        p, "device.max_read_registers", device.get("max_read_registers", 64), integer=True
    )
    if max_read is not None and not 1 <= max_read <= 125:
        p.add("device.max_read_registers", f"{max_read} outside 1..125 (the Modbus limit)")
    read_gap = _number(p, "device.read_gap", device.get("read_gap", 0), integer=True)
    max_write_coils = _number(
        p, "device.max_write_coils", device.get("max_write_coils", 1), integer=True
    )
    if max_write_coils is not None and not 1 <= max_write_coils <= MAX_WRITE_COILS:
        p.add(
            "device.max_write_coils",
            f"{max_write_coils} outside 1..{MAX_WRITE_COILS} (the Modbus limit)",
        )
    if device.get("parity", "N") not in ("N", "E", "O"):
        p.add("device.parity", f"expected N, E or O, got {device.get('parity')!r}")
    baud = _number(p, "device.baudrate", device.get("baudrate", 9600), integer=True)
    stopbits = device.get("stopbits", 1)
    if stopbits not in (1, 2):
        p.add("device.stopbits", f"expected 1 or 2, got {stopbits!r}")
    raw_points = data.get("points")
    if not isinstance(raw_points, list) or not raw_points:
        p.add("points", "missing: a profile needs at least one [[points]] entry")
        raw_points = []
    fixed = _fixed_units(kind)
    indexed = [
        (i, pt)
        for i, raw in enumerate(raw_points)
        if (pt := _parse_point(p, f"points[{i}]", raw, order or WordOrder.BIG, fixed)) is not None
    ]
    points = [pt for _, pt in indexed]
    lease = _parse_lease(p, data["lease"]) if "lease" in data else None
    if lease is not None and not any(pt.table is Table.COIL and pt.writable for pt in points):
        p.add("lease", "a lease needs writable coil points")
    watchdog = (
        _parse_watchdog(p, data["comm_watchdog"], points) if "comm_watchdog" in data else None
    )
    declared = {
        raw["name"]
        for raw in raw_points
        if isinstance(raw, dict) and isinstance(raw.get("name"), str)
    }
    _check_points(p, kind, indexed, declared)
    p.raise_if_any()
    return Profile(
        name=name,
        model=device["model"],
        kind=kind,
        manufacturer=device["manufacturer"],
        source=device["source"],
        points=tuple(points),
        baudrate=int(baud or 9600),
        parity=device.get("parity", "N"),
        stopbits=stopbits,
        max_read_registers=int(max_read or 64),
        read_gap=int(read_gap or 0),
        max_write_coils=int(max_write_coils or 1),
        lease=lease,
        comm_watchdog=watchdog,
        description=str(device.get("description", "")),
        _by_name={pt.name: pt for pt in points},
    )


def load_profile(path: Path) -> Profile:
    """Load and validate one profile file; the profile's name is the file stem."""
    try:
        # utf-8-sig: a leading byte-order mark (Windows editors write one) is no statement
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ProfileError(f"cannot read profile {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ProfileError(
            f"{path.name}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at line {line}); "
            "save the file as UTF-8"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path.name}: not valid TOML: {exc}") from exc
    except RecursionError as exc:  # the parser recurses into nested arrays
        raise ProfileError(f"{path.name}: arrays or tables nested too deep") from exc
    except ValueError as exc:  # an integer of more than 4300 digits
        raise ProfileError(f"{path.name}: not valid TOML: {str(exc).split(':')[0]}") from exc
    return _parse(path.stem, path.name, data)


class ProfileLibrary:
    """Profiles by name: the shipped ones plus those in extra directories (site-specific)."""

    def __init__(self, profiles: Iterable[Profile]) -> None:
        self._profiles = {pr.name: pr for pr in profiles}

    @classmethod
    def load(cls, *extra_dirs: Path) -> ProfileLibrary:
        """Shipped profiles, then each extra directory (a later file overrides by name)."""
        profiles: dict[str, Profile] = {}
        for directory in (BUILTIN_PROFILE_DIR, *extra_dirs):
            for path in sorted(directory.glob("*.toml")):
                profiles[path.stem] = load_profile(path)
        return cls(profiles.values())

    def __contains__(self, name: object) -> bool:
        return name in self._profiles

    def __getitem__(self, name: str) -> Profile:
        return self._profiles[name]

    def names(self) -> list[str]:
        return sorted(self._profiles)
