"""Security headers on every response of the app: API, pages, docs, and the early refusals.

Each response gets ``X-Content-Type-Options: nosniff`` (a JSON or CSV body is never
run as a script or a page), ``X-Frame-Options: DENY`` with ``frame-ancestors 'none'``
(no page of the box inside another site's frame), ``Referrer-Policy: same-origin``,
and — unless the response set its own, as the pages and ``/docs`` do — the API's
Content-Security-Policy: nothing may load, inline styles only (the HTML report).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_CSP", "SecurityHeaders"]

API_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", API_CSP.encode()),
)


class SecurityHeaders:
    """Add :data:`_ALWAYS`'s headers a response does not carry already."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in _ALWAYS if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
