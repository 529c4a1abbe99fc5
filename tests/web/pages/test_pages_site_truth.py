"""The overview and the zone page say what the controller doubts or waits for: a doubted
probe's moisture struck through with why and since (its alarm linked), each device offline now
with its last good reading, and a run a decision deferred as the next run (the board too),
in both languages."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from controller.daemon.protocol import NextRun, ProbeDoubt
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


DEFERRED = {"zh-CN": "（推迟：届时之前会重新决策）", "en": "(deferred: the planner decides again"}
NEXT_AT = {"zh-CN": "下次灌溉 05-17 15:00", "en": "next run 05-17 15:00"}
BOARD_DEFERRED = {"zh-CN": "（推迟，可能变动）", "en": "(deferred: may change)"}


def _deferred(service: PageService, zone: str) -> None:
    z = service.zones_by_name[zone]
    nxt = NextRun(
        start=datetime(2026, 5, 17, 15, 0, tzinfo=UTC),
        duration_min=41.0,
        depth_mm=20.5,
        reason="z2: deferred: irrigate at 15:00 (day 3)",
        deferred=True,
    )
    service.zones_by_name[zone] = dataclasses.replace(z, valve_on=False, next_run=nxt)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_deferred_run_is_the_next_run_on_overview_zone_page_and_board(
    as_role: Any, anon: Any, service: PageService, lang: str
) -> None:
    _deferred(service, "z2")
    viewer = in_language(as_role("viewer"), lang)
    for path in ("/", "/zones/z2"):
        page = viewer.get(path).text
        found = re.search(r'<article class="zone[^"]*" id="zone-z2">.*?</article>', page, re.S)
        if found is None:  # the zone page's panel
            found = re.search(r'<p class="next" id="zone-decision">.*?</p>', page, re.S)
        assert found is not None, path
        card = found.group(0)
        assert '<span class="whole">05-17 15:00</span>' in card, path
        assert '<span class="whole">41 ' in card and "20.5 mm" in card, path
        assert DEFERRED[lang] in card, path
    anon.cookies.set("qanat_lang", lang)
    row = re.search(r'<tr id="board-zone-z1">.*?</tr>', anon.get("/board").text, re.S)
    assert row is not None
    assert NEXT_AT[lang] not in row.group(0)  # watering now: its time left
    _deferred(service, "z1")  # the fake board's only zone
    row = re.search(r'<tr id="board-zone-z1">.*?</tr>', anon.get("/board").text, re.S)
    assert row is not None
    assert NEXT_AT[lang] in row.group(0)
    assert BOARD_DEFERRED[lang] in row.group(0)  # said as deferred there too
