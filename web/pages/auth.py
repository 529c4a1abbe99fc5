"""Login, logout and the language switch.

The login form is protected against cross-site posting by a pre-login token
(double submit: a random cookie, echoed in the form) and the Origin check;
every attempt, good or bad, is audited; failures are rate limited (429).
"""

from __future__ import annotations

import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from controller.access.accounts import (
    LOCALES,
    MAX_PASSWORD_CHARS,
    InvalidSession,
    LoginFailed,
    TooManyAttempts,
)
from web.pages.context import (
    COOKIE,
    LANG_COOKIE,
    CsrfChecked,
    PagesDep,
    PageSession,
    locale_of,
    render,
    secure_cookies,
)
from web.params import MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_TOKEN_CHARS
from web.security import csrf_valid, same_origin

router = APIRouter(include_in_schema=False)

PRE_COOKIE = "qanat_pre"


def _safe_next(target: str) -> str:
    """Only a path of this box (never ``//evil`` or a full URL)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _cookie(response: Response, request: Request, name: str, value: str, **kw: object) -> None:
    pages = request.app.state.pages
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, pages),
        path="/",
        **kw,  # type: ignore[arg-type]
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, pages: PagesDep, next: str = "/") -> Response:
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, pages, "login.html", None, pre=pre, next=_safe_next(next))
    _cookie(response, request, PRE_COOKIE, pre)
    return response


@router.post("/login")
def login(
    request: Request,
    pages: PagesDep,
    username: Annotated[str, Form(max_length=MAX_NAME_CHARS)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_CHARS)] = "",
    csrf: Annotated[str, Form(max_length=MAX_TOKEN_CHARS)] = "",
    next: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "/",
) -> Response:
    address = request.client.host if request.client else "?"
    pre = request.cookies.get(PRE_COOKIE, "")
    origin_ok = same_origin(
        request.headers.get("host"), request.headers.get("origin"), request.headers.get("referer")
    )
    if not (pre and csrf and secrets.compare_digest(pre, csrf) and origin_ok):
        pages.store.record_audit(username or "?", "login.csrf_refused", {"address": address})
        return _login_again(
            request, pages, "login.expired", status.HTTP_403_FORBIDDEN, next, username=username
        )
    try:
        _check_backoff(pages, address, username)
    except TooManyAttempts as exc:
        pages.store.record_audit(username or "?", "login.limited", {"address": address})
        response = _login_again(
            request,
            pages,
            "login.too_many",
            status.HTTP_429_TOO_MANY_REQUESTS,
            next,
            username=username,
            seconds=math.ceil(exc.retry_after_s),
        )
        response.headers["Retry-After"] = str(math.ceil(exc.retry_after_s))
        return response
    try:
        user = pages.accounts.verify_password(username, password)
    except LoginFailed:
        pages.backoff.failed(address, username)
        pages.store.record_audit(username or "?", "login.failed", {"address": address})
        return _login_again(
            request, pages, "login.failed", status.HTTP_401_UNAUTHORIZED, next, username=username
        )
    pages.backoff.succeeded(address, username)
    cookie, _session = pages.accounts.open_session(user)
    pages.store.record_audit(user.username, "login.ok", {"address": address})
    response = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    _cookie(response, request, COOKIE, cookie)
    response.delete_cookie(PRE_COOKIE, path="/")
    return response


def _check_backoff(pages: PagesDep, address: str, username: str) -> None:
    """:class:`TooManyAttempts` while the address or the account waits, unless an admin
    has unlocked the account since its last failure (``qanat user unlock``, another
    process: read back from the audit)."""
    try:
        pages.backoff.check(address, username)
    except TooManyAttempts:
        unlocked = pages.accounts.last_unlock(username)
        if unlocked is None or not pages.backoff.forgive(
            username, failed_before_s=unlocked.timestamp()
        ):
            raise
        pages.backoff.check(address, username)


def _login_again(
    request: Request,
    pages: PagesDep,
    error: str,
    code: int,
    next: str,
    *,
    username: str = "",
    **values: object,
) -> Response:
    """The login page again, with ``error`` (its ``values``) and the ``username`` as typed
    (never the password)."""
    pre = secrets.token_urlsafe(24)
    response = render(
        request,
        pages,
        "login.html",
        None,
        status_code=code,
        pre=pre,
        next=_safe_next(next),
        error=error,
        error_values=values,
        username=username,
    )
    _cookie(response, request, PRE_COOKIE, pre)
    return response


@router.post("/logout")
def logout(request: Request, pages: PagesDep, session: PageSession, _: CsrfChecked) -> Response:
    """End this session now."""
    pages.accounts.close_session(request.cookies.get(COOKIE, ""))
    pages.store.record_audit(session.user.username, "logout", {})
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/lang")
def switch_language(
    request: Request,
    pages: PagesDep,
    lang: Annotated[str, Form(max_length=MAX_NAME_CHARS)] = "",
    next: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "/",
    csrf: Annotated[str, Form(max_length=MAX_TOKEN_CHARS)] = "",
) -> Response:
    """Switch the page language: stored on the user when logged in, else in a cookie."""
    if lang not in LOCALES:
        lang = locale_of(request, None)
    response = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    cookie = request.cookies.get(COOKIE)
    if cookie:
        try:
            session = pages.accounts.session(cookie)
        except InvalidSession:
            session = None
        if session is not None:
            if not csrf_valid(pages.secret, session.token_hash, csrf):
                return Response(status_code=status.HTTP_403_FORBIDDEN)
            pages.accounts.set_locale(session.user.username, lang)
            pages.store.record_audit(session.user.username, "user.locale", {"locale": lang})
    _cookie(response, request, LANG_COOKIE, lang, max_age=365 * 86400)
    return response
