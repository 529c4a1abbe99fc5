"""Real receivers for the notification and MQTT tests, all on loopback.

* :class:`WebhookReceiver` — an HTTP server taking the chat robots' POSTs; it checks a
  DingTalk request's signature itself (its own code, not qanat's) and can be told to
  answer with an HTTP error or a service error code;
* :class:`SmtpInbox` — aiosmtpd with STARTTLS (a self-signed certificate made by
  ``openssl``) and a login, keeping every message;
* :class:`Mosquitto` — Debian's broker on a free port with a temporary config (never the
  system service); :class:`Subscriber` — a paho client remembering the last payload of
  every topic;
* :class:`SimModem` (in :mod:`tests.helpers.modem`) — a 4G module's AT port on a pty pair.
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import hmac
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers.site import free_port

__all__ = [
    "Mosquitto",
    "SmtpInbox",
    "Subscriber",
    "WebhookReceiver",
    "self_signed_cert",
    "wait_for",
]


def wait_for(predicate: Callable[[], object], timeout_s: float, what: str) -> None:
    """Poll ``predicate`` until true; AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")


def _listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` itself listens on loopback TCP ``port`` (Linux ``/proc``): a
    port merely open may belong to whoever took it first."""
    inodes = set()
    with open("/proc/net/tcp", encoding="ascii") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.split(":")[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{inode}]")
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except OSError:
            continue
    return False


# ------------------------------------------------------------------------------- webhooks


def dingtalk_signature_ok(query: dict[str, list[str]], secret: str, max_age_s: float) -> bool:
    """DingTalk's check: HMAC-SHA256(secret, "timestamp\\nsecret"), base64, within an hour."""
    try:
        ts = int(query["timestamp"][0])
        sign = query["sign"][0]  # parse_qs has already URL-decoded it once
    except (KeyError, ValueError):
        return False
    if abs(time.time() * 1000 - ts) > max_age_s * 1000:
        return False
    mac = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(sign, base64.b64encode(mac).decode())


class WebhookReceiver:
    """Chat robots' webhook endpoint; ``requests`` holds (path, query, JSON) of each POST.

    ``status`` is the HTTP status to answer (200 by default), ``errcode`` the service's own
    error code in the answer (0: accepted). A DingTalk POST (path ``/dingtalk``) with a bad
    signature is answered like DingTalk does: HTTP 200, ``errcode`` 310000.
    """

    def __init__(self, *, dingtalk_secret: str = "", port: int = 0) -> None:
        self.dingtalk_secret = dingtalk_secret
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, Any]]] = []
        self.message_ids: list[str | None] = []  # the X-Qanat-Message-Id of every POST
        self.bad_signatures = 0
        self.status = 200
        self.errcode = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.message_ids.append(self.headers.get("X-Qanat-Message-Id"))
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                errcode = receiver.errcode
                if url.path == "/dingtalk" and not dingtalk_signature_ok(
                    query, receiver.dingtalk_secret, 3600
                ):
                    receiver.bad_signatures += 1
                    errcode = 310000
                elif receiver.status == 200 and errcode == 0:
                    receiver.requests.append((url.path, query, body))
                answer = json.dumps({"errcode": errcode, "errmsg": "ok" if not errcode else "no"})
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def texts(self, path: str) -> list[str]:
        """The text of every accepted message POSTed to ``path``."""
        out = []
        for p, _q, body in self.requests:
            if p != path:
                continue
            text = body.get("text", {}).get("content") or body.get("content", {}).get("text")
            out.append(str(text))
        return out

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ----------------------------------------------------------------------------------- SMTP


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 and localhost, made by ``openssl`` (PEM)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class SmtpInbox:
    """An SMTP submission server requiring STARTTLS and a login (``user``/``password``)."""

    def __init__(
        self,
        cert: Path,
        key: Path,
        *,
        user: str,
        password: str,
        port: int | None = None,
        refuse: tuple[str, ...] = (),
        quit_answer: str = "221 Bye",
    ) -> None:
        """``refuse``: recipients answered ``550`` (no such mailbox), the others taken.
        ``quit_answer``: what QUIT is answered, or ``"drop"`` to hang up without a word."""
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.messages: list[Message] = []
        inbox = self

        class Handler:
            async def handle_RCPT(
                self, server: Any, session: Any, envelope: Any, address: str, options: Any
            ) -> str:
                if address in refuse:
                    return "550 5.1.1 no such mailbox"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                inbox.messages.append(
                    message_from_bytes(envelope.original_content, policy=email.policy.default)
                )
                return "250 OK"

            async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
                if quit_answer == "drop":
                    server.transport.abort()  # the answer pushed after this goes nowhere
                return quit_answer

        def authenticator(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == user
                and data.password.decode() == password
            )
            return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself

        class HeldSocketController(Controller):  # type: ignore[misc]
            """Serves on a socket bound beforehand (port 0: the system's choice, no race)."""

            def __init__(self, sock: socket.socket, **kwargs: Any) -> None:
                self._held = sock
                super().__init__(port=int(sock.getsockname()[1]), **kwargs)

            def _create_server(self) -> Any:
                return self.loop.create_server(
                    self._factory_invoker, sock=self._held, ssl=self.ssl_context
                )

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port or 0))
        self.port = int(sock.getsockname()[1])
        self._controller = HeldSocketController(
            sock,
            handler=Handler(),
            hostname="127.0.0.1",
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            authenticator=authenticator,
        )
        self._controller.start()
        self._running = True

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    def close(self) -> None:
        if self._running:
            self._running = False
            self._controller.stop()


# ----------------------------------------------------------------------------------- MQTT


class Mosquitto:
    """``mosquitto`` on a free loopback port, anonymous, no persistence."""

    def __init__(
        self,
        directory: Path,
        port: int | None = None,
        *,
        users: dict[str, str] | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        """``users`` (name → password): logins required; ``tls`` (certificate, key): TLS."""
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise AssertionError(
                "mosquitto is missing: scripts/test.sh installs it (apt-get install -y mosquitto)"
            )
        # mosquitto cannot report a port it chose, so it is told one free a moment ago; if
        # another process took it meanwhile, mosquitto exits at once and another is tried.
        for _attempt in range(1 if port else 5):
            self.port = port or free_port()
            self._proc = self._start(exe, directory, users, tls)
            wait_for(
                lambda: _listens(self._proc.pid, self.port) or self._proc.poll() is not None,
                10,
                f"mosquitto listening on {self.port} or exiting",
            )
            if self._proc.poll() is None:
                return
        raise AssertionError(f"mosquitto could not listen on 127.0.0.1:{self.port}")

    def _start(
        self,
        exe: str,
        directory: Path,
        users: dict[str, str] | None,
        tls: tuple[Path, Path] | None,
    ) -> subprocess.Popen[bytes]:
        conf = directory / f"mosquitto-{self.port}.conf"
        lines = [f"listener {self.port} 127.0.0.1", "persistence false"]
        if os.geteuid() == 0:  # as root it would switch to user mosquitto: the files are ours
            lines.append("user root")
        if users is None:
            lines.append("allow_anonymous true")
        else:
            passwd = directory / f"mosquitto-{self.port}.passwd"
            passwd.write_text("", encoding="utf-8")
            for user, password in users.items():
                subprocess.run(
                    ["mosquitto_passwd", "-b", str(passwd), user, password],
                    check=True,
                    capture_output=True,
                )
            lines += ["allow_anonymous false", f"password_file {passwd}"]
        if tls is not None:
            lines += [f"certfile {tls[0]}", f"keyfile {tls[1]}"]
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return subprocess.Popen(
            [exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(10)


class Subscriber:
    """A paho client subscribed to ``topics``; ``last`` keeps each topic's last payload."""

    def __init__(self, port: int, *topics: str) -> None:
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion

        self.last: dict[str, str] = {}
        self.retained: set[str] = set()
        self.received: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"test-sub-{uuid.uuid4().hex[:12]}"
        )

        def on_connect(c: Any, u: Any, flags: Any, reason: Any, props: Any) -> None:
            for t in topics:
                c.subscribe(t, qos=1)

        def on_message(c: Any, u: Any, msg: Any) -> None:
            with self._lock:
                payload = msg.payload.decode("utf-8", "replace")
                self.last[msg.topic] = payload
                self.received.append((msg.topic, payload))
                if msg.retain:
                    self.retained.add(msg.topic)

        client.on_connect = on_connect
        client.on_message = on_message
        client.connect("127.0.0.1", port, 30)
        client.loop_start()
        self.client = client

    def get(self, topic: str) -> str | None:
        with self._lock:
            return self.last.get(topic)

    def publish(self, topic: str, payload: str | bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# ------------------------------------------------------------------------------ SMS modem


def decode_submit(pdu: str) -> tuple[str, str, tuple[int, int, int] | None]:
    """(number, text, (reference, parts, part) or None) of an SMS-SUBMIT PDU in hex whose
    SMSC field is empty, read field by field as 3GPP TS 23.040 lays it out."""
    b = bytes.fromhex(pdu)
    assert b[0] == 0, "SMSC length: the SIM's own"
    first = b[1]
    assert first & 0x03 == 0x01, "SMS-SUBMIT"
    n_digits, kind = b[3], b[4]
    n_octets = (n_digits + 1) // 2
    swapped = b[5 : 5 + n_octets].hex().upper()
    digits = "".join(swapped[i + 1] + swapped[i] for i in range(0, len(swapped), 2))[:n_digits]
    number = ("+" if kind == 0x91 else "") + digits
    i = 5 + n_octets
    pid, dcs = b[i], b[i + 1]
    assert pid == 0 and dcs == 0x08, "UCS2"
    i += 2
    if first & 0x18 == 0x10:  # relative validity period
        i += 1
    udl = b[i]
    ud = b[i + 1 :]
    assert len(ud) == udl
    concat = None
    if first & 0x40:  # a user data header
        hlen = ud[0]
        header = ud[1 : 1 + hlen]
        assert header[0] == 0 and header[1] == 3
        concat = (header[2], header[3], header[4])
        ud = ud[1 + hlen :]
    return number, ud.decode("utf-16-be"), concat
