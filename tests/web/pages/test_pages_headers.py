"""Security headers on every response, cookie flags, and a page policy without inline script."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from controller.paths import bundled
from controller.store import Store
from tests.helpers.pages import BASE, FAST, PageService, login
from web.app import create_app
from web.pages import PagesConfig

TEMPLATES = Path(str(bundled("web", "templates")))
STATIC = Path(str(bundled("web", "static")))


def _assert_guarded(response: Any) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp or "default-src 'none'" in csp
    assert "unsafe-inline" not in _directive(csp, "script-src")
    assert "unsafe-eval" not in csp


def _directive(csp: str, name: str) -> str:
    for part in csp.split(";"):
        if part.strip().startswith(name):
            return part
    return _directive(csp, "default-src") if name != "default-src" else ""


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/api/v1/status", 401),
        ("GET", "/api/v1/status", 200),
        ("GET", "/api/v1/nosuch", 404),
        ("POST", "/api/v1/stop-all", 401),  # refused before the body: the early guard
        ("GET", "/api/v1/export/readings", 200),
        ("GET", "/api/v1/report", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/docs", 200),
        ("GET", "/login", 200),
        ("GET", "/", 303),
        ("GET", "/static/app.css", 200),
        ("POST", "/zones/z1/start", 401),
    ],
)
def test_every_kind_of_response_carries_the_security_headers(
    anon: TestClient, store: Store, method: str, path: str, code: int
) -> None:
    token = store.create_token("ada", "admin")[1]
    headers = {"authorization": f"Bearer {token}"} if code != 401 else {}
    response = anon.request(method, path, headers=headers)
    assert response.status_code == code, response.text
    _assert_guarded(response)


def test_a_body_too_large_is_refused_with_the_headers(anon: TestClient, store: Store) -> None:
    token = store.create_token("tian", "technician")[1]
    response = anon.post(
        "/api/v1/forecast",
        content=b" " * (1024 * 1024 + 1),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert response.status_code == 413
    _assert_guarded(response)


def test_the_pages_policy_allows_no_inline_script(anon: TestClient) -> None:
    csp = anon.get("/login").headers["content-security-policy"]
    assert _directive(csp, "script-src").split() == ["script-src", "'self'"]
    assert "default-src 'self'" in csp and "base-uri 'none'" in csp


def test_templates_and_scripts_hold_no_inline_script() -> None:
    """What the policy would block must not be there: <script> with a body, on* handlers,
    javascript: URLs."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for script in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, re.S | re.I):
            assert "src=" in script.group(1), f"{template.name}: inline <script>"
            assert not script.group(2).strip(), f"{template.name}: <script src> with a body"
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), f"{template.name}: on* handler"
        assert "javascript:" not in text.lower(), template.name
    for script in STATIC.glob("*.js"):
        assert "eval(" not in script.read_text(encoding="utf-8"), script.name


def _session_cookie(response: Any) -> str:
    return next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith("qanat_session=")
    )


def test_cookies_are_http_only_and_same_site_strict(anon: TestClient) -> None:
    cookie = _session_cookie(login(anon, "tian"))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on the LAN: a Secure cookie would never return
    pre = next(v for k, v in anon.get("/login").headers.multi_items() if k == "set-cookie")
    assert "HttpOnly" in pre and "SameSite=strict" in pre


def test_cookies_are_secure_over_tls(service: PageService, store: Store, tmp_path: Path) -> None:
    """``qanat run --tls-cert``: every cookie is Secure (here seen on the login form's)."""
    config = PagesConfig(data_dir=tmp_path / "d", password_hasher=FAST, secure_cookies=True)
    app: FastAPI = create_app(service, store, pages=config)
    with TestClient(app, base_url=BASE, follow_redirects=False) as client:
        response = client.get("/login")
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie")
    assert cookie.startswith("qanat_pre=") and "Secure" in cookie and "HttpOnly" in cookie


def test_cookies_are_secure_when_reached_over_https(app: FastAPI) -> None:
    """Behind a trusted reverse proxy that terminates TLS (X-Forwarded-Proto: https), the
    request's scheme is https: the cookie must not travel in clear afterwards."""
    https = "https://127.0.0.1:8443"
    with TestClient(app, base_url=https, follow_redirects=False) as client:
        client.headers["origin"] = https
        cookie = _session_cookie(login(client, "tian"))
    assert "Secure" in cookie
