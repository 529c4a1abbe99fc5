"""RTU on a serial line: the simulator on one end of a socat pty pair, a client on the other."""

from __future__ import annotations

import pytest
from pymodbus.exceptions import ModbusIOException

from drivers.codec import encode
from drivers.profile import ProfileLibrary
from drivers.sim import Endpoint, SimServer, VirtualDevice
from drivers.sim.pdu import RawWriteSingleCoil
from tests.helpers.modbus import ClientFactory

LIB = ProfileLibrary.load()
PROBE = LIB["renke-rs-ecth-n01"]
RELAY = LIB["waveshare-relay-8ch"]


def test_rtu_over_a_pty_pair(pty_pair: tuple[str, str], modbus_client: ClientFactory) -> None:
    sim_end, client_end = pty_pair
    probe = VirtualDevice("probe1a", 21, PROBE)
    relay = VirtualDevice("relay1", 1, RELAY)
    probe.set("moisture", 31.5)
    probe.set("temperature", -4.2)
    with SimServer(Endpoint("rtu", serial_port=sim_end), [probe, relay]):
        client = modbus_client(client_end, "rtu")
        rr = client.read_holding_registers(0, count=3, device_id=21)
        assert not rr.isError()
        assert rr.registers[:2] == [
            *encode(PROBE.point("moisture"), 31.5),
            *encode(PROBE.point("temperature"), -4.2),
        ]
        with pytest.raises(ModbusIOException):
            client.read_holding_registers(0, count=1, device_id=22)  # nobody at unit 22
        client.register(RawWriteSingleCoil)
        offset = RELAY.lease.address_offset if RELAY.lease else 0
        rr = client.execute(False, RawWriteSingleCoil(offset + 4, 600, dev_id=1))
        assert isinstance(rr, RawWriteSingleCoil) and rr.value == 600
        assert client.read_coils(0, count=8, device_id=1).bits[4] is True
        assert 59 < (relay.lease_remaining_s("ch5") or 0) <= 60
