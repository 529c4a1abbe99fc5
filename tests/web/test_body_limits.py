"""Request bodies over a real HTTP server: capped while they stream, refused unread when anonymous.

uvicorn on loopback (:func:`tests.helpers.browser.serving`) and a raw socket: the
client sends headers, then the body a megabyte at a time, and watches for the answer.
"""

from __future__ import annotations

import json
import resource
import select
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI

from controller.store import Store
from tests.helpers.browser import serving
from tests.helpers.fakes import FakeControlService
from web.app import create_app
from web.limits import DEFAULT_MAX_BODY_BYTES

MIB = 1024 * 1024
FORECAST = "/api/v1/forecast"


@pytest.fixture
def base(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


def _connect(base: str) -> socket.socket:
    url = urlsplit(base)
    return socket.create_connection((url.hostname or "", url.port or 80), timeout=10)


def _head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    want = int(headers.get("content-length", "0"))
    while len(body) < want:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def _stream(sock: socket.socket, total_bytes: int, *, chunked: bool) -> int:
    """Send up to ``total_bytes`` of body a mebibyte at a time; stop as soon as an answer is
    readable or the server stops taking bytes. Returns how many bytes went out."""
    piece = b" " * MIB
    sent = 0
    sock.settimeout(3)
    while sent < total_bytes:
        readable, _, _ = select.select([sock], [], [], 0)
        if readable:
            break
        frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
        try:
            sock.sendall(frame)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            break  # the server has stopped reading
        sent += len(piece)
    sock.settimeout(10)
    return sent


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_anonymous_post_is_refused_before_its_body_is_read(base: str) -> None:
    """The red-team case: 300 MB of JSON to /forecast without a token."""
    with _connect(base) as sock:
        sock.sendall(
            _head(FORECAST, {"Content-Type": "application/json", "Content-Length": "300000000"})
        )
        status, headers, body = _answer(sock)  # no body byte was sent: the answer comes anyway
    assert status == 401
    assert headers["www-authenticate"] == "Bearer"
    assert headers["connection"] == "close"
    assert json.loads(body)["detail"] == "missing bearer token"


def test_a_bad_token_is_refused_before_the_body_too(base: str) -> None:
    with _connect(base) as sock:
        sock.sendall(
            _head(FORECAST, {"Authorization": "Bearer nope", "Transfer-Encoding": "chunked"})
        )
        sent = _stream(sock, 64 * MIB, chunked=True)
        status, _, body = _answer(sock)
    assert status == 401
    assert json.loads(body)["detail"] == "invalid or revoked token"
    assert sent < 32 * MIB


def test_anonymous_page_post_is_refused_before_its_body(base: str) -> None:
    with _connect(base) as sock:
        sock.sendall(_head("/zones/z1/start", {"Content-Length": "300000000"}))
        status, _, body = _answer(sock)
    assert status == 401
    assert body == b"login required"


def test_a_declared_length_over_the_limit_is_413_at_once(base: str, tokens: dict[str, str]) -> None:
    headers = {
        "Authorization": f"Bearer {tokens['technician']}",
        "Content-Type": "application/json",
        "Content-Length": str(DEFAULT_MAX_BODY_BYTES + 1),
    }
    with _connect(base) as sock:
        sock.sendall(_head(FORECAST, headers))
        status, answer_headers, body = _answer(sock)
    assert status == 413
    assert answer_headers["connection"] == "close"
    assert str(DEFAULT_MAX_BODY_BYTES) in json.loads(body)["detail"]


def test_a_chunked_body_is_cut_off_at_the_limit_while_it_streams(
    base: str, tokens: dict[str, str], service: FakeControlService
) -> None:
    headers = {
        "Authorization": f"Bearer {tokens['technician']}",
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
    }
    peak_before = _peak_rss_mib()
    with _connect(base) as sock:
        sock.sendall(_head(FORECAST, headers))
        sent = _stream(sock, 300 * MIB, chunked=True)
        status, _, body = _answer(sock)
    assert status == 413, body
    assert "larger than" in json.loads(body)["detail"]
    # The server stopped taking the body: far less than 300 MiB went out, and nothing the
    # size of it was held in memory.
    assert sent < 32 * MIB
    assert _peak_rss_mib() - peak_before < 64
    assert service.calls == []


def test_a_body_under_the_limit_is_served(base: str, tokens: dict[str, str]) -> None:
    day = {"date": "2026-05-15", "et0_mm": 6.0, "rain_mm": 0.0}
    payload = json.dumps({"days": [day]}).encode()
    payload += b" " * (DEFAULT_MAX_BODY_BYTES - len(payload))  # exactly at the limit
    headers = {
        "Authorization": f"Bearer {tokens['technician']}",
        "Content-Type": "application/json",
        "Content-Length": str(len(payload)),
    }
    with _connect(base) as sock:
        sock.sendall(_head(FORECAST, headers) + payload)
        status, _, body = _answer(sock)
    assert status == 200, body
    assert json.loads(body) == {"stored": 1}


def test_the_limit_is_configurable(
    service: FakeControlService, store: Store, tokens: dict[str, str]
) -> None:
    app = create_app(service, store, max_body_bytes=100)
    day = {"date": "2026-05-15", "et0_mm": 6.0, "rain_mm": 0.0}
    payload = json.dumps({"days": [day, {**day, "date": "2026-05-16"}]}).encode()
    assert len(payload) > 100
    with serving(app) as url, _connect(url) as sock:
        headers = {
            "Authorization": f"Bearer {tokens['technician']}",
            "Transfer-Encoding": "chunked",
        }
        frame = f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n"
        sock.sendall(_head(FORECAST, headers) + frame)
        status, _, _ = _answer(sock)
    assert status == 413
