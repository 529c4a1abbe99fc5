"""Fuzzing the decoder: any registers or bytes, for every point of every bundled profile.

Whatever a device sends, decoding gives a finite number or a :class:`DecodeError`; a poll
through the bus owner gives every point a reading, with a value only when it decoded
inside the point's range, from the registers of the answer to the read that was asked.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymodbus.pdu import ExceptionResponse, ModbusPDU
from pymodbus.pdu.bit_message import ReadCoilsResponse, ReadDiscreteInputsResponse
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersResponse,
    ReadInputRegistersResponse,
)

from drivers.bus import Bus, DeviceRef
from drivers.codec import decode, encode, plan_reads
from drivers.errors import DecodeError
from drivers.profile import DataType, Point, Profile, ProfileLibrary, Table, WordOrder
from drivers.reading import Quality
from drivers.transport import BusSettings
from tests.helpers.clock import FakeClock
from tests.helpers.figures import Figures

LIB = ProfileLibrary.load()
PROFILES = [LIB[name] for name in LIB.names()]
# Every point of the profiles, and one of each type and word order (scaled, with a sentinel).
POINTS = [pt for profile in PROFILES for pt in profile.points] + [
    Point(f"{t}_{o}", Table.HOLDING, 0, t, o, scale=0.1, offset=-40, sentinels=(0x7FFF,))
    for t in DataType
    for o in WordOrder
]
# A type first, then a point of it: the few float32 points are drawn as often as the rest.
points = st.sampled_from(list(DataType)).flatmap(
    lambda t: st.sampled_from([pt for pt in POINTS if pt.type is t])
)
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Registers as a device may send them, and as no device can (negative, past 16 bits).
register = st.one_of(
    st.integers(0, 0xFFFF),
    st.sampled_from([0, 0xFFFF, 0x7FFF, 0x8000, 0x7F80, 0xFF80, 0x7FC0]),  # 0x7F80…: inf/NaN
    st.integers(-(2**20), 2**20),
)


@st.composite
def point_and_registers(draw: st.DrawFn, word: st.SearchStrategy[int]) -> tuple[Point, list[int]]:
    """A point and registers for it: mostly as many as it occupies, sometimes any number."""
    point = draw(points)
    if point.sentinels and point.type is not DataType.BOOL and draw(st.booleans()):
        whole = draw(st.sampled_from(point.sentinels))  # the device's "error" value
        words = [whole] if point.width == 1 else [whole >> 16, whole & 0xFFFF]
        return point, words if point.word_order is WordOrder.BIG else words[::-1]
    size = draw(st.sampled_from([point.width] * 3 + [0, 1, 2, 3]))
    return point, draw(st.lists(word, min_size=size, max_size=size))


def _expect_refused(point: Point, regs: list[int]) -> bool:
    """The decoder's contract, written out: when must these registers be refused?"""
    if len(regs) != point.width:
        return True
    if point.type is DataType.BOOL:
        return False
    if any(not 0 <= r <= 0xFFFF for r in regs):
        return True  # no 16-bit register holds that
    words = regs if point.word_order is WordOrder.BIG else regs[::-1]
    whole = int.from_bytes(struct.pack(f">{len(words)}H", *words), "big")
    if whole in point.sentinels:
        return True  # the device's own "error" value
    if point.type is DataType.FLOAT32:
        return not math.isfinite(struct.unpack(">f", whole.to_bytes(4, "big"))[0])
    return False


def _word(raw: bytes) -> int:
    """A 16-bit register from two bytes off the wire (big-endian)."""
    return int.from_bytes(raw, "big")


def _decodes_or_refuses(point: Point, regs: list[int]) -> float | None:
    """decode(), asserting it gives a finite number or a DecodeError, nothing else."""
    try:
        value = decode(point, regs)
    except DecodeError:
        return None
    assert math.isfinite(value)
    return value


@given(case=point_and_registers(register))
@FUZZ
def test_any_register_list_decodes_to_a_finite_number_or_a_decode_error(
    case: tuple[Point, list[int]], figures: Figures
) -> None:
    figures.add("modbus_fuzz_cases")
    point, regs = case
    assert (_decodes_or_refuses(point, regs) is None) == _expect_refused(point, regs)


