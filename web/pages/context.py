"""What every page needs: its configuration, who is asking, the CSRF check, rendering.

Routes declare what they need as ``Annotated`` types::

    def start(zone: str, who: TechnicianPage, _: CsrfChecked, ...): ...

No session cookie (or an ended one) raises :class:`LoginRequired` (a GET is
sent to the login page, a POST gets 401); a role too low raises
:class:`PageForbidden` (403, audited); a POST without this session's CSRF
token or from another origin is refused with 403 before the route runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Annotated, Any

from argon2 import PasswordHasher
from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from controller.access.accounts import Accounts, InvalidSession, SessionInfo
from controller.access.lockout import LoginBackoff
from controller.daemon.protocol import ControlService
from controller.paths import bundled
from controller.store import Role, Store
from web.i18n import DEFAULT_LOCALE, LOCALES, catalog, translate, translate_whole
from web.pages import format as fmt
from web.pages import point_labels, said
from web.params import MAX_TOKEN_CHARS
from web.security import HostPolicy, csrf_token, csrf_valid, same_origin

__all__ = [
    "COOKIE",
    "AdminPage",
    "CsrfChecked",
    "LoginRequired",
    "PageForbidden",
    "PageSession",
    "PagesConfig",
    "PagesContext",
    "TechnicianPage",
    "ViewerPage",
    "pages_context",
    "render",
    "secure_cookies",
]

COOKIE = "qanat_session"
LANG_COOKIE = "qanat_lang"  # language before login
_RANK = {Role.VIEWER: 0, Role.TECHNICIAN: 1, Role.ADMIN: 2}
_TEMPLATES = bundled("web", "templates")


@dataclass(frozen=True, slots=True)
class PagesConfig:
    """How the pages are served: where the box secret lives, the site's time zone, TLS.

    ``password_hasher``: argon2id parameters (default argon2-cffi's, RFC 9106's low-memory
    profile: 64 MiB, 3 passes); a box short of memory may choose smaller ones.
    """

    data_dir: Path | None = None
    tz: tzinfo = UTC
    secure_cookies: bool = False  # set when served over TLS
    password_hasher: PasswordHasher | None = None
    board_public: bool = False  # the visitor board (/board) answers; site file [board] public


@dataclass
class PagesContext:
    service: ControlService
    store: Store
    accounts: Accounts
    secret: bytes
    hosts: HostPolicy
    config: PagesConfig
    backoff: LoginBackoff = field(default_factory=LoginBackoff)
    templates: Jinja2Templates = field(
        default_factory=lambda: Jinja2Templates(directory=str(_TEMPLATES))
    )


class LoginRequired(Exception):
    """No live session: GET → the login page, POST → 401."""


class PageForbidden(Exception):
    """The user's role may not do this (403)."""


def secure_cookies(request: Request, pages: PagesContext) -> bool:
    """Cookies only over TLS: served with a certificate, or reached as ``https`` (behind a
    trusted reverse proxy that says so in ``X-Forwarded-Proto``)."""
    return pages.config.secure_cookies or request.url.scheme == "https"


def pages_context(request: Request) -> PagesContext:
    context: PagesContext = request.app.state.pages
    return context


PagesDep = Annotated[PagesContext, Depends(pages_context)]


def locale_of(request: Request, session: SessionInfo | None) -> str:
    if session is not None:
        return session.user.locale
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LOCALE)
    return lang if lang in LOCALES else DEFAULT_LOCALE


def get_session(request: Request, pages: PagesDep) -> SessionInfo:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise LoginRequired()
    try:
        return pages.accounts.session(cookie)
    except InvalidSession:
        raise LoginRequired() from None


PageSession = Annotated[SessionInfo, Depends(get_session)]


class RequirePageRole:
    def __init__(self, role: Role) -> None:
        self.role = role

    def __call__(self, request: Request, session: PageSession, pages: PagesDep) -> SessionInfo:
        if _RANK[session.user.role] >= _RANK[self.role]:
            return session
        pages.store.record_audit(
            session.user.username,
            "page.refused",
            {
                "method": request.method,
                "path": request.url.path,
                "role": session.user.role.value,
                "required": self.role.value,
            },
        )
        raise PageForbidden()


ViewerPage = Annotated[SessionInfo, Depends(RequirePageRole(Role.VIEWER))]
TechnicianPage = Annotated[SessionInfo, Depends(RequirePageRole(Role.TECHNICIAN))]
AdminPage = Annotated[SessionInfo, Depends(RequirePageRole(Role.ADMIN))]


def check_csrf(
    request: Request,
    session: PageSession,
    pages: PagesDep,
    csrf: Annotated[str, Form(max_length=MAX_TOKEN_CHARS)] = "",
) -> None:
    """A page POST must carry this session's token and come from a page of this box."""
    host = request.headers.get("host")
    fine = csrf_valid(pages.secret, session.token_hash, csrf) and same_origin(
        host, request.headers.get("origin"), request.headers.get("referer")
    )
    if not fine:
        pages.store.record_audit(
            session.user.username, "page.csrf_refused", {"path": request.url.path}
        )
        raise PageForbidden()


CsrfChecked = Annotated[None, Depends(check_csrf)]


def render(
    request: Request,
    pages: PagesContext,
    template: str,
    session: SessionInfo | None,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """A page in the user's language, with the CSRF token and the formatting helpers."""
    locale = locale_of(request, session)

    def t(key: str, **kw: Any) -> str:
        return translate(locale, key, **kw)

    def tw(key: str, **kw: Any) -> Markup:
        """A message whose values each stay whole on one line (a date)."""
        return translate_whole(locale, key, **kw)

    def tk(prefix: str, key: str) -> str:
        """A named value (crop, mode, alarm code) in the page's language, else as it is."""
        return catalog(locale).get(prefix + key, key)

    formatter = fmt.Formatter(locale, pages.config.tz)
    flash = request.cookies.get("qanat_flash")
    context = {
        "request": request,
        "t": t,
        "tk": tk,
        "tw": tw,
        "locale": locale,
        "user": session.user if session else None,
        "csrf": csrf_token(pages.secret, session.token_hash) if session else "",
        "can_control": session is not None and _RANK[session.user.role] >= 1,
        "is_admin": session is not None and session.user.role is Role.ADMIN,
        "fmt": formatter,
        # a decision (its inputs), a next run's codes, a run's end reason, an alarm's message,
        # a device's last error, why the clock is not trusted, a device point in the page's words
        "decision_said": lambda d: said.decision_said(
            locale, d.inputs, action=str(d.action), record=d.reason, fmt=formatter
        ),
        "decision_figures": lambda d: said.decision_figures(locale, d.inputs),
        "reasons_said": lambda codes, values: said.reasons_said(locale, codes, values),
        "end_said": lambda end_reason: said.end_said(formatter, end_reason),
        "alarm_said": lambda a: said.alarm_said(formatter, a.source, a.code, a.message),
        "device_error_said": lambda health: said.device_error_said(formatter, health),
        "clock_note_said": lambda note: said.clock_note_said(formatter, note),
        "point_label": lambda point: point_labels.point_label(locale, point),
        "flash": fmt.unquote_flash(flash) if flash else None,
        **values,
    }
    response = pages.templates.TemplateResponse(request, template, context, status_code=status_code)
    if flash:
        response.delete_cookie("qanat_flash", path="/")
    return response
