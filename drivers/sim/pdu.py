"""Server-side request classes that answer like the real devices do.

pymodbus' own write-single-coil request turns its 16-bit value into a bool,
which loses the on-time of a relay's "flash on" command (function 05 to
``lease.address_offset + channel``, value = time in ``unit_s`` steps). And its
write-single requests answer with the value read back after the write, while
a device echoes the request, so a stuck output would look like a bad frame.
These classes keep the raw value and echo the request.
"""

from __future__ import annotations

import struct

from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.pdu import ExceptionResponse, ModbusPDU
from pymodbus.pdu.register_message import WriteSingleRegisterResponse

from drivers.sim.context import SimContext

__all__ = ["RawWriteSingleCoil", "WriteSingleRegisterEcho"]


class RawWriteSingleCoil(ModbusPDU):
    """Function 05 keeping its raw value: 0xFF00 on, 0x0000 off, else a flash-on time."""

    function_code = 5
    rtu_frame_size = 8

    def __init__(
        self, address: int = 0, value: int = 0, dev_id: int = 0, transaction_id: int = 0
    ) -> None:
        super().__init__(dev_id=dev_id, transaction_id=transaction_id, address=address)
        self.value = value
        self.bits = [value == 0xFF00]

    def encode(self) -> bytes:
        return struct.pack(">HH", self.address, self.value)

    def decode(self, data: bytes) -> None:
        self.address, self.value = struct.unpack(">HH", data[:4])
        self.bits = [self.value == 0xFF00]

    async def datastore_update(self, context: ModbusServerContext, device_id: int) -> ModbusPDU:
        if not isinstance(context, SimContext):
            return ExceptionResponse(self.function_code, ExcCodes.ILLEGAL_FUNCTION)
        if rc := await context.write_coil_raw(device_id, self.address, self.value):
            return ExceptionResponse(self.function_code, rc)
        return RawWriteSingleCoil(self.address, self.value, self.dev_id, self.transaction_id)


class WriteSingleRegisterEcho(ModbusPDU):
    """Function 06 answered by echoing the request, as devices do."""

    function_code = 6
    rtu_frame_size = 8

    def encode(self) -> bytes:
        return struct.pack(">HH", self.address, self.registers[0])

    def decode(self, data: bytes) -> None:
        self.address, register = struct.unpack(">HH", data[:4])
        self.registers = [register]

    async def datastore_update(self, context: ModbusServerContext, device_id: int) -> ModbusPDU:
        if rc := await context.async_setValues(
            device_id, self.function_code, self.address, self.registers
        ):
            return ExceptionResponse(self.function_code, rc)
        return WriteSingleRegisterResponse(
            address=self.address,
            registers=list(self.registers),
            dev_id=self.dev_id,
            transaction_id=self.transaction_id,
        )