@given(case=point_and_registers(st.binary(min_size=2, max_size=2).map(_word)))
@FUZZ
def test_any_bytes_decode_or_are_refused_only_for_a_reason(
    case: tuple[Point, list[int]], figures: Figures
) -> None:
    figures.add("modbus_fuzz_cases")
    point, regs = case  # registers made of any two bytes each, as they come off the wire
    assert (_decodes_or_refuses(point, regs) is None) == _expect_refused(point, regs)


@given(
    point=st.sampled_from([pt for pt in POINTS if pt.writable]),
    value=st.floats() | st.integers(-(2**40), 2**40),
)
@FUZZ
def test_any_value_encodes_to_registers_of_the_point_or_a_decode_error(
    point: Point, value: float, figures: Figures
) -> None:
    figures.add("modbus_fuzz_cases")
    try:
        regs = encode(point, value)
    except DecodeError:
        return
    assert len(regs) == point.width
    assert all(isinstance(r, int) and 0 <= r <= 0xFFFF for r in regs)


# -- through the bus owner: answers of any shape ---------------------------------------------

_ANSWERS: dict[str, type[ModbusPDU]] = {
    "holding": ReadHoldingRegistersResponse,
    "input": ReadInputRegistersResponse,
    "coil": ReadCoilsResponse,
    "discrete": ReadDiscreteInputsResponse,
}


@st.composite
def answers(draw: st.DrawFn) -> ModbusPDU:
    """A pymodbus answer of any read function (or an exception), with any content."""
    kind = draw(st.sampled_from([*_ANSWERS, "exception"]))
    if kind == "exception":
        return ExceptionResponse(draw(st.integers(1, 4)), draw(st.integers(0, 255)))
    if kind in ("coil", "discrete"):
        return _ANSWERS[kind](bits=draw(st.lists(st.booleans(), max_size=40)))
    return _ANSWERS[kind](registers=draw(st.lists(register, max_size=40)))


class ScriptedClient:
    """A pymodbus client whose every read returns the next scripted answer."""

    def __init__(self, script: list[ModbusPDU]) -> None:
        self.script = script

    def _next(self, *_args: Any, **_kw: Any) -> ModbusPDU:
        return self.script.pop(0) if self.script else ExceptionResponse(3, 4)

    read_coils = read_discrete_inputs = read_holding_registers = read_input_registers = _next

    def close(self) -> None:
        pass


@given(profile=st.sampled_from(PROFILES), script=st.lists(answers(), max_size=6))
@FUZZ
def test_a_poll_of_any_answers_flags_every_point_it_cannot_trust(
    profile: Profile, script: list[ModbusPDU], figures: Figures
) -> None:
    figures.add("modbus_fuzz_cases")
    clock = FakeClock()
    bus = Bus(
        BusSettings("fuzz", "tcp", host="127.0.0.1"),
        [DeviceRef("dev", 7, profile)],
        client=ScriptedClient(list(script)),  # type: ignore[arg-type]
        now=lambda: datetime(2026, 5, 1, tzinfo=UTC),
        monotonic=clock,
        sleep=clock.sleep,
    )
    readings, raws = bus.read_points("dev")

    blocks = plan_reads(profile.points, profile.max_read_registers, profile.read_gap)
    planned = [(i, block, pt) for i, block in enumerate(blocks) for pt in block.points]
    assert [r.point for r in readings] == [pt.name for _, _, pt in planned]
    for reading, (i, block, pt) in zip(readings, planned, strict=True):
        assert (reading.value is None) == (reading.quality is not Quality.OK)
        if reading.quality is Quality.OK:
            # an answer of the function read, of the right length, in range
            assert type(script[i]) is _ANSWERS[block.table.value]
            regs = raws[i].values[pt.address - block.start : pt.end - block.start]
            assert reading.value == decode(pt, regs)
            assert reading.value is not None and math.isfinite(reading.value)
            assert pt.min is None or reading.value >= pt.min
            assert pt.max is None or reading.value <= pt.max
