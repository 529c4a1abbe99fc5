"""Settings (admins): per zone crop, planting date, mode, irrigation trigger (MAD) and target
rule (staged / FAO-56); per crop the MAD of its non-critical water-management periods (the
zone's table of periods, today's highlighted); the site's planning thresholds; the site's
FAO-56 eq. 50 krs and where it came from (shown only: the site file sets it). The
fertigation plan's forms are in :mod:`web.pages.fertigation`, the dosing recipes' in
:mod:`web.pages.recipes`.

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

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from controller.access.accounts import SessionInfo
from controller.config.krs import KRS_MAX, KRS_MIN
from controller.config.site import MAD_FRACTION_RANGE
from controller.daemon.lookups import unknown
from controller.daemon.protocol import SettingsInvalid
from controller.errors import CodedProblem
from web.i18n import translate
from web.pages.context import AdminPage, CsrfChecked, PagesDep, ViewerPage, render
from web.pages.control import _back
from web.pages.lookups import not_found
from web.pages.plan_form import plan_forms
from web.pages.planting_date import planting_problem
from web.pages.recipe_form import recipe_forms
from web.pages.site_problems import coded_problems, problem_text
from web.params import MAX_TEXT_CHARS, NameInPath

router = APIRouter(include_in_schema=False)

MODES = ("et", "sensor", "calendar", "manual")
TARGET_RULES = ("staged", "fao56")  # ZoneConfig.targets
STAGE_FIELD = "mad:"  # a period's MAD on the crop form: ``mad:<period name>``
# the zone MAD's form messages -> the same for a period (which names the crop and the period)
_STAGE_MESSAGES = {
    "settings.bad_mad_number": "settings.stage_bad_number",
    "settings.bad_mad_range": "settings.stage_bad_range",
}
# policy key -> (lowest, highest) accepted on the form; the site validation has the last word
POLICY_FIELDS = {"probe_weight": (0.0, 1.0), "rain_skip_mm": (0.0, 100.0)}
MAD_RANGE = MAD_FRACTION_RANGE  # a zone's and a period's MAD, fraction of TAW
_EVENT_PROBLEM = re.compile(r"^fertigation\.events\[(\d+)\]")


def _page(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    *,
    code: int = 200,
    errors: list[str] | None = None,
    draft: dict[str, Any] | None = None,
    recipe_draft: dict[str, Any] | None = None,
    typed: dict[str, str] | None = None,
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
        target_rules=TARGET_RULES,
        krs_range=(KRS_MIN, KRS_MAX),
        mad_range=MAD_RANGE,
        errors=errors or [],
        typed=typed or {},
        **plan_forms(settings, draft),
        **recipe_forms(settings, recipe_draft),
    )


def refuse(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    errors: list[str],
    code: int = status.HTTP_422_UNPROCESSABLE_CONTENT,
    draft: dict[str, Any] | None = None,
    recipe_draft: dict[str, Any] | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    """The settings page again, nothing saved, with ``errors`` on top (and the refused
    plan form ``draft`` or recipe form ``recipe_draft`` as it was sent; a zone's or the
    thresholds' fields as ``typed``, by ``<zone>.<field>`` or ``policy.<field>``)."""
    return _page(
        request,
        pages,
        session,
        code=code,
        errors=errors,
        draft=draft,
        recipe_draft=recipe_draft,
        typed=typed,
    )


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
    typed: dict[str, str] | None = None,
) -> Response:
    """Save ``changes`` through the service; the site validation's problems on the page.

    ``event_names``: how the page names each event of the plan being saved, so that a
    problem of ``fertigation.events[i]`` says which event it is.
    """
    locale = session.user.locale
    try:
        pages.service.apply_settings(changes, actor=session.user.username)
    except SettingsInvalid as exc:
        coded = coded_problems(exc)
        problems = [_site_problem(locale, p, coded, event_names or []) for p in exc.problems]
        return refuse(request, pages, session, problems, draft=draft, typed=typed)
    return _back(request, pages, translate(locale, saved), "/settings")


