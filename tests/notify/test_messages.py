"""Every event code the code base can raise has a title in both notification catalogs, so
a notification never names an alarm by its bare code."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from controller.notify.messages import catalog
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
