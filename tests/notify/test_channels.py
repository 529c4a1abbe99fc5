"""Senders against real receivers on loopback: the chat robots' webhooks and SMTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from controller.config.notify import ChannelConfig
from controller.notify.channels import EmailSender, WebhookSender
from controller.notify.errors import DeliveryFailed
from controller.notify.signing import dingtalk_sign, feishu_sign
from tests.helpers.notify import SmtpInbox, WebhookReceiver, self_signed_cert
from tests.helpers.site import refusing_port

SECRET = "SEC0123456789abcdef"


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(dingtalk_secret=SECRET) as receiver:
        yield receiver


def channel(**kw: object) -> ChannelConfig:
    return ChannelConfig.model_validate({"name": "c1", "timeout_s": 2, **kw})


def test_dingtalk_request_is_signed_as_dingtalk_checks_it(hook: WebhookReceiver) -> None:
    cfg = channel(kind="dingtalk", url=hook.url("/dingtalk?access_token=abc"), secret=SECRET)
    WebhookSender(cfg).send("告警：水泵空转", "详情")
    assert hook.bad_signatures == 0
    ((_path, query, body),) = hook.requests
    assert query["access_token"] == ["abc"]
    assert body == {"msgtype": "text", "text": {"content": "告警：水泵空转\n详情"}}


def test_dingtalk_with_the_wrong_secret_is_refused_and_reported(hook: WebhookReceiver) -> None:
    cfg = channel(kind="dingtalk", url=hook.url("/dingtalk"), secret="not-the-secret")
    with pytest.raises(DeliveryFailed, match="refused the message: 310000"):
        WebhookSender(cfg).send("s", "b")
    assert hook.bad_signatures == 1 and hook.requests == []


def test_signatures_follow_the_documented_recipes() -> None:
    # DingTalk: hmac(key=secret, msg=f"{ts}\n{secret}"), base64, then URL-encoded
    mac = hmac.new(b"SECxyz", b"1700000000000\nSECxyz", hashlib.sha256).digest()
    assert dingtalk_sign("SECxyz", 1_700_000_000_000) == quote_plus(base64.b64encode(mac))
    # Feishu: hmac(key=f"{ts}\n{secret}", msg=b""), base64 (not URL-encoded: it goes in JSON)
    mac = hmac.new(b"1700000000\nfs-secret", b"", hashlib.sha256).digest()
    assert feishu_sign("fs-secret", 1_700_000_000) == base64.b64encode(mac).decode()


def test_wecom_and_feishu_post_their_documents(hook: WebhookReceiver) -> None:
    WebhookSender(channel(kind="wecom", url=hook.url("/wecom"))).send("s", "b")
    WebhookSender(channel(kind="feishu", url=hook.url("/feishu"), secret="fs")).send("s", "b")
    assert hook.requests[0][2] == {"msgtype": "text", "text": {"content": "s\nb"}}
    feishu = hook.requests[1][2]
    assert feishu["msg_type"] == "text" and feishu["content"] == {"text": "s\nb"}
    assert feishu["sign"] == feishu_sign("fs", int(feishu["timestamp"]))


def test_a_webhook_post_names_its_outbox_row_for_the_receiver_to_drop_a_retry(
    hook: WebhookReceiver,
) -> None:
    """A retry (the answer lost after the service took the POST) carries the same id."""
    sender = WebhookSender(channel(kind="wecom", url=hook.url("/wecom")))
    sender.send("s", "b", message_id=12)
    sender.send("s", "b", message_id=12)
    sender.send("test", "b")  # a test message has no outbox row
    assert hook.message_ids == ["12", "12", None]


@pytest.mark.parametrize(
    ("status", "errcode", "match"),
    [(500, 0, "HTTP 500"), (404, 0, "HTTP 404"), (200, 93000, "93000")],
)
def test_http_errors_and_service_errors_fail_the_delivery(
    hook: WebhookReceiver, status: int, errcode: int, match: str
) -> None:
    hook.status, hook.errcode = status, errcode
    with pytest.raises(DeliveryFailed, match=match):
        WebhookSender(channel(kind="wecom", url=hook.url("/wecom"))).send("s", "b")


def test_unreachable_webhook_fails_the_delivery() -> None:
    with refusing_port() as port, pytest.raises(DeliveryFailed, match="unreachable"):
        WebhookSender(channel(kind="wecom", url=f"http://127.0.0.1:{port}/x")).send("s", "b")


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[tuple[SmtpInbox, Path]]:
    cert, key = self_signed_cert(tmp_path)
    box = SmtpInbox(cert, key, user="qanat", password="pw-1")
    try:
        yield box, cert
    finally:
        box.close()


def mail(port: int, cert: Path, **kw: object) -> ChannelConfig:
    settings: dict[str, object] = {
        "kind": "email",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "tls_ca_file": str(cert),
        "username": "qanat",
        "password": "pw-1",
        "sender": "qanat@site.example",
        "recipients": ["ops@example.com", "li@example.com"],
    }
    return channel(**(settings | kw))


def test_email_goes_over_starttls_with_a_login(inbox: tuple[SmtpInbox, Path]) -> None:
    box, cert = inbox
    EmailSender(mail(box.port, cert)).send("【演示】告警：水泵空转", "站点：演示\n详情")
    (msg,) = box.messages
    assert msg["To"] == "ops@example.com, li@example.com"
    assert msg["Subject"] == "【演示】告警：水泵空转"
    assert "站点：演示" in msg.get_content()


def test_email_with_a_wrong_password_or_an_untrusted_server_fails(
    inbox: tuple[SmtpInbox, Path], tmp_path: Path
) -> None:
    box, cert = inbox
    with pytest.raises(DeliveryFailed, match="refused the login"):
        EmailSender(mail(box.port, cert, password="wrong")).send("s", "b")
    other = tmp_path / "other"
    other.mkdir()
    other_cert, _ = self_signed_cert(other)  # not the server's certificate
    with pytest.raises(DeliveryFailed) as untrusted:
        EmailSender(mail(box.port, other_cert)).send("s", "b")
    said = str(untrusted.value)  # reached, so not "unreachable"; what to set is named
    assert "unreachable" not in said
    assert f"certificate is not trusted (self-signed certificate) by {other_cert}" in said
    missing = tmp_path / "no-such-ca.pem"
    with pytest.raises(DeliveryFailed, match=rf"^tls_ca_file {missing}: No such file"):
        EmailSender(mail(box.port, missing)).send("s", "b")
    assert box.messages == []


def test_email_to_no_server_fails() -> None:
    with refusing_port() as port, pytest.raises(DeliveryFailed, match="unreachable"):
        cfg = mail(port, Path("/nonexistent"), starttls=False, username="", password="")
        EmailSender(cfg).send("s", "b")
