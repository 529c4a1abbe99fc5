"""An alarm said in the page's language: its code's title (the list, the overview, its own
page), what to do (its own page) and its source, with the message the box stored kept as
its record; and every event code the code base can raise titled in both catalogs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.helpers.alarm_codes import event_codes
from tests.helpers.pages import PageService, in_language
from web.i18n import LOCALES, catalog

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
