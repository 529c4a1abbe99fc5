"""The overview and the zone page say what the controller doubts or waits for: a doubted
probe's moisture struck through with why and since (its alarm linked), in both languages."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from typing import Any

import pytest

from controller.daemon.protocol import ProbeDoubt
from tests.helpers.fakes import NOW
from tests.helpers.pages import PageService, in_language

QUARANTINED = {"zh-CN": "已隔离", "en": "quarantined"}
FLATLINE = {"zh-CN": "土壤探头读数不变", "en": "Soil probe flat"}
SINCE = {"zh-CN": "自 05-14 04:30", "en": "since 05-14 04:30"}  # NOW - 2 h, UTC site


def _doubt(service: PageService, code: str = "probe_flatline", alarm_id: int | None = 9) -> None:
    z2 = service.zones_by_name["z2"]
    since = NOW - timedelta(hours=2) if alarm_id is not None else None
    doubted = {"0.2": ProbeDoubt("probe2a", code, alarm_id, since)}
    service.zones_by_name["z2"] = dataclasses.replace(z2, doubted=doubted)


def _moisture(page: str, zone: str) -> str:
    found = re.search(rf'<p class="moisture" id="moisture-{zone}">(.*?)</p>', page, re.S)
    assert found is not None, zone
    return found.group(1)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_quarantined_probe_is_struck_with_why_and_since(
    as_role: Any, service: PageService, lang: str
) -> None:
    _doubt(service)
    viewer = in_language(as_role("viewer"), lang)
    for path in ("/", "/fragments/overview", "/zones/z2"):
        line = _moisture(viewer.get(path).text, "z2")
        assert "<s>23.5 %</s>" in line, path
        assert f'<a href="/alarms/9">{QUARANTINED[lang]}</a>' in line, path
        assert FLATLINE[lang] in line, path
        assert SINCE[lang] in line, path
    trusted = _moisture(viewer.get("/zones/z1").text, "z1")
    assert "<s>" not in trusted and QUARANTINED[lang] not in trusted
    assert "23.5 %" in trusted


@pytest.mark.parametrize(("lang", "said"), [("zh-CN", "读数异常，未采用"), ("en", "implausible")])
def test_an_implausible_probe_is_struck_without_an_alarm_link(
    as_role: Any, service: PageService, lang: str, said: str
) -> None:
    _doubt(service, "sensor_fault", None)
    line = _moisture(in_language(as_role("viewer"), lang).get("/").text, "z2")
    assert "<s>23.5 %</s>" in line and said in line
    assert "/alarms/" not in line


@pytest.mark.parametrize(
    ("lang", "said", "since"),
    [("zh-CN", "设备离线（无有效读数）", "自 05-14 06:05"), ("en", "Offline", "since 05-14 06:05")],
)
def test_an_offline_device_is_named_in_the_state_banner_with_since(
    as_role: Any,
    service: PageService,
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    said: str,
    since: str,
) -> None:
    viewer = in_language(as_role("viewer"), lang)
    assert 'id="devices-offline"' not in viewer.get("/").text
    status = service.status
    offline = {"wx1": NOW - timedelta(minutes=25), "flow1": NOW - timedelta(hours=1)}
    monkeypatch.setattr(
        service, "status", lambda: dataclasses.replace(status(), offline_devices=offline)
    )
    for path in ("/", "/fragments/overview"):
        page = viewer.get(path).text
        found = re.search(r'<section class="site-state panel">.*?</section>', page, re.S)
        assert found is not None, path
        banner = found.group(0)
        assert 'id="devices-offline"' in banner and said in banner, path
        assert f'<a href="/devices#device-wx1"><b>wx1</b></a> {since}' in banner, path
        assert "<b>flow1</b></a> " in banner, path
