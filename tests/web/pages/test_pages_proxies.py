"""Forwarded headers are believed only from configured proxies, as `qanat run` serves."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
import uvicorn
from fastapi import FastAPI

from controller.store import Store
from web.serve import server_config


@contextmanager
def served(app: FastAPI, trusted: list[str] | None) -> Iterator[int]:
    server = uvicorn.Server(server_config(app, "127.0.0.1", 0, trusted_proxies=trusted))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(10)


def _failed_login_from(port: int, forwarded_for: str) -> None:
    """A wrong password through the login form, claiming ``forwarded_for`` as the client."""
    base = f"http://127.0.0.1:{port}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/login")
        page = connection.getresponse()
        cookie = page.getheader("set-cookie", "").split(";")[0]
        found = re.search(r'name="csrf" value="([^"]+)"', page.read().decode())
        assert found is not None
        form = urlencode({"username": "ada", "password": "wrong password!", "csrf": found[1]})
        headers = {
            "Cookie": cookie,
            "Origin": base,
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": forwarded_for,
            "X-Forwarded-Proto": "https",
        }
        connection.request("POST", "/login", body=form, headers=headers)
        assert connection.getresponse().status == 401
    finally:
        connection.close()


def _addresses(store: Store) -> list[str]:
    rows = store.rows_after("audit", 0)
    return [r.detail["address"] for r in rows if r.action == "login.failed"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("trusted", "seen"),
    [
        (None, "127.0.0.1"),  # the default: nobody is a proxy, loopback included
        (["10.0.0.1"], "127.0.0.1"),  # a proxy elsewhere does not make loopback one
        (["127.0.0.1"], "198.51.100.7"),  # the box's own reverse proxy
        (["127.0.0.0/8"], "198.51.100.7"),
    ],
)
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    app: FastAPI, store: Store, trusted: list[str] | None, seen: str
) -> None:
    with served(app, trusted) as port:
        _failed_login_from(port, "198.51.100.7")
    assert _addresses(store) == [seen]
