"""A supervisor trip in the simulated field reaches people and the bus, across a restart.

The demo site (quick settings) on its simulated devices, the real daemon with its jobs,
the notifier and the bridge; a DingTalk webhook receiver that checks signatures, an SMTP
server with STARTTLS and a login, and mosquitto, all on loopback. A stuck valve relay
makes a manual start trip the supervisor (``output_fault``): the alarm must reach all
three within 10 s. Then the uplink goes down, a second trip is raised, the daemon is
restarted, the uplink comes back: the second alarm must arrive within 10 s too.

The SMS channel's modem is the simulated module on a socat pty pair
(:class:`tests.helpers.modem.SimModem`); its "uplink down" is a module that lost its
signal (``+CSQ: 99,99``), back at the restart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.clock import SystemClock
from controller.config.site import SiteConfig, load_site
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import ControlRefused
from controller.daemon.service import DaemonService
from controller.simulation.harness import Simulation
from controller.store import Store
from drivers.sim import Fault, FaultKind
from tests.helpers.modem import SimModem
from tests.helpers.notify import (
    Mosquitto,
    SmtpInbox,
    Subscriber,
    WebhookReceiver,
    self_signed_cert,
    wait_for,
)
from tests.helpers.servedports import served_field
from tests.helpers.site import quick_site

SECRET = "SECe2e-secret"
DELIVERY_S = 10.0


def notify_site(
    tmp_path: Path, hook: int, smtp: int, mqtt: int, cert: Path, modem: str
) -> SiteConfig:
    base = quick_site(tmp_path)
    text = (
        base.path.read_text(encoding="utf-8")
        + f"""
[notify]
retry_max_s = 2

[[notify.channels]]
name = "ding"
kind = "dingtalk"
url = "http://127.0.0.1:{hook}/dingtalk?access_token=t"
secret = "{SECRET}"
dedup_min = 0
timeout_s = 2

[[notify.channels]]
name = "mail"
kind = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp}
tls_ca_file = "{cert}"
username = "qanat"
password = "pw-1"
sender = "qanat@site.example"
recipients = ["ops@example.com"]
dedup_min = 0
timeout_s = 2

[[notify.channels]]
name = "sms"
kind = "sms"
serial_port = "{modem}"
phones = ["+8613912345678"]
dedup_min = 0
timeout_s = 2

[mqtt]
host = "127.0.0.1"
port = {mqtt}
publish_s = 1
"""
    )
    base.path.write_text(text, encoding="utf-8")
    return load_site(base.path)


def trip(daemon: Daemon, sim: Simulation, zone: str, channel: str) -> None:
    """A welded-open-circuit valve relay: the start fails, the supervisor trips."""
    sim.devices["relay1"].inject(Fault(FaultKind.STUCK, point=channel))
    with pytest.raises(ControlRefused) as err:
        DaemonService(daemon).start_zone(zone, 5, "li-wei")
    assert channel in str(err.value)
    assert "output_fault" in [a.code for a in daemon.store.open_alarms()]


def test_a_trip_reaches_webhook_mail_modem_and_mqtt_also_after_a_restart(
    tmp_path: Path, pty_pair: tuple[str, str]
) -> None:
    cert, key = self_signed_cert(tmp_path)
    hook = WebhookReceiver(dingtalk_secret=SECRET)
    inbox = SmtpInbox(cert, key, user="qanat", password="pw-1")
    broker = Mosquitto(tmp_path)
    ours, modems = pty_pair
    modem = SimModem(modems)
    site = notify_site(tmp_path, hook.port, inbox.port, broker.port, cert, ours)
    sub = Subscriber(broker.port, "qanat/#")
    data = tmp_path / "data"
    alarm_topic = f"qanat/{site.site.id.replace('-', '_')}/last_alarm"
    try:
        with served_field(site, step_s=0.5) as (site, sim):
            # -- 1. the uplink is up: all four within 10 s ----------------------------------
            with Store.open_dir(data) as store:
                daemon = Daemon(site, store, SystemClock())
                daemon.start()
                try:
                    wait_for(lambda: sub.get(alarm_topic) == "none", 15, "bridge publishing")
                    trip(daemon, sim, "z1", "ch1")
                    wait_for(lambda: hook.texts("/dingtalk"), DELIVERY_S, "the webhook")
                    wait_for(lambda: inbox.messages, DELIVERY_S, "the mail")
                    wait_for(modem.texts, DELIVERY_S, "the modem")
                    wait_for(lambda: sub.get(alarm_topic) == "output_fault", DELIVERY_S, "mqtt")
                    assert hook.bad_signatures == 0
                    assert "输出继电器动作失败" in hook.texts("/dingtalk")[0]
                    assert "输出继电器动作失败" in inbox.subjects()[0]
                    number, sms = modem.texts()[0]
                    assert number == "+8613912345678" and "输出继电器动作失败" in sms
                    # -- 2. the uplink goes down; a second trip; the daemon stops -------------
                    hook.close()
                    inbox.close()
                    broker.close()
                    modem.rssi = 99  # the module lost its signal
                    for alarm in store.open_alarms():
                        assert alarm.id is not None
                        store.ack_event(alarm.id, "li-wei")
                    sim.devices["relay1"].clear()
                    trip(daemon, sim, "z3", "ch3")
                    wait_for(
                        lambda: _failed(store) >= {"ding", "mail", "sms"},
                        DELIVERY_S,
                        "a failed attempt on each channel",
                    )
                    before = len(modem.texts())
                finally:
                    daemon.stop()
            sim.devices["relay1"].clear()
            # -- 3. the uplink comes back, the daemon starts again: delivered --------------
            hook = WebhookReceiver(dingtalk_secret=SECRET, port=hook.port)
            inbox = SmtpInbox(cert, key, user="qanat", password="pw-1", port=inbox.port)
            broker = Mosquitto(tmp_path, port=broker.port)
            modem.rssi = 21
            sub.close()
            sub = Subscriber(broker.port, "qanat/#")
            with Store.open_dir(data) as store:
                daemon = Daemon(site, store, SystemClock())
                daemon.start()
                try:
                    # the first alarm acknowledged, and the second alarm
                    wait_for(lambda: len(hook.texts("/dingtalk")) >= 2, DELIVERY_S, "webhook")
                    wait_for(lambda: len(inbox.messages) >= 2, DELIVERY_S, "the mail again")
                    wait_for(lambda: len(modem.texts()) >= before + 2, DELIVERY_S, "the modem")
                    wait_for(
                        lambda: sub.get(alarm_topic) == "output_fault", DELIVERY_S, "mqtt again"
                    )
                    texts = hook.texts("/dingtalk")
                    assert len(texts) == 2  # each once
                    assert sum("relay1.ch3" in t for t in texts) == 1
                    assert sum("已确认：输出继电器动作失败" in t for t in texts) == 1
                    assert hook.bad_signatures == 0
                    assert any("relay1.ch3" in sms for _, sms in modem.texts()[before:])
                finally:
                    daemon.stop()
            assert len(modem.texts()) == before + 2  # each once
    finally:
        modem.close()
        sub.close()
        hook.close()
        inbox.close()
        broker.close()


def _failed(store: Store) -> set[str]:
    """The channels with a failed attempt in the audit log."""
    return {str(a.detail.get("channel")) for a in _audit(store) if a.action == "notify.failed"}


def _audit(store: Store) -> list:  # type: ignore[type-arg]
    from sqlmodel import select

    from controller.store import AuditEntry

    with store.reading() as s:
        return list(s.exec(select(AuditEntry)))
