"""The notifier's rules on a virtual clock and a real store (SQLite file), with senders
faked at the seam (:class:`controller.notify.channels.Sender`)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from controller.clock import VirtualClock
from controller.config.notify import NotifyConfig
from controller.notify.errors import DeliveryFailed, UnknownChannel
from controller.notify.notifier import CHANNEL_DOWN, CHANNEL_UP, Notifier
from controller.notify.policy import DISTINCT_FAULT_CODES
from controller.runtime.readback import CODE as READBACK_CODE
from controller.runtime.safety import SOURCE as SAFETY_SOURCE
from controller.store import Severity, Store
from controller.store.outbox import Outbox, OutboxMessage, QueuedMessage
from tests.helpers.notify import SmtpInbox, self_signed_cert, wait_for

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Zhangye


class FakeSender:
    """Records what it was given; fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failing = False
        self.attempts = 0
        self.message_ids: list[int | None] = []  # of each attempt

    def send(self, subject: str, body: str, *, message_id: int | None = None) -> None:
        self.attempts += 1
        self.message_ids.append(message_id)
        if self.failing:
            raise DeliveryFailed("webhook answered HTTP 503")
        self.sent.append((subject, body))


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock) as s:
        yield s


def config(**kw: object) -> NotifyConfig:
    channels = kw.pop("channels", None) or [
        {"name": "ops", "kind": "wecom", "url": "http://127.0.0.1:9/x", "min_severity": "alarm"},
        {
            "name": "boss",
            "kind": "wecom",
            "url": "http://127.0.0.1:9/y",
            "min_severity": "critical",
        },
    ]
    return NotifyConfig.model_validate({"channels": channels, **kw})


def make(
    store: Store, clock: VirtualClock, cfg: NotifyConfig | None = None, **senders: FakeSender
) -> tuple[Notifier, dict[str, FakeSender]]:
    cfg = cfg or config()
    fakes = {c.name: senders.get(c.name) or FakeSender() for c in cfg.channels}
    n = Notifier(cfg, store, clock, site_name="张掖示范", tz=TZ, senders=fakes)
    n.run_once()  # first start: the cursor begins after the history
    return n, fakes


def step(n: Notifier, clock: VirtualClock, seconds: float = 1, times: int = 1) -> None:
    for _ in range(times):
        clock.advance(seconds)
        n.run_once()


def audits(store: Store) -> list[str]:
    with store.reading() as s:
        from sqlmodel import select

        from controller.store import AuditEntry

        return [a.action for a in s.exec(select(AuditEntry)) if a.actor == "notify"]


def test_history_is_not_sent_and_severity_picks_the_channels(
    store: Store, clock: VirtualClock
) -> None:
    store.raise_event(Severity.CRITICAL, "burst", "site", "old news", latched=True)
    n, fakes = make(store, clock)
    store.raise_event(Severity.ALARM, "dry_run", "site", "pump on, no flow", latched=True)
    store.raise_event(Severity.WARNING, "sensor_fault", "probe1a", "silent")
    store.raise_event(Severity.CRITICAL, "control_error", "site", "loop error", latched=True)
    step(n, clock)
    ops = [s for s, _ in fakes["ops"].sent]
    assert ops == [
        "【张掖示范】告警：水泵空转（无水流）",
        "【张掖示范】严重告警：控制循环错误，已全部关闭",
    ]
    assert [s for s, _ in fakes["boss"].sent] == [ops[1]]
    body = fakes["ops"].sent[0][1]
    assert "pump on, no flow" in body and "2026-06-01 12:00:00 CST" in body
    assert audits(store).count("notify.sent") == 3


