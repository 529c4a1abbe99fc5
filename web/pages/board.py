"""The visitor board (``/board``): the site's result at a glance, for a wall screen or a phone.

For visits to a demonstration site (观摩): water saved to date and per mu against the
conventional practice, this season's water, the weather now and today's ET0, each zone's crop
stage and whether it waters now, fertilizer given against the plan, and a chart of the
cumulative water against the practice. Read-only and without a login: it shows nothing that
controls and nothing personal (no user, no alarm text, no device). Off unless the site file
says ``[board] public = true`` (:attr:`web.pages.context.PagesConfig.board_public`): then
404, as for a page that does not exist. In the page's language (zh-CN unless the visitor
chose English); it reloads itself every :data:`REFRESH_S` seconds.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse

from web.pages.context import PagesDep, render

router = APIRouter(include_in_schema=False)

REFRESH_S = 60


def _epoch(day: Any, pages: PagesDep) -> int:
    return int(datetime.combine(day, time(), pages.config.tz).timestamp())


@router.get("/board", response_class=HTMLResponse)
def board(request: Request, pages: PagesDep) -> HTMLResponse:
    if not pages.config.board_public:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    service = pages.service
    site = service.status()
    savings = service.savings()
    season = service.season_to_date()
    zones = {z.name: z for z in service.zones()}
    area_mu = sum(z.area_mu for z in savings.zones)
    chart = {
        "t": [_epoch(d.date, pages) for d in season.days],
        "applied": [round(d.applied_m3_per_mu, 1) for d in season.days],
        "baseline": [round(d.baseline_m3_per_mu, 1) for d in season.days],
    }
    return render(
        request,
        pages,
        "board.html",
        None,
        site=site,
        savings=savings,
        saved_m3=savings.saving_m3_per_mu * area_mu,
        season=season,
        zones=zones,
        chart=chart,
        refresh_s=REFRESH_S,
    )
