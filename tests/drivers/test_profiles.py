"""Shipped device profiles load, decode their manuals' examples; broken copies are refused."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import pytest

from drivers.codec import decode, encode
from drivers.errors import DecodeError, ProfileError
from drivers.profile import (
    BUILTIN_PROFILE_DIR,
    KIND_POINTS,
    ProfileLibrary,
    Table,
    load_profile,
)

SHIPPED = sorted(BUILTIN_PROFILE_DIR.glob("*.toml"))


def _frame_registers(frame_hex: str) -> list[int]:
    """Register values of a read answer frame 'addr fc count data... ' (CRC left off)."""
    raw = bytes.fromhex(frame_hex.replace(" ", ""))
    count = raw[2]
    data = raw[3 : 3 + count]
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, count, 2)]


def _value(profile_name: str, point_name: str, regs: Sequence[int]) -> float:
    return decode(ProfileLibrary.load()[profile_name].point(point_name), regs)


def test_profiles_are_shipped() -> None:
    assert len(SHIPPED) >= 8


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_profile_loads_with_its_standard_points(path: Path) -> None:
    profile = load_profile(path)
    assert profile.source.strip()
    for name, unit in KIND_POINTS[profile.kind].items():
        assert profile.point(name).unit == unit


# --- examples from the manuals -------------------------------------------------------------


def test_renke_answer_frame_decodes_to_the_manual_values() -> None:
    # Renke 485-type manual example answer: 02 92 / FF 9B / 03 E8.
    regs = _frame_registers("01 03 06 02 92 FF 9B 03 E8")
    assert _value("renke-rs-ecth-n01", "moisture", regs[0:1]) == pytest.approx(65.8)
    assert _value("renke-rs-ecth-n01", "temperature", regs[1:2]) == pytest.approx(-10.1)
    assert _value("renke-rs-ecth-n01", "soil_ec", regs[2:3]) == pytest.approx(1000)


def test_sensecap_soil_answer_frame_decodes_to_the_manual_values() -> None:
    regs = _frame_registers("01 04 06 08 90 0E 93 02 4E")
    name = "seeed-sensecap-s-temp-vwc-ec-02"
    assert _value(name, "temperature", regs[0:1]) == pytest.approx(21.92)
    assert _value(name, "moisture", regs[1:2]) == pytest.approx(37.31)
    assert _value(name, "soil_ec", regs[2:3]) == pytest.approx(590)


def test_sensecap_soil_negative_temperature_is_twos_complement() -> None:
    # Manual 5.3: FF05H -> -2.51 °C.
    assert _value("seeed-sensecap-s-temp-vwc-ec-02", "temperature", [0xFF05]) == pytest.approx(
        -2.51
    )


def test_sensecap_one_int32_thousandths() -> None:
    name = "seeed-sensecap-one-s1000"
    # -5.000 °C as int32 -5000, high word first.
    assert _value(name, "air_temperature", [0xFFFF, 0xEC78]) == pytest.approx(-5.0)
    # 100309 Pa (manual's barometer example value) counted in mPa: 100309000.
    regs = [100309000 >> 16, 100309000 & 0xFFFF]
    assert _value(name, "pressure", regs) == pytest.approx(1003.09)
    assert _value(name, "wind_speed", [0, 3700]) == pytest.approx(3.7)


def test_tuf2000m_flow_rate_is_float32_low_word_first() -> None:
    # 36.625 = 0x42128000: the meter sends the low word 0x8000 first.
    assert _value("tuf-2000m", "flow_rate", [0x8000, 0x4212]) == pytest.approx(36.625)
    # Read big-endian it would be garbage: the word order matters.
    assert _value("tuf-2000m", "flow_rate", [0x4212, 0x8000]) != pytest.approx(36.625)


def test_tuf2000m_totalizer_integer_and_fraction() -> None:
    lib = ProfileLibrary.load()
    meter = lib["tuf-2000m"]
    # 70000 m3 as LONG low word first: 0x00011170 -> [0x1170, 0x0001].
    total = decode(meter.point("total"), [0x1170, 0x0001])
    fraction_bits = int.from_bytes(struct.pack(">f", 0.25), "big")
    fraction = decode(meter.point("total_fraction"), [fraction_bits & 0xFFFF, fraction_bits >> 16])
    assert total + fraction == pytest.approx(70000.25)


def test_tuf2000m_addresses_are_the_manual_numbers_minus_one() -> None:
    meter = ProfileLibrary.load()["tuf-2000m"]
    manual = {"flow_rate": 1, "total": 9, "total_fraction": 11, "net_total": 25, "error_code": 72}
    for name, reg in manual.items():
        assert meter.point(name).address == reg - 1


def test_waveshare_lease_is_flash_on_in_100ms() -> None:
    for name in ("waveshare-relay-8ch", "waveshare-relay-8ch-d"):
        relay = ProfileLibrary.load()[name]
        assert relay.lease is not None
        assert relay.lease.address_offset == 0x0200
        assert relay.lease.unit_s == pytest.approx(0.1)
        # Wiki example: value 0x0007 on 0x0200 keeps relay 1 on for 700 ms.
        assert 0x0007 * relay.lease.unit_s == pytest.approx(0.7)
        assert relay.lease.max_s / relay.lease.unit_s <= 0xFFFF
        coils = [p for p in relay.points if p.table is Table.COIL]
        assert [p.address for p in coils] == list(range(8))
        assert relay.max_write_coils == 8  # function 0F: every relay in one write


def test_a_profile_without_max_write_coils_writes_one_coil_at_a_time(tmp_path: Path) -> None:
    text = (BUILTIN_PROFILE_DIR / "waveshare-relay-8ch.toml").read_text(encoding="utf-8")
    path = tmp_path / "relay-05-only.toml"
    path.write_text(text.replace("max_write_coils = 8", "# no function 15"), encoding="utf-8")
    assert load_profile(path).max_write_coils == 1


def test_waveshare_d_variant_has_eight_discrete_inputs() -> None:
    relay = ProfileLibrary.load()["waveshare-relay-8ch-d"]
    inputs = [p for p in relay.points if p.table is Table.DISCRETE]
    assert [p.address for p in inputs] == list(range(8))
    assert decode(relay.point("in3"), [True]) == 1.0


def test_pressure_transmitter_reads_tenths_of_kpa() -> None:
    assert _value("generic-rs485-pressure-transmitter", "line_pressure", [2503]) == pytest.approx(
        250.3
    )


def test_level_transmitter_reads_millimetres() -> None:
    assert _value("generic-rs485-level-transmitter", "level", [1234]) == pytest.approx(1.234)


def test_injector_setpoint_round_trips_and_run_is_writable() -> None:
    pump = ProfileLibrary.load()["prominent-gamma-x"]
    assert pump.point("run").writable
    setpoint = pump.point("rate_setpoint")
    assert setpoint.writable
    assert decode(setpoint, encode(setpoint, 4.5)) == pytest.approx(4.5)


def test_sentinel_raw_value_is_a_decode_error(tmp_path: Path) -> None:
    text = (BUILTIN_PROFILE_DIR / "renke-rs-ecth-n01.toml").read_text(encoding="utf-8")
    text = text.replace('unit = "uS/cm"', 'unit = "uS/cm"\nsentinels = [65535]')
    path = tmp_path / "renke-sentinel.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DecodeError, match="soil_ec"):
        decode(load_profile(path).point("soil_ec"), [0xFFFF])


# --- the validator refuses broken copies ---------------------------------------------------

BASE = "renke-rs-ecth-n01.toml"


def _broken(tmp_path: Path, old: str, new: str, base: str = BASE) -> Path:
    text = (BUILTIN_PROFILE_DIR / base).read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {base}"
    path = tmp_path / f"broken-{base}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


BROKEN = [
    pytest.param(
        'type = "uint16"',
        'type = "int17"',
        "points[0].type",
        "unknown",
        id="unknown-type",
    ),
    pytest.param(
        'type = "uint16"',
        'type = "bool"',
        "points[0].type",
        "does not fit",
        id="bad-table-for-type",
    ),
    pytest.param(
        "address = 1",
        "address = 0",
        "points[1].address",
        "overlaps",
        id="overlapping-addresses",
    ),
    pytest.param(
        'name = "moisture"',
        'name = "water"',
        "points",
        "'moisture'",
        id="missing-standard-point",
    ),
    pytest.param(
        'unit = "%"',
        'unit = "m3/m3"',
        "points[0].unit",
        "'moisture' must be in '%', got 'm3/m3'",
        id="wrong-standard-unit",
    ),
    pytest.param(
        'table = "holding"',
        'table = "input"\nwritable = true',
        "points[0].writable",
        "read-only",
        id="writable-input-register",
    ),
    pytest.param(
        "stopbits = 1",
        "stopbits = 1\nbaud = 9600",
        "device.baud",
        "unknown key",
        id="unknown-key",
    ),
    pytest.param(
        "stopbits = 1",
        "stopbits = 1\nmax_write_coils = 1969",
        "device.max_write_coils",
        "outside 1..1968",
        id="write-of-more-coils-than-modbus-allows",
    ),
    pytest.param(
        'unit = "°C"',
        'unit = "K"',
        "points[1].unit",
        "'temperature' must be in '°C', got 'K'",
        id="wrong-optional-unit",
    ),
]


@pytest.mark.parametrize(("old", "new", "key_path", "message"), BROKEN)
def test_validator_names_key_path_and_file(
    tmp_path: Path, old: str, new: str, key_path: str, message: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    text = str(info.value)
    assert f"{key_path}:" in text
    assert message in text
    assert path.name in text


def test_an_injector_counter_in_another_unit_than_litres_is_refused(tmp_path: Path) -> None:
    """A run's record takes the counter's change as litres: a profile counting millilitres
    would record a thousand times the fertilizer given, so it is refused, named."""
    path = _broken(tmp_path, 'unit = "L"\n', 'unit = "mL"\n', base="prominent-gamma-x.toml")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    (line,) = str(info.value).splitlines()  # one line: not also an unknown unit
    assert line.startswith("points[2].unit: 'dosed_volume' must be in 'L', got 'mL': 1 mL = ")
    assert path.name in str(info.value)


def test_an_ec_meter_in_ms_per_m_is_one_line_saying_how_to_give_it_in_ms_per_cm(
    tmp_path: Path,
) -> None:
    """mS/m is no unit qanat reads; the standard point's own check says what it must be and
    the factor, once, where it was said twice under two key paths."""
    path = _broken(tmp_path, 'unit = "mS/cm"', 'unit = "mS/m"', base="seeed-sensecap-s-ec-01.toml")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value).splitlines() == [
        "points[1].unit: 'ec' must be in 'mS/cm', got 'mS/m': 1 mS/m = 0.01 mS/cm, so multiply "
        f"its scale, offset, min and max by 0.01 and write unit = 'mS/cm' ({path.name})"
    ]


def test_validator_refuses_a_lease_without_writable_coils(tmp_path: Path) -> None:
    path = _broken(tmp_path, "writable = true", "writable = false", base="waveshare-relay-8ch.toml")
    text = path.read_text(encoding="utf-8").replace("writable = true", "writable = false")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match=r"lease: .*waveshare-relay-8ch\.toml"):
        load_profile(path)


def test_validator_refuses_invalid_toml_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "garbled.toml"
    path.write_text("[device\nmodel = 1", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"garbled\.toml"):
        load_profile(path)


def test_every_problem_of_a_profile_is_said_at_once(tmp_path: Path) -> None:
    """A mistyped type does not hide the overlap, the unknown unit and the register past the
    end in other points: the technician gets every problem in one go, each by key path."""
    path = tmp_path / "many-mistakes.toml"
    path.write_text(
        '[device]\nmodel = "X"\nkind = "soil_probe"\nmanufacturer = "M"\nsource = "S"\n'
        '[[points]]\nname = "moisture"\ntable = "holding"\naddress = 0\ntype = "uint61"\n'
        'unit = "%"\n'
        '[[points]]\nname = "temperature"\ntable = "holding"\naddress = 1\ntype = "int32"\n'
        'unit = "°C"\n'
        '[[points]]\nname = "soil_ec"\ntable = "holding"\naddress = 2\ntype = "uint16"\n'
        'unit = "uS/cn"\n'
        '[[points]]\nname = "tail"\ntable = "input"\naddress = 65535\ntype = "float32"\n',
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    lines = str(info.value).splitlines()
    assert any(ln.startswith("points[0].type: unknown datatype 'uint61'") for ln in lines)
    assert any(
        ln.startswith("points[2].address: holding 2 overlaps point 'temperature'") for ln in lines
    )
    assert any(ln.startswith("points[2].unit: unknown unit 'uS/cn'") for ln in lines)
    assert any(ln.startswith("points[3].address: float32 at 65535 runs past") for ln in lines)
    # the point with the bad type is not also reported missing
    assert not any("must define point 'moisture'" in ln for ln in lines)
    assert all(ln.endswith("(many-mistakes.toml)") for ln in lines)


def test_a_point_name_that_is_not_a_string_is_refused_by_key_path(tmp_path: Path) -> None:
    path = tmp_path / "list-name.toml"
    path.write_text(
        '[device]\nmodel = "X"\nkind = "soil_probe"\nmanufacturer = "M"\nsource = "S"\n'
        '[[points]]\nname = ["moisture"]\ntable = "holding"\naddress = 0\ntype = "uint16"\n',
        encoding="utf-8",
    )
    with pytest.raises(ProfileError, match=r"points\[0\]\.name: must be an identifier"):
        load_profile(path)


def test_a_profile_saved_by_a_windows_editor_loads_or_names_its_line(tmp_path: Path) -> None:
    """Notepad's byte-order mark is no statement (it was `Invalid statement (at line 1,
    column 1)`); a file saved as GBK names the byte and line, as the site file does."""
    shipped = (BUILTIN_PROFILE_DIR / "renke-rs-ecth-n01.toml").read_text(encoding="utf-8")
    bom = tmp_path / "with-bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + shipped.encode("utf-8"))
    assert load_profile(bom).kind == "soil_probe"
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(b'[device]\nmodel = "\xcd\xc1\xc8\xc0"\n')
    with pytest.raises(ProfileError) as info:
        load_profile(gbk)
    assert str(info.value) == (
        "gbk.toml: not UTF-8 text (byte 0xcd at line 2); save the file as UTF-8"
    )
