"""Zone detail: charts over 7 / 30 days / the season, run history and decisions.

The charts (uPlot, vendored) draw ``/zones/{name}/chart.json``: probe moisture
by depth, modelled depletion with its RAW/TAW bands, ET0 and ETc, rain and
irrigation, fertilizer per day. Times are epoch seconds (uPlot's x axis).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from controller.canopy.records import PHOTO_NAME
from controller.daemon.protocol import CanopyView, UnknownName
from web.i18n import translate
from web.pages.context import PagesDep, ViewerPage, render
from web.pages.lookups import not_found
from web.pages.quota import burn_down
from web.params import NameInPath

router = APIRouter(include_in_schema=False)

Range = Literal["7", "30", "season"]
CANOPY_DAYS = 30  # the cover chart's window on the zone page
CANOPY_ROWS = 10  # the newest attempts listed under it
PhotoName = Annotated[str | None, Query(max_length=32, pattern=PHOTO_NAME)]
MAX_DAYS = 366
# series names the chart script shows, translated on the page
CHART_LABELS = (
    "depth",
    "dr",
    "raw",
    "taw",
    "et0",
    "etc",
    "rain",
    "irrigation",
    "kg",
    "no_data",
    "time",
    "months",
    "weekdays",
)
# each chart's value axis, with its unit
AXIS_UNITS = {
    "moisture": "%",
    "depletion": "mm",
    "et": "mm/d",  # the catalog's chart.unit_et in the page's language
    "water": "mm",
    "fertilizer": "kg",
}


def _zone_or_404(pages: PagesDep, name: str, locale: str) -> Any:
    try:
        return pages.service.zone(name)
    except UnknownName as exc:
        raise not_found(locale, exc) from None


@router.get("/zones/{name}", response_class=HTMLResponse)
def zone_page(
    name: NameInPath, request: Request, pages: PagesDep, session: ViewerPage
) -> HTMLResponse:
    zone = _zone_or_404(pages, name, session.user.locale)
    all_settings = pages.service.settings()
    settings = all_settings["zones"].get(name, {})
    fertigation = all_settings["fertigation"] or {}
    locale = session.user.locale
    labels = {key: translate(locale, f"chart.{key}") for key in CHART_LABELS}
    labels |= {f"unit_{k}": unit for k, unit in AXIS_UNITS.items()}
    labels["unit_et"] = translate(locale, "chart.unit_et")
    savings = pages.service.savings()
    quota = next((q for q in pages.service.quotas() if q.zone == name), None)
    decisions = pages.service.decisions(name, limit=30)
    return render(
        request,
        pages,
        "zone.html",
        session,
        zone=zone,
        settings=settings,
        recipes=fertigation.get("recipes", []),  # the start form's choice: none, or one
        chart_labels=labels,
        runs=pages.service.runs(name, limit=30),
        decisions=decisions,
        # the learned moisture forecast as the last ET decision recorded it (None: not in use)
        moisture_forecast=next(
            (d.inputs["moisture_forecast"] for d in decisions if "moisture_forecast" in d.inputs),
            None,
        ),
        savings=savings,
        zs=next((z for z in savings.zones if z.zone == name), None),
        quota=quota,
        burn=burn_down(quota) if quota is not None else None,
        flow=pages.service.flow_signature(name),
        crop=pages.service.crop_view(name)["today"],
        canopy=(canopy := pages.service.canopy(name, days=CANOPY_DAYS)),
        canopy_chart=canopy_polyline(canopy),
        canopy_rows=list(reversed(canopy.points))[:CANOPY_ROWS],
    )


def canopy_polyline(view: CanopyView, width: int = 320, height: int = 80) -> dict[str, Any] | None:
    """The cover of the ``ok`` attempts as an SVG polyline over the attempts' span (x: time,
    y: cover 0..1 bottom to top); None with fewer than two covers."""
    covered = [(p.at, p.cover) for p in view.points if p.cover is not None]
    if len(covered) < 2:
        return None
    first, last = covered[0][0], covered[-1][0]
    span_s = max((last - first).total_seconds(), 1.0)
    points = " ".join(
        f"{(at - first).total_seconds() / span_s * width:.1f},{(1 - cover) * height:.1f}"
        for at, cover in covered
    )
    return {"width": width, "height": height, "points": points, "from": first, "to": last}


@router.get("/zones/{name}/canopy/photo", response_class=FileResponse)
def canopy_photo(
    name: NameInPath, pages: PagesDep, session: ViewerPage, photo: PhotoName = None
) -> FileResponse:
    """One of the zone's kept camera photos (``?photo=`` its file name; the newest without)."""
    try:
        path = pages.service.canopy_photo(name, photo)
    except UnknownName as exc:
        raise not_found(session.user.locale, exc) from None
    media = "image/png" if path.suffix == ".png" else "image/jpeg"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=60"})


def _days(pages: PagesDep, name: str, range_: Range) -> int:
    if range_ != "season":
        return int(range_)
    planting = pages.service.settings()["zones"].get(name, {}).get("planting_date")
    if planting is None:
        return 180
    today = pages.service.status().time.astimezone(pages.config.tz).date()
    return max(1, min(MAX_DAYS, (today - planting).days + 1))


def _epoch_day(day: Any, pages: PagesDep) -> int:
    return int(datetime.combine(day, time(), pages.config.tz).timestamp())


@router.get("/zones/{name}/chart.json")
def chart_data(
    name: NameInPath, pages: PagesDep, session: ViewerPage, range: Range = "7"
) -> dict[str, Any]:
    """Daily series (water balance, fertilizer) and probe moisture over the range."""
    _zone_or_404(pages, name, session.user.locale)
    days = _days(pages, name, range)
    wb = pages.service.water_balance(name, days=days)
    since = pages.service.status().time - timedelta(days=days)
    fert: dict[int, float] = {}
    for run in pages.service.runs(name, limit=2000):
        if run.started_at is None or run.started_at < since or not run.fertilizer:
            continue
        day = _epoch_day(run.started_at.astimezone(pages.config.tz).date(), pages)
        fert[day] = fert.get(day, 0.0) + sum(run.fertilizer.values())
    moisture = pages.service.moisture_history(name, days=days)
    now = pages.service.status().time
    return {
        # the window the time axes span, whatever the series hold (epoch seconds)
        "from": int((now - timedelta(days=days)).timestamp()),
        "to": int(now.timestamp()),
        "days": [_epoch_day(w.day, pages) for w in wb],
        "dr_mm": [w.dr_end_mm for w in wb],
        "raw_mm": [w.raw_mm for w in wb],
        "taw_mm": [w.taw_mm for w in wb],
        "et0_mm": [w.et0_mm for w in wb],
        "etc_mm": [w.etc_mm for w in wb],
        "rain_mm": [w.rain_mm for w in wb],
        "irrigation_mm": [w.irrigation_mm for w in wb],
        "fertilizer": {"days": sorted(fert), "kg": [fert[d] for d in sorted(fert)]},
        "moisture": {
            depth: {"t": [int(t.timestamp()) for t, _ in series], "v": [v for _, v in series]}
            for depth, series in moisture.items()
        },
    }