def test_each_distinct_relay_fault_is_sent_and_the_same_one_again_is_not(
    store: Store, clock: VirtualClock
) -> None:
    """The read-back raises one event per fault: within dedup_min a second fault (another
    message) is sent, the same message again is a repeat; other codes stay keyed on code
    and source alone."""
    n, fakes = make(store, clock)
    first = "output read-back mismatch: relay1: ch4 [no role] commanded off, read on"
    second = "output read-back mismatch (new: relay1.ch2 reads on): relay1: ch2, ch4 read on"
    for message in (first, second, first):
        store.raise_event(Severity.CRITICAL, "output_mismatch", "safety", message, latched=True)
        step(n, clock, 60)
    store.raise_event(Severity.CRITICAL, "startup_unsafe", "site", "relay1 not off")
    store.raise_event(Severity.CRITICAL, "startup_unsafe", "site", "relay2 not off")
    step(n, clock, 60)
    details = [b.split("详情：")[1].split("\n")[0] for _, b in fakes["ops"].sent]
    assert details == [first, second, "relay1 not off"]
    assert audits(store).count("notify.suppressed") == 2 * 2  # both channels each time
    assert READBACK_CODE in DISTINCT_FAULT_CODES  # the read-back's own code


def test_english_catalog(store: Store, clock: VirtualClock) -> None:
    n, fakes = make(store, clock, config(language="en"))
    store.raise_event(Severity.ALARM, "dry_run", "site", "pump on, no flow", latched=True)
    step(n, clock)
    assert fakes["ops"].sent[0][0] == "[张掖示范] Alarm: pump running dry (no flow)"


DRY_RUN = "dry run: pump on 30 s with flow 0.0 m3/h < 0.5"
OFFLINE = "probe1: no good reading for 310 s (probe1: no answer within 2 s)"
FERT_WAITS = (
    "fertigation event 7 of 2026-06-01: N 2.0 kg waits: the run of 12 min is shorter than "
    "prewet 5 + inject 10 + flush 5 min; open until 2026-06-01T10:00:00+00:00"
)


def details(sent: list[tuple[str, str]], label: str) -> list[str]:
    """The detail line of each body sent (after ``label``)."""
    return [b.split(label)[1].splitlines()[0] for _, b in sent]  # a mail's lines end CRLF


def raise_records(store: Store) -> None:
    """A safety trip, a device gone offline, a plan note and a message no template knows."""
    store.raise_event(Severity.ALARM, "dry_run", SAFETY_SOURCE, DRY_RUN, latched=True)
    store.raise_event(Severity.ALARM, "device_offline", "probe1", OFFLINE)
    store.raise_event(Severity.ALARM, "fertigation_plan", "agronomy", FERT_WAITS)
    # another code: the same code and source again would be a repeat
    store.raise_event(Severity.ALARM, "burst", SAFETY_SOURCE, "the moon was full")


