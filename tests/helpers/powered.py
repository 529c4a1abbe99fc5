"""A simulated dosing pump whose Modbus side is fed by its supply relay, with its writes kept.

:func:`powered_by` makes a served device silent (no answer, as a pump without power) while a
relay coil is off, and keeps every point written to it while powered, in order: the order of
the box's writes as the pump saw them.
"""

from __future__ import annotations

from collections.abc import Sequence

from drivers.profile import Table
from drivers.sim import VirtualDevice
from drivers.sim.faults import NoAnswer

__all__ = ["powered_by"]


def powered_by(device: VirtualDevice, relay: VirtualDevice, coil: str) -> list[tuple[str, float]]:
    """``device`` answers only while ``relay``'s ``coil`` is on; returns the list its writes
    go to, each as ``(point, value)``: the point a write starts at and the value it then
    holds (in the point's units)."""
    written: list[tuple[str, float]] = []
    read, write = device.read, device.write

    def powered() -> None:
        if not relay.get(coil):
            raise NoAnswer(f"{device.name}: unpowered ({relay.name}.{coil} off)")

    def read_powered(table: Table, address: int, count: int) -> list[int]:
        powered()
        return read(table, address, count)

    def write_powered(table: Table, address: int, values: Sequence[int]) -> None:
        powered()
        write(table, address, values)
        for point in device.profile.points:
            if point.table is table and point.address == address:
                written.append((point.name, device.get(point.name)))

    device.read = read_powered  # type: ignore[method-assign]
    device.write = write_powered  # type: ignore[method-assign]
    return written
