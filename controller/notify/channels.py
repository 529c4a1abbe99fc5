"""Senders: one message to one channel, or :class:`DeliveryFailed` naming why.

Every network call has the channel's ``timeout_s``. Failures of any kind (refused, timed
out, HTTP 4xx/5xx, a service's own error code, SMTP errors, bad credentials) become
:class:`DeliveryFailed` with ``raise ... from exc``; nothing here retries (the notifier does).
Once a mail server has accepted the message, nothing after (its answer to QUIT) is a failure.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

from controller.config.notify import ChannelConfig
from controller.notify.errors import DeliveryFailed
from controller.notify.signing import dingtalk_sign, feishu_sign

__all__ = ["MESSAGE_ID_HEADER", "EmailSender", "Sender", "WebhookSender", "sender_for"]

log = logging.getLogger(__name__)


# The header naming the outbox row a webhook POST delivers: the same on every attempt.
MESSAGE_ID_HEADER = "X-Qanat-Message-Id"


class Sender(Protocol):
    def send(self, subject: str, body: str, *, message_id: int | None = None) -> str | None:
        """Deliver one message; :class:`DeliveryFailed` if the channel did not take it.
        ``message_id``: its outbox row (``None`` for a test message), the same on a retry.
        Taken, but not for everyone (a mail server refusing some recipients): what was
        not delivered, in words, for the audit log; else ``None``."""


class WebhookSender:
    """WeCom, DingTalk and Feishu group robots: a JSON text message POSTed to the webhook."""

    def __init__(self, cfg: ChannelConfig, *, now_s: Any = time.time) -> None:
        self.cfg = cfg
        self._now_s = now_s  # epoch seconds, for signatures

    def request(self, subject: str, body: str) -> tuple[str, dict[str, Any]]:
        """The URL and JSON document to POST (signed where the service signs)."""
        text = f"{subject}\n{body}"
        url = self.cfg.url
        if self.cfg.kind == "wecom":
            return url, {"msgtype": "text", "text": {"content": text}}
        if self.cfg.kind == "dingtalk":
            ts_ms = int(self._now_s() * 1000)
            sep = "&" if "?" in url else "?"
            signed = f"{url}{sep}timestamp={ts_ms}&sign={dingtalk_sign(self.cfg.secret, ts_ms)}"
            return signed, {"msgtype": "text", "text": {"content": text}}
        doc: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
        if self.cfg.secret:  # feishu, signing on
            ts_s = int(self._now_s())
            doc |= {"timestamp": str(ts_s), "sign": feishu_sign(self.cfg.secret, ts_s)}
        return url, doc

    def send(self, subject: str, body: str, *, message_id: int | None = None) -> None:
        """POST the message; a retried one (the answer lost after the service took it)
        carries the same :data:`MESSAGE_ID_HEADER`, for a receiver to drop the second."""
        url, doc = self.request(subject, body)
        data = json.dumps(doc, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if message_id is not None:
            headers[MESSAGE_ID_HEADER] = str(message_id)
        req = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.cfg.timeout_s) as resp:
                answer = resp.read(65536)
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"{self.cfg.kind} webhook answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryFailed(f"{self.cfg.kind} webhook unreachable: {reason}") from exc
        _check_answer(self.cfg.kind, answer)


def _check_answer(kind: str, answer: bytes) -> None:
    """The services answer HTTP 200 with their own error code: 0 is success."""
    try:
        doc = json.loads(answer or b"{}")
    except ValueError as exc:
        raise DeliveryFailed(f"{kind} webhook answered something not JSON") from exc
    if not isinstance(doc, dict):
        raise DeliveryFailed(f"{kind} webhook answered something not a JSON object")
    code = doc.get("errcode", doc.get("code", doc.get("StatusCode", 0)))
    if code not in (0, None):
        msg = doc.get("errmsg", doc.get("msg", ""))
        raise DeliveryFailed(f"{kind} webhook refused the message: {code} {msg}".strip())


class EmailSender:
    """SMTP submission with STARTTLS (and login when a username is set)."""

    def __init__(self, cfg: ChannelConfig) -> None:
        self.cfg = cfg

    def message(self, subject: str, body: str) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.cfg.sender
        msg["To"] = ", ".join(self.cfg.recipients)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="qanat.local")
        msg.set_content(body)
        return msg

    def send(self, subject: str, body: str, *, message_id: int | None = None) -> str | None:
        cfg = self.cfg
        where = f"{cfg.smtp_host}:{cfg.smtp_port}"
        context = self._tls_context() if cfg.starttls else None
        try:
            smtp = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_s)
            try:
                smtp.ehlo()
                if context is not None:
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if cfg.username:
                    smtp.login(cfg.username, cfg.password)
                refused = smtp.send_message(self.message(subject, body))
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(f"mail server {where} refused the login") from exc
        except smtplib.SMTPException as exc:
            raise DeliveryFailed(f"mail server {where}: {exc}") from exc
        except ssl.SSLCertVerificationError as exc:  # reached, but not the server it claims
            trusted = cfg.tls_ca_file or "the system's authorities"
            raise DeliveryFailed(
                f"mail server {where}: its certificate is not trusted ({exc.verify_message}) "
                f"by {trusted}; tls_ca_file names the authority that signed it"
            ) from exc
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryFailed(f"mail server {where} unreachable: {exc}") from exc
        _quit(smtp, where)
        if not refused:
            return None
        # the others have it: sending again would give it them twice
        return f"mail server {where} refused " + ", ".join(
            f"{to} ({code} {_text(answer)})" for to, (code, answer) in sorted(refused.items())
        )

    def _tls_context(self) -> ssl.SSLContext:
        """The STARTTLS context; :class:`DeliveryFailed` naming ``tls_ca_file`` if it does not
        load (the file missing, unreadable or no certificate)."""
        ca_file = self.cfg.tls_ca_file
        try:
            return ssl.create_default_context(cafile=ca_file or None)
        except OSError as exc:  # FileNotFoundError, PermissionError; ssl.SSLError too
            why = exc.strerror or str(exc)
            raise DeliveryFailed(f"tls_ca_file {ca_file}: {why}") from exc


def _quit(smtp: smtplib.SMTP, where: str) -> None:
    """Say goodbye to a server that has accepted the message (250 after DATA): it is
    delivered, so a bad answer to QUIT, or none, is logged and never a failure (a retry
    would send the mail twice)."""
    try:
        code, answer = smtp.docmd("QUIT")
        if code != 221:
            log.warning(
                "mail server %s took the message but answered QUIT %s %s",
                where,
                code,
                _text(answer),
            )
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("mail server %s took the message, then at QUIT: %s", where, exc)
    finally:
        smtp.close()


def _text(answer: bytes | str) -> str:
    """An SMTP server's answer as text."""
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer


def sender_for(cfg: ChannelConfig) -> Sender:
    """The sender of a configured channel."""
    if cfg.kind == "email":
        return EmailSender(cfg)
    if cfg.kind == "sms":
        from controller.notify.sms import SmsSender  # pyserial only where a modem is used

        return SmsSender(cfg)
    return WebhookSender(cfg)
