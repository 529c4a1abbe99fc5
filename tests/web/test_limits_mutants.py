"""The guards before a request's body, one rule at a time, at, just under and just over each
limit (scripts/mutation.sh web/limits.py).

The middlewares are driven as ASGI callables with a scripted ``receive`` and a recording
``send`` around a small app that reads the whole body and answers what it read, so each test
sees what the app was given and every message the client would get. No server, no socket.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send

from controller.access.accounts import Accounts, InvalidSession
from controller.store import InvalidToken, Store
from web.limits import (
    PUBLIC_PAGE_POSTS,
    AuthBeforeBody,
    BodyLimit,
    BodyTooLarge,
    credentials_refusal,
)
from web.pages.context import COOKIE

LIMIT = 10  # bytes

App = Callable[[Scope, Receive, Send], Awaitable[None]]


def http(method: str = "POST", path: str = "/api/v1/x", **headers: str) -> Scope:
    raw = [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()]
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": raw,
        "scheme": "http",
        "server": ("127.0.0.1", 80),
    }


class Client:
    """The body as ``parts`` of bytes (then a disconnect), and everything answered."""

    def __init__(self, *parts: bytes, keys: bool = True) -> None:
        self.messages: list[Message] = [
            {"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
            if keys
            else {"type": "http.request", "more_body": i < len(parts) - 1}
            for i, p in enumerate(parts)
        ] + [{"type": "http.disconnect"}]
        self.read = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        message = self.messages[self.read]
        self.read += 1
        return message

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int | None:
        starts = [m["status"] for m in self.sent if m["type"] == "http.response.start"]
        assert len(starts) <= 1, starts
        return starts[0] if starts else None

    @property
    def headers(self) -> dict[str, str]:
        (start,) = [m for m in self.sent if m["type"] == "http.response.start"]
        return {k.decode(): v.decode() for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


class Echo:
    """Reads the whole body, then answers 200 with it; ``calls`` counts the requests."""

    def __init__(self) -> None:
        self.calls = 0
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await PlainTextResponse(body.decode())(scope, receive, send)


def serve(app: App, scope: Scope, client: Client) -> None:
    asyncio.run(app(scope, client.receive, client.send))


def too_large(client: Client) -> None:
    assert client.status == 413
    assert client.headers["connection"] == "close"
    assert json.loads(client.body) == {"detail": f"request body larger than {LIMIT} bytes"}


# ------------------------------------------------------------------ BodyLimit


def test_the_limit_must_be_at_least_one_byte() -> None:
    with pytest.raises(ValueError, match="max_bytes must be positive, got 0"):
        BodyLimit(Echo(), max_bytes=0)
    assert BodyLimit(Echo(), max_bytes=1).max_bytes == 1


def test_the_default_limit_is_one_mebibyte() -> None:
    assert BodyLimit(Echo()).max_bytes == 1024 * 1024


@pytest.mark.parametrize("length", [LIMIT - 1, LIMIT])
def test_a_declared_length_up_to_the_limit_is_served(length: int) -> None:
    app = Echo()
    client = Client(b"x" * length)
    serve(BodyLimit(app, LIMIT), http(content_length=str(length)), client)
    assert client.status == 200 and app.bodies == [b"x" * length]


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    app = Echo()
    client = Client(b"x" * (LIMIT + 1))
    scope = http(accept="*/*", content_length=str(LIMIT + 1), host="box")
    serve(BodyLimit(app, LIMIT), scope, client)
    too_large(client)
    assert app.calls == 0 and client.read == 0


def test_an_unreadable_declared_length_is_counted_as_it_streams() -> None:
    app = Echo()
    client = Client(b"x" * 6, b"x" * 5)
    serve(BodyLimit(app, LIMIT), http(content_length="eleven"), client)
    too_large(client)
    assert app.calls == 1 and app.bodies == []


@pytest.mark.parametrize("parts", [(b"x" * 5, b"y" * 5), (b"x" * 4, b"", b"y" * 5)])
def test_a_streamed_body_up_to_the_limit_is_served(parts: tuple[bytes, ...]) -> None:
    app = Echo()
    client = Client(*parts)
    serve(BodyLimit(app, LIMIT), http(), client)
    assert client.status == 200 and app.bodies == [b"".join(parts)]
    assert client.body == b"".join(parts)


def test_request_messages_without_a_body_count_as_empty() -> None:
    app = Echo()
    client = Client(b"", b"", keys=False)
    serve(BodyLimit(app, LIMIT), http(), client)
    assert client.status == 200 and app.bodies == [b""]


def test_a_streamed_body_one_byte_over_is_cut_off_and_the_apps_answer_dropped() -> None:
    app = Echo()
    client = Client(b"x" * 5, b"y" * 6, b"z" * 100)
    serve(BodyLimit(app, LIMIT), http(), client)
    too_large(client)
    assert app.bodies == [] and client.read == 2  # the rest is never read


class Stubborn:
    """Catches the refused read, asks again, then answers 400 itself (as FastAPI does)."""

    def __init__(self, then: type[Exception] | None = None) -> None:
        self.then = then
        self.errors: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            try:
                message = await receive()
            except BodyTooLarge:
                self.errors.append("too large")
                break
            if not message.get("more_body"):
                break
        try:
            await receive()
        except BodyTooLarge:
            self.errors.append("too large again")
        if self.then is not None:
            raise self.then("the app's own failure")
        await PlainTextResponse("bad body", status_code=400)(scope, receive, send)


def test_a_read_after_the_limit_is_refused_too_and_the_apps_400_replaced() -> None:
    app = Stubborn()
    client = Client(b"x" * (LIMIT + 1), b"y")
    serve(BodyLimit(app, LIMIT), http(), client)
    assert app.errors == ["too large", "too large again"]
    too_large(client)
    assert client.read == 1


def test_an_app_failing_after_the_limit_is_answered_413() -> None:
    client = Client(b"x" * (LIMIT + 1))
    serve(BodyLimit(Stubborn(then=RuntimeError), LIMIT), http(), client)
    too_large(client)


def test_an_app_failing_within_the_limit_fails() -> None:
    client = Client(b"x" * LIMIT)
    with pytest.raises(RuntimeError, match="the app's own failure"):
        serve(BodyLimit(Stubborn(then=RuntimeError), LIMIT), http(), client)
    assert client.sent == []


async def early(scope: Scope, receive: Receive, send: Send) -> None:
    """Starts its answer, then reads the body."""
    await send({"type": "http.response.start", "status": 202, "headers": []})
    try:
        while (await receive()).get("more_body"):
            pass
    finally:
        await send({"type": "http.response.body", "body": b"late"})


def test_an_answer_already_started_is_not_followed_by_a_413() -> None:
    client = Client(b"x" * 6, b"x" * 6)
    serve(BodyLimit(early, LIMIT), http(), client)
    assert client.status == 202 and client.body == b""


def test_an_answer_started_within_the_limit_goes_out_whole() -> None:
    client = Client(b"x" * 5, b"x" * 5)
    serve(BodyLimit(early, LIMIT), http(), client)
    assert client.status == 202 and client.body == b"late"


async def lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers the startup message of its own scope with its completion."""
    message = await receive()
    await send({"type": f"{scope['type']}.startup.complete", "asked": message["type"]})


