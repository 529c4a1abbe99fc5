"""The references between a site file's sections, checked on its raw data: the one rule for
them, whether or not the file's types and ranges passed, so that every problem is listed at
once.

A site file whose values fail the schema (a negative flow, a number given as text) never
becomes a typed model, so the cross-checks of :mod:`controller.config.site` cannot run on it;
the references do not depend on those values, and are checked here on the parsed TOML as it
is, for a valid file as for an invalid one (the cross-checks then take each device's profile
as found here, silently):

* ``devices[i].bus`` names a bus, ``devices[i].profile`` a known device profile;
* each zone's ``crop`` and ``soil`` are in the libraries (:mod:`models.crops`,
  :mod:`models.soils`), ``crops.<crop>`` too;
* every device a zone, the head, the weather or the fertigation (its channels too) names
  exists, and is of the kind its role needs (its profile's kind) when its profile is known:
  the outputs (``DEVICE.POINT``) a relay, a zone's probes soil probes, a flow meter a
  ``flow_meter`` or a ``[[pulse_meters]]`` entry, ``head.filter_dp`` any device (the point it
  needs is the cross-checks').

A reference whose own key failed the schema is left out (it is reported already), and so is
anything not of the shape the schema wants (a zone that is not a table, a name that is not
text): half-valid input is read, never raised on. What needs the valid values themselves
(bus timeout budgets, leases, roles used twice, the water's salt against the crops) waits
until they are fixed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from controller.config.site_messages import MESSAGES
from controller.errors import CodedProblem
from drivers.profile import ProfileLibrary
from models.crops import crop_keys
from models.soils import texture_keys

__all__ = ["References", "reference_problems"]


@dataclass
class References:
    """The problems found (lines naming key path and file) and those the pages can say."""

    source: str
    problems: list[str] = field(default_factory=list)
    coded: list[CodedProblem] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message} ({self.source})")

    def say(self, path: str, code: str, **values: str) -> None:
        self.add(path, MESSAGES[code].format(**values))
        self.coded.append(CodedProblem(self.problems[-1], code, values))


def reference_problems(
    data: dict[str, Any],
    library: ProfileLibrary | None,
    source: str,
    failed: Collection[str],
) -> References:
    """The reference problems of the site ``data`` (module docstring); ``failed``: the key
    paths the schema refused (``zones[1].valve``); ``library`` None: kinds not checked."""
    found = References(source)
    checker = _Refs(data, library, found, set(failed))
    checker.devices()
    checker.zones()
    checker.others()
    return found


def _tables(value: object) -> Iterator[tuple[int, dict[str, Any]]]:
    """The tables of an array of tables, by index; anything else gives none."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def _names(value: object) -> set[str]:
    """The text ``name`` of each table of an array of tables."""
    return {t["name"] for _, t in _tables(value) if isinstance(t.get("name"), str)}


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Refs:
    def __init__(
        self,
        data: dict[str, Any],
        library: ProfileLibrary | None,
        found: References,
        failed: set[str],
    ) -> None:
        self.data, self.library, self.found, self.failed = data, library, found, failed
        self.kinds: dict[str, str | None] = {}  # device -> its profile's kind (None: unknown)
        self.pulse_meters = _names(data.get("pulse_meters"))

    def _text(self, table: dict[str, Any], key: str, path: str) -> str | None:
        """``table[key]`` when it is text the schema did not refuse."""
        value = table.get(key)
        return value if isinstance(value, str) and path not in self.failed else None

    def devices(self) -> None:
        buses = _names(self.data.get("buses"))
        for i, d in _tables(self.data.get("devices")):
            name = d.get("name")
            bus = self._text(d, "bus", f"devices[{i}].bus")
            if bus is not None and bus not in buses:
                self.found.add(f"devices[{i}].bus", f"unknown bus {bus!r}")
            profile = self._text(d, "profile", f"devices[{i}].profile")
            kind = None
            if profile is not None and self.library is not None:
                if profile in self.library:
                    kind = self.library[profile].kind
                else:
                    known = ", ".join(self.library.names())
                    self.found.add(
                        f"devices[{i}].profile", f"unknown profile {profile!r} (known: {known})"
                    )
            if isinstance(name, str):
                self.kinds.setdefault(name, kind)

    def device(self, table: dict[str, Any], key: str, path: str, kinds: tuple[str, ...]) -> None:
        """``table[key]`` names a device of one of ``kinds``, any kind when none (a flow meter
        may be a pulse meter; an output is ``DEVICE.POINT``)."""
        name = self._text(table, key, path)
        if name is None:
            return
        if "relay" in kinds:
            name = name.partition(".")[0]
        if "flow_meter" in kinds and name in self.pulse_meters:
            return
        if name not in self.kinds:
            self.found.add(path, f"unknown device {name!r}")
            return
        kind = self.kinds[name]
        if kind is not None and kinds and kind not in kinds:
            self.found.add(path, f"device {name!r} is a {kind}, expected {' or '.join(kinds)}")

    def zones(self) -> None:
        crops, soils = crop_keys(), texture_keys()
        for i, z in _tables(self.data.get("zones")):
            zone = str(z.get("name", f"zones[{i}]"))
            crop = self._text(z, "crop", f"zones[{i}].crop")
            if crop is not None and crop not in crops:
                known = ", ".join(crops)
                self.found.say(
                    f"zones[{i}].crop", "zone.unknown_crop", zone=zone, crop=crop, crops=known
                )
            soil = self._text(z, "soil", f"zones[{i}].soil")
            if soil is not None and soil not in soils:
                known = ", ".join(soils)
                self.found.say(
                    f"zones[{i}].soil", "zone.unknown_soil", zone=zone, soil=soil, soils=known
                )
            self.device(z, "valve", f"zones[{i}].valve", ("relay",))
            self.device(z, "flow_meter", f"zones[{i}].flow_meter", ("flow_meter",))
            for j, probe in _tables(z.get("probes")):
                path = f"zones[{i}].probes[{j}].device"
                self.device(probe, "device", path, ("soil_probe",))
        for key in _table(self.data.get("crops")):
            if key not in crops:
                self.found.say(
                    f"crops.{key}", "crops.unknown_crop", crop=key, crops=", ".join(crops)
                )

    def others(self) -> None:
        head = _table(self.data.get("head"))
        for key in ("pump", "master_valve", "backflush_valve"):
            self.device(head, key, f"head.{key}", ("relay",))
        self.device(head, "flow_meter", "head.flow_meter", ("flow_meter",))
        self.device(head, "pressure", "head.pressure", ("pressure",))
        self.device(head, "pressure_before_filter", "head.pressure_before_filter", ("pressure",))
        self.device(head, "filter_dp", "head.filter_dp", ())
        weather = _table(self.data.get("weather"))
        self.device(weather, "station", "weather.station", ("weather_station",))
        f = _table(self.data.get("fertigation"))
        for key, kind in (
            ("ec_meter", "ec_meter"),
            ("ph_meter", "ph_meter"),
            ("injector", "injector"),
            ("injector_power", "relay"),
        ):
            self.device(f, key, f"fertigation.{key}", (kind,))
        for i, tank in _tables(f.get("tanks")):
            path = f"fertigation.tanks[{i}].level"
            self.device(tank, "level", path, ("tank_level",))
        for i, ch in _tables(f.get("channels")):
            path = f"fertigation.channels[{i}]"
            self.device(ch, "injector", f"{path}.injector", ("injector",))
            self.device(ch, "power", f"{path}.power", ("relay",))
            self.device(ch, "tank_level", f"{path}.tank_level", ("tank_level",))
