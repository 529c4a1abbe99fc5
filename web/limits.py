"""Guards that act before a request's body is read: who is asking, and how much they send.

* :class:`AuthBeforeBody` refuses a state-changing request (any method but GET, HEAD,
  OPTIONS) to an authenticated route that carries no valid credential — a bearer
  token under ``/api/``, a page session elsewhere — with a 401 before one byte of the
  body is read. FastAPI reads and parses a body before it resolves the route's
  dependencies, so without this an anonymous client could make the daemon parse
  hundreds of megabytes of JSON just to be told 401.
* :class:`BodyLimit` caps the body of every request (default :data:`DEFAULT_MAX_BODY_BYTES`):
  a ``Content-Length`` over the cap is refused at once, and a body sent without one
  (chunked) is counted as it streams in and refused as soon as it passes the cap.
  Either way the answer is 413 with ``Connection: close``: the rest is never read.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio.to_thread
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controller.access.accounts import Accounts, InvalidSession
from controller.store import InvalidToken, Store
from web.pages.context import COOKIE

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "PUBLIC_PAGE_POSTS",
    "AuthBeforeBody",
    "BodyLimit",
    "BodyTooLarge",
    "credentials_refusal",
]

DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # the largest form or JSON body qanat takes is a few kB
PUBLIC_PAGE_POSTS = frozenset({"/login", "/lang"})  # the only posts made before a login
_READS = frozenset({"GET", "HEAD", "OPTIONS"})

# Given the request's scope (headers, path, method), a refusal or None; may touch the store,
# so it runs in a worker thread.
Refusal = Callable[[Scope], Response | None]


class BodyTooLarge(Exception):
    """Raised to the app from ``receive`` once the body passes the limit."""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large(limit: int) -> Response:
    return JSONResponse(
        {"detail": f"request body larger than {limit} bytes"},
        status_code=413,
        headers={"Connection": "close"},
    )


class BodyLimit:
    """At most ``max_bytes`` of request body, checked before and while it is read."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _too_large(self.max_bytes)(scope, receive, send)
            return
        received = 0
        exceeded = started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # the app's own answer to the failed read (a 400): ours goes instead
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _too_large(self.max_bytes)(scope, receive, send)


class AuthBeforeBody:
    """Answer ``refuse(scope)``'s response, if any, to a state-changing request before its body."""

    def __init__(self, app: ASGIApp, refuse: Refusal) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _READS:
            refusal = await anyio.to_thread.run_sync(self.refuse, scope)
            if refusal is not None:
                refusal.headers["Connection"] = "close"  # the unread body stays unread
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def credentials_refusal(store: Store, accounts: Accounts) -> Refusal:
    """The check :class:`AuthBeforeBody` runs for the app: a bearer token under ``/api/``
    (401 with ``WWW-Authenticate: Bearer``, as the API's own check answers), a live page
    session for every other post but :data:`PUBLIC_PAGE_POSTS` (401 "login required")."""

    def refuse(scope: Scope) -> Response | None:
        request = HTTPConnection(scope)
        path = request.url.path
        if path.startswith("/api/"):
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return _unauthorized("missing bearer token")
            try:
                store.verify_token(token.strip())
            except InvalidToken:
                return _unauthorized("invalid or revoked token")
            return None
        if path in PUBLIC_PAGE_POSTS:
            return None
        try:
            accounts.session(request.cookies.get(COOKIE, ""))
        except InvalidSession:
            return PlainTextResponse("login required", status_code=401)
        return None

    return refuse


def _unauthorized(detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
