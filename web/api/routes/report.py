"""The box's own water-balance report: ``GET /report?start=&end=&format=html|csv``.

The same report as ``qanat report`` (:mod:`controller.office.report`) for this site's zones,
from the box's store; without ``start``/``end``, the season (every stored day). The
baseline is the default conventional practice (:data:`controller.office.report.DEFAULT_PRACTICE`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import HTMLResponse, Response

from controller.office.report import ReportZone, from_store, to_csv
from controller.office.report_html import render_html
from web.deps import ServiceDep, StoreDep, ViewerToken
from web.params import check_day

__all__ = ["router"]

router = APIRouter(tags=["report"])

DEFAULT_TZ = "Asia/Shanghai"
MAX_REPORT_DAYS = 3660  # ten years: a report is read by people, one season at a time


@router.get(
    "/report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}, "text/csv": {}}}},
)
def report(
    service: ServiceDep,
    store: StoreDep,
    _: ViewerToken,
    start: dt.date | None = None,
    end: dt.date | None = None,
    format: Literal["html", "csv"] = "html",
    tz: Annotated[str, Query(max_length=64, description="the site's time zone")] = DEFAULT_TZ,
) -> Response:
    """Water balance per zone and for the site, m³ and m³/mu, with savings; HTML or CSV."""
    check_day("start", start)
    check_day("end", end)
    if start and end and (end - start).days >= MAX_REPORT_DAYS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"start .. end: at most {MAX_REPORT_DAYS} days, got {(end - start).days + 1}",
        )
    if (start is None) != (end is None) or (start and end and end < start):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give start <= end, or neither")
    try:
        zone_tz = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown time zone {tz!r}"
        ) from None
    site_id = service.status().site_id
    zones = [ReportZone(site_id, z.name, z.label, z.area_m2, z.crop) for z in service.zones()]
    built = from_store(store, zones, start, end, zone_tz)
    if format == "csv":
        name = f"qanat-report-{site_id}-{built.start}-{built.end}.csv"
        return Response(
            to_csv(built),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return HTMLResponse(render_html(built))
