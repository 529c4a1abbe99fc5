"""An alarm said in the page's language: its code's title (the list, the overview, its own
page), what to do (its own page) and its source, with the message the box stored kept as
its record, a safety trip's message said from its code; and every event code the code base
can raise titled, and every trip message said, in both catalogs."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from controller.runtime.device_events import DEVICE_EVENTS
from controller.runtime.head_events import HEAD_EVENTS
from controller.runtime.trip_messages import TRIP_MESSAGES
from tests.helpers.alarm_codes import event_codes
from tests.helpers.pages import PageService, in_language
from web.i18n import LOCALES, catalog

FIELD = re.compile(r"\{(\w+)\}")
RECORD = "no flow with valve open: 0.0 m3/h below 0.5"


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_event_code_has_a_title_and_what_to_do(locale: str) -> None:
    codes = event_codes()
    # the ways a code reaches the store are all followed: a literal, a constant, a trip, a
    # passed-on parameter, a pulse note's enum, a dosing stop's formatted code
    assert {"startup_unsafe", "clock_untrusted", "output_mismatch", "control_error"} <= codes
    assert {"counter_reset", "ec_off_setpoint", "zone_leak", "agronomy_plan_failed"} <= codes
    names = catalog(locale)
    assert sorted(c for c in codes if f"alarm_code.{c}" not in names) == []
    assert sorted(c for c in codes if f"alarm_do.{c}" not in names) == []


def _safety_alarm(service: PageService, monkeypatch: pytest.MonkeyPatch) -> None:
    (alarm,) = service.alarms()
    alarm = replace(alarm, source="safety", message=RECORD)
    monkeypatch.setattr(service, "alarms", lambda open_only=False, limit=100: [alarm])


@pytest.mark.parametrize(
    ("lang", "title", "source", "record", "do"),
    [
        ("zh-CN", "水泵空转（无流量）", "安全监控", "控制器记录（原文）", "检查井是否抽空"),
        (
            "en",
            "Pump running dry (no flow)",
            "safety supervisor",
            "The box&#39;s record",
            "empty well",
        ),
    ],
)
def test_an_alarm_is_said_in_the_page_language_with_the_box_record(
    as_role: Any,
    service: PageService,
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    title: str,
    source: str,
    record: str,
    do: str,
) -> None:
    _safety_alarm(service, monkeypatch)
    viewer = in_language(as_role("viewer"), lang)
    for path in ("/", "/fragments/overview", "/alarms", "/alarms/1"):
        page = viewer.get(path).text
        assert title in page and source in page, path
        assert record in page and RECORD in page, path  # the stored English, labelled
        assert "dry_run" not in page or path == "/alarms/1", path  # the code only on its page
    alarm = viewer.get("/alarms/1").text
    assert do in alarm
    assert do not in viewer.get("/alarms").text  # what to do: on the alarm's own page


TRIPPED = "dry run: pump on 31 s with flow 0.0 m3/h < 2; could not switch off: pump: relay1: stuck"


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "空转：水泵已开 31 秒，流量 0.0 m³/h &lt; 2；无法关闭：pump: relay1: stuck"),
        ("en", "dry run: pump on 31 s with flow 0.0 m³/h &lt; 2; could not switch off: pump: "),
    ],
)
def test_a_safety_alarms_message_is_said_with_the_record_in_its_title(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch, lang: str, said: str
) -> None:
    (alarm,) = service.alarms()
    tripped = replace(alarm, source="safety", message=TRIPPED)
    other = replace(alarm, id=2, source="poller", message=TRIPPED, latched=False)
    monkeypatch.setattr(service, "alarms", lambda open_only=False, limit=100: [tripped, other])
    viewer = in_language(as_role("viewer"), lang)
    record = "控制器记录（原文）" if lang == "zh-CN" else "The box&#39;s record"
    shown = TRIPPED.replace("<", "&lt;")
    for path in ("/", "/alarms", "/alarms/1"):
        page = viewer.get(path).text
        assert said in page, path
        assert f"{record}: {shown}" in page or f'id="alarm-record">{shown}<' in page, path
    # the same words from another source are not the supervisor's: shown as recorded
    history = viewer.get("/alarms").text.split('class="list events"')[1]
    assert f"<div>{shown}</div>" in history and said not in history


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_trip_message_is_said_in_both_catalogs(locale: str) -> None:
    names = catalog(locale)
    assert sorted(c for c in TRIP_MESSAGES if f"trip_message.{c}" not in names) == []
    for code, template in TRIP_MESSAGES.items():  # the catalog names only what was recorded
        assert set(FIELD.findall(names[f"trip_message.{code}"])) <= set(FIELD.findall(template))


NOTE = "carries fertigation event 0 (苗期) of 2026-05-15: N 11.25 kg (still to give: N 6.25 kg)"
OFFLINE = "probe1: no good reading for 310 s (probe1: no answer within 0.3 s)"
DEFERRED = "9.0 h of pumping since the last backflush; deferred: zone z3 is fertigating (prewet)"


@pytest.mark.parametrize(
    ("code", "message", "lang", "said"),
    [
        (
            "backflush_deferred",
            DEFERRED,
            "zh-CN",
            "上次反冲洗后水泵已运行 9.0 小时；推迟：轮灌区 z3 正在施肥灌溉（预湿润）",
        ),
        (
            "fertigation_plan",
            NOTE,
            "zh-CN",
            "本次灌溉带上施肥事件 0 (苗期)（2026-05-15）：N 11.25 kg（还需施：N 6.25 kg）",
        ),
        ("fertigation_plan", NOTE, "en", NOTE),
        # a device's event, and the device's error inside it
        ("device_offline", OFFLINE, "zh-CN", "probe1：310 秒没有有效读数（0.3 秒内无应答）"),
        (
            "device_offline",
            OFFLINE,
            "en",
            "probe1: no good reading for 310 s (no answer within 0.3 s)",
        ),
    ],
)
def test_a_plan_note_a_device_or_a_head_works_event_is_said_in_the_page_language(
    as_role: Any,
    service: PageService,
    monkeypatch: pytest.MonkeyPatch,
    code: str,
    message: str,
    lang: str,
    said: str,
) -> None:
    (alarm,) = service.alarms()
    source = "headworks" if code.startswith("backflush") else "z1"
    event = replace(alarm, code=code, source=source, message=message, latched=False)
    monkeypatch.setattr(service, "alarms", lambda open_only=False, limit=100: [event])
    page = in_language(as_role("viewer"), lang).get("/alarms").text
    history = page.split('class="list events"')[1]
    assert f">{said}</div>" in history
    if lang == "zh-CN":  # the record on hover
        assert f'title="控制器记录（原文）: {message}"' in history


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_device_and_head_works_event_is_said_in_both_catalogs(locale: str) -> None:
    names = catalog(locale)
    for table, templates in (("device_event", DEVICE_EVENTS), ("head_event", HEAD_EVENTS)):
        assert sorted(c for c in templates if f"{table}.{c}" not in names) == [], table
        if locale == "en":  # the English is worded as the record
            assert {c: names[f"{table}.{c}"] for c in templates} == templates
