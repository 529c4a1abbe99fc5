"""The site's buses: one :class:`drivers.bus.Bus` owner per configured bus.

Reads of different buses run in parallel (each bus is its own physical
line); reads on one bus are serialised by its owner.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from controller.config.site import SiteConfig
from drivers.bus import Bus, RawBlock
from drivers.reading import Reading

__all__ = ["DevicePoll", "FieldIO"]


@dataclass(frozen=True, slots=True)
class DevicePoll:
    """Everything one poll of one device produced."""

    bus: str
    device: str
    unit: int
    readings: list[Reading]
    raw: list[RawBlock]


class FieldIO:
    """Owns every bus of a site; close it to release ports and sockets."""

    def __init__(self, site: SiteConfig, buses: dict[str, Bus] | None = None) -> None:
        self.site = site
        self.buses = (
            buses
            if buses is not None
            else {b.name: Bus(b.settings(), site.devices_on(b.name)) for b in site.buses}
        )
        self._bus_of = {d.name: d.bus for d in site.devices}

    def bus_of(self, device: str) -> Bus:
        return self.buses[self._bus_of[device]]

    def poll(self, devices: Iterable[str] | None = None) -> list[DevicePoll]:
        """Read every point of ``devices`` (default all), buses in parallel; config order kept."""
        wanted = list(devices) if devices is not None else [d.name for d in self.site.devices]
        per_bus: dict[str, list[str]] = {}
        for name in wanted:
            per_bus.setdefault(self._bus_of[name], []).append(name)

        def poll_bus(bus_name: str) -> list[DevicePoll]:
            bus = self.buses[bus_name]
            out = []
            for name in per_bus[bus_name]:
                readings, raw = bus.read_points(name)
                out.append(DevicePoll(bus_name, name, bus.devices[name].unit, readings, raw))
            return out

        with ThreadPoolExecutor(max_workers=max(1, len(per_bus))) as pool:
            results = [p for chunk in pool.map(poll_bus, per_bus) for p in chunk]
        order = {name: i for i, name in enumerate(wanted)}
        return sorted(results, key=lambda p: order[p.device])

    def health(self) -> dict[str, dict[str, dict[str, object]]]:
        return {name: bus.health_report() for name, bus in self.buses.items()}

    def close(self) -> None:
        for bus in self.buses.values():
            bus.close()

    def __enter__(self) -> FieldIO:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
