"""Settings (admins): per zone crop, planting date, mode and irrigation trigger (MAD); the
site's planning thresholds. The fertigation plan's forms are in :mod:`web.pages.fertigation`.

Each change is checked here for form (a date, a number, one of the choices) with
messages in the page's language, then by the same site validation as
``qanat check-config`` (through the service), saved to ``site.overrides.toml``
in the data directory, applied to the running daemon and audited. Wiring and
safety limits are not editable here: they belong in the site file.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response

from controller.access.accounts import SessionInfo
from controller.daemon.protocol import SettingsInvalid
from web.i18n import translate
from web.pages.context import AdminPage, CsrfChecked, PagesDep, ViewerPage, render
from web.pages.control import _back
from web.pages.plan_form import plan_forms
from web.params import MAX_TEXT_CHARS, NameInPath

router = APIRouter(include_in_schema=False)

MODES = ("et", "sensor", "calendar", "manual")
# policy key -> (lowest, highest) accepted on the form; the site validation has the last word
POLICY_FIELDS = {"probe_weight": (0.0, 1.0), "rain_skip_mm": (0.0, 100.0)}
MAD_RANGE = (0.2, 0.8)  # ZoneConfig.mad_fraction's bounds
_EVENT_PROBLEM = re.compile(r"^fertigation\.events\[(\d+)\]")


def _page(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    *,
    code: int = 200,
    errors: list[str] | None = None,
    draft: dict[str, Any] | None = None,
) -> HTMLResponse:
    settings = pages.service.settings()
    return render(
        request,
        pages,
        "settings.html",
        session,
        status_code=code,
        settings=settings,
        modes=MODES,
        errors=errors or [],
        **plan_forms(settings, draft),
    )


def refuse(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    errors: list[str],
    code: int = status.HTTP_422_UNPROCESSABLE_CONTENT,
    draft: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The settings page again, nothing saved, with ``errors`` on top (and the refused
    plan form ``draft`` as it was sent)."""
    return _page(request, pages, session, code=code, errors=errors, draft=draft)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, pages: PagesDep, session: ViewerPage) -> HTMLResponse:
    return _page(request, pages, session)


def apply(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    changes: dict[str, Any],
    *,
    event_names: list[str] | None = None,
    draft: dict[str, Any] | None = None,
    saved: str = "settings.saved",
) -> Response:
    """Save ``changes`` through the service; the site validation's problems on the page.

    ``event_names``: how the page names each event of the plan being saved, so that a
    problem of ``fertigation.events[i]`` says which event it is.
    """
    locale = session.user.locale
    try:
        pages.service.apply_settings(changes, actor=session.user.username)
    except SettingsInvalid as exc:
        problems = [_site_problem(locale, p, event_names or []) for p in exc.problems]
        return refuse(request, pages, session, problems, draft=draft)
    return _back(request, pages, translate(locale, saved), "/settings")


def _site_problem(locale: str, problem: str, event_names: list[str]) -> str:
    found = _EVENT_PROBLEM.match(problem)
    if found and int(found.group(1)) < len(event_names):
        name = event_names[int(found.group(1))]
        return translate(locale, "settings.event_site_problem", event=name, problem=problem)
    return translate(locale, "settings.site_problem", problem=problem)


@router.post("/settings/zones/{name}")
def save_zone(
    name: NameInPath,
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    crop: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    planting_date: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    mode: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    mad_fraction: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> Response:
    """``mad_fraction`` empty: back to the crop's p (the key leaves the saved settings).

    (FastAPI hands an empty form field over as absent, so absent means empty too.)
    """
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
    mad = None
    try:
        mad = _mad(mad_fraction.strip())
    except ValueError as exc:
        low, high = MAD_RANGE
        errors.append(
            translate(locale, str(exc), zone=name, value=mad_fraction.strip(), low=low, high=high)
        )
    if errors:
        return refuse(request, pages, session, errors)
    zone = {"crop": crop, "planting_date": day, "mode": mode, "mad_fraction": mad}
    return apply(request, pages, session, {"zones": {name: zone}})


def _mad(text: str) -> float | None:
    """The form's MAD: ``None`` when empty; ValueError naming the message otherwise."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError("settings.bad_mad_number") from None
    low, high = MAD_RANGE
    if not low <= value <= high:  # NaN fails too
        raise ValueError("settings.bad_mad_range")
    return value


@router.post("/settings/policy")
def save_policy(
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    probe_weight: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    rain_skip_mm: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> Response:
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
        return refuse(request, pages, session, errors)
    return apply(request, pages, session, {"policy": policy})
