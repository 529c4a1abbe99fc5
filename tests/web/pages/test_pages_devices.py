"""A device's kind, its points and its last error on /devices in the page's language, and
every kind and point a profile can have, and every kind of device error, said in both
catalogs."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from typing import Any

import pytest

from drivers.errors import DeviceError
from drivers.profile import KIND_POINTS
from tests.helpers.pages import PageService, csrf_of
from tests.helpers.site import ROOT
from web.i18n import LOCALES, catalog
from web.pages.point_labels import point_label


def _profile_kinds() -> set[str]:
    kinds = set()
    for path in (ROOT / "drivers" / "profiles").rglob("*.toml"):
        with path.open("rb") as f:
            kinds.add(tomllib.load(f)["device"]["kind"])
    return kinds


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_device_kind_has_a_label(locale: str) -> None:
    kinds = set(KIND_POINTS) | _profile_kinds()
    assert "soil_probe" in kinds and "relay" in kinds  # the profiles were read
    names = catalog(locale)
    assert sorted(k for k in kinds if f"device_kind.{k}" not in names) == []


@pytest.mark.parametrize(("lang", "label"), [("zh-CN", "土壤墒情探头"), ("en", "soil probe")])
def test_devices_say_the_kind_in_the_page_language(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch, lang: str, label: str
) -> None:
    (device,) = service.devices()
    probe = replace(device, kind="soil_probe")
    monkeypatch.setattr(service, "devices", lambda: [probe])
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/devices").text
    assert f'<span class="kind">{label}</span>' in page


def _kinds() -> dict[str, type[DeviceError]]:
    found: dict[str, type[DeviceError]] = {DeviceError.kind: DeviceError}
    found |= {c.kind: c for c in DeviceError.__subclasses__()}
    return found


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_device_error_kind_is_said_from_the_values_it_carries(locale: str) -> None:
    names = catalog(locale)
    assert {"timeout", "exception", "bad_frame", "unavailable"} <= set(_kinds())
    for kind, cls in _kinds().items():
        said = names.get(f"device_error.{kind}")
        assert said is not None, kind
        assert set(re.findall(r"\{(\w+)\}", said)) <= {"detail", *cls.fields}, kind


@pytest.mark.parametrize(
    ("lang", "said"), [("zh-CN", "0.5 秒内无应答"), ("en", "no answer within 0.5 s")]
)
def test_a_devices_last_error_is_said_with_the_record_in_its_title(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch, lang: str, said: str
) -> None:
    (device,) = service.devices()
    record = "probe1: no answer within 0.5 s"
    health = {"last_error": record, "consecutive_failures": 3}
    coded = {"last_error_kind": "timeout", "last_error_values": {"timeout_s": "0.5"}}
    timed_out = replace(device, health=health | coded)
    older = replace(device, name="probe2", health=health)  # a daemon not reporting the kind
    monkeypatch.setattr(service, "devices", lambda: [timed_out, older])
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/devices").text.replace("&#39;", "'")
    first, second = page.split('id="device-probe2"')
    assert f': {record}">{said}</span>' in first
    assert f'<span class="last-error">{record}</span>' in second


@pytest.mark.parametrize(
    ("kind", "values", "said"),
    [
        (
            "exception",
            {"what": "read holding 2+5", "modbus_code": "2", "name": "illegal data address"},
            "设备回复 Modbus 异常 2（非法数据地址）：读保持寄存器 2+5",
        ),
        (
            "unavailable",
            {
                "port": "/dev/ttyUSB0 9600 8N1",
                "error": "Failed to connect",
                "cause": "port_missing",
            },
            "总线无法打开（/dev/ttyUSB0 9600 8N1）：串口不存在",
        ),
        (
            "unavailable",
            {"port": "/dev/ttyUSB0 9600 8N1", "error": "Failed", "cause": "permission_denied"},
            "总线无法打开（/dev/ttyUSB0 9600 8N1）：没有打开串口的权限",
        ),
        (
            "unavailable",
            {
                "port": "tcp 127.0.0.1:5999",
                "error": "connection refused (nothing listens on that port)",
                "cause": "connection_refused",
            },
            "总线无法打开（tcp 127.0.0.1:5999）：连接被拒绝",
        ),
    ],
)
def test_a_modbus_exception_and_a_bus_that_cannot_open_are_said_in_chinese(
    as_role: Any,
    service: PageService,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    values: dict[str, str],
    said: str,
) -> None:
    (device,) = service.devices()
    record = "press1: the record as the bus wrote it"
    health = {"last_error": record, "last_error_kind": kind, "last_error_values": values}
    monkeypatch.setattr(service, "devices", lambda: [replace(device, health=health)])
    page = as_role("viewer").get("/devices").text
    assert f': {record}">{said}' in page  # the English record on hover


def _profile_points() -> set[str]:
    points = set()
    for path in (ROOT / "drivers" / "profiles").rglob("*.toml"):
        with path.open("rb") as f:
            points |= {p["name"] for p in tomllib.load(f)["points"]}
    return points


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_point_a_profile_or_kind_can_have_is_labelled(locale: str) -> None:
    points = _profile_points() | {p for names in KIND_POINTS.values() for p in names}
    points |= {"pulse"}  # a pulse meter's own (controller.runtime.pulses)
    assert {"flow_rate", "ch8", "count4", "soil_ec"} <= points  # the profiles were read
    assert sorted(p for p in points if point_label(locale, p) is None) == []


@pytest.mark.parametrize(
    ("lang", "flow", "relay"),
    [("zh-CN", "瞬时流量", "继电器输出 3"), ("en", "flow rate", "relay output 3")],
)
def test_a_point_is_said_by_its_label_with_its_key_beside_it(
    as_role: Any,
    service: PageService,
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    flow: str,
    relay: str,
) -> None:
    (device,) = service.devices()
    (reading,) = device.readings
    points = ("flow_rate", "ch3", "vendor_thing")
    readings = [reading | {"point": p} for p in points]
    monkeypatch.setattr(service, "devices", lambda: [replace(device, readings=readings)])
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/devices").text
    assert f'<td class="point">{flow} <small class="key">flow_rate</small></td>' in page
    assert f'<td class="point">{relay} <small class="key">ch3</small></td>' in page
    assert '<td class="point">vendor_thing</td>' in page  # a key no label knows: alone


def test_a_reading_is_shown_to_its_decimals_not_the_floats_noise(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A float32 register or a scaled one (20.9 read as 20.900000000000002) is shown to at
    most 3 decimals, trailing zeros dropped; an integer as it is."""
    (device,) = service.devices()
    (reading,) = device.readings
    values = {
        "moisture": (20.900000000000002, "%"),
        "flow_rate": (97.47213745117188, "m3/h"),
        "total_fraction": (0.3981480598449707, "m3"),
        "total": (21, "m3"),
        "velocity": (0.0, "m/s"),
        "temperature": (-1.25, "°C"),
    }
    readings = [reading | {"point": p, "value": v, "unit": u} for p, (v, u) in values.items()]
    monkeypatch.setattr(service, "devices", lambda: [replace(device, readings=readings)])
    page = as_role("viewer").get("/devices").text
    cells = re.findall(r'<td class="value">([^<]*)</td>', page)
    assert cells == ["20.9 %", "97.472 m³/h", "0.398 m³", "21 m³", "0 m/s", "-1.25 °C"]


def test_a_readings_unit_is_written_as_the_other_pages_write_it(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile's ASCII unit (m3, m3/h, uS/cm) is shown as the overview's figures are
    (m³, m³/h, µS/cm); the others as the profile names them."""
    (device,) = service.devices()
    (reading,) = device.readings
    units = ["m3", "m3/h", "uS/cm", "mS/cm", "mm/h", "pulses", "°C"]
    readings = [reading | {"point": f"p{i}", "value": 1, "unit": u} for i, u in enumerate(units)]
    monkeypatch.setattr(service, "devices", lambda: [replace(device, readings=readings)])
    page = as_role("viewer").get("/devices").text
    cells = re.findall(r'<td class="value">([^<]*)</td>', page)
    assert cells == ["1 m³", "1 m³/h", "1 µS/cm", "1 mS/cm", "1 mm/h", "1 pulses", "1 °C"]
