"""The bridge between a pymodbus server and the simulated devices of one endpoint.

pymodbus calls ``async_getValues`` / ``async_setValues`` on a
``ModbusServerContext`` subclass flagged ``old_simulator`` (with no
``simdevices``). Here they route by unit id to a :class:`VirtualDevice`:
an unknown unit raises ``NoSuchIdException``, which the server (built with
``ignore_missing_devices=True``) answers with silence, as an absent unit on
an RS485 bus; an injected ``no_answer`` fault does the same; an exception
becomes an exception response; a ``slow`` fault delays the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException

from drivers.profile import Table
from drivers.sim.device import VirtualDevice
from drivers.sim.faults import ExceptionAnswer, NoAnswer

__all__ = ["SimContext"]

# Function code -> table. Writes read back (5, 6, 15, 16), mask write (22) reads then
# writes, read/write multiple (23) does both.
_WRITE_TABLES = {
    5: Table.COIL,
    15: Table.COIL,
    6: Table.HOLDING,
    16: Table.HOLDING,
    22: Table.HOLDING,
    23: Table.HOLDING,
}
_READ_TABLES = {1: Table.COIL, 2: Table.DISCRETE, 3: Table.HOLDING, 4: Table.INPUT} | _WRITE_TABLES


def unit_map(devices: Iterable[VirtualDevice]) -> dict[int, VirtualDevice]:
    """Devices by unit id; ``ValueError`` naming both devices on a duplicate."""
    units: dict[int, VirtualDevice] = {}
    for dev in devices:
        other = units.get(dev.unit)
        if other is not None:
            raise ValueError(f"unit id {dev.unit} used by both {other.name!r} and {dev.name!r}")
        units[dev.unit] = dev
    return units


class SimContext(ModbusServerContext):
    """All devices answering on one endpoint, by unit id."""

    def __init__(self, devices: Iterable[VirtualDevice]) -> None:
        # The base constructor builds pymodbus' own datastore; this context replaces it.
        self.old_simulator = True
        self.simdevices = []
        self.units = unit_map(devices)

    def _device(self, device_id: int) -> VirtualDevice:
        dev = self.units.get(device_id)
        if dev is None:
            raise NoSuchIdException(f"no simulated unit {device_id}")
        return dev

    async def async_getValues(
        self, device_id: int, func_code: int, address: int, count: int = 1
    ) -> list[int] | list[bool] | ExcCodes:
        dev = self._device(device_id)
        table = _READ_TABLES.get(func_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        await _delay(dev.answer_delay_s(table, address, count))
        try:
            words = dev.read(table, address, count)
        except NoAnswer as exc:
            raise NoSuchIdException(f"unit {device_id} silent (fault)") from exc
        except ExceptionAnswer as exc:
            return exc.code
        return [bool(w) for w in words] if table.is_bit else words

    async def async_setValues(
        self,
        device_id: int,
        func_code: int,
        address: int,
        values: Sequence[int] | Sequence[bool],
    ) -> ExcCodes | None:
        dev = self._device(device_id)
        table = _WRITE_TABLES.get(func_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        await _delay(dev.answer_delay_s(table, address, len(values)))
        try:
            dev.write(table, address, [int(v) for v in values])
        except NoAnswer as exc:
            raise NoSuchIdException(f"unit {device_id} silent (fault)") from exc
        except ExceptionAnswer as exc:
            return exc.code
        return None

    async def write_coil_raw(self, device_id: int, address: int, value: int) -> ExcCodes | None:
        """Function 05 with its raw value (see :class:`drivers.sim.pdu.RawWriteSingleCoil`)."""
        dev = self._device(device_id)
        await _delay(dev.answer_delay_s(Table.COIL, address, 1))
        try:
            dev.write_coil_raw(address, value)
        except NoAnswer as exc:
            raise NoSuchIdException(f"unit {device_id} silent (fault)") from exc
        except ExceptionAnswer as exc:
            return exc.code
        return None

    def device_ids(self) -> list[int]:
        """The unit ids served; pymodbus calls this to deliver a broadcast (unit 0) to each."""
        return sorted(self.units)


async def _delay(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)
