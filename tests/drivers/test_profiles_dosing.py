"""The multi-channel dosing station's pump profile (ProMinent DULCO flex Control DFXa)."""

from __future__ import annotations

import pytest

from drivers.codec import decode, encode
from drivers.profile import ProfileLibrary


def test_dfxa_is_an_injector_with_a_writable_rate_run_and_a_litre_counter() -> None:
    pump = ProfileLibrary.load()["prominent-dulco-flex-dfxa"]
    assert pump.kind == "injector"
    assert pump.point("run").writable and pump.point("rate_setpoint").writable
    setpoint = pump.point("rate_setpoint")
    assert (setpoint.address, setpoint.unit) == (1211, "L/h")
    assert decode(setpoint, encode(setpoint, 12.5)) == pytest.approx(12.5)
    counter = pump.point("dosed_volume")
    assert (counter.address, counter.unit, counter.writable) == (1034, "L", False)
    # 1 L/h high word first: 0x3F80 0x0000
    assert decode(counter, [0x3F80, 0x0000]) == pytest.approx(1.0)
    assert not pump.has_point("rate")  # not in the manual's pages read: left out


def test_dfxa_serial_line_is_the_manuals_19200_8e1() -> None:
    pump = ProfileLibrary.load()["prominent-dulco-flex-dfxa"]
    assert (pump.baudrate, pump.parity, pump.stopbits) == (19200, "E", 1)
