"""Decisions, end reasons and refusals said from their codes (web.pages.said, the catalogs).

Every code the box can record has a message in both catalogs: the planner's reason codes and
the other modes' decision codes (``reason_code``), the parts of a run's end reason
(``end_reason``, its English worded as the record), and every refusal code written in the
source (``refusal``, collected by :mod:`tests.helpers.refusal_codes`). A new code without
its messages fails here instead of showing in English on a Chinese page.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from controller.agronomy.decision_codes import DecisionCode, coded
from controller.agronomy.fert_notes import FERT_NOTES
from controller.notify.channel_events import CHANNEL_EVENTS
from controller.runtime.clock_events import CLOCK_EVENTS, CLOCK_REASONS
from controller.runtime.end_reasons import CHANNEL_DOSES, END_REASONS
from controller.runtime.run_events import RUN_EVENTS
from controller.simulation.fidelity import DONE_REASON
from models.planner import ReasonCode
from tests.helpers.refusal_codes import refusal_codes
from web.i18n import LOCALES, catalog
from web.pages.format import Formatter
from web.pages.said import alarm_said, decision_said, end_said, reasons_said

UTC8 = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_decision_code_has_a_message(locale: str) -> None:
    codes = {c.value for c in ReasonCode} | {c.value for c in DecisionCode}
    missing = sorted(c for c in codes if f"reason_code.{c}" not in catalog(locale))
    assert missing == []


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_end_reason_code_has_a_message(locale: str) -> None:
    missing = sorted(c for c in END_REASONS if f"end_reason.{c}" not in catalog(locale))
    assert missing == []


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_clock_and_run_event_has_a_message(locale: str) -> None:
    names = catalog(locale)
    tables = {"clock_event": CLOCK_EVENTS, "clock_reason": CLOCK_REASONS, "run_event": RUN_EVENTS}
    assert (
        sorted(f"{t}.{c}" for t, codes in tables.items() for c in codes if f"{t}.{c}" not in names)
        == []
    )


def test_the_english_end_reasons_are_worded_as_the_record() -> None:
    english = catalog("en")
    assert {c: english[f"end_reason.{c}"] for c in END_REASONS} == END_REASONS
    assert {c: english[f"channel_dose.{c}"] for c in CHANNEL_DOSES} == CHANNEL_DOSES
    assert {c: english[f"fert_note.{c}"] for c in FERT_NOTES} == FERT_NOTES
    assert {c: english[f"clock_event.{c}"] for c in CLOCK_EVENTS} == CLOCK_EVENTS
    assert {c: english[f"clock_reason.{c}"] for c in CLOCK_REASONS} == CLOCK_REASONS
    assert {c: english[f"channel_event.{c}"] for c in CHANNEL_EVENTS} == CHANNEL_EVENTS
    assert {c: english[f"run_event.{c}"] for c in RUN_EVENTS} == RUN_EVENTS


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_channels_dose_and_plan_note_has_a_message(locale: str) -> None:
    names = catalog(locale)
    assert sorted(c for c in CHANNEL_DOSES if f"channel_dose.{c}" not in names) == []
    assert sorted(c for c in FERT_NOTES if f"fert_note.{c}" not in names) == []


def test_every_refusal_code_in_the_source_has_a_message() -> None:
    codes = refusal_codes()
    assert {"paused", "tank_low", "already_running"} <= set(codes)  # the collector finds them
    for locale in LOCALES:
        missing = {c: w for c, w in codes.items() if f"refusal.{c}" not in catalog(locale)}
        assert missing == {}, locale


def test_a_sensor_decision_is_said_in_chinese_with_its_values() -> None:
    inputs = coded(
        DecisionCode.SENSOR_NOT_DRY,
        theta_pct="21.5",
        theta_raw_pct="18.0",
        raw_mm="40.0",
        taw_mm="90.0",
    )
    said = decision_said("zh-CN", inputs)
    assert said == "不灌溉：探头含水量 21.5 %，RAW 对应含水量 18.0 %（RAW 40.0 mm，TAW 90.0 mm）"
    assert decision_said("en", inputs) == (
        "no irrigation: probe moisture 21.5 % vs moisture at RAW 18.0 % "
        "(RAW 40.0 mm of TAW 90.0 mm)"
    )


def test_a_decision_without_codes_or_with_an_unknown_one_is_not_said() -> None:
    assert decision_said("zh-CN", {"dr_now_mm": 3.0}) is None  # recorded before codes
    assert reasons_said("zh-CN", ["manual", "from_a_later_release"], {}) is None


def test_an_end_reason_is_said_part_by_part_with_the_pause_in_local_time() -> None:
    fmt = Formatter("zh-CN", UTC8)
    said = end_said(fmt, "paused until 2026-05-01T10:00:00+00:00; water by flow1 totalizer")
    assert said == "暂停到 05-01 18:00；水量按 flow1 累计流量计"
    mixed = end_said(fmt, "stopped by li; the moon was full")
    assert mixed == "li 停止；the moon was full"  # a part no code knows: as recorded
    assert end_said(fmt, "the moon was full") is None


@pytest.mark.parametrize(
    ("ended", "said"),
    [
        # a run ended by a trip: the trip's message said too
        (
            "safety ec_high: EC 3.60 mS/cm > 3.5 while injecting",
            "安全停机 ec_high：注肥中 EC 3.60 mS/cm > 3.5",
        ),
        ("safety lamp: the moon was full", "安全停机 lamp：the moon was full"),  # as recorded
        # a recipe run: each channel's litres said too, one no template knows as recorded
        (
            "channels: N 1.20 L of 1.25 L (counter), acid 0.30 L (rate × time), K ??",
            "各通道：N 1.20 L（目标 1.25 L，计量泵计数）、acid 0.30 L（按流量 × 时间）、K ??",
        ),
    ],
)
def test_a_record_inside_an_end_reason_is_said_too(ended: str, said: str) -> None:
    assert end_said(Formatter("zh-CN", UTC8), ended) == said


def test_a_runs_channels_are_listed_with_each_languages_separator() -> None:
    ended = "channels: N 1.20 L (counter), acid 0.30 L (rate × time); water by flow1 totalizer"
    zh = end_said(Formatter("zh-CN", UTC8), ended)
    assert (
        zh
        == "各通道：N 1.20 L（计量泵计数）、acid 0.30 L（按流量 × 时间）；水量按 flow1 累计流量计"
    )
    assert end_said(Formatter("en", UTC8), ended) == ended  # the English is the record


def test_a_device_event_is_said_only_in_its_own_events_words() -> None:
    fmt = Formatter("zh-CN", UTC8)
    offline = "probe1: no good reading for 310 s (timeout)"
    assert (
        alarm_said(fmt, "probe1", "device_offline", offline)
        == "probe1：310 秒没有有效读数（timeout）"
    )
    assert alarm_said(fmt, "probe1", "device_online", offline) is None  # the record instead


def test_a_modbus_exception_inside_a_device_event_is_said_by_its_name() -> None:
    error = "press1: read holding 2+5: exception 2 (illegal data address)"
    offline = f"press1: no good reading for 30 s ({error})"
    assert alarm_said(Formatter("zh-CN", UTC8), "press1", "device_offline", offline) == (
        "press1：30 秒没有有效读数（设备回复 Modbus 异常 2（非法数据地址）：读保持寄存器 2+5）"
    )


def test_the_clock_alarm_is_said_with_its_reason_and_no_record_yet() -> None:
    alarm = (
        "wall clock not trusted: not synchronised (no NTP) and the admin confirmation of "
        "2027-06-01 10:00 was before a reboot; the clock says 2027-06-02 08:00:00 UTC, "
        "newest record none; nothing waters automatically until it is trusted (check NTP, "
        "or run `qanat confirm-time`)"
    )
    assert alarm_said(Formatter("zh-CN", UTC8), "site", "clock_untrusted", alarm) == (
        "系统时间不可信：未同步（没有 NTP），且管理员 2027-06-01 10:00 的确认在重启之前；"
        "时钟显示 2027-06-02 08:00:00 UTC，最新记录 无；时间可信之前不会自动灌溉"
        "（检查 NTP，或执行 `qanat confirm-time`）"
    )
    assert alarm_said(Formatter("en", UTC8), "site", "clock_untrusted", alarm) == alarm


def test_a_run_event_is_said_with_its_end_reason_and_credit() -> None:
    event = (
        "run 12 of zone z1 interrupted (daemon restarted during the run) after 4.31 m3 "
        "applied; water since the last progress not credited: no meter reading was kept with it"
    )
    said = alarm_said(Formatter("zh-CN", UTC8), "sequencer", "run_interrupted", event)
    assert said is not None and said.startswith("轮灌区 z1 的运行 12 中断（")
    assert "4.31 m³" in said and "credited" not in said and "restart" not in said
    assert alarm_said(Formatter("en", UTC8), "sequencer", "run_interrupted", event) == event
    assert alarm_said(Formatter("zh-CN", UTC8), "sequencer", "volume_cap", event) is None


def test_a_shared_meter_credit_stored_in_the_older_words_is_said() -> None:
    """A row stored when the record said "run(s)" is still said in Chinese."""
    older = (
        "daemon restarted during the run; water since the last progress not credited: "
        "flow1 also measured run(s) 8, 9"
    )
    said = end_said(Formatter("zh-CN", UTC8), older)
    assert said is not None and said.endswith("；上次记录后的水量未计入：flow1 同时计量了运行 8, 9")
    assert "run(s)" not in said


def test_the_demos_simulated_past_runs_end_reason_is_said() -> None:
    """qanat demo's season up to today is simulated (controller.simulation.fidelity): its
    runs' end reason is said too, not left in English on the zone page."""
    said = end_said(Formatter("zh-CN", UTC8), DONE_REASON)
    assert said is not None and "agronomy" not in said and "模拟" in said


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_channel_and_broker_event_has_a_message(locale: str) -> None:
    names = catalog(locale)
    assert sorted(c for c in CHANNEL_EVENTS if f"channel_event.{c}" not in names) == []


