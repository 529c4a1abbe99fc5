"""Each zone's soil and Kc correction fitted from its dry-downs: read by any role, approved
by an admin (the fit changes nothing until then); and the zone's calibration dry-down
(controller/agronomy/drydown.py), read by any role, asked or withdrawn by an admin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from controller.daemon.protocol import SettingsInvalid
from web.api.models import DryDownCreate, DryDownPublic, SoilApprove, SoilApproved
from web.deps import AdminToken, ServiceDep, ViewerToken
from web.params import NameInPath

router = APIRouter(prefix="/soil", tags=["soil"])


@router.get("/{zone}")
def soil_fit(zone: NameInPath, service: ServiceDep, _: ViewerToken) -> dict[str, Any]:
    """The zone's soil in use, the last fit's status and its proposal with the evidence
    (before/after with 1 σ errors, each dry-down's observed and fitted θ)."""
    return service.soil_fit(zone)


@router.post("/{zone}/approve", response_model=SoilApproved)
def approve(
    zone: NameInPath, body: SoilApprove, service: ServiceDep, token: AdminToken
) -> dict[str, float]:
    """Write the fit shown (``fitted_at``) as the zone's soil and ``kc_factor`` (audited).
    409 ``no_proposal`` / ``stale_proposal``; 422 when the values fail the site's checks."""
    try:
        return service.approve_soil(zone, body.fitted_at, actor=token.name)
    except SettingsInvalid as exc:
        raise _invalid("fitted_at", exc) from None


@router.get("/{zone}/dry-down", response_model=DryDownPublic)
def dry_down(zone: NameInPath, service: ServiceDep, _: ViewerToken) -> dict[str, Any]:
    """The zone's calibration dry-down: the setting, its phase, dates, Dr and target (mm)."""
    dry: dict[str, Any] = service.soil_fit(zone)["dry_down"]
    return dry


@router.post("/{zone}/dry-down", response_model=DryDownPublic)
def request_dry_down(
    zone: NameInPath, body: DryDownCreate, service: ServiceDep, token: AdminToken
) -> dict[str, Any]:
    """Ask for one calibration dry-down of the zone to ``fraction`` of TAW (audited
    ``soil.calibrate``); the planner holds the refill outside critical periods until Dr
    reaches it. 422 naming ``fraction`` when the site's checks refuse it; 409 with its code
    when the daemon refuses."""
    try:
        return service.request_dry_down(zone, body.fraction, actor=token.name)
    except SettingsInvalid as exc:
        raise _invalid("fraction", exc) from None


@router.post("/{zone}/dry-down/withdraw", response_model=DryDownPublic)
def withdraw_dry_down(zone: NameInPath, service: ServiceDep, token: AdminToken) -> dict[str, Any]:
    """Withdraw the zone's calibration dry-down, asked or holding (audited
    ``soil.calibrate_withdraw``): it ends, and the normal trigger decides from the re-plan
    that follows. 409 ``no_dry_down`` when none is asked or holding."""
    return service.withdraw_dry_down(zone, actor=token.name)


def _invalid(field: str, exc: SettingsInvalid) -> HTTPException:
    """422 naming the body's ``field`` with each problem the site's checks found."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[
            {"loc": ["body", field], "msg": problem, "type": "value_error"}
            for problem in exc.problems
        ],
    )
