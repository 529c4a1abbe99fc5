"""``qanat notify test CHANNEL`` against a real webhook receiver, a mail server and a
simulated modem on a pty pair."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.cli import main
from controller.store import Store
from tests.helpers.modem import SimModem
from tests.helpers.notify import SmtpInbox, WebhookReceiver, self_signed_cert
from tests.helpers.site import DEMO_SITE, refusing_port


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def dead_port() -> Iterator[int]:
    with refusing_port() as port:
        yield port


def site_file(tmp_path: Path, hook_port: int, dead_port: int) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(
        DEMO_SITE.read_text(encoding="utf-8")
        + f"""
[notify]
language = "en"

[[notify.channels]]
name = "ops"
kind = "wecom"
url = "http://127.0.0.1:{hook_port}/wecom"
timeout_s = 2

[[notify.channels]]
name = "dead"
kind = "feishu"
url = "http://127.0.0.1:{dead_port}/feishu"
timeout_s = 2
""",
        encoding="utf-8",
    )
    return path


def qanat(tmp_path: Path, site: Path, channel: str) -> int:
    data = tmp_path / "data"
    return main(["notify", "--config", str(site), "--data-dir", str(data), "test", channel])


def test_a_test_message_is_delivered_and_audited(
    tmp_path: Path, hook: WebhookReceiver, dead_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_file(tmp_path, hook.port, dead_port)
    with Store.open_dir(tmp_path / "data"):  # the box's store
        pass
    assert qanat(tmp_path, site, "ops") == 0
    (text,) = hook.texts("/wecom")
    assert "notification test" in text and "to the channel ops" in text
    said = capsys.readouterr().out.strip()
    assert said == f"ops: test message delivered (recorded in {tmp_path / 'data' / 'qanat.db'})"
    with Store.open_dir(tmp_path / "data") as store, store.reading() as s:
        from sqlmodel import select

        from controller.store import AuditEntry

        actions = [a.action for a in s.exec(select(AuditEntry))]
    assert "notify.test_sent" in actions


def test_without_a_store_none_is_made_and_the_outcome_is_not_recorded(
    tmp_path: Path,
    hook: WebhookReceiver,
    dead_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No ``--data-dir`` on a machine where qanat is not installed yet: the default data
    directory (root's ``/var/lib/qanat``; here systemd's ``STATE_DIRECTORY``, which comes
    first for root and user alike) is left as it was, and the command says the outcome went
    nowhere."""
    monkeypatch.delenv("QANAT_DATA_DIR", raising=False)
    default = tmp_path / "state" / "qanat"
    monkeypatch.setenv("STATE_DIRECTORY", str(default))
    site = site_file(tmp_path, hook.port, dead_port)
    assert main(["notify", "--config", str(site), "test", "ops"]) == 0
    assert len(hook.texts("/wecom")) == 1
    said = capsys.readouterr().out
    assert f"(not recorded: no box store in {default} (no qanat.db" in said, said
    assert main(["notify", "--config", str(site), "test", "dead"]) == 1
    assert f"(not recorded: no box store in {default}" in capsys.readouterr().err
    assert not (tmp_path / "state").exists()


def test_an_unreachable_channel_fails_and_an_unknown_one_is_unusable(
    tmp_path: Path, hook: WebhookReceiver, dead_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_file(tmp_path, hook.port, dead_port)
    assert qanat(tmp_path, site, "dead") == 1
    assert "dead: not delivered: feishu webhook unreachable" in capsys.readouterr().err
    assert qanat(tmp_path, site, "nobody") == 2
    assert "no enabled channel 'nobody'" in capsys.readouterr().err


def test_a_disabled_channel_is_said_to_be_disabled(
    tmp_path: Path, hook: WebhookReceiver, dead_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_file(tmp_path, hook.port, dead_port)
    text = site.read_text(encoding="utf-8").replace(
        'name = "ops"\n', 'name = "ops"\nenabled = false\n'
    )
    site.write_text(text, encoding="utf-8")
    assert qanat(tmp_path, site, "ops") == 2
    err = capsys.readouterr().err.strip()
    assert err == "channel 'ops' is disabled (enabled = false in [notify]): enable it to test it"
    assert hook.texts("/wecom") == []


def test_a_site_without_notify_is_unusable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plain.toml"
    path.write_text(DEMO_SITE.read_text(encoding="utf-8"), encoding="utf-8")
    assert qanat(tmp_path, path, "ops") == 2
    assert "no [notify] section" in capsys.readouterr().err


def test_every_kind_of_channel_takes_its_test_message(
    tmp_path: Path,
    hook: WebhookReceiver,
    dead_port: int,
    pty_pair: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One test per kind: the three chat robots, the mail server, the modem (SIM, signal,
    PDU checked by the simulated module); a modem without signal fails, naming why."""
    cert, key = self_signed_cert(tmp_path)
    inbox = SmtpInbox(cert, key, user="qanat", password="pw-1")
    ours, modems = pty_pair
    modem = SimModem(modems)
    site = site_file(tmp_path, hook.port, dead_port)
    site.write_text(
        site.read_text(encoding="utf-8")
        + f"""
[[notify.channels]]
name = "ding"
kind = "dingtalk"
url = "http://127.0.0.1:{hook.port}/dingtalk"
secret = "SECcli"

[[notify.channels]]
name = "lark"
kind = "feishu"
url = "http://127.0.0.1:{hook.port}/feishu"

[[notify.channels]]
name = "mail"
kind = "email"
smtp_host = "127.0.0.1"
smtp_port = {inbox.port}
tls_ca_file = "{cert}"
username = "qanat"
password = "pw-1"
sender = "qanat@site.example"
recipients = ["ops@example.com"]

[[notify.channels]]
name = "sms"
kind = "sms"
serial_port = "{ours}"
phones = ["+8613912345678"]
timeout_s = 2
""",
        encoding="utf-8",
    )
    hook.dingtalk_secret = "SECcli"
    try:
        for name in ("ops", "ding", "lark", "mail", "sms"):
            assert qanat(tmp_path, site, name) == 0, capsys.readouterr().err
        assert [len(hook.texts(p)) for p in ("/wecom", "/dingtalk", "/feishu")] == [1, 1, 1]
        assert hook.bad_signatures == 0
        assert len(inbox.messages) == 1 and "notification test" in inbox.subjects()[0]
        ((number, text),) = modem.texts()
        assert number == "+8613912345678" and "to the channel sms" in text
        modem.rssi = 99
        assert qanat(tmp_path, site, "sms") == 1
        assert "sms: not delivered: modem on" in capsys.readouterr().err
        assert len(modem.texts()) == 1
    finally:
        modem.close()
        inbox.close()


def test_the_site_file_may_follow_the_action_and_its_absence_is_named(
    tmp_path: Path, hook: WebhookReceiver, dead_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """``qanat notify test ops --config site.toml``, as ``qanat soil approve z1 --config``."""
    site = site_file(tmp_path, hook.port, dead_port)
    data = str(tmp_path / "data")
    assert main(["notify", "test", "ops", "--config", str(site), "--data-dir", data]) == 0
    assert len(hook.texts("/wecom")) == 1
    capsys.readouterr()
    assert main(["notify", "test", "ops", "--data-dir", data]) == 2
    assert "--config SITE.toml is needed" in capsys.readouterr().err
