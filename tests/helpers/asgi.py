"""A small synchronous client that calls an ASGI app in process.

Starlette's ``TestClient`` needs an HTTP client package this project does
not install; the API only needs plain request/response exchanges, which the
ASGI protocol gives directly. A blocking portal keeps one event loop (and its
worker threads) for the client's lifetime, as ``TestClient`` does.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp, Message

_NO_BODY = object()


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class AsgiClient:
    def __init__(self, app: ASGIApp, portal: BlockingPortal, host: str = "testserver") -> None:
        self.app = app
        self.portal = portal
        self.host = host

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _NO_BODY,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> Response:
        sent = dict(headers or {})
        body = content or b""
        if json is not _NO_BODY:
            body = jsonlib.dumps(json).encode()  # allow_nan: NaN and Infinity go out as JS does
            sent.setdefault("content-type", "application/json")
        if token is not None:
            sent["authorization"] = f"Bearer {token}"
        sent.setdefault("host", self.host)
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in sent.items()]
        raw_headers.append((b"content-length", str(len(body)).encode()))
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method.upper(),
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urlencode(params or {}).encode(),
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 50000),
            "server": (self.host, 80),
        }
        return self.portal.call(self._exchange, scope, body)

    async def _exchange(self, scope: dict[str, Any], body: bytes) -> Response:
        messages: list[Message] = []
        delivered = False
        # A real client stays connected until the whole response has arrived; answering
        # "disconnect" earlier makes Starlette cancel a streamed response.
        finished = anyio.Event()

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            messages.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                finished.set()

        await self.app(scope, receive, send)
        start = next(m for m in messages if m["type"] == "http.response.start")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
        content = b"".join(
            m.get("body", b"") for m in messages if m["type"] == "http.response.body"
        )
        return Response(start["status"], headers, content)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)


@contextmanager
def asgi_client(app: ASGIApp, host: str = "testserver") -> Iterator[AsgiClient]:
    with start_blocking_portal() as portal:
        yield AsgiClient(app, portal, host)
