"""The visitor board (/board): what it shows, what it never shows, and 404 when not public."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from controller.config.site import ConfigError, load_site
from controller.store import Store
from tests.helpers.pages import FAST, USERS, PageService, page_client
from tests.helpers.site import DEMO_SITE, on_free_ports
from web.app import create_app
from web.i18n import LOCALES, catalog
from web.pages import PagesConfig


def test_the_board_shows_the_result_without_a_login(anon: TestClient) -> None:
    response = anon.get("/board")
    assert response.status_code == 200
    page = response.text
    assert "节水示范看板" in page  # zh-CN first
    assert 'id="board-saved-per-mu">90 m³/亩<' in page  # the savings ledger's figure
    assert "全场合计节水 2250 m³" in page  # 90 m³/mu × 25 mu
    assert "常规灌溉同期 190 m³/亩" in page
    assert "board-leaching" not in page  # no salt counted: nothing taken off
    # the site's own season total is said to be the site's, not the practice's beside it
    assert re.search(r'id="board-applied-total">全场合计用水 [\d,]+ m³<', page)
    assert "m³/亩 · " not in page
    assert "快速发育期" in page and "播后 30 天" in page  # the crop stage of z1
    assert "4.5 kg/亩" in page and "6.0 kg/亩" in page  # fertilizer given against the plan
    assert '"applied": [0.0, 20.0, 100.0]' in page.replace("&#34;", '"')  # the chart's series


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "已扣除季后需淋洗水量 8 m³/亩"),
        ("en", "the leaching water the season&#39;s salt needs (8 m³/mu) is taken off the saving"),
    ],
)
def test_the_board_says_the_leaching_water_taken_off_the_saving(
    anon: TestClient, service: PageService, monkeypatch: pytest.MonkeyPatch, lang: str, said: str
) -> None:
    """190 conventional − 100 used is 90, but the board says 82: the 8 the salt needs, said."""
    report = dataclasses.replace(service.savings(), saving_m3_per_mu=82.0, leaching_m3_per_mu=8.0)
    monkeypatch.setattr(service, "savings", lambda: report)
    anon.cookies.set("qanat_lang", lang)
    page = anon.get("/board").text
    assert 'id="board-saved-per-mu">82 m³/' in page and said in page


def test_the_board_shows_nothing_that_controls_and_nothing_personal(anon: TestClient) -> None:
    page = anon.get("/board").text
    assert "<form" not in page and "csrf" not in page and "<button" not in page
    for name in USERS.values():
        assert name not in page
    # no script in the page itself (the CSP forbids it) and nothing from off the box
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    csp = anon.get("/board").headers["content-security-policy"]
    assert "script-src 'self'" in csp


def test_the_board_in_english(anon: TestClient) -> None:
    anon.cookies.set("qanat_lang", "en")
    page = anon.get("/board").text
    assert "Water-saving demonstration" in page and "90 m³/mu" in page


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_boards_time_stays_whole_on_a_phone(anon: TestClient, lang: str) -> None:
    """At 390 px the English header cut the date at its hyphen (2026-07- / 06 23:29): the
    site's time is kept on one line (``.whole``)."""
    anon.cookies.set("qanat_lang", lang)
    head = anon.get("/board").text.split('<main class="board-main">')[0]
    assert re.search(
        r'<span class="whole" id="board-time">\d{4}-\d{2}-\d{2} \d{2}:\d{2}</span>', head
    )


def test_the_board_is_404_unless_the_site_makes_it_public(
    service: PageService, store: Store, tmp_path: Path
) -> None:
    config = PagesConfig(data_dir=tmp_path / "off", password_hasher=FAST)
    with page_client(create_app(service, store, pages=config)) as client:
        assert client.get("/board").status_code == 404


def test_board_public_is_a_checked_site_key(tmp_path: Path) -> None:
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    text = text.replace("[board]\npublic = true", '[board]\npublic = "yes"')
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"board\.public"):
        load_site(path)
    path.write_text(text.replace('public = "yes"', "public = false"), encoding="utf-8")
    assert load_site(path).model.board.public is False


@pytest.mark.parametrize(
    ("lang", "said"),
    [("zh-CN", "正在灌溉</b> 剩余 120 分钟"), ("en", "watering</b> 120 min left")],
)
def test_the_board_says_a_runs_time_left_in_minutes(
    anon: TestClient, service: PageService, lang: str, said: str
) -> None:
    """7,185 s left (119:45 as the pages' minutes and seconds): 120 min, rounded up."""
    z1 = service.zones_by_name["z1"]
    service.zones_by_name["z1"] = dataclasses.replace(z1, remaining_s=7185.0)
    anon.cookies.set("qanat_lang", lang)
    page = anon.get("/board").text
    assert said in page
    assert "119:45" not in page


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_the_board_and_the_zone_page_name_a_fao56_stage_alike(locale: str) -> None:
    """One FAO-56 period, one name: the board said 生长中期 where the zone and crop pages
    said 生育中期 (the agronomic term)."""
    names = catalog(locale)
    for board, zone in (
        ("ini", "initial"),
        ("dev", "development"),
        ("mid", "mid"),
        ("late", "late"),
    ):
        assert names[f"stage.{board}"] == names[f"phenology.fao_{zone}"], board