def test_a_lifespan_scope_passes_with_its_own_receive_and_send() -> None:
    client = Client()
    client.messages = [{"type": "lifespan.startup"}]
    scope = {"type": "lifespan", "headers": [(b"content-length", b"99")]}
    serve(BodyLimit(lifespan, LIMIT), scope, client)
    assert client.read == 1 and client.sent == [
        {"type": "lifespan.startup.complete", "asked": "lifespan.startup"}
    ]


# ------------------------------------------------------------------ AuthBeforeBody


class Refuser:
    def __init__(self, answer: Response | None) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, scope: Scope) -> Response | None:
        self.asked.append(scope["method"])
        return self.answer


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_a_read_is_not_asked_for_credentials(method: str) -> None:
    app, refuse = Echo(), Refuser(PlainTextResponse("no", status_code=401))
    client = Client(b"")
    serve(AuthBeforeBody(app, refuse), http(method), client)
    assert refuse.asked == [] and app.calls == 1 and client.status == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_change_refused_is_answered_and_closed_before_its_body(method: str) -> None:
    app, refuse = Echo(), Refuser(PlainTextResponse("no", status_code=401))
    client = Client(b"x" * 100)
    serve(AuthBeforeBody(app, refuse), http(method), client)
    assert refuse.asked == [method] and app.calls == 0 and client.read == 0
    assert client.status == 401 and client.headers["connection"] == "close"
    assert client.body == b"no"


