"""The technicians' pages: server-rendered, offline, zh-CN (default) and English.

:func:`install_pages` mounts them, as an app of their own at ``/`` (after the API,
which keeps its routes, schema and error handling), on the app built by
:func:`web.app.create_app`:
login/logout, overview, zone detail, the visitor board (when the site makes it
public), manual control, alarms, devices, settings (with the
fertigation plan), users,
and ``/static`` (CSS, a small script, the vendored chart library). Every page
answers only to this box's names (:class:`web.security.HostPolicy`) and carries a
strict Content-Security-Policy: no external URL can load.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controller.access.accounts import Accounts
from controller.access.lockout import LoginBackoff
from controller.daemon.protocol import ControlService, UnknownName
from controller.paths import bundled
from controller.store import Store
from web.errors import install_domain_handlers
from web.pages import (
    alarms,
    auth,
    board,
    control,
    crop,
    devices,
    fertigation,
    icon,
    overview,
    probes,
    recipes,
    settings,
    soil,
    users,
    zones,
)
from web.pages.context import LoginRequired, PageForbidden, PagesConfig, PagesContext
from web.pages.errors import forbidden, invalid_request, not_found, unknown_name
from web.security import CSP, HostPolicy, load_box_secret

__all__ = ["ROUTERS", "PagesConfig", "install_pages"]

ROUTERS = tuple(
    m.router
    for m in (
        auth,
        overview,
        zones,
        crop,
        control,
        alarms,
        devices,
        probes,
        soil,
        settings,
        fertigation,
        recipes,
        users,
        board,
        icon,
    )
)

STATIC = bundled("web", "static")
# the pages' own policy; nosniff, frame and referrer headers: web.headers, for every response
_HEADERS = [(b"content-security-policy", CSP.encode())]


# Paths the pages never answer: the API's, so that its 404 and 405 stay its own.
_NOT_PAGES = ("/api/", "/docs", "/redoc", "/openapi.json")


class PagesMount(Mount):
    """The pages at ``/``, except the API's paths."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"].startswith(_NOT_PAGES):
            return Match.NONE, {}
        return super().matches(scope)


class PageGuard:
    """Refuse a ``Host`` that is not this box (421); add the security headers."""

    def __init__(self, app: ASGIApp, hosts: HostPolicy) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        if not self.hosts.accepts(host):
            response = PlainTextResponse(
                f"this box does not answer to the name {host!r} (allowed hosts)",
                status_code=status.HTTP_421_MISDIRECTED_REQUEST,
            )
            await response(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + _HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


async def _login_required(request: Request, exc: Exception) -> Response:
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(
            f"/login?next={quote(target, safe='')}", status_code=status.HTTP_303_SEE_OTHER
        )
    return PlainTextResponse("login required", status_code=status.HTTP_401_UNAUTHORIZED)


def install_pages(
    app: FastAPI,
    service: ControlService,
    store: Store,
    *,
    config: PagesConfig | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> None:
    """Mount the pages and ``/static`` on ``app`` (call after every other route is added)."""
    config = config if config is not None else PagesConfig()
    hosts = HostPolicy(allowed_hosts)
    pages = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    pages.state.pages = PagesContext(
        service=service,
        store=store,
        accounts=Accounts(store, hasher=config.password_hasher),
        secret=load_box_secret(config.data_dir),
        hosts=hosts,
        config=config,
        # the store's clock: an unlock from the CLI is dated by it (Accounts.last_unlock)
        backoff=LoginBackoff(now=lambda: store.clock.now().timestamp()),
    )
    for router in ROUTERS:
        pages.include_router(router)
    pages.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_domain_handlers(pages)
    # what a page did not find or refused as sent: in the page's language (web.pages.errors)
    pages.add_exception_handler(UnknownName, unknown_name)
    pages.add_exception_handler(RequestValidationError, invalid_request)
    pages.add_exception_handler(HTTPException, not_found)
    pages.add_exception_handler(LoginRequired, _login_required)
    pages.add_exception_handler(PageForbidden, forbidden)
    pages.add_middleware(PageGuard, hosts=hosts)
    app.router.routes.append(PagesMount("/", app=pages))
