"""Settings (admins): per zone crop, planting date and mode; the site's planning thresholds.

Each change is checked here for form (a date, a number, one of the choices) with
messages in the page's language, then by the same site validation as
``qanat check-config`` (through the service), saved to ``site.overrides.toml``
in the data directory, applied to the running daemon and audited. Wiring and
safety limits are not editable here: they belong in the site file.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response

from controller.accounts import SessionInfo
from controller.service import SettingsInvalid
from web.i18n import translate
from web.pages.context import AdminPage, CsrfChecked, PagesDep, ViewerPage, render
from web.pages.control import _back

router = APIRouter(include_in_schema=False)

MODES = ("et", "sensor", "calendar", "manual")
# policy key -> (lowest, highest) accepted on the form; the site validation has the last word
POLICY_FIELDS = {"probe_weight": (0.0, 1.0), "rain_skip_mm": (0.0, 100.0)}


def _page(
    request: Request, pages: PagesDep, session: SessionInfo, *, code: int = 200,
    errors: list[str] | None = None,
) -> HTMLResponse:  # fmt: skip
    return render(
        request, pages, "settings.html", session, status_code=code,
        settings=pages.service.settings(), modes=MODES, errors=errors or [],
    )  # fmt: skip


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, pages: PagesDep, session: ViewerPage) -> HTMLResponse:
    return _page(request, pages, session)


def _apply(
    request: Request, pages: PagesDep, session: SessionInfo, changes: dict[str, Any]
) -> Response:
    locale = session.user.locale
    try:
        pages.service.apply_settings(changes, actor=session.user.username)
    except SettingsInvalid as exc:
        problems = [translate(locale, "settings.site_problem", problem=p) for p in exc.problems]
        return _page(request, pages, session, code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                     errors=problems)  # fmt: skip
    return _back(request, pages, translate(locale, "settings.saved"), "/settings")


@router.post("/settings/zones/{name}")
def save_zone(
    name: str, request: Request, pages: PagesDep, session: AdminPage, _: CsrfChecked,
    crop: Annotated[str, Form()] = "", planting_date: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    current = pages.service.settings()
    if name not in current["zones"]:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no zone {name!r}")
    locale = session.user.locale
    errors = []
    if crop not in current["crops"]:
        errors.append(translate(locale, "settings.bad_crop", zone=name, value=crop))
    try:
        day = dt.date.fromisoformat(planting_date)
    except ValueError:
        errors.append(translate(locale, "settings.bad_date", zone=name, value=planting_date))
    if mode not in MODES:
        errors.append(translate(locale, "settings.bad_mode", zone=name, value=mode))
    if errors:
        return _page(request, pages, session, code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                     errors=errors)  # fmt: skip
    zone = {"crop": crop, "planting_date": day, "mode": mode}
    return _apply(request, pages, session, {"zones": {name: zone}})


@router.post("/settings/policy")
def save_policy(
    request: Request, pages: PagesDep, session: AdminPage, _: CsrfChecked,
    probe_weight: Annotated[str, Form()] = "", rain_skip_mm: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    locale = session.user.locale
    sent = {"probe_weight": probe_weight, "rain_skip_mm": rain_skip_mm}
    policy: dict[str, float] = {}
    errors = []
    for key, text in sent.items():
        low, high = POLICY_FIELDS[key]
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:  # NaN fails too
            errors.append(translate(locale, f"settings.bad_{key}", value=text, low=low, high=high))
        else:
            policy[key] = value
    if errors:
        return _page(request, pages, session, code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                     errors=errors)  # fmt: skip
    return _apply(request, pages, session, {"policy": policy})