def test_a_change_allowed_goes_to_the_app() -> None:
    app, refuse = Echo(), Refuser(None)
    client = Client(b"abc")
    serve(AuthBeforeBody(app, refuse), http("POST"), client)
    assert refuse.asked == ["POST"] and app.bodies == [b"abc"]


def test_a_websocket_is_not_asked_for_credentials() -> None:
    app, refuse = Echo(), Refuser(PlainTextResponse("no", status_code=401))
    client = Client()
    serve(AuthBeforeBody(app, refuse), {"type": "websocket", "method": "POST"}, client)
    assert refuse.asked == [] and app.calls == 1


# ------------------------------------------------------------------ credentials_refusal


class Tokens:
    def __init__(self) -> None:
        self.verified: list[str] = []

    def verify_token(self, token: str) -> object:
        self.verified.append(token)
        if token != "good":
            raise InvalidToken("unknown")
        return object()


class Sessions:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def session(self, cookie: str) -> object:
        self.asked.append(cookie)
        if cookie != "live":
            raise InvalidSession("expired")
        return object()


def refusal(scope: Scope) -> tuple[Response | None, Tokens, Sessions]:
    tokens, sessions = Tokens(), Sessions()
    refuse = credentials_refusal(cast(Store, tokens), cast(Accounts, sessions))
    return refuse(scope), tokens, sessions


def unauthorized(answer: Response | None, detail: str) -> None:
    assert answer is not None and answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert json.loads(bytes(answer.body)) == {"detail": detail}


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer ", "Bearer   ", "Basic good"]
)
def test_an_api_change_without_a_bearer_token_is_refused_unchecked(
    authorization: str | None,
) -> None:
    headers: dict[str, Any] = {} if authorization is None else {"authorization": authorization}
    answer, tokens, sessions = refusal(http(path="/api/v1/forecast", **headers))
    unauthorized(answer, "missing bearer token")
    assert tokens.verified == [] and sessions.asked == []


@pytest.mark.parametrize("authorization", ["Bearer good", "bearer good", "BEARER  good "])
def test_an_api_change_with_a_valid_token_in_any_case_passes(authorization: str) -> None:
    answer, tokens, sessions = refusal(http(path="/api/v1/forecast", authorization=authorization))
    assert answer is None
    assert tokens.verified == ["good"] and sessions.asked == []


def test_an_api_change_with_an_unknown_token_is_refused() -> None:
    answer, tokens, _ = refusal(http(path="/api/v1/forecast", authorization="Bearer bad"))
    unauthorized(answer, "invalid or revoked token")
    assert tokens.verified == ["bad"]


@pytest.mark.parametrize("path", sorted(PUBLIC_PAGE_POSTS))
def test_the_posts_before_a_login_need_no_session(path: str) -> None:
    assert {"/login", "/lang"} == PUBLIC_PAGE_POSTS
    answer, tokens, sessions = refusal(http(path=path))
    assert answer is None and sessions.asked == [] and tokens.verified == []


@pytest.mark.parametrize("path", ["/logout", "/api", "/apiv1/x", "/login/x", "/zones/z1/start"])
def test_every_other_post_needs_a_live_page_session(path: str) -> None:
    answer, tokens, sessions = refusal(http(path=path, cookie=f"{COOKIE}=stale"))
    assert answer is not None and answer.status_code == 401
    assert bytes(answer.body) == b"login required"
    assert "www-authenticate" not in answer.headers
    assert sessions.asked == ["stale"] and tokens.verified == []


def test_a_post_without_a_cookie_is_asked_as_an_empty_session() -> None:
    answer, _, sessions = refusal(http(path="/zones/z1/start"))
    assert answer is not None and answer.status_code == 401
    assert sessions.asked == [""]


def test_a_post_with_a_live_session_passes() -> None:
    answer, _, sessions = refusal(http(path="/zones/z1/start", cookie=f"other=1; {COOKIE}=live"))
    assert answer is None and sessions.asked == ["live"]
