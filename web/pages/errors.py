"""The pages' answers to a lookup that found nothing (404) and to a request its route's
schema refused (422), in the page's language: the user's, else the language cookie's.

The bodies keep the API's shape (:mod:`web.errors`: ``{"detail": message}`` and
``{"detail": [{loc, msg, type}]}``); only the messages are the page's. The API's own app
keeps its English.
"""

from __future__ import annotations

from fastapi import Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from controller.access.accounts import InvalidSession, SessionInfo
from controller.daemon.protocol import UnknownName
from web.pages.context import COOKIE, PagesContext, locale_of
from web.pages.lookups import unknown_text
from web.pages.site_problems import say_schema

__all__ = ["invalid_request", "request_locale", "unknown_name"]


def request_locale(request: Request) -> str:
    """The language of the page that sent ``request``."""
    pages: PagesContext = request.app.state.pages
    cookie = request.cookies.get(COOKIE)
    session: SessionInfo | None = None
    if cookie:
        try:
            session = pages.accounts.session(cookie)
        except InvalidSession:
            session = None
    return locale_of(request, session)


async def unknown_name(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnknownName)
    detail = unknown_text(request_locale(request), exc)
    return JSONResponse({"detail": detail}, status_code=status.HTTP_404_NOT_FOUND)


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """Each error said from the schema messages, naming the form field or path parameter
    (pydantic's English for a type they do not cover); never the input (web.errors)."""
    assert isinstance(exc, RequestValidationError)
    locale = request_locale(request)
    errors = []
    for error in exc.errors():
        field = str(error["loc"][-1]) if error["loc"] else "?"
        said = say_schema(locale, error, field)
        msg = said if said is not None else error["msg"]
        errors.append({"loc": list(error["loc"]), "msg": msg, "type": error["type"]})
    return JSONResponse({"detail": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
