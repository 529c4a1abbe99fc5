"""Alarms and their acknowledgement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from controller.daemon.protocol import AlarmInfo
from web.api.models import AlarmPublic
from web.deps import ServiceDep, TechnicianToken, ViewerToken
from web.params import RowId

router = APIRouter(prefix="/alarms", tags=["alarms"])


@router.get("", response_model=list[AlarmPublic])
def alarms(
    service: ServiceDep,
    _: ViewerToken,
    open: Annotated[bool, Query(description="only alarms not yet cleared")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlarmInfo]:
    return service.alarms(open_only=open, limit=limit)


@router.post("/{alarm_id}/ack", status_code=status.HTTP_204_NO_CONTENT)
def ack(alarm_id: RowId, service: ServiceDep, token: TechnicianToken) -> None:
    """Acknowledge an alarm."""
    service.ack_alarm(alarm_id, actor=token.name)
