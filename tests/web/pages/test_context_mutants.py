"""The pages' checks of who is asking, one at a time (scripts/mutation.sh web/pages/context.py):
the session cookie, every role against every minimum, the CSRF token and origin, the cookies'
TLS flag, the language, and what a page is told about its user.

The dependencies are called directly with a real Starlette request built from headers, a
stand-in for the accounts and a store that records its audit; ``render`` fills a one-line
template that prints what it was given.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from fastapi.templating import Jinja2Templates
from jinja2 import DictLoader, Environment
from starlette.requests import Request

from controller.access.accounts import InvalidSession, SessionInfo, UserInfo
from controller.store import Role
from web.pages.context import (
    COOKIE,
    LANG_COOKIE,
    LoginRequired,
    PageForbidden,
    PagesConfig,
    PagesContext,
    RequirePageRole,
    check_csrf,
    get_session,
    locale_of,
    pages_context,
    render,
    secure_cookies,
)
from web.pages.format import quote_flash
from web.security import csrf_token

ORDER = [Role.VIEWER, Role.TECHNICIAN, Role.ADMIN]  # each may do what those before it may
T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
SECRET = b"s" * 32
HOST = "192.168.1.20:8080"
PAGE = (
    "{{ t('nav.users') }}|{{ t('x.{n}', n=1) }}|{{ tk('role.', 'admin') }}|{{ tk('role.', 'x') }}"
    "|{{ locale }}|{{ user.username if user else '-' }}|{{ csrf }}|{{ can_control }}"
    "|{{ is_admin }}|{{ flash }}|{{ extra }}|{{ fmt.locale }} {{ fmt.tz }}"
)
SITE_TZ = ZoneInfo("Asia/Shanghai")


def session_of(role: Role, locale: str = "en") -> SessionInfo:
    user = UserInfo(3, f"{role.value}1", "", role, locale, False, T0)
    return SessionInfo(9, f"hash-{role.value}", user, T0)


class Audit:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, dict[str, Any]]] = []

    def record_audit(self, actor: str, action: str, detail: dict[str, Any]) -> None:
        self.rows.append((actor, action, detail))


class Sessions:
    """Knows one live cookie, ``live``."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def session(self, cookie: str) -> SessionInfo:
        self.asked.append(cookie)
        if cookie != "live":
            raise InvalidSession("ended")
        return session_of(Role.TECHNICIAN)


def pages(config: PagesConfig | None = None) -> PagesContext:
    env = Environment(loader=DictLoader({"p.html": PAGE}), autoescape=True)
    return PagesContext(
        service=cast(Any, None),
        store=cast(Any, Audit()),
        accounts=cast(Any, Sessions()),
        secret=SECRET,
        hosts=cast(Any, None),
        config=config or PagesConfig(),
        templates=Jinja2Templates(env=env),
    )


def request(
    method: str = "POST", path: str = "/zones/z1/start", scheme: str = "http", **headers: str
) -> Request:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return Request(
        {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": raw,
            "scheme": scheme,
            "server": ("192.168.1.20", 8080),
        }
    )


# ------------------------------------------------------------------ the session


def test_the_pages_context_is_the_apps() -> None:
    p = pages()
    app = SimpleNamespace(state=SimpleNamespace(pages=p))
    assert pages_context(cast(Request, SimpleNamespace(app=app))) is p


@pytest.mark.parametrize("cookie", [None, ""])
def test_no_session_cookie_is_a_login_unasked(cookie: str | None) -> None:
    p = pages()
    headers = {} if cookie is None else {"cookie": f"{COOKIE}={cookie}"}
    with pytest.raises(LoginRequired):
        get_session(request(**headers), p)
    assert cast(Sessions, p.accounts).asked == []


def test_an_ended_session_is_a_login() -> None:
    p = pages()
    with pytest.raises(LoginRequired) as err:
        get_session(request(cookie=f"{COOKIE}=old"), p)
    assert err.value.__suppress_context__ and err.value.__cause__ is None
    assert cast(Sessions, p.accounts).asked == ["old"]


def test_a_live_session_is_its_user() -> None:
    p = pages()
    got = get_session(request(cookie=f"other=old; {COOKIE}=live"), p)
    assert got == session_of(Role.TECHNICIAN)


# ------------------------------------------------------------------ roles


@pytest.mark.parametrize("needed", ORDER)
@pytest.mark.parametrize("role", ORDER)
def test_a_role_passes_exactly_where_its_rank_reaches(role: Role, needed: Role) -> None:
    p = pages()
    who = session_of(role)
    check = RequirePageRole(needed)
    if ORDER.index(role) >= ORDER.index(needed):
        assert check(request(), who, p) is who
        assert cast(Audit, p.store).rows == []
        return
    with pytest.raises(PageForbidden):
        check(request("POST", "/users/2/delete"), who, p)
    assert cast(Audit, p.store).rows == [
        (
            f"{role.value}1",
            "page.refused",
            {
                "method": "POST",
                "path": "/users/2/delete",
                "role": role.value,
                "required": needed.value,
            },
        )
    ]


