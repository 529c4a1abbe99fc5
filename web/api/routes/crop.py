"""The crop as observed (苗情): stages a technician saw on a zone, and the crop's calendar."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, HTTPException, Response, status

from controller.daemon.protocol import CropObservationInfo, ObservationRefused
from web.api.models import CropObservationCreate, CropObservationPublic, CropViewPublic
from web.deps import ServiceDep, TechnicianToken, ViewerToken
from web.params import NameInPath, RowId

router = APIRouter(prefix="/zones", tags=["crop"])


def refused(exc: ObservationRefused) -> HTTPException:
    """An observation the service refused, as a 422 naming the field (the validation
    errors' form)."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": ["body", exc.field], "msg": str(exc), "type": "value_error"}],
    )


@router.get("/{zone}/crop", response_model=CropViewPublic)
def crop_view(zone: NameInPath, service: ServiceDep, _: ViewerToken) -> dict[str, Any]:
    """The zone's crop today (the FAO-56 stage its Kc comes from, and from what) and each
    stage observed against predicted."""
    return service.crop_view(zone)


@router.get("/{zone}/observations", response_model=list[CropObservationPublic])
def observations(
    zone: NameInPath, service: ServiceDep, _: ViewerToken
) -> list[CropObservationInfo]:
    """The zone's crop stages observed this season, by date."""
    return service.crop_observations(zone)


@router.get(
    "/{zone}/observations/{observation_id}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
def photo(zone: NameInPath, observation_id: RowId, service: ServiceDep, _: ViewerToken) -> Response:
    """The observation's photo (404 without one)."""
    data, media_type = service.crop_photo(zone, observation_id)
    return Response(data, media_type=media_type, headers={"Cache-Control": "private"})


@router.post(
    "/{zone}/observations",
    response_model=CropObservationPublic,
    status_code=status.HTTP_201_CREATED,
)
def add_observation(
    zone: NameInPath, body: CropObservationCreate, service: ServiceDep, token: TechnicianToken
) -> CropObservationInfo:
    """Record a crop stage seen on the zone (audited); the zone's Kc follows it at once."""
    photo_bytes = None
    if body.photo_base64 is not None:
        try:
            photo_bytes = base64.b64decode(body.photo_base64, validate=True)
        except (binascii.Error, ValueError):
            raise refused(ObservationRefused("photo_base64 is not base64", field="photo")) from None
    try:
        return service.add_crop_observation(
            zone,
            body.stage,
            body.observed_on,
            body.note,
            photo_bytes,
            token.name,
            confirm=body.confirm,
        )
    except ObservationRefused as exc:
        raise refused(exc) from None


@router.post("/{zone}/observations/{observation_id}/delete", response_model=CropObservationPublic)
def delete_observation(
    zone: NameInPath, observation_id: RowId, service: ServiceDep, token: TechnicianToken
) -> CropObservationInfo:
    """Delete a mistaken stage record (and the older records of its stage it had replaced
    this season), audited ``crop.delete``: the stage goes back to its prediction, or, when
    the record deleted was an older one already replaced, stays on its newer record (GET
    .../observations says which). 404 for a record the zone does not have this season.
    Answers the record deleted."""
    return service.delete_crop_observation(zone, observation_id, token.name)
