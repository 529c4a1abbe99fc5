"""The overview: site state, weather now, open alarms, a card per zone; refreshes itself.

The page polls ``/fragments/overview`` (the same cards, as an HTML fragment) every
few seconds: simpler than server-sent events and cheap on a Raspberry Pi.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.pages.context import PagesDep, ViewerPage, render

router = APIRouter(include_in_schema=False)


def _overview(pages: PagesDep) -> dict[str, Any]:
    service = pages.service
    savings = service.savings()
    return {
        "status": service.status(),
        "zones": service.zones(),
        "savings": savings,
        "zone_savings": {z.zone: z for z in savings.zones},
        "zone_quota": {q.zone: q for q in service.quotas()},
        "open_alarms": service.alarms(open_only=True, limit=20),
        "max_minutes": {n: z["max_run_min"] for n, z in service.settings()["zones"].items()},
    }


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, pages: PagesDep, session: ViewerPage) -> HTMLResponse:
    return render(request, pages, "overview.html", session, **_overview(pages))


@router.get("/fragments/overview", response_class=HTMLResponse)
def overview_fragment(request: Request, pages: PagesDep, session: ViewerPage) -> HTMLResponse:
    return render(request, pages, "_overview_live.html", session, **_overview(pages))
