"""What happened: runs and the planner's decisions, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from controller.daemon.protocol import DecisionInfo, RunInfo
from web.api.models import DecisionPublic, RunPublic
from web.deps import ServiceDep, ViewerToken
from web.params import NameInQuery

router = APIRouter(tags=["history"])

Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/runs", response_model=list[RunPublic])
def runs(
    service: ServiceDep, _: ViewerToken, zone: NameInQuery = None, limit: Limit = 50
) -> list[RunInfo]:
    return service.runs(zone=zone, limit=limit)


@router.get("/decisions", response_model=list[DecisionPublic])
def decisions(
    service: ServiceDep, _: ViewerToken, zone: NameInQuery = None, limit: Limit = 50
) -> list[DecisionInfo]:
    """Each decision with its inputs: why this zone gets this many minutes."""
    return service.decisions(zone=zone, limit=limit)
