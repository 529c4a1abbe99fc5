"""The charts' dates and units in the page's language: the zone page and the board hand
their charts the catalog's month and weekday names (uPlot's own are English: "May",
"Jun") and the ET axis its unit; ``/static/chartdates.js`` gives them to uPlot."""

from __future__ import annotations

import json
import re
from datetime import UTC, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from web.i18n import LOCALES, translate
from web.pages.format import Formatter

ZH_MONTHS = "1月,2月,3月,4月,5月,6月,7月,8月,9月,10月,11月,12月"


def _labels(page: str, element_id: str) -> dict[str, str]:
    tag = re.search(rf'<[^>]*id="{element_id}"[^>]*>', page, re.S)
    assert tag is not None, f"no #{element_id}"
    found = re.search(r"data-labels='([^']*)'", tag.group(0))
    assert found is not None, f"#{element_id} has no data-labels"
    return dict(json.loads(found.group(1).replace("&#34;", '"')))


def _tz(page: str, element_id: str) -> str | None:
    tag = re.search(rf'<[^>]*id="{element_id}"[^>]*>', page, re.S)
    assert tag is not None, f"no #{element_id}"
    found = re.search(r'data-tz="([^"]*)"', tag.group(0))
    return found.group(1) if found else None


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_language_names_twelve_months_and_seven_weekdays(locale: str) -> None:
    assert len(translate(locale, "chart.months").split(",")) == 12
    assert len(translate(locale, "chart.weekdays").split(",")) == 7


def test_the_zone_charts_get_the_months_and_units_in_chinese(as_role: Any) -> None:
    page = as_role("viewer").get("/zones/z1").text
    labels = _labels(page, "charts")
    assert labels["months"] == ZH_MONTHS and labels["weekdays"].startswith("周日,周一")
    assert labels["unit_et"] == "mm/天"
    assert page.index("/static/chartdates.js") < page.index("/static/charts.js")


def test_the_board_chart_gets_the_months_in_the_visitors_language(anon: TestClient) -> None:
    page = anon.get("/board").text
    assert _labels(page, "board-chart")["months"] == ZH_MONTHS
    assert page.index("/static/chartdates.js") < page.index("/static/board.js")
    anon.cookies.set("qanat_lang", "en")
    assert _labels(anon.get("/board").text, "board-chart")["months"].startswith("Jan,Feb,Mar")


def test_the_dates_script_is_served(anon: TestClient) -> None:
    script = anon.get("/static/chartdates.js")
    assert script.status_code == 200 and "uPlot.fmtDate" in script.text


def test_both_charts_get_the_sites_time_zone(as_role: Any, anon: TestClient) -> None:
    # the page tests' site is served in PagesConfig's default zone, UTC
    assert _tz(as_role("viewer").get("/zones/z1").text, "charts") == "UTC"
    assert _tz(anon.get("/board").text, "board-chart") == "UTC"


@pytest.mark.parametrize("name", ["Asia/Shanghai", "America/New_York", "UTC"])
def test_the_charts_time_zone_is_the_sites_iana_name(name: str) -> None:
    assert Formatter("zh-CN", ZoneInfo(name)).tz_name == name


def test_utc_is_named_utc_and_a_bare_offset_is_refused() -> None:
    assert Formatter("zh-CN", UTC).tz_name == "UTC"
    with pytest.raises(ValueError, match="no IANA name"):
        _ = Formatter("zh-CN", timezone(timedelta(hours=8))).tz_name
