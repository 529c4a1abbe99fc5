"""The one place where errors become HTTP responses.

=====================================  ======  ====================================
exception                              status  body
=====================================  ======  ====================================
``RequestValidationError``             422     ``{"detail": [{loc, msg, type}]}``
``controller.daemon.protocol.UnknownName``     404     ``{"detail": message}``
``controller.store.NotFound``          404     ``{"detail": message}``
``controller.daemon.protocol.ControlRefused``  409     ``{"detail", "code", "reason_code"}``
anything else                          500     ``{"detail": "internal error"}``, logged
=====================================  ======  ====================================

Validation errors are sent without the offending input: it may hold NaN or
infinity, which JSON cannot carry, and echoing it back teaches nothing the
field name and message do not.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controller.daemon.protocol import ControlRefused, UnknownName
from controller.store import NotFound

__all__ = ["InternalErrorMiddleware", "install_domain_handlers", "install_error_handlers"]

log = logging.getLogger(__name__)


async def domain_error(request: Request, exc: Exception) -> JSONResponse:
    """Map an error the daemon raised on purpose to its status."""
    match exc:
        case ControlRefused():
            return JSONResponse(
                {"detail": exc.reason, "code": exc.code, "reason_code": exc.reason_code},
                status_code=status.HTTP_409_CONFLICT,
            )
        case UnknownName() | NotFound():
            return JSONResponse(
                {"detail": str(exc) or "not found"}, status_code=status.HTTP_404_NOT_FOUND
            )
    raise exc


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


class InternalErrorMiddleware:
    """Turn an unexpected exception into a bare 500 and log it once, with its traceback.

    A mounted app (the pages) answers its own 500 and then re-raises, as Starlette does:
    that answer is complete, so the exception stops here and the keep-alive connection
    stays usable. Only a response broken off half-way is re-raised (the server must
    drop the connection: the client cannot tell the body is cut short otherwise).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = finished = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, finished
            started = started or message["type"] == "http.response.start"
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if finished:  # answered already (a mounted app's own 500): nothing to drop
                return
            if started:  # too late for a clean 500: let the server drop the connection
                raise
            response = JSONResponse(
                {"detail": "internal error"}, status_code=status.HTTP_500_INTERNAL_SERVER_ERROR
            )
            await response(scope, receive, send)


def install_domain_handlers(app: FastAPI) -> None:
    """The daemon's errors and invalid requests as 4xx (the API's and the pages' apps)."""
    for domain in (ControlRefused, UnknownName, NotFound):
        app.add_exception_handler(domain, domain_error)
    app.add_exception_handler(RequestValidationError, invalid_request)


def install_error_handlers(app: FastAPI) -> None:
    install_domain_handlers(app)
    app.add_middleware(InternalErrorMiddleware)