def test_a_chinese_alarm_mail_says_its_recorded_detail_in_chinese(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    """Through the e-mail channel to a test SMTP server: the stored English message said
    with the records' words, a time in the site's zone; a message no template knows as
    stored."""
    cert, key = self_signed_cert(tmp_path)
    inbox = SmtpInbox(cert, key, user="qanat", password="pw-1")
    try:
        ops = {"name": "ops", "kind": "email", "smtp_host": "127.0.0.1", "smtp_port": inbox.port}
        ops |= {"tls_ca_file": str(cert), "username": "qanat", "password": "pw-1"}
        ops |= {"sender": "qanat@site.example", "recipients": ["ops@example.com"]}
        n = Notifier(config(channels=[ops]), store, clock, site_name="张掖示范", tz=TZ)
        n.run_once()  # first start: the cursor begins after the history
        raise_records(store)
        step(n, clock)
    finally:
        inbox.close()
    mails = [(str(m["Subject"]), m.get_content()) for m in inbox.messages]
    assert details(mails, "详情：") == [
        "空转：水泵已开 30 秒，流量 0.0 m³/h < 0.5",
        "probe1：310 秒没有有效读数（2 秒内无应答）",
        "施肥事件 7（2026-06-01）：N 2.0 kg 等待：本次灌溉 12 分钟，短于预湿 5 + 注肥 10 + "
        "冲洗 5 分钟；2026-06-01 18:00:00 CST 前有效",
        "the moon was full",
    ]


def test_an_english_alarm_keeps_the_stored_message(store: Store, clock: VirtualClock) -> None:
    n, fakes = make(store, clock, config(language="en"))
    raise_records(store)
    step(n, clock)
    assert details(fakes["ops"].sent, "Detail: ") == [
        DRY_RUN,
        OFFLINE,
        FERT_WAITS,
        "the moon was full",
    ]


def test_a_repeat_within_dedup_min_is_suppressed_and_audited(
    store: Store, clock: VirtualClock
) -> None:
    n, fakes = make(store, clock)
    store.raise_event(Severity.ALARM, "pressure_low", "site", "60 kPa")
    step(n, clock)
    clock.advance(10 * 60)
    store.raise_event(Severity.ALARM, "pressure_low", "site", "61 kPa")
    store.raise_event(Severity.ALARM, "pressure_low", "z2", "other source")
    step(n, clock)
    clock.advance(31 * 60)
    store.raise_event(Severity.ALARM, "pressure_low", "site", "62 kPa")  # past dedup_min
    step(n, clock)
    details = [b.split("详情：")[1].split("\n")[0] for _, b in fakes["ops"].sent]
    assert details == ["60 kPa", "other source", "62 kPa"]
    assert audits(store).count("notify.suppressed") == 1


def test_rate_limit_spares_critical(store: Store, clock: VirtualClock) -> None:
    cfg = config(
        channels=[
            {"name": "ops", "kind": "wecom", "url": "http://h/x", "max_per_hour": 2, "dedup_min": 0}
        ]
    )
    n, fakes = make(store, clock, cfg)
    for i in range(4):
        store.raise_event(Severity.ALARM, f"a{i}", "site", "x")
    store.raise_event(Severity.CRITICAL, "control_error", "site", "x")
    step(n, clock, times=3)
    assert [s.split("：")[1] for s, _ in fakes["ops"].sent] == [
        "a0",
        "a1",
        "控制循环错误，已全部关闭",
    ]
    clock.advance(3601)
    store.raise_event(Severity.ALARM, "a9", "site", "x")
    step(n, clock)
    assert fakes["ops"].sent[-1][0].endswith("a9")


def test_quiet_hours_hold_all_but_critical_until_they_end(
    store: Store, clock: VirtualClock
) -> None:
    clock.set(datetime(2026, 6, 1, 15, 0, tzinfo=UTC))  # 23:00 local
    cfg = config(
        channels=[
            {"name": "ops", "kind": "wecom", "url": "http://h/x", "quiet_hours": "22:00-07:00"}
        ]
    )
    n, fakes = make(store, clock, cfg)
    store.raise_event(Severity.ALARM, "pressure_low", "site", "night")
    store.raise_event(Severity.CRITICAL, "burst", "site", "night, critical")
    step(n, clock, 60, times=3)
    assert [s for s, _ in fakes["ops"].sent] == ["【张掖示范】严重告警：流量过大（疑似爆管）"]
    clock.set(datetime(2026, 6, 1, 22, 59, tzinfo=UTC))  # 06:59 local
    n.run_once()
    assert len(fakes["ops"].sent) == 1
    step(n, clock, 61)  # 07:00 local
    assert len(fakes["ops"].sent) == 2 and "管道压力过低" in fakes["ops"].sent[1][0]


def test_failures_retry_with_back_off_in_order_and_are_audited(
    store: Store, clock: VirtualClock
) -> None:
    n, fakes = make(store, clock)
    ops = fakes["ops"]
    ops.failing = True
    store.raise_event(Severity.ALARM, "first", "site", "1")
    store.raise_event(Severity.ALARM, "second", "site", "2")
    step(n, clock)  # t=1: attempt 1 fails, next at t=6
    step(n, clock, times=4)  # t=2..5: waiting, the second message never overtakes
    assert ops.attempts == 1
    step(n, clock)  # t=6: attempt 2 fails, next in 10 s
    assert ops.attempts == 2
    ops.failing = False
    step(n, clock, times=9)  # t=7..15
    assert ops.sent == []
    step(n, clock)  # t=16: delivered, then the second in the same pass
    assert [s.split("：")[1] for s, _ in ops.sent] == ["first", "second"]
    actions = audits(store)
    assert actions.count("notify.failed") == 2 and actions.count("notify.sent") == 2
    first = ops.message_ids[0]  # its outbox row, the same on every attempt
    assert first is not None and ops.message_ids[:3] == [first] * 3
    assert ops.message_ids[3] not in (None, first)


def test_the_queue_survives_a_restart_without_repeats(tmp_path: Path, clock: VirtualClock) -> None:
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    with Store(url, clock=clock) as store:
        n, fakes = make(store, clock)
        fakes["ops"].failing = True
        store.raise_event(Severity.ALARM, "dry_run", "site", "before the restart")
        step(n, clock)
        assert fakes["ops"].sent == []
    clock.advance(60)
    with Store(url, clock=clock) as store:  # a new process: new notifier, same database
        store.raise_event(Severity.ALARM, "burst", "site", "after the restart")
        n2, fakes2 = make(store, clock)
        step(n2, clock)
        assert [s.split("：")[1] for s, _ in fakes2["ops"].sent] == [
            "水泵空转（无水流）",
            "流量过大（疑似爆管）",
        ]
        step(n2, clock, 60, times=3)
        assert len(fakes2["ops"].sent) == 2


def test_a_channel_down_for_long_raises_its_own_alarm_elsewhere(
    store: Store, clock: VirtualClock
) -> None:
    cfg = config(
        channel_down_min=5,
        retry_max_s=30,
        channels=[
            {"name": "ops", "kind": "wecom", "url": "http://h/x"},
            {"name": "mail", "kind": "wecom", "url": "http://h/y"},
        ],
    )
    n, fakes = make(store, clock, cfg)
    fakes["ops"].failing = True
    store.raise_event(Severity.ALARM, "dry_run", "site", "x", latched=True)
    step(n, clock, 10, times=29)  # 4 min 50 s
    assert [e.code for e in store.open_alarms()] == ["dry_run"]
    step(n, clock, 10, times=2)
    down = [e for e in store.open_alarms() if e.code == CHANNEL_DOWN]
    assert len(down) == 1 and down[0].source == "ops" and "HTTP 503" in down[0].message
    step(n, clock, 10, times=6)
    assert len([e for e in store.open_alarms() if e.code == CHANNEL_DOWN]) == 1  # once
    assert "通知通道长时间无法送达" in fakes["mail"].sent[-1][0]
    fakes["ops"].failing = False
    step(n, clock, 30)
    assert not [e for e in store.open_alarms() if e.code == CHANNEL_DOWN]
    assert any(e.code == CHANNEL_UP and e.source == "ops" for e in store.events())
    ops_titles = [s for s, _ in fakes["ops"].sent]
    assert len(ops_titles) == 1 and "水泵空转" in ops_titles[0]  # not told about itself
    step(n, clock, 1)
    # told it was down, told it is back, though the return is below its min_severity
    assert "通知通道已恢复" in fakes["mail"].sent[-1][0]
    # each said in the site's language, the first failure in its time
    assert details(fakes["mail"].sent[-2:], "详情：") == [
        "通知通道 ops（wecom）自 2026-06-01 12:00:10 CST 起无法送达：webhook answered HTTP 503",
        "通知通道 ops 已恢复送达",
    ]


def test_an_unacknowledged_alarm_is_escalated_once(store: Store, clock: VirtualClock) -> None:
    n, fakes = make(store, clock, config(escalate_after_min=30))
    event = store.raise_event(Severity.ALARM, "dry_run", "site", "x", latched=True)
    acked = store.raise_event(Severity.ALARM, "burst", "site", "x", latched=True)
    assert acked.id is not None and event.id is not None
    step(n, clock)
    store.ack_event(acked.id, "li-wei")
    step(n, clock, 60, times=29)
    assert len(fakes["ops"].sent) == 3  # two alarms, the burst acknowledged
    step(n, clock, 60, times=5)
    titles = [s for s, _ in fakes["ops"].sent]
    assert len(titles) == 4 and titles[3].startswith("【张掖示范】30 分钟未确认的告警：水泵空转")


def test_a_message_not_delivered_in_time_expires(store: Store, clock: VirtualClock) -> None:
    n, fakes = make(store, clock, config(give_up_h=1))
    fakes["ops"].failing = True
    store.raise_event(Severity.ALARM, "dry_run", "site", "x")
    step(n, clock, 600, times=7)
    fakes["ops"].failing = False
    step(n, clock, 600)
    assert fakes["ops"].sent == []
    (msg,) = Outbox(store).messages("ops")
    assert msg.state == "expired" and "expired" not in (msg.last_error or "")
    assert "notify.expired" in audits(store)


def test_send_test_names_unknown_channels(store: Store, clock: VirtualClock) -> None:
    n, fakes = make(store, clock)
    n.send_test("ops")
    assert fakes["ops"].sent[0][0] == "【张掖示范】通知测试"
    with pytest.raises(UnknownChannel, match="known: boss, ops"):
        n.send_test("nobody")
    assert "notify.test_sent" in audits(store)


class _Broken:
    def send(self, subject: str, body: str, *, message_id: int | None = None) -> None:
        raise UnicodeEncodeError("ascii", "李", 0, 1, "a sender bug")


def test_a_sender_bug_is_a_failed_attempt_retried_not_a_stalled_line(
    store: Store, clock: VirtualClock
) -> None:
    n, fakes = make(store, clock, ops=_Broken())  # type: ignore[arg-type]
    store.raise_event(Severity.ALARM, "dry_run", "site", "x")
    step(n, clock)
    (msg,) = Outbox(store).pending("ops")
    assert msg.attempts == 1 and "UnicodeEncodeError" in (msg.last_error or "")
    assert len(fakes["boss"].sent) == 0 and "notify.failed" in audits(store)


def test_finished_messages_are_pruned_after_keep_days_pending_ones_kept(
    store: Store, clock: VirtualClock
) -> None:
    n, fakes = make(store, clock)
    store.raise_event(Severity.ALARM, "dry_run", "site", "delivered")
    step(n, clock)
    clock.advance(89 * 86400)
    n.run_once()
    assert [m.state for m in Outbox(store).messages("ops")] == ["sent"]
    fakes["ops"].failing = True
    clock.advance(2 * 86400)
    store.raise_event(Severity.ALARM, "burst", "site", "waiting in the line")
    n.run_once()
    (left,) = Outbox(store).messages("ops")
    assert (left.state, left.code) == ("pending", "burst")
    assert "notify.sent" in audits(store)  # the outcome outlives the row


class ThreadSender:
    """Records which thread sent what, how many sends ran at once; ``gate`` (when set)
    holds every send until it is opened."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.sent: list[tuple[str, str]] = []  # (thread name, subject)
        self.entered = threading.Event()
        self.gate = gate
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    def send(self, subject: str, body: str, *, message_id: int | None = None) -> None:
        with self._lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        self.entered.set()
        try:
            if self.gate is not None:
                self.gate.wait(10)
            self.sent.append((threading.current_thread().name, subject))
        finally:
            with self._lock:
                self.active -= 1


def test_one_worker_thread_delivers_every_channel_each_in_its_order(
    store: Store, clock: VirtualClock
) -> None:
    cfg = config(
        channels=[
            {"name": "ops", "kind": "wecom", "url": "http://h/x", "dedup_min": 0},
            {"name": "mail", "kind": "wecom", "url": "http://h/y", "dedup_min": 0},
        ]
    )
    senders = {"ops": ThreadSender(), "mail": ThreadSender()}
    n = Notifier(cfg, store, clock, site_name="张掖示范", tz=TZ, senders=senders)
    n.start()
    try:
        codes = [f"fault_{i}" for i in range(12)]
        for code in codes:
            store.raise_event(Severity.ALARM, code, "site", code)
        for s in senders.values():
            wait_for(lambda s=s: len(s.sent) == len(codes), 10, "every message delivered")
    finally:
        n.stop()
    threads = {name for s in senders.values() for name, _ in s.sent}
    assert threads == {"qanat-notify"}
    for s in senders.values():
        assert [subject.split("：")[1] for _, subject in s.sent] == codes
        assert s.most_active == 1


def test_a_final_pass_never_runs_beside_a_delivery_still_under_way(
    store: Store, clock: VirtualClock
) -> None:
    """A hung channel at stop: the final pass is skipped, not run in a second thread;
    the message it did not send waits in the outbox for the next start."""
    gate = threading.Event()
    slow = ThreadSender(gate)
    cfg = config(channels=[{"name": "ops", "kind": "wecom", "url": "http://h/x"}])
    n = Notifier(cfg, store, clock, site_name="张掖示范", tz=TZ, senders={"ops": slow})
    n.start()
    store.raise_event(Severity.ALARM, "first", "site", "1")
    assert slow.entered.wait(10)
    store.raise_event(Severity.ALARM, "second", "site", "2")
    n.stop(timeout_s=0.05, final_pass=True)  # the worker is inside send()
    assert slow.most_active == 1 and slow.sent == []
    gate.set()
    wait_for(lambda: len(slow.sent) == 1, 10, "the delivery under way finishes")
    outbox = Outbox(store)
    wait_for(lambda: [m.state for m in outbox.messages("ops")] == ["sent"], 10, "first sent")
    assert slow.most_active == 1
    # the second alarm is not lost: the next start routes and sends it, once
    again = ThreadSender()
    n2 = Notifier(cfg, store, clock, site_name="张掖示范", tz=TZ, senders={"ops": again})
    n2.run_once()
    n2.run_once()
    assert [subject.split("：")[1] for _, subject in again.sent] == ["second"]


def test_back_off_doubles_up_to_retry_max_s(store: Store, clock: VirtualClock) -> None:
    n, fakes = make(store, clock, config(retry_max_s=30))
    ops = fakes["ops"]
    ops.failing = True
    store.raise_event(Severity.ALARM, "first", "site", "1")
    attempts_at: list[int] = []
    for t in range(1, 140):
        before = ops.attempts
        step(n, clock)
        if ops.attempts > before:
            attempts_at.append(t)
    # 5, 10, 20, then 30 (the cap) between attempts
    gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
    assert gaps[:5] == [5, 10, 20, 30, 30]


def test_an_escalation_held_up_until_after_the_acknowledgement_is_not_sent(
    store: Store, clock: VirtualClock
) -> None:
    """The mail server was down when the alarm came and while it was escalated; it was
    acknowledged meanwhile: the mail server, back, gets the alarm but not "unacknowledged
    for 30 min" (withdrawn, audited), while the channel that was up got both in time."""
    cfg = config(escalate_after_min=30, retry_max_s=60, channel_down_min=600)
    n, fakes = make(store, clock, cfg)
    fakes["ops"].failing = True
    event = store.raise_event(Severity.CRITICAL, "dry_run", "site", "x", latched=True)
    assert event.id is not None
    step(n, clock, 60, times=31)
    boss = [(m.kind, m.state) for m in Outbox(store).messages("boss")]
    assert boss == [("alarm", "sent"), ("escalation", "sent")]
    store.ack_event(event.id, "li-wei")
    fakes["ops"].failing = False
    step(n, clock, 60, times=2)
    # the alarm, then that it was acknowledged; not that it is unacknowledged
    assert [s for s, _ in fakes["ops"].sent] == [
        fakes["boss"].sent[0][0],
        "【张掖示范】已确认：水泵空转（无水流）",
    ]
    withdrawn = [m for m in Outbox(store).messages("ops") if m.kind == "escalation"]
    assert [(m.state, m.last_error) for m in withdrawn] == [
        ("suppressed", "alarm acknowledged before delivery")
    ]
    assert "notify.suppressed" in audits(store)


def test_a_doubted_probe_is_said_in_chinese_naming_the_probe_and_zone(
    store: Store, clock: VirtualClock
) -> None:
    """A stuck probe's alarm as the plausibility checks record it: the detail line in the
    site's language, the probe and its zone named."""
    n, fakes = make(store, clock)
    stuck = (
        "probe1a.moisture (zone z1, 0.2 m): moisture flat at 24.10–24.12 % for 24.5 h "
        "(6 readings within 0.05 %): a frozen value; quarantined"
    )
    store.raise_event(Severity.ALARM, "probe_flatline", "probe1a", stuck, latched=True)
    step(n, clock)
    ((subject, body),) = fakes["ops"].sent
    assert subject == "【张掖示范】告警：土壤探头读数不变（已隔离）"
    assert (
        "详情：探头 probe1a（轮灌区 z1，深 0.2 m）：含水率在 24.10–24.12 % 之间 24.5 小时不变"
        in body
    )


def _mail_an_alarm(
    store: Store, clock: VirtualClock, inbox: SmtpInbox, cert: Path, recipients: list[str]
) -> None:
    """One alarm to an email channel on ``inbox`` (logged in as qanat), with 30 s for its
    retries; the inbox is closed after."""
    try:
        ops = {"name": "ops", "kind": "email", "smtp_host": "127.0.0.1", "smtp_port": inbox.port}
        ops |= {"tls_ca_file": str(cert), "username": "qanat", "password": "pw-1"}
        ops |= {"sender": "qanat@site.example", "recipients": recipients}
        n = Notifier(config(channels=[ops]), store, clock, site_name="张掖示范", tz=TZ)
        n.run_once()
        store.raise_event(Severity.ALARM, "dry_run", SAFETY_SOURCE, DRY_RUN, latched=True)
        step(n, clock, 10, times=3)
    finally:
        inbox.close()


def test_a_mail_refused_for_one_recipient_is_sent_once_and_says_who_did_not_get_it(
    store: Store, clock: VirtualClock, tmp_path: Path
) -> None:
    """The server takes the message for one address and refuses another: the one gets it
    once (no retry), and the audit says who did not get it and why."""
    cert, key = self_signed_cert(tmp_path)
    inbox = SmtpInbox(cert, key, user="qanat", password="pw-1", refuse=("gone@example.com",))
    _mail_an_alarm(store, clock, inbox, cert, ["li@example.com", "gone@example.com"])
    assert len(inbox.messages) == 1
    with store.reading() as s:
        from sqlmodel import select

        from controller.store import AuditEntry

        sent = [a.detail for a in s.exec(select(AuditEntry)) if a.action == "notify.sent"]
    assert len(sent) == 1
    assert sent[0]["not_delivered"] == (
        f"mail server 127.0.0.1:{inbox.port} refused gone@example.com (550 5.1.1 no such mailbox)"
    )


@pytest.mark.parametrize("quit_answer", ["421 4.3.0 shutting down", "drop"])
def test_a_mail_the_server_took_is_sent_once_whatever_it_answers_to_quit(
    store: Store, clock: VirtualClock, tmp_path: Path, quit_answer: str
) -> None:
    """250 after DATA means delivered: a bad goodbye (another answer than 221, or the line
    dropped at QUIT) is no failure, so no retry sends the mail a second time."""
    cert, key = self_signed_cert(tmp_path)
    inbox = SmtpInbox(cert, key, user="qanat", password="pw-1", quit_answer=quit_answer)
    _mail_an_alarm(store, clock, inbox, cert, ["li@example.com"])
    assert len(inbox.messages) == 1
    assert audits(store).count("notify.sent") == 1
    assert "notify.failed" not in audits(store)


def test_a_channel_told_of_an_alarm_is_told_once_who_acknowledged_it_and_when(
    store: Store, clock: VirtualClock
) -> None:
    n, fakes = make(store, clock)
    event = store.raise_event(Severity.ALARM, "dry_run", "site", "x", latched=True)
    assert event.id is not None
    step(n, clock)
    clock.advance(300)
    store.ack_event(event.id, "li-wei")
    step(n, clock, 1, times=3)
    assert [s for s, _ in fakes["ops"].sent] == [
        "【张掖示范】告警：水泵空转（无水流）",
        "【张掖示范】已确认：水泵空转（无水流）",
    ]
    assert "\n确认人：li-wei\n确认时间：2026-06-01 12:05:01 CST\n" in fakes["ops"].sent[1][1]
    assert fakes["boss"].sent == []  # never told of the alarm: not told of its end


def test_an_alarm_that_ended_by_itself_is_told_cleared(store: Store, clock: VirtualClock) -> None:
    channels = [{"name": "ops", "kind": "wecom", "url": "http://h/x", "min_severity": "warning"}]
    n, fakes = make(store, clock, config(channels=channels))
    event = store.raise_event(Severity.WARNING, "clock_untrusted", "site", "x", latched=True)
    assert event.id is not None
    step(n, clock)
    store.ack_event(event.id, "clock")  # the clock is trusted again
    step(n, clock, 1, times=2)
    subject, body = fakes["ops"].sent[-1]
    assert subject == "【张掖示范】已解除：系统时间不可信"
    assert "解除时间：2026-06-01 12:00:01 CST（clock 自动解除）" in body
    assert len(fakes["ops"].sent) == 2


def test_an_alarm_sent_late_after_its_acknowledgement_is_told_it_too(
    store: Store, clock: VirtualClock
) -> None:
    """ops is down when dry_run is raised and acknowledged; a later acknowledgement (burst,
    told to boss) must not leave ops's dry_run without its 已确认 once ops delivers again."""
    n, fakes = make(store, clock, config(retry_max_s=60, channel_down_min=600))
    fakes["ops"].failing = True
    first = store.raise_event(Severity.ALARM, "dry_run", "site", "x", latched=True)
    assert first.id is not None
    step(n, clock, 10)
    store.ack_event(first.id, "li-wei")
    step(n, clock, 10)
    later = store.raise_event(Severity.CRITICAL, "burst", "site", "y", latched=True)
    assert later.id is not None
    step(n, clock, 10)
    store.ack_event(later.id, "li-wei")
    step(n, clock, 10, times=3)
    fakes["ops"].failing = False
    step(n, clock, 60, times=5)
    said = [s for s, _ in fakes["ops"].sent]
    assert said.count("【张掖示范】已确认：水泵空转（无水流）") == 1, said
    assert said.index("【张掖示范】告警：水泵空转（无水流）") < said.index(
        "【张掖示范】已确认：水泵空转（无水流）"
    )


def test_a_pass_with_no_acknowledgement_to_tell_writes_nothing(
    store: Store, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A channel's down alarm, acknowledged, is not told (its return says it): the notifier's
    second-by-second pass must not write to the card for it."""
    n, fakes = make(store, clock)
    down = store.raise_event(Severity.ALARM, CHANNEL_DOWN, "boss", "boss failed", latched=True)
    assert down.id is not None
    step(n, clock)
    assert len(fakes["ops"].sent) == 1
    store.ack_event(down.id, "notify")
    writes: list[int] = []
    add_many = n.outbox.add_many

    def counted(msgs: list[QueuedMessage], **kw: Any) -> list[OutboxMessage]:
        writes.append(len(msgs))
        return add_many(msgs, **kw)

    monkeypatch.setattr(n.outbox, "add_many", counted)
    step(n, clock, 1, times=20)
    assert writes == []