# ------------------------------------------------------------------ CSRF


def test_a_post_with_its_sessions_token_from_this_box_passes() -> None:
    p, who = pages(), session_of(Role.TECHNICIAN)
    token = csrf_token(SECRET, who.token_hash)
    check_csrf(request(host=HOST, origin=f"http://{HOST}"), who, p, token)
    check_csrf(request(host=HOST, referer=f"http://{HOST}/zones"), who, p, token)
    assert cast(Audit, p.store).rows == []


@pytest.mark.parametrize(
    ("token_of", "headers"),
    [
        ("hash-admin", {"host": HOST, "origin": f"http://{HOST}"}),  # another session's
        ("", {"host": HOST, "origin": f"http://{HOST}"}),  # none
        ("hash-technician", {"host": HOST, "origin": "http://evil.example"}),
        ("hash-technician", {"origin": f"http://{HOST}"}),  # no Host
        ("hash-technician", {"host": HOST}),  # neither Origin nor Referer
    ],
)
def test_a_post_without_its_token_or_from_elsewhere_is_refused_and_audited(
    token_of: str, headers: dict[str, str]
) -> None:
    p, who = pages(), session_of(Role.TECHNICIAN)
    token = csrf_token(SECRET, token_of) if token_of else ""
    with pytest.raises(PageForbidden):
        check_csrf(request(path="/pause", **headers), who, p, token)
    assert cast(Audit, p.store).rows == [("technician1", "page.csrf_refused", {"path": "/pause"})]


# ------------------------------------------------------------------ cookies and language


@pytest.mark.parametrize(
    ("configured", "scheme", "secure"),
    [(False, "http", False), (True, "http", True), (False, "https", True), (True, "https", True)],
)
def test_cookies_are_secure_over_tls_either_way(
    configured: bool, scheme: str, secure: bool
) -> None:
    p = pages(PagesConfig(secure_cookies=configured))
    assert secure_cookies(request(scheme=scheme), p) is secure


def test_the_language_is_the_users_then_the_cookies_then_chinese() -> None:
    assert locale_of(request(cookie=f"{LANG_COOKIE}=zh-CN"), session_of(Role.VIEWER)) == "en"
    assert locale_of(request(cookie=f"{LANG_COOKIE}=en"), None) == "en"
    assert locale_of(request(cookie=f"{LANG_COOKIE}=fr"), None) == "zh-CN"
    assert locale_of(request(), None) == "zh-CN"


# ------------------------------------------------------------------ render


def page(role: Role | None, **headers: str) -> tuple[list[str], dict[str, str]]:
    p = pages(PagesConfig(tz=SITE_TZ))
    who = None if role is None else session_of(role)
    response = render(request("GET", "/", **headers), p, "p.html", who, extra="e")
    assert response.status_code == 200
    body = bytes(response.body).decode()
    return body.split("|"), {k.decode(): v.decode() for k, v in response.raw_headers}


def test_a_page_is_answered_with_the_status_asked() -> None:
    response = render(request("GET", "/"), pages(), "p.html", None, status_code=404, extra="")
    assert response.status_code == 404


def test_a_page_tells_a_technician_it_may_control_but_not_administer() -> None:
    who = session_of(Role.TECHNICIAN)
    fields, _ = page(Role.TECHNICIAN)
    assert fields == [
        "Users",
        "x.1",
        "admin",
        "x",
        "en",
        "technician1",
        csrf_token(SECRET, who.token_hash),
        "True",
        "False",
        "None",
        "e",
        "en Asia/Shanghai",
    ]


@pytest.mark.parametrize(
    ("role", "control", "admin"),
    [(None, "False", "False"), (Role.VIEWER, "False", "False"), (Role.ADMIN, "True", "True")],
)
def test_a_page_tells_each_role_what_it_may_do(role: Role | None, control: str, admin: str) -> None:
    fields, _ = page(role)
    assert fields[5] == ("-" if role is None else f"{role.value}1")
    assert (fields[7], fields[8]) == (control, admin)
    assert fields[6] == ("" if role is None else csrf_token(SECRET, f"hash-{role.value}"))


def test_a_page_translates_for_a_visitor_in_chinese() -> None:
    fields, _ = page(None)
    assert fields[0] == "用户" and fields[4] == "zh-CN" and fields[2] == "管理员"
    assert fields[11] == "zh-CN Asia/Shanghai"


def test_a_flash_is_shown_once_then_its_cookie_cleared() -> None:
    fields, headers = page(Role.VIEWER, cookie=f"qanat_flash={quote_flash('Run started; ok')}")
    assert fields[9] == "Run started; ok"
    assert headers["set-cookie"].startswith('qanat_flash=""; ')
    assert "Path=/" in headers["set-cookie"]
    _, headers = page(Role.VIEWER)
    assert "set-cookie" not in headers
