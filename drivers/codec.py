"""Decoding registers into values and values into registers, as a profile says.

value = raw × scale + offset; raw = round((value − offset) / scale).
Bytes are big-endian within a 16-bit word (Modbus); the order of the two
words of a 32-bit value is the point's ``word_order``.

Also plans reads: points of one table whose registers are adjacent (or
within the profile's ``read_gap``) are fetched in one transaction of at most
``max_read_registers`` registers.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from drivers.errors import DecodeError
from drivers.profile import DataType, Point, Table, WordOrder

__all__ = ["ReadBlock", "decode", "encode", "plan_reads", "raw_registers"]


@dataclass(frozen=True, slots=True)
class ReadBlock:
    """One read transaction: ``count`` registers (or bits) of ``table`` from ``start``."""

    table: Table
    start: int
    count: int
    points: tuple[Point, ...]


def _words_to_u32(words: Sequence[int], order: WordOrder) -> int:
    hi, lo = (words[0], words[1]) if order is WordOrder.BIG else (words[1], words[0])
    return (hi << 16) | lo


def _u32_to_words(value: int, order: WordOrder) -> list[int]:
    hi, lo = (value >> 16) & 0xFFFF, value & 0xFFFF
    return [hi, lo] if order is WordOrder.BIG else [lo, hi]


def _raw_number(point: Point, regs: Sequence[int]) -> float:
    """The unscaled number held in ``regs`` (already checked for width)."""
    t = point.type
    if t is DataType.UINT16:
        return regs[0]
    if t is DataType.INT16:
        return regs[0] - 0x10000 if regs[0] & 0x8000 else regs[0]
    u32 = _words_to_u32(regs, point.word_order)
    if t is DataType.UINT32:
        return u32
    if t is DataType.INT32:
        return u32 - 0x1_0000_0000 if u32 & 0x8000_0000 else u32
    value: float = struct.unpack(">f", u32.to_bytes(4, "big"))[0]
    return value


def raw_registers(point: Point, regs: Sequence[int]) -> tuple[int, ...]:
    """The registers of ``point`` as a tuple (for display), checking their count."""
    if len(regs) != point.width:
        raise DecodeError(f"{point.name}: expected {point.width} registers, got {len(regs)}")
    return tuple(int(r) for r in regs)


def decode(point: Point, regs: Sequence[int] | Sequence[bool]) -> float:
    """Decode ``point`` from its registers (or its bit) into engineering units.

    Raises :class:`DecodeError` for a wrong register count, a register out of
    0..65535, a raw value listed as an error sentinel, or a NaN/Inf float.
    Range checking is the caller's (a decoded but out-of-range value is a
    reading of quality ``out_of_range``, not a decode failure).
    """
    if len(regs) != point.width:
        raise DecodeError(f"{point.name}: expected {point.width} registers, got {len(regs)}")
    if point.type is DataType.BOOL:
        return 1.0 if regs[0] else 0.0
    for r in regs:
        if not 0 <= int(r) <= 0xFFFF:
            raise DecodeError(f"{point.name}: register value {r} outside 0..65535")
    if point.sentinels:
        whole = regs[0] if point.width == 1 else _words_to_u32(regs, point.word_order)
        if whole in point.sentinels:
            raise DecodeError(f"{point.name}: device reports an error (raw {whole})")
    raw = _raw_number(point, [int(r) for r in regs])
    if not math.isfinite(raw):
        raise DecodeError(f"{point.name}: not a finite number ({raw})")
    return raw * point.scale + point.offset


def encode(point: Point, value: float) -> list[int]:
    """Encode ``value`` (engineering units) into the registers of ``point``.

    Raises :class:`DecodeError` if the value does not fit the type.
    """
    if point.type is DataType.BOOL:
        return [1 if value else 0]
    if not math.isfinite(value):
        raise DecodeError(f"{point.name}: cannot encode {value}")
    scaled = (value - point.offset) / point.scale
    t = point.type
    if not math.isfinite(scaled):
        raise DecodeError(f"{point.name}: {value} does not fit {t.value}")
    if t is DataType.FLOAT32:
        try:
            packed = struct.pack(">f", scaled)
        except OverflowError as exc:  # beyond ±3.4e38
            raise DecodeError(f"{point.name}: {value} does not fit {t.value}") from exc
        return _u32_to_words(int.from_bytes(packed, "big"), point.word_order)
    raw = round(scaled)
    limits = {
        DataType.UINT16: (0, 0xFFFF),
        DataType.INT16: (-0x8000, 0x7FFF),
        DataType.UINT32: (0, 0xFFFF_FFFF),
        DataType.INT32: (-0x8000_0000, 0x7FFF_FFFF),
    }[t]
    if not limits[0] <= raw <= limits[1]:
        raise DecodeError(f"{point.name}: {value} does not fit {t.value}")
    if t is DataType.UINT16 or t is DataType.INT16:
        return [raw & 0xFFFF]
    return _u32_to_words(raw & 0xFFFF_FFFF, point.word_order)


def plan_reads(points: Iterable[Point], max_registers: int, max_gap: int = 0) -> list[ReadBlock]:
    """Group points into as few reads as the device allows.

    Points of the same table are merged while the hole between them is at
    most ``max_gap`` registers and the block stays within ``max_registers``
    (bit tables: 16 × that many bits). Order is by table, then address.
    """
    blocks: list[ReadBlock] = []
    by_table: dict[Table, list[Point]] = {}
    for pt in points:
        by_table.setdefault(pt.table, []).append(pt)
    for table in Table:
        pts = sorted(by_table.get(table, []), key=lambda p: p.address)
        limit = max_registers * 16 if table.is_bit else max_registers
        start = end = -1
        group: list[Point] = []
        for pt in pts:
            if group and pt.address - end <= max_gap and max(end, pt.end) - start <= limit:
                group.append(pt)
                end = max(end, pt.end)
                continue
            if group:
                blocks.append(ReadBlock(table, start, end - start, tuple(group)))
            group, start, end = [pt], pt.address, pt.end
        if group:
            blocks.append(ReadBlock(table, start, end - start, tuple(group)))
    return blocks
