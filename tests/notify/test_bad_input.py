"""Every channel's bad input through the notifier, with the real parts: a webhook answering
HTTP 500 and one answering 403, a mail server not there yet, one refusing the login, a
modem without a SIM and then without signal. Each is logged once, retried with every
attempt audited, never raises out of a pass; each delivers once its fault is gone."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from controller.clock import VirtualClock
from controller.config.notify import NotifyConfig
from controller.notify.notifier import Notifier
from controller.store import AuditEntry, Severity, Store
from tests.helpers.modem import SimModem
from tests.helpers.notify import SmtpInbox, WebhookReceiver, self_signed_cert
from tests.helpers.site import free_port

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def modem(pty_pair: tuple[str, str]) -> Iterator[tuple[SimModem, str]]:
    ours, modems = pty_pair
    sim = SimModem(modems)
    try:
        yield sim, ours
    finally:
        sim.close()


def failures(store: Store) -> dict[str, list[str]]:
    """Each channel's failed attempts' errors, from the audit log."""
    out: dict[str, list[str]] = {}
    with store.reading() as s:
        for a in s.exec(select(AuditEntry).where(AuditEntry.action == "notify.failed")):
            out.setdefault(str(a.detail["channel"]), []).append(str(a.detail["error"]))
    return out


def test_each_bad_channel_is_logged_once_retried_and_delivers_when_mended(
    tmp_path: Path, modem: tuple[SimModem, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="controller.notify")
    sim, port = modem
    sim.sim = False
    cert, key = self_signed_cert(tmp_path)
    down_port = free_port()
    strict = SmtpInbox(cert, key, user="qanat", password="the-right-one")
    h500, h403 = WebhookReceiver(), WebhookReceiver()
    h500.status, h403.status = 500, 403
    mail = {
        "kind": "email",
        "smtp_host": "127.0.0.1",
        "tls_ca_file": str(cert),
        "username": "qanat",
        "password": "pw-1",
        "sender": "qanat@site.example",
        "recipients": ["ops@example.com"],
        "timeout_s": 2,
    }
    cfg = NotifyConfig.model_validate(
        {
            "retry_max_s": 30,
            "channel_down_min": 600,
            "channels": [
                {"name": "wecom", "kind": "wecom", "url": h500.url("/wecom"), "timeout_s": 2},
                {"name": "lark", "kind": "feishu", "url": h403.url("/feishu"), "timeout_s": 2},
                {"name": "mail", "smtp_port": down_port, **mail},
                {"name": "badpw", "smtp_port": strict.port, **mail},
                {"name": "sms", "kind": "sms", "serial_port": port, "phones": ["10086"]},
            ],
        }
    )
    clock = VirtualClock(START)
    inbox: SmtpInbox | None = None
    try:
        with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
            n = Notifier(cfg, store, clock, site_name="演示", tz=TZ)
            n.run_once()
            store.raise_event(Severity.ALARM, "dry_run", "site", "pump on, no flow")
            for i in range(4):
                if i == 2:
                    sim.sim, sim.rssi = True, 99  # a SIM now, but no signal
                clock.advance(60)
                n.run_once()  # never raises
            errors = failures(store)
            assert {ch: len(e) for ch, e in errors.items()} == dict.fromkeys(
                ("wecom", "lark", "mail", "badpw", "sms"), 4
            )
            assert "HTTP 500" in errors["wecom"][0] and "HTTP 403" in errors["lark"][0]
            assert "unreachable" in errors["mail"][0]
            assert "refused the login" in errors["badpw"][0]
            assert "SIM not inserted" in errors["sms"][0] and "no signal" in errors["sms"][-1]
            logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
            for ch in ("wecom", "lark", "mail", "badpw", "sms"):
                assert len([m for m in logged if m.startswith(f"channel {ch}:")]) == 1, ch
            # the faults go away (but the wrong password): each delivers, once
            h500.status = h403.status = 200
            inbox = SmtpInbox(cert, key, user="qanat", password="pw-1", port=down_port)
            sim.rssi = 21
            caplog.clear()
            for _ in range(3):
                clock.advance(60)
                n.run_once()
            assert len(h500.texts("/wecom")) == 1 and len(h403.texts("/feishu")) == 1
            assert len(inbox.messages) == 1 and len(sim.texts()) == 1
            assert "dry_run" in sim.texts()[0][1] or "水泵空转" in sim.texts()[0][1]
            assert strict.messages == []
            again = {r.getMessage() for r in caplog.records if r.levelno == logging.INFO}
            assert again == {
                f"channel {ch} delivers again" for ch in ("wecom", "lark", "mail", "sms")
            }
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
            assert len(failures(store)["badpw"]) == 7  # still retried, quietly
    finally:
        for closing in (h500, h403, strict, inbox):
            if closing is not None:
                closing.close()
