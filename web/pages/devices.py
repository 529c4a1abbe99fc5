"""Devices: bus health, the last reading of every point, error counters; a soil probe's
calibration (its samples and the form: :mod:`web.pages.probes`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.pages.context import PagesDep, ViewerPage, render

router = APIRouter(include_in_schema=False)


@router.get("/devices", response_class=HTMLResponse)
def devices(request: Request, pages: PagesDep, session: ViewerPage) -> HTMLResponse:
    by_bus: dict[str, list[object]] = {}
    for device in pages.service.devices():
        by_bus.setdefault(device.bus, []).append(device)
    cals = {c.probe: c for c in pages.service.probe_calibrations()}
    return render(request, pages, "devices.html", session, buses=by_bus, cals=cals)
