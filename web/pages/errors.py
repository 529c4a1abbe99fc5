"""The pages' answers to a lookup that found nothing (404) and to a request its route's
schema refused (422), in the page's language: the user's, else the language cookie's.

A browser (a request that accepts ``text/html``: a followed link, a sent form) is answered
with a page in the site's frame, the messages and the way back to the overview. Any other
client gets the API's shape (:mod:`web.errors`: ``{"detail": message}`` and
``{"detail": [{loc, msg, type}]}``), only the messages the page's. The API's own app keeps
its English.
"""

from __future__ import annotations

from fastapi import Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException

from controller.access.accounts import InvalidSession, SessionInfo
from controller.daemon.protocol import UnknownName
from web.i18n import translate
from web.pages.context import COOKIE, PagesContext, locale_of, render
from web.pages.lookups import unknown_text
from web.pages.site_problems import say_schema

__all__ = [
    "FORM_LABELS",
    "ROUTE_FORM_LABELS",
    "forbidden",
    "invalid_request",
    "not_found",
    "request_locale",
    "unknown_name",
]

# a form field its route's schema checks -> the catalog's label the page shows beside it
FORM_LABELS = {
    # manual control (the zone's card, the site's pause)
    "minutes": "control.minutes",
    "volume_m3": "control.volume_m3",
    "recipe": "control.recipe",
    "hours": "control.pause_hours",
    # a crop observation
    "stage": "phenology.field_stage",
    "observed_on": "phenology.field_observed_on",
    # a soil sample
    "probe": "probes.field_probe",
    "theta_pct": "probes.field_theta_pct",
    "method": "probes.field_method",
    "at": "probes.field_at",
    "raw_pct": "probes.field_raw_pct",
    # the soil page's calibration dry-down
    "fraction": "soil.dry_down_fraction",
    # the settings: a zone, the decision thresholds, a fertigation event
    "crop": "settings.crop",
    "planting_date": "settings.planting_date",
    "mode": "settings.mode",
    "mad_fraction": "settings.mad_fraction",
    "targets": "settings.targets",
    "probe_weight": "settings.probe_weight",
    "rain_skip_mm": "settings.rain_skip_mm",
    "label": "settings.field_label",
    "zones": "settings.zones",
    "day_after_planting": "settings.field_day_after_planting",
    "date": "settings.field_date",
    "n_kg_mu": "settings.field_n_kg_mu",
    "p2o5_kg_mu": "settings.field_p2o5_kg_mu",
    "k2o_kg_mu": "settings.field_k2o_kg_mu",
    "target_ec_ms_cm": "settings.field_target_ec_ms_cm",
    "tank": "settings.field_tank",
    # the users: a new user, a role, a password
    "username": "users.username",
    "display_name": "users.display_name",
    "role": "users.role",
    "password": "users.password",
    "password_again": "users.password_again",
}
# (route, field) -> the label, where a form labels a field another form sends otherwise
ROUTE_FORM_LABELS = {
    ("/login", "username"): "login.username",
    ("/login", "password"): "login.password",
    ("/users/{username}/password", "password"): "users.new_password",
    ("/settings/fertigation/events", "recipe"): "settings.field_recipe",
    ("/settings/fertigation/events/{number}", "recipe"): "settings.field_recipe",
}


def _session(request: Request) -> SessionInfo | None:
    """The signed-in user's session of ``request``, if any."""
    pages: PagesContext = request.app.state.pages
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        return pages.accounts.session(cookie)
    except InvalidSession:
        return None


def request_locale(request: Request) -> str:
    """The language of the page that sent ``request``."""
    return locale_of(request, _session(request))


def _wants_page(request: Request) -> bool:
    """A browser's request: a link followed or a form sent, which accepts ``text/html``."""
    return "text/html" in request.headers.get("accept", "")


def _error_page(request: Request, code: int, messages: list[str]) -> Response:
    """The messages on a page in the site's frame (``error.html``), with status ``code``."""
    pages: PagesContext = request.app.state.pages
    return render(
        request, pages, "error.html", _session(request), status_code=code, messages=messages
    )


async def unknown_name(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UnknownName)
    detail = unknown_text(request_locale(request), exc)
    if _wants_page(request):
        return _error_page(request, status.HTTP_404_NOT_FOUND, [detail])
    return JSONResponse({"detail": detail}, status_code=status.HTTP_404_NOT_FOUND)


async def forbidden(request: Request, exc: Exception) -> Response:
    """A page beyond the user's role (403): said as a page for a browser, else ``forbidden``."""
    code = status.HTTP_403_FORBIDDEN
    if _wants_page(request):
        return _error_page(request, code, [translate(request_locale(request), "error.forbidden")])
    return PlainTextResponse("forbidden", status_code=code)


async def not_found(request: Request, exc: Exception) -> Response:
    """A 404 (a lookup's, said by :func:`web.pages.lookups.not_found`, or no such page) as a
    page for a browser; any other HTTP error as FastAPI answers it."""
    assert isinstance(exc, HTTPException)
    if exc.status_code != status.HTTP_404_NOT_FOUND or not _wants_page(request):
        return await http_exception_handler(request, exc)
    detail = exc.detail
    if detail == "Not Found":  # no route, or a page switched off: the framework's words
        detail = translate(request_locale(request), "error.no_page")
    return _error_page(request, exc.status_code, [detail])


def _field(locale: str, route: str, loc: tuple[int | str, ...]) -> str:
    """The refused field of the form ``route`` draws as the page labels it
    (:data:`ROUTE_FORM_LABELS`, :data:`FORM_LABELS`), else by its name (a hidden field, a
    path parameter)."""
    if len(loc) >= 2 and loc[0] == "body":  # a list's item: ("body", "zones", 3)
        name = str(loc[1])
        key = ROUTE_FORM_LABELS.get((route, name), FORM_LABELS.get(name))
        if key is not None:
            return translate(locale, key)
    return str(loc[-1]) if loc else "?"


async def invalid_request(request: Request, exc: Exception) -> Response:
    """Each error said from the schema messages, naming the form field or path parameter
    (pydantic's English for a type they do not cover); never the input (web.errors)."""
    assert isinstance(exc, RequestValidationError)
    locale = request_locale(request)
    route = getattr(request.scope.get("route"), "path", "")
    errors = []
    for error in exc.errors():
        field = _field(locale, route, error["loc"])
        said = say_schema(locale, error, field)
        msg = said if said is not None else error["msg"]
        errors.append({"loc": list(error["loc"]), "msg": msg, "type": error["type"]})
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    if _wants_page(request):
        return _error_page(request, code, [str(e["msg"]) for e in errors])
    return JSONResponse({"detail": errors}, status_code=code)
