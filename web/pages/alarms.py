"""Alarms: the list (open first), one alarm's details, acknowledge."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from controller.daemon.lookups import unknown
from controller.daemon.protocol import UnknownName
from web.pages.context import CsrfChecked, PagesDep, TechnicianPage, ViewerPage, render
from web.pages.control import _back, _t
from web.pages.lookups import not_found
from web.params import RowId

router = APIRouter(include_in_schema=False)


@router.get("/alarms", response_class=HTMLResponse)
def alarms(request: Request, pages: PagesDep, session: ViewerPage) -> HTMLResponse:
    every = pages.service.alarms(limit=200)
    open_ = [a for a in every if a.latched and a.acked_at is None]
    rest = [a for a in every if not (a.latched and a.acked_at is None)]
    return render(request, pages, "alarms.html", session, open_alarms=open_, events=rest)


@router.get("/alarms/{alarm_id}", response_class=HTMLResponse)
def alarm(alarm_id: RowId, request: Request, pages: PagesDep, session: ViewerPage) -> HTMLResponse:
    found = [a for a in pages.service.alarms(limit=1000) if a.id == alarm_id]
    if not found:
        raise not_found(session.user.locale, unknown("alarm", alarm=str(alarm_id)))
    return render(request, pages, "alarm.html", session, alarm=found[0])


@router.post("/alarms/{alarm_id}/ack")
def ack(
    alarm_id: RowId, request: Request, pages: PagesDep, session: TechnicianPage, _: CsrfChecked
) -> Response:
    try:
        pages.service.ack_alarm(alarm_id, actor=session.user.username)
    except UnknownName as exc:
        raise not_found(session.user.locale, exc) from None
    return _back(request, pages, _t(session, "alarms.acked", id=alarm_id), "/alarms")
