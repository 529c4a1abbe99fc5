"""Irrigation-water profiles: the pH sensor and the EC probe load as their kinds and decode the
values their manuals give."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from drivers.codec import decode, plan_reads
from drivers.profile import KIND_POINTS, ProfileLibrary, Table

PH = "supmea-sup-ph8001"
EC = "seeed-sensecap-s-ec-01"


def _crc16(data: bytes) -> bytes:
    """Modbus RTU CRC, as sent on the wire (low byte first)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")


def _frame(frame_hex: str) -> bytes:
    """A whole RTU frame from the manual, its CRC checked so a mistyped byte fails loudly."""
    raw = bytes.fromhex(frame_hex.replace(" ", ""))
    assert _crc16(raw[:-2]) == raw[-2:], f"CRC of {frame_hex!r} does not match"
    return raw


def _answer_registers(frame_hex: str) -> list[int]:
    raw = _frame(frame_hex)
    data = raw[3 : 3 + raw[2]]
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def _value(profile_name: str, point_name: str, regs: Sequence[int]) -> float:
    return decode(ProfileLibrary.load()[profile_name].point(point_name), regs)


@pytest.mark.parametrize(("name", "kind"), [(PH, "ph_meter"), (EC, "ec_meter")])
def test_water_profiles_load_with_kind_and_standard_points(name: str, kind: str) -> None:
    profile = ProfileLibrary.load()[name]
    assert profile.kind == kind
    assert profile.source.strip()
    for point, unit in KIND_POINTS[kind].items():
        assert profile.point(point).unit == unit
    assert profile.point("temperature").unit == "°C"
    assert (profile.baudrate, profile.parity, profile.stopbits) == (9600, "N", 1)
    assert all(not p.writable for p in profile.points)


# --- Supmea SUP-PH8001 -----------------------------------------------------------------------


def test_ph_manual_answer_frame_decodes_to_the_manual_values() -> None:
    # Manual, "Common instruction set": 01 03 06 00 FA 02 BC 00 06 B9 3F
    # -> 25.0 °C, 7.00 pH, 0.6 mV.
    regs = _answer_registers("01 03 06 00 FA 02 BC 00 06 B9 3F")
    assert _value(PH, "temperature", regs[0:1]) == pytest.approx(25.0)
    assert _value(PH, "ph", regs[1:2]) == pytest.approx(7.00)
    assert _value(PH, "ph_mv", regs[2:3]) == pytest.approx(0.6)


def test_ph_read_plan_is_the_manual_request() -> None:
    # Manual request for temperature, pH and pH.mV: 01 03 00 00 00 03 05 CB.
    request = _frame("01 03 00 00 00 03 05 CB")
    profile = ProfileLibrary.load()[PH]
    points = [profile.point(n) for n in ("temperature", "ph", "ph_mv")]
    (block,) = plan_reads(points, profile.max_read_registers, profile.read_gap)
    assert block.table is Table.HOLDING  # function 03
    assert request[1] == 0x03
    assert (block.start, block.count) == (
        int.from_bytes(request[2:4], "big"),
        int.from_bytes(request[4:6], "big"),
    )


def test_ph_electrode_potential_is_signed() -> None:
    # -177.5 mV (an acid reading) as int16 0xF911.
    assert _value(PH, "ph_mv", [0xF911]) == pytest.approx(-177.5)


# --- Seeed SenseCAP S-EC-01 ------------------------------------------------------------------


def test_ec_register_table_ends_decode_to_the_manual_range() -> None:
    # Register table: EC 0..20000 = 0..20000 uS/cm, reported here in mS/cm.
    ec = ProfileLibrary.load()[EC].point("ec")
    assert decode(ec, [0]) == pytest.approx(0.0)
    assert decode(ec, [20000]) == pytest.approx(20.0)
    assert (ec.min, ec.max) == (0, 20)
    # Temperature -4000..8000 = -40.00..80.00 °C, two's complement below zero.
    assert _value(EC, "temperature", [(-4000) & 0xFFFF]) == pytest.approx(-40.0)
    assert _value(EC, "temperature", [8000]) == pytest.approx(80.0)


def test_ec_counts_microsiemens_and_reports_millisiemens() -> None:
    # The 1413 uS/cm calibration standard reads 1413 counts -> 1.413 mS/cm.
    assert _value(EC, "ec", [1413]) == pytest.approx(1.413)
    assert _value(EC, "ec", [12880]) == pytest.approx(12.88)


def test_ec_one_read_bridges_the_reserved_register() -> None:
    profile = ProfileLibrary.load()[EC]
    blocks = plan_reads(profile.points, profile.max_read_registers, profile.read_gap)
    assert [(b.table, b.start, b.count) for b in blocks] == [(Table.INPUT, 0, 5)]
