"""Water saved on the pages: the savings ledger (GET /api/v1/savings) per zone and for the
site, with the practice named, and the quota's burn-down when the site sets one."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from tests.helpers.pages import PageService, in_language
from web.pages.format import Formatter


def test_overview_shows_the_site_saving_against_the_named_practice(as_role: Any) -> None:
    page = as_role("viewer").get("/").text
    # the fake ledger: 100 applied against 190 conventional, 90 saved (m³/mu)
    assert 'id="saving-per-mu">90 m³/亩<' in page
    assert 'id="applied-per-mu">100 m³/亩<' in page
    assert 'id="baseline-per-mu">190 m³/亩<' in page
    assert "对比的常规做法: border irrigation" in page
    assert 'id="quota"' not in page  # no quota set: no burn-down
    # and each zone's card: its water against the practice
    card = page[page.index('id="zone-z1"') :]
    assert "<span>100 m³/亩</span> / <span>190 m³/亩</span>" in card
    assert '节水 <span class="whole">90 m³/亩</span>' in card  # the figure kept whole


def test_the_quota_burns_down_when_one_is_set(as_role: Any, service: PageService) -> None:
    report = service.savings()
    service.savings = lambda: dataclasses.replace(report, quota_m3_per_mu=300.0)  # type: ignore[method-assign]
    page = as_role("viewer").get("/fragments/overview").text
    assert "已用 100 m³/亩 / 定额 300 m³/亩，剩余 200 m³/亩" in page
    assert 'style="width: 33.3%"' in page


def test_zone_page_shows_the_zone_saving(as_role: Any) -> None:
    page = as_role("viewer").get("/zones/z1").text
    assert 'id="zone-saving"' in page and "节水 90 m³/亩" in page


def test_the_default_practice_is_named_in_the_page_language(
    as_role: Any, service: PageService
) -> None:
    name = "border irrigation of seed corn as surveyed in Zhangye (440 m³/mu a year)"
    report = service.savings()
    service.savings = lambda: dataclasses.replace(report, baseline_name=name)  # type: ignore[method-assign]
    page = as_role("viewer").get("/").text
    assert "张掖制种玉米常规畦灌" in page


def test_per_mu_in_both_languages() -> None:
    import datetime as dt

    assert Formatter("zh-CN", dt.UTC).per_mu(12.4) == "12 m³/亩"
    assert Formatter("en", dt.UTC).per_mu(12.6) == "13 m³/mu"
    assert Formatter("en", dt.UTC).per_mu(None) == "–"


def test_the_chart_window_is_the_range_asked(as_role: Any) -> None:
    """chart.json names the window its time axes span: 7 and 30 days back from the site's
    now, whatever the series hold (one point or none)."""
    viewer = as_role("viewer")
    for days in (7, 30):
        chart = viewer.get("/zones/z1/chart.json", params={"range": str(days)}).json()
        assert chart["to"] - chart["from"] == days * 86400
    page = viewer.get("/zones/z1").text
    assert '"unit_depletion": "mm"' in page.replace("&#34;", '"')  # every axis has its unit


def test_zone_page_shows_the_decision_sentence(as_role: Any) -> None:
    page = as_role("viewer").get("/zones/z1").text
    block = page[page.index('id="zone-decision"') :]
    block = block[: block.index("</p>")]
    # the fake's z1: 38 min, 19 mm, because depletion 51 mm > RAW 48 mm
    figures = re.sub(r"<[^>]+>", "", block)  # each figure in a span that keeps it whole
    assert "38 分钟, 19.0 mm" in figures and "原因: depletion 51 mm &gt; RAW 48 mm" in block


@pytest.mark.parametrize("path", ["/", "/zones/z1"])
def test_every_figure_of_the_depletion_gauges_legend_has_its_unit(as_role: Any, path: str) -> None:
    """Root-zone depletion, RAW and TAW each with mm: ``RAW 48.0 · TAW 120.0 mm`` read as
    a RAW without a unit."""
    page = as_role("viewer").get(path).text
    legends = re.findall(r'<p class="gauge-legend">(.*?)</p>', page, re.DOTALL)
    assert legends
    for legend in legends:
        text = re.sub(r"<[^>]+>", "", legend)
        figures = re.findall(r"\d+(?:\.\d+)?", text)
        assert len(figures) == 3 and len(re.findall(r"\d+(?:\.\d+)? mm", text)) == 3, text
        assert re.search(r"RAW \d+\.\d mm · TAW \d+\.\d mm", text), text


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_cards_nutrients_are_written_as_the_settings_write_them(
    as_role: Any, service: PageService, lang: str
) -> None:
    """P₂O₅ and K₂O with their subscripts, as the plan's fields name them, not the record's
    P2O5 and K2O; a fertilizer the catalog does not name (urea) as recorded."""
    zone = service.zones_by_name["z1"]
    kg = {"N": 30.0, "P2O5": 12.0, "K2O": 9.0, "urea": 3.0}
    service.zones_by_name["z1"] = dataclasses.replace(zone, fertilizer_season_kg=kg)
    viewer = in_language(as_role("viewer"), lang)  # a signed-in user's language: not a cookie
    card = viewer.get("/fragments/overview").text
    card = card[card.index('id="zone-z1"') :]
    card = card[: card.index("</article>")]
    named = re.findall(r"<span>(\S+) [\d.]+ (?:kg|公斤)/", card)
    assert named == ["N", "P₂O₅", "K₂O", "urea"]
    assert ("kg/mu" in card) == (lang == "en")  # said in the language asked for


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "节水 83 m³/亩（已扣除淋洗 7 m³/亩）"),
        ("en", "saved 83 m³/mu (leaching 7 m³/mu taken off)"),
    ],
)
@pytest.mark.parametrize("path", ["/fragments/overview", "/zones/z1"])
def test_a_zones_saving_says_the_leaching_it_takes_off(
    as_role: Any, service: PageService, lang: str, said: str, path: str
) -> None:
    """190 − 100 is 90, not 83: the 7 m³/mu the season's salt needs is named beside the
    saving it is taken from, so the card's arithmetic adds up."""
    report = service.savings()
    zone = dataclasses.replace(report.zones[0], saving_m3_per_mu=83.0, leaching_m3_per_mu=7.0)
    service.savings = lambda: dataclasses.replace(report, zones=[zone])  # type: ignore[method-assign]
    page = in_language(as_role("viewer"), lang).get(path).text
    text = re.sub(r"<[^>]+>", "", page[page.index('class="zone-saving"') :])
    assert said in text
