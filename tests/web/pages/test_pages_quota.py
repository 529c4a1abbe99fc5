"""The water quota on the pages: a burn-down on the zone page (used, quota, projection to
harvest, drawn as SVG) and a line per zone on the overview, in Chinese and English; nothing
where no quota is set. The quota itself comes from controller.agronomy.quota.quota_views."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from controller.agronomy.quota import QuotaView
from tests.helpers.pages import PageService, csrf_of
from web.pages.quota import burn_down

TODAY = dt.date(2026, 7, 10)


def _view(used: list[tuple[dt.date, float]], projected: float | None) -> QuotaView:
    return QuotaView(
        zone="z1",
        area_mu=25.0,
        quota_m3_per_mu=240.0,
        year_start=dt.date(2026, 1, 1),
        year_end=dt.date(2027, 1, 1),
        today=TODAY,
        used_m3_per_mu=used[-1][1] if used else 0.0,
        projected_m3_per_mu=projected,
        harvest=dt.date(2026, 9, 20),
        days=used,
    )


USED = [(dt.date(2026, 5, 20), 40.0), (dt.date(2026, 6, 15), 120.0), (dt.date(2026, 7, 8), 180.0)]


def test_no_quota_no_burn_down(as_role: Any) -> None:
    assert 'id="quota-burn-down"' not in as_role("viewer").get("/zones/z1").text
    assert 'id="quota-z1"' not in as_role("viewer").get("/").text


def test_zone_page_burns_the_quota_down_in_chinese(as_role: Any, service: PageService) -> None:
    service.quota_views = [_view(USED, 255.0)]
    page = as_role("viewer").get("/zones/z1").text
    section = page[page.index('id="quota-burn-down"') :]
    assert "水权 2026-01-01 – 2026-12-31" in section
    assert "水权：已用 180 m³/亩 / 240 m³/亩，预计 255 m³/亩" in section
    assert "预计用水超出水权" in section  # 255 > 240
    assert '<polyline class="used"' in section and '<polyline class="projection"' in section
    assert '<line class="quota-level"' in section
    # the overview: the same numbers on z1's card, none on z2's
    overview = as_role("viewer").get("/").text
    card = overview[overview.index('id="zone-z1"') : overview.index('id="zone-z2"')]
    said = re.sub(r"<[^>]+>", "", card)  # each figure in a span that keeps it whole
    assert 'id="quota-z1"' in card and "已用 180 m³/亩 / 240 m³/亩，预计 255 m³/亩" in said
    assert 'id="quota-z2"' not in overview


def test_the_quota_in_english_and_used_up(as_role: Any, service: PageService) -> None:
    service.quota_views = [_view([*USED, (TODAY, 240.0)], 240.0)]
    tech = as_role("technician")
    tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    page = tech.get("/zones/z1").text
    assert "Water quota: used 240 m³/mu of 240 m³/mu, projected 240 m³/mu" in page
    assert "the quota is used up: no more planned runs" in page
    assert "Water quota used up" not in page  # the alarm's name is the alarms page's
    overview = tech.get("/fragments/overview").text
    assert 'id="quota-z1"' in overview and "the quota is used up" in overview


def test_the_burn_down_geometry() -> None:
    """The used line steps up on each day with water and ends at today at the used level;
    the projection runs from there to harvest at the projected level; higher is up."""
    chart = burn_down(_view(USED, 255.0))
    used = [tuple(map(float, p.split(","))) for p in chart.used.split()]
    ys = [y for _x, y in used]
    assert ys == sorted(ys, reverse=True)  # never down (SVG y grows downwards)
    assert used[-1][0] == chart.today_x
    proj = [tuple(map(float, p.split(","))) for p in chart.projection.split()]
    assert proj[0] == used[-1] and proj[1][0] == chart.right  # to harvest, the right edge
    assert proj[1][1] < chart.quota_y < used[-1][1]  # 255 above the quota, 180 below it
    assert chart.x_from == dt.date(2026, 5, 20) and chart.x_to == dt.date(2026, 9, 20)
    # no projection yet (no plan): no dashed line
    assert burn_down(_view(USED, None)).projection == ""
    assert re.fullmatch(r"[0-9. ,]+", chart.used)
