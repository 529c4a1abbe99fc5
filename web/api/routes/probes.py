"""Soil probes: their calibration, and the soil samples a technician takes next to them."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from controller.daemon.protocol import ProbeCalibrationInfo, ProbeSampleInfo
from controller.learning.calibration import SampleRefused
from web.api.models import ProbeCalibrationPublic, ProbeSampleCreate, ProbeSamplePublic
from web.deps import ServiceDep, TechnicianToken, ViewerToken
from web.params import NameInPath

router = APIRouter(prefix="/probes", tags=["probes"])


def refused(exc: SampleRefused) -> HTTPException:
    """A sample the service refused, as a 422 naming the field (the validation errors' form)."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": ["body", exc.field], "msg": str(exc), "type": "value_error"}],
    )


@router.get("", response_model=list[ProbeCalibrationPublic])
def calibrations(service: ServiceDep, _: ViewerToken) -> list[ProbeCalibrationInfo]:
    """Every soil probe with its calibration (gain, offset, ± standard error, samples)."""
    return service.probe_calibrations()


@router.get("/{probe}/samples", response_model=list[ProbeSamplePublic])
def samples(probe: NameInPath, service: ServiceDep, _: ViewerToken) -> list[ProbeSampleInfo]:
    """The probe's soil samples, oldest first."""
    return service.probe_samples(probe)


@router.post(
    "/{probe}/samples", response_model=ProbeSamplePublic, status_code=status.HTTP_201_CREATED
)
def add_sample(
    probe: NameInPath, body: ProbeSampleCreate, service: ServiceDep, token: TechnicianToken
) -> ProbeSampleInfo:
    """Store a soil sample next to the probe (audited); its calibration applies at once."""
    try:
        return service.add_probe_sample(
            probe, body.theta_pct, body.method, body.at, body.raw_pct, body.note, token.name
        )
    except SampleRefused as exc:
        raise refused(exc) from None
