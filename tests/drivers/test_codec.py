"""Codec: encode/decode round trips for every type and word order, and read planning."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.codec import decode, encode, plan_reads
from drivers.errors import DecodeError
from drivers.profile import DataType, Point, Table, WordOrder

INT_RANGES = {
    DataType.UINT16: (0, 0xFFFF),
    DataType.INT16: (-0x8000, 0x7FFF),
    DataType.UINT32: (0, 0xFFFF_FFFF),
    DataType.INT32: (-0x8000_0000, 0x7FFF_FFFF),
}


def _point(
    dtype: DataType,
    order: WordOrder = WordOrder.BIG,
    *,
    address: int = 0,
    table: Table = Table.HOLDING,
    scale: float = 1.0,
    offset: float = 0.0,
    name: str = "p",
) -> Point:
    return Point(
        name=name,
        table=table,
        address=address,
        type=dtype,
        word_order=order,
        scale=scale,
        offset=offset,
    )


@st.composite
def _int_case(draw: st.DrawFn) -> tuple[Point, int]:
    dtype = draw(st.sampled_from(list(INT_RANGES)))
    order = draw(st.sampled_from(list(WordOrder)))
    lo, hi = INT_RANGES[dtype]
    return _point(dtype, order), draw(st.integers(lo, hi))


@given(_int_case())
def test_integer_round_trip_every_type_and_word_order(case: tuple[Point, int]) -> None:
    point, raw = case
    regs = encode(point, raw)
    assert len(regs) == point.width
    assert all(0 <= r <= 0xFFFF for r in regs)
    assert decode(point, regs) == raw


@given(
    st.sampled_from(list(WordOrder)),
    st.floats(width=32, allow_nan=False, allow_infinity=False),
)
def test_float32_round_trip_both_word_orders(order: WordOrder, value: float) -> None:
    point = _point(DataType.FLOAT32, order)
    assert decode(point, encode(point, value)) == value


@given(
    st.sampled_from(list(INT_RANGES)),
    st.sampled_from([0.1, 0.01, 0.001, 10.0]),
    st.sampled_from([0.0, -40.0, 273.15]),
    st.data(),
)
def test_scaled_round_trip_within_half_a_step(
    dtype: DataType, scale: float, offset: float, data: st.DataObject
) -> None:
    point = _point(dtype, scale=scale, offset=offset)
    lo, hi = INT_RANGES[dtype]
    raw = data.draw(st.integers(lo, hi))
    value = raw * scale + offset
    assert decode(point, encode(point, value)) == pytest.approx(value, abs=scale / 2 + 1e-6)


@given(st.booleans())
def test_bool_round_trip(value: bool) -> None:
    point = _point(DataType.BOOL, table=Table.COIL)
    assert decode(point, encode(point, value)) == float(value)


def test_word_orders_differ_only_in_word_sequence() -> None:
    big = encode(_point(DataType.UINT32, WordOrder.BIG), 0x12345678)
    little = encode(_point(DataType.UINT32, WordOrder.LITTLE), 0x12345678)
    assert big == [0x1234, 0x5678]
    assert little == [0x5678, 0x1234]


def test_float32_low_word_first_known_value() -> None:
    bits = int.from_bytes(struct.pack(">f", 12.5), "big")  # 0x41480000
    point = _point(DataType.FLOAT32, WordOrder.LITTLE)
    assert encode(point, 12.5) == [bits & 0xFFFF, bits >> 16] == [0x0000, 0x4148]
    assert decode(point, [0x0000, 0x4148]) == 12.5


def test_encode_refuses_out_of_range_and_non_finite() -> None:
    with pytest.raises(DecodeError):
        encode(_point(DataType.UINT16), 70000)
    with pytest.raises(DecodeError):
        encode(_point(DataType.INT16), -40000)
    with pytest.raises(DecodeError):
        encode(_point(DataType.FLOAT32), math.inf)


def test_decode_refuses_wrong_count_bad_register_and_nan() -> None:
    with pytest.raises(DecodeError, match="expected 2 registers"):
        decode(_point(DataType.INT32), [1])
    with pytest.raises(DecodeError, match="outside"):
        decode(_point(DataType.UINT16), [0x10000])
    with pytest.raises(DecodeError, match="finite"):
        decode(_point(DataType.FLOAT32), [0x7FC0, 0x0000])


# --- plan_reads ----------------------------------------------------------------------------


def _u16(address: int, table: Table = Table.HOLDING) -> Point:
    return _point(DataType.UINT16, address=address, table=table, name=f"r{address}")


def test_adjacent_points_merge_into_one_read() -> None:
    pts = [_u16(0), _u16(1), _point(DataType.FLOAT32, address=2, name="f"), _u16(4)]
    blocks = plan_reads(pts, max_registers=64)
    assert [(b.table, b.start, b.count) for b in blocks] == [(Table.HOLDING, 0, 5)]
    assert len(blocks[0].points) == 4


def test_gap_larger_than_allowed_splits_and_smaller_gap_merges() -> None:
    pts = [_u16(0), _u16(5)]
    assert [(b.start, b.count) for b in plan_reads(pts, 64, max_gap=0)] == [(0, 1), (5, 1)]
    assert [(b.start, b.count) for b in plan_reads(pts, 64, max_gap=3)] == [(0, 1), (5, 1)]
    assert [(b.start, b.count) for b in plan_reads(pts, 64, max_gap=4)] == [(0, 6)]


def test_max_read_registers_is_respected() -> None:
    pts = [_u16(a) for a in range(10)]
    blocks = plan_reads(pts, max_registers=4)
    assert [(b.start, b.count) for b in blocks] == [(0, 4), (4, 4), (8, 2)]
    assert all(b.count <= 4 for b in blocks)


def test_32_bit_point_is_never_split_across_blocks() -> None:
    pts = [_u16(0), _u16(1), _point(DataType.INT32, address=2, name="i")]
    blocks = plan_reads(pts, max_registers=3)
    assert [(b.start, b.count) for b in blocks] == [(0, 2), (2, 2)]


def test_tables_are_planned_separately_in_table_order() -> None:
    pts = [_u16(0, Table.INPUT), _u16(1, Table.HOLDING), _point(DataType.BOOL, table=Table.COIL)]
    blocks = plan_reads(pts, 64)
    assert [b.table for b in blocks] == [Table.COIL, Table.INPUT, Table.HOLDING]


def test_bit_tables_allow_sixteen_bits_per_register() -> None:
    coils = [_point(DataType.BOOL, table=Table.COIL, address=a, name=f"c{a}") for a in range(20)]
    blocks = plan_reads(coils, max_registers=1)
    assert [(b.start, b.count) for b in blocks] == [(0, 16), (16, 4)]


@given(
    st.lists(st.integers(0, 200), min_size=1, max_size=40, unique=True),
    st.integers(1, 20),
    st.integers(0, 5),
)
def test_plan_covers_every_point_within_limits(
    addresses: list[int], max_registers: int, gap: int
) -> None:
    pts = [_u16(a) for a in addresses]
    blocks = plan_reads(pts, max_registers, gap)
    planned = [p for b in blocks for p in b.points]
    assert sorted(p.address for p in planned) == sorted(addresses)
    for b in blocks:
        assert b.count <= max_registers
        assert all(b.start <= p.address and p.end <= b.start + b.count for p in b.points)
