"""Forwarded headers are believed only from configured proxies, as `qanat run` serves."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlencode, urlsplit

import pytest
from fastapi import FastAPI

from controller.store import Store
from tests.helpers.browser import serving


def _failed_login_from(base: str, forwarded_for: str) -> None:
    """A wrong password through the login form at ``base``, claiming ``forwarded_for`` as the
    client."""
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
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
    with serving(app, trusted_proxies=trusted) as base:
        _failed_login_from(base, "198.51.100.7")
    assert _addresses(store) == [seen]