def _site_problem(
    locale: str, problem: str, coded: dict[str, CodedProblem], event_names: list[str]
) -> str:
    text = problem_text(locale, problem, coded)
    found = _EVENT_PROBLEM.match(problem)
    if found and int(found.group(1)) < len(event_names):
        name = event_names[int(found.group(1))]
        return translate(locale, "settings.event_site_problem", event=name, problem=text)
    return translate(locale, "settings.site_problem", problem=text)


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
    targets: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> Response:
    """``mad_fraction`` empty: back to the crop's p (the key leaves the saved settings).
    ``targets`` absent: the zone keeps its rule.

    (FastAPI hands an empty form field over as absent, so absent means empty too.)
    """
    current = pages.service.settings()
    if name not in current["zones"]:
        raise not_found(session.user.locale, unknown("zone", zone=name))
    locale = session.user.locale
    errors = []
    if crop not in current["crops"]:
        errors.append(translate(locale, "settings.bad_crop", zone=name, value=crop))
    try:
        day = dt.date.fromisoformat(planting_date)
    except ValueError:
        errors.append(translate(locale, "settings.bad_date", zone=name, value=planting_date))
    else:
        today = pages.service.status().time.astimezone(pages.config.tz).date()
        problem = planting_problem(locale, name, day, today)
        if problem is not None:
            errors.append(problem)
    if mode not in MODES:
        errors.append(translate(locale, "settings.bad_mode", zone=name, value=mode))
    if targets and targets not in TARGET_RULES:
        errors.append(translate(locale, "settings.bad_targets", zone=name, value=targets))
    mad = None
    try:
        mad = _mad(mad_fraction.strip())
    except ValueError as exc:
        low, high = MAD_RANGE
        errors.append(
            translate(locale, str(exc), zone=name, value=mad_fraction.strip(), low=low, high=high)
        )
    sent = {"crop": crop, "planting_date": planting_date, "mode": mode}
    sent |= {"mad_fraction": mad_fraction, "targets": targets}
    typed = {f"{name}.{key}": text for key, text in sent.items()}
    if errors:
        return refuse(request, pages, session, errors, typed=typed)
    zone = {"crop": crop, "planting_date": day, "mode": mode, "mad_fraction": mad}
    if targets:
        zone["targets"] = targets
    return apply(request, pages, session, {"zones": {name: zone}}, typed=typed)


async def _posted_form(request: Request) -> FormData:
    """The POST's form (parsed once; the CSRF check has read it already)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted_form)]


@router.post("/settings/crops/{crop}/stages")
def save_crop_stages(
    crop: NameInPath,
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    form: PostedForm,
) -> Response:
    """The MAD of each non-critical period of ``crop`` (fields ``mad:<period>``; empty: back
    to the site file's, or the crop library's, value). A critical period's MAD is refused:
    the rule holds its trigger to FAO-56 p whatever the MAD."""
    locale = session.user.locale
    periods = _crop_periods(pages.service.settings(), crop)
    if periods is None:
        raise not_found(locale, unknown("crop_grown", crop=crop))
    label = translate(locale, f"crop.{crop}")
    if label == f"crop.{crop}":
        label = crop
    stages: dict[str, dict[str, float] | None] = {}
    errors = []
    for key, raw in form.multi_items():
        if not key.startswith(STAGE_FIELD) or not isinstance(raw, str):
            continue
        name, text = key.removeprefix(STAGE_FIELD), raw.strip()
        values = {"crop": label, "period": _period_label(locale, name), "value": text}
        period = periods.get(name)
        if period is None:
            errors.append(translate(locale, "settings.stage_unknown", **values))
            continue
        if period["critical"]:
            if text:  # the page shows no field for it: a value is a mistake to name
                errors.append(translate(locale, "settings.stage_critical", **values))
            continue
        try:
            mad = _mad(text)
        except ValueError as exc:
            low, high = MAD_RANGE
            message = _STAGE_MESSAGES[str(exc)]
            errors.append(translate(locale, message, low=low, high=high, **values))
            continue
        # The default value (site file's, else the library's) is no setting: the key goes.
        keep = mad is not None and abs(mad - period["mad_default"]) > 1e-9
        stages[name] = {"mad": mad} if keep and mad is not None else None
    if not errors:
        errors = _unchanged(locale, label, stages, periods)
    if errors:
        return refuse(request, pages, session, errors)
    return apply(request, pages, session, {"crops": {crop: {"stages": stages}}})


def _unchanged(
    locale: str,
    label: str,
    stages: dict[str, dict[str, float] | None],
    periods: dict[str, dict[str, Any]],
) -> list[str]:
    """Why a valid crop form saves nothing: it names no period that can be changed, or every
    period it names keeps the MAD it has (empty on a period at its default); [] otherwise."""
    if not stages:
        return [
            translate(
                locale, "settings.stage_none", crop=label, low=MAD_RANGE[0], high=MAD_RANGE[1]
            )
        ]
    for name, setting in stages.items():
        period = periods[name]
        if setting is None and period["tuned"]:
            return []
        if setting is not None and abs(setting["mad"] - period["mad"]) > 1e-9:
            return []
    return [translate(locale, "settings.stage_unchanged", crop=label)]


def _crop_periods(settings: dict[str, Any], crop: str) -> dict[str, dict[str, Any]] | None:
    """The periods of ``crop`` by name, as the settings show them on a zone growing it."""
    for zone in settings["zones"].values():
        if zone["crop"] == crop:
            return {s["name"]: s for s in zone.get("stages", [])}
    return None


def _period_label(locale: str, name: str) -> str:
    text = translate(locale, f"period.{name}")
    return name if text == f"period.{name}" else text


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
    typed = {f"policy.{key}": text for key, text in sent.items()}
    if errors:
        return refuse(request, pages, session, errors, typed=typed)
    return apply(request, pages, session, {"policy": policy}, typed=typed)
