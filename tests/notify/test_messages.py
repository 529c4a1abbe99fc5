"""Every event code the code base can raise has a title in both notification catalogs, so
a notification never names an alarm by its bare code."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from controller.notify.messages import catalog
from controller.runtime.safety import INJECTION_STOP_CODES, WATER_STOP_CODES
from tests.helpers.alarm_codes import event_codes


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_event_code_has_a_notification_title(language: str) -> None:
    titles = catalog(language).data["codes"]
    assert sorted(c for c in event_codes() if c not in titles) == []


def test_a_run_event_mail_says_its_end_reason_and_credit_in_chinese() -> None:
    """A restart's run_interrupted names why the run ended and what it was credited: both
    parts of a run's end reason, said from the same words as the pages' runs."""
    message = (
        "run 12 of zone z1 interrupted (daemon restarted during the run) after 4.31 m3 "
        "applied; water since the last progress not credited: no meter reading was kept with it"
    )
    said = catalog("zh_CN").detail(
        source="sequencer", code="run_interrupted", message=message, tz=ZoneInfo("Asia/Shanghai")
    )
    assert said == (
        "轮灌区 z1 的运行 12 中断（运行中控制程序重启），已灌 4.31 m³；"
        "上次记录后的水量未计入：没有随之保存的流量计读数"
    )


def test_both_catalogs_say_what_to_do_about_the_same_codes() -> None:
    zh, en = catalog("zh_CN").data, catalog("en").data
    assert sorted(zh["todo"]) == sorted(en["todo"])
    assert [c for c in zh["todo"] if c not in zh["codes"]] == []  # only codes it can title


def test_every_trip_that_stops_water_or_injection_says_what_to_do() -> None:
    """A trip switches water or the dosing off: who receives it must learn what to check."""
    trips = WATER_STOP_CODES | INJECTION_STOP_CODES | {"control_error", "startup_unsafe"}
    assert sorted(trips - catalog("en").data["todo"].keys()) == []


def test_an_alarm_says_what_to_do_and_an_event_with_nothing_to_do_has_no_such_line() -> None:
    """The body's 处理 line from the catalog's ``[todo]``, before the event number."""
    zh, tz = catalog("zh_CN"), ZoneInfo("Asia/Shanghai")
    when = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
    common = {"site": "张掖示范", "source": "safety", "time": when, "tz": tz, "event_id": 7}
    _, burst = zh.alarm(severity="critical", code="burst", message="x", **common)
    assert "\n详情：x\n处理：沿管线巡查：是否爆管或管道末端敞开\n事件编号：7\n" in burst
    _, online = zh.alarm(severity="info", code="device_online", message="x", **common)
    assert "处理" not in online and "\n详情：x\n事件编号：7\n" in online
    _, english = catalog("en").alarm(severity="alarm", code="dry_run", message="x", **common)
    assert "\nTo do: check for an empty well, a closed hand valve or a broken meter\n" in english
