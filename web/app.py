"""Build the web application around a running daemon.

:func:`create_app` is the only entry point: nothing here runs at import. The
daemon (or a test) hands in its :class:`~controller.daemon.protocol.ControlService`
and :class:`~controller.store.Store`; the app keeps no other state.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware

from controller.access.accounts import Accounts
from controller.daemon.protocol import ControlService
from controller.store import Store
from web.api import api_router
from web.deps import WebContext
from web.docs import install_docs
from web.errors import install_error_handlers
from web.headers import SecurityHeaders
from web.limits import DEFAULT_MAX_BODY_BYTES, AuthBeforeBody, BodyLimit, credentials_refusal
from web.pages import PagesConfig, install_pages

__all__ = ["create_app"]


def _version() -> str:
    try:
        return version("qanat")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(
    service: ControlService,
    store: Store,
    *,
    title: str = "qanat",
    allowed_hosts: Sequence[str] | None = None,
    pages: PagesConfig | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The FastAPI app: JSON API under ``/api/v1``, schema at ``/openapi.json``, ``/docs``.

    ``allowed_hosts`` (e.g. ``["192.168.1.20", "qanat.local"]``, ``*.`` wildcards
    allowed) refuses requests whose ``Host`` header is not listed, against DNS
    rebinding; ``None`` accepts any host (the pages still answer only to IP
    addresses, localhost and these names). ``pages`` says where the box secret
    lives, the site's time zone and whether cookies are TLS-only. No CORS
    headers are sent: browsers reach the API only from pages served by this app.
    ``max_body_bytes`` caps every request body (413 above it); a post without valid
    credentials is refused before its body is read (:mod:`web.limits`).
    """
    app = FastAPI(
        title=title,
        version=_version(),
        docs_url=None,  # Swagger UI and ReDoc need a CDN; web.docs serves an offline page
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.qanat = WebContext(service=service, store=store)
    app.include_router(api_router)
    install_docs(app)
    install_pages(app, service, store, config=pages, allowed_hosts=allowed_hosts)
    install_error_handlers(app)
    if allowed_hosts is not None:
        app.add_middleware(
            TrustedHostMiddleware, allowed_hosts=list(allowed_hosts), www_redirect=False
        )
    # Added last, so outermost: both act before anything reads the body.
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(AuthBeforeBody, refuse=credentials_refusal(store, Accounts(store)))
    app.add_middleware(SecurityHeaders)  # outermost: the early refusals carry them too
    return app
