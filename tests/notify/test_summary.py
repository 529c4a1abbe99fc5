"""The daily summary: its facts from the store, and sent once a day from its time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from controller.clock import VirtualClock
from controller.config.notify import NotifyConfig
from controller.config.site import SiteConfig
from controller.notify.notifier import Notifier
from controller.notify.summary import DaySummary, day_summary
from controller.store import RunSource, Severity, Store
from controller.store.outbox import Outbox


class Sender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, subject: str, body: str, *, message_id: int | None = None) -> None:
        self.sent.append((subject, body))


def test_the_summary_counts_the_day_before(site: SiteConfig, tmp_path: Path) -> None:
    tz = site.site.tz
    clock = VirtualClock(datetime(2026, 6, 10, 9, 0, tzinfo=tz))  # the day summed up
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        for applied, state in ((12.5, "done"), (3.0, "aborted")):
            run = store.plan_run("z1", RunSource.MANUAL, 30)
            assert run.id is not None
            store.start_run(run.id)
            store.finish_run(run.id, state, "test", applied_m3=applied)
        store.raise_event(Severity.ALARM, "dry_run", "site", "x", latched=True)
        store.raise_event(Severity.WARNING, "pressure_low", "site", "x")
        clock.set(datetime(2026, 6, 11, 0, 30, tzinfo=tz))  # the next day: not counted
        store.raise_event(Severity.CRITICAL, "burst", "site", "x")
        facts = day_summary(site, store, date(2026, 6, 10), clock.now())
    assert (facts.water_m3, facts.runs, facts.runs_not_done) == (15.5, 2, 1)
    assert (facts.alarms, facts.open_alarms) == (1, 1)
    assert facts.saving_m3_per_mu is not None


def test_sent_once_a_day_from_its_time_to_the_channels_that_take_it(tmp_path: Path) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    clock = VirtualClock(datetime(2026, 6, 10, 23, 0, tzinfo=UTC))  # 07:00 local
    cfg = NotifyConfig.model_validate(
        {
            "summary_time": "07:30",
            "channels": [
                {"name": "ops", "kind": "wecom", "url": "http://h/x"},
                {"name": "pager", "kind": "wecom", "url": "http://h/y", "summary": False},
            ],
        }
    )
    asked: list[date] = []

    def facts(day: date, now: datetime) -> DaySummary:
        asked.append(day)
        return DaySummary(day, 15.5, 2, 1, 1, 0, 63.0)

    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        ops, pager = Sender(), Sender()
        n = Notifier(
            cfg,
            store,
            clock,
            site_name="演示",
            tz=zone,
            senders={"ops": ops, "pager": pager},
            summary=facts,
        )
        n.run_once()
        clock.advance(29 * 60)  # 07:29
        n.run_once()
        assert ops.sent == [] and asked == []
        clock.advance(60)  # 07:30
        n.run_once()
        clock.advance(3600)
        n.run_once()
        assert asked == [date(2026, 6, 10)] and pager.sent == []
        ((subject, body),) = ops.sent
        assert subject == "【演示】2026-06-10 日报"
        assert body.splitlines() == [
            "用水：15.5 m³",
            "灌溉：2 次（未正常结束 1 次）",
            "告警：1 次；目前未确认 0 条",
            "累计节水：63.0 m³/亩",
        ]
        clock.advance(23 * 3600)  # the next day, past 07:30
        n.run_once()
        assert asked == [date(2026, 6, 10), date(2026, 6, 11)] and len(ops.sent) == 2
        assert [m.kind for m in Outbox(store).messages("ops")] == ["summary", "summary"]