def test_a_channel_or_broker_down_and_back_is_said_in_the_pages_language() -> None:
    """The records as the notifier and the MQTT bridge store them (older rows alike): the
    page says them in Chinese, the outage's start in the page's time; English as stored."""
    since = "2026-06-01T04:00:10+00:00"
    records = {
        "notify_channel_down": CHANNEL_EVENTS["notify_channel_down"].format(
            channel="ops", kind="wecom", since=since, error="webhook answered HTTP 503"
        ),
        "notify_channel_up": CHANNEL_EVENTS["notify_channel_up"].format(channel="ops"),
        "mqtt_down": CHANNEL_EVENTS["mqtt_down"].format(
            broker="127.0.0.1:1883", since=since, error="connection refused"
        ),
        "mqtt_up": CHANNEL_EVENTS["mqtt_up"].format(broker="127.0.0.1:1883"),
    }
    zh = Formatter("zh-CN", UTC8)
    said = {code: alarm_said(zh, "notify", code, record) for code, record in records.items()}
    at = zh.time(datetime.fromisoformat(since))
    assert said == {
        "notify_channel_down": f"通知通道 ops（wecom）自 {at} 起无法送达："
        "webhook answered HTTP 503",
        "notify_channel_up": "通知通道 ops 已恢复送达",
        "mqtt_down": f"MQTT 服务器 127.0.0.1:1883 自 {at} 起无法连接：connection refused；"
        "连上后会重新发布全部状态",
        "mqtt_up": "MQTT 服务器 127.0.0.1:1883 已恢复连接，全部状态已重新发布",
    }
    assert "12:00" in at  # 04:00 UTC in the page's time zone
    en = Formatter("en", UTC8)
    assert alarm_said(en, "notify", "mqtt_up", records["mqtt_up"]) == records["mqtt_up"]
    # another writer's message under the same code is shown as stored
    assert alarm_said(zh, "mqtt", "mqtt_down", "broker gone") is None
