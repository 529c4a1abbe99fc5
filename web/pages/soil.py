"""Soil from dry-downs: per zone the soil in use, the fit proposed from its dry-downs with
the evidence (each dry-down's probes θ and the fitted curve, before/after with 1 σ errors),
and the admin's approval (phone-sized).

The approval form posts the proposal's ``fitted_at`` to ``/soil/{zone}/approve``, through the
same :meth:`~controller.daemon.protocol.ControlService.approve_soil` as the API (audited with
the user's name): a fit replaced since the page was shown is refused, not approved unseen.
An admin may also ask for one calibration dry-down of a zone (``/soil/{zone}/dry-down``,
:meth:`~controller.daemon.protocol.ControlService.request_dry_down`, audited
``soil.calibrate``) and withdraw one asked or holding (``/soil/{zone}/dry-down/withdraw``,
audited ``soil.calibrate_withdraw``); the page shows its phase, Dr now and the target. A
refused dry-down comes back as the page (422) with why over the zone's form and the fraction
as it was typed.
The charts are inline SVG drawn here, so the page needs no script.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, Response

from controller.access.accounts import SessionInfo
from controller.config.site import CALIBRATION_DRY_DOWN_RANGE
from controller.daemon.protocol import ControlRefused, SettingsInvalid, UnknownName
from web.pages.context import AdminPage, CsrfChecked, PagesDep, ViewerPage, render
from web.pages.control import _back, _t, refusal_text
from web.pages.lookups import unknown_text
from web.pages.site_problems import problems_text
from web.params import NameInPath

router = APIRouter(include_in_schema=False)

CHART_W, CHART_H, PAD = 320.0, 140.0, 6.0


def _chart(curve: dict[str, Any]) -> dict[str, Any]:
    """SVG points of one dry-down: the probes' θ (dots) and the fit (a line), % vol."""
    observed: list[float] = curve["observed_pct"]
    fitted: list[float | None] = curve["fitted_pct"]
    values = observed + [v for v in fitted if v is not None]
    low, high = min(values), max(values)
    span = max(high - low, 1.0)
    n = max(len(observed) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = PAD + (CHART_W - 2 * PAD) * i / n
        y = CHART_H - PAD - (CHART_H - 2 * PAD) * (v - low) / span
        return round(x, 1), round(y, 1)

    line = " ".join(
        f"{x},{y}" for i, v in enumerate(fitted) if v is not None for x, y in [xy(i, v)]
    )
    return {
        "dots": [xy(i, v) for i, v in enumerate(observed)],
        "line": line,
        "low": round(low, 1),
        "high": round(high, 1),
        "first": curve["dates"][0],
        "last": curve["dates"][-1],
        "water_mm": curve["water_mm"],
    }


@router.get("/soil", response_class=HTMLResponse)
def soil(request: Request, pages: PagesDep, session: ViewerPage) -> HTMLResponse:
    return _page(request, pages, session)


def _page(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    *,
    refused_zone: str = "",
    refusal: str = "",
    typed: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The soil page; a refused dry-down's page (422) with the ``refusal`` over zone
    ``refused_zone``'s form and its fraction as it was ``typed``."""
    fits = []
    for zone in pages.service.zones():
        fit = pages.service.soil_fit(zone.name)
        proposal = fit["proposal"]
        charts = [_chart(c) for c in proposal["curves"]] if proposal else []
        fits.append(
            {
                "zone": zone.name,
                "label": zone.label,
                **fit,
                "charts": charts,
                "dry_down_offered": zone.mode == "et",  # only an et zone's trigger is held
            }
        )
    return render(
        request,
        pages,
        "soil.html",
        session,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if refusal else status.HTTP_200_OK,
        fits=fits,
        width=CHART_W,
        height=CHART_H,
        fraction_range=CALIBRATION_DRY_DOWN_RANGE,
        refused_zone=refused_zone,
        refusal=refusal,
        typed=typed or {},
    )


@router.post("/soil/{zone}/approve")
def approve(
    zone: NameInPath,
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    fitted_at: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    back = f"/soil#soil-{zone}"
    when = _fitted_at(fitted_at.strip())
    if when is None:
        reason = _t(session, "soil.bad_fitted_at", value=fitted_at.strip() or "—")
        return _back(request, pages, _t(session, "soil.refused", reason=reason), back)
    try:
        values = pages.service.approve_soil(zone, when, actor=session.user.username)
    except (ControlRefused, SettingsInvalid, UnknownName) as exc:
        stale = isinstance(exc, ControlRefused) and exc.code == "stale_proposal"
        key = "soil.stale" if stale else "soil.refused"
        return _back(request, pages, _t(session, key, reason=_why(session, exc)), back)
    text = _t(
        session,
        "soil.approved",
        zone=zone,
        fc=f"{values['soil_fc_m3m3']:.3f}",
        wp=f"{values['soil_wp_m3m3']:.3f}",
        kc=f"{values['kc_factor']:.2f}",
    )
    return _back(request, pages, text, back)


def _fitted_at(text: str) -> dt.datetime | None:
    """The fit's time the form sent back (ISO 8601 with its UTC offset, as the page shows
    it); None when it is no such time."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


@router.post("/soil/{zone}/dry-down")
def dry_down(
    zone: NameInPath,
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    fraction: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    back = f"/soil#soil-dry-down-{zone}"
    typed = {"fraction": fraction}
    value = _fraction(fraction.strip())
    if value is None:
        low, high = CALIBRATION_DRY_DOWN_RANGE
        field = _t(session, "soil.dry_down_fraction")
        reason = _t(
            session, "soil.bad_fraction", field=field, value=fraction.strip(), low=low, high=high
        )
        text = _t(session, "soil.dry_down_refused", reason=reason)
        return _page(request, pages, session, refused_zone=zone, refusal=text, typed=typed)
    try:
        pages.service.request_dry_down(zone, value, actor=session.user.username)
    except (ControlRefused, SettingsInvalid, UnknownName) as exc:
        text = _t(session, "soil.dry_down_refused", reason=_why(session, exc))
        return _page(request, pages, session, refused_zone=zone, refusal=text, typed=typed)
    text = _t(session, "soil.dry_down_asked", zone=zone, pct=f"{value:.0%}")
    return _back(request, pages, text, back)


def _fraction(text: str) -> float | None:
    """The form's target depletion, fraction of TAW; None when it is no number within
    :data:`~controller.config.site.CALIBRATION_DRY_DOWN_RANGE` (the site check's bounds)."""
    try:
        value = float(text)
    except ValueError:
        return None
    low, high = CALIBRATION_DRY_DOWN_RANGE
    return value if low <= value <= high else None  # NaN fails too


@router.post("/soil/{zone}/dry-down/withdraw")
def withdraw_dry_down(
    zone: NameInPath, request: Request, pages: PagesDep, session: AdminPage, _: CsrfChecked
) -> Response:
    back = f"/soil#soil-dry-down-{zone}"
    try:
        pages.service.withdraw_dry_down(zone, actor=session.user.username)
    except (ControlRefused, UnknownName) as exc:
        text = _t(session, "soil.dry_down_not_withdrawn", reason=_why(session, exc))
        return _back(request, pages, text, back)
    return _back(request, pages, _t(session, "soil.dry_down_withdrawn", zone=zone), back)


def _why(session: SessionInfo, exc: ControlRefused | SettingsInvalid | UnknownName) -> str:
    """A refused soil command's reason in the page's language: a refusal by its code, the site
    check's problems, or the zone not found."""
    locale = session.user.locale
    if isinstance(exc, ControlRefused):
        return refusal_text(locale, exc)
    if isinstance(exc, SettingsInvalid):
        return problems_text(locale, exc)
    return unknown_text(locale, exc)
