"""Each zone's soil and Kc correction fitted from its dry-downs: read by any role, approved
by an admin (the fit changes nothing until then)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from controller.daemon.protocol import SettingsInvalid
from web.api.models import SoilApprove, SoilApproved
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
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {"loc": ["body", "fitted_at"], "msg": problem, "type": "value_error"}
                for problem in exc.problems
            ],
        ) from None
