"""The overview on a phone (390 × 844 px, Chinese) in a real headless Chromium: no label of
the site's and the zones' cards stands on two lines or sticks out of its card.

The box is the demo site's daemon (not running) after a morning's runs in every zone, so
every card has its water, its saving against the conventional practice and its fertilizer
rows. The labels are measured by their element boxes (:data:`BROKEN_LABELS_JS`); a
screenshot goes to ``artifacts/overview-390.png`` for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from controller.access.accounts import Accounts
from controller.agronomy.jobs import Agronomy
from controller.clock import VirtualClock
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.store import RunPhase, RunState, Store
from tests.helpers.browser import (
    ARTIFACTS,
    BROKEN_LABELS_JS,
    BROKEN_TEXTS_JS,
    DATE,
    OUT_OF_ZONE_CARD_JS,
    serving,
    signed_in,
)
from tests.helpers.fakes import NOW
from tests.helpers.pages import FAST, PASSWORD, PageService
from tests.helpers.site import quick_site
from web.app import create_app
from web.pages import PagesConfig

MORNING = datetime(2026, 6, 20, 4, 0, tzinfo=UTC)  # 12:00 in Zhangye
SEASON_M3 = 2061.6  # a zone's season of water by early July, as the demo's
# the cards' labels: zone titles with the valve, the water table's row heads, the weather's
# and the saving's figure names, and the figures under them
LABELS = (
    "article.zone h2, article.zone table.water th, dl.weather dt, dl.weather dd, "
    ".savings-figures dt, .savings-figures dd"
)


@pytest.fixture
def overview_url(tmp_path: Path) -> Iterator[str]:
    """The overview's address, a technician logged in by the test; every zone watered."""
    site = quick_site(tmp_path)
    clock = VirtualClock(MORNING)
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        Accounts(store, hasher=FAST).create_user("li", PASSWORD, "technician")
        for zone in site.zones:
            run = store.plan_run(zone.name, "manual", 60)
            assert run.id is not None
            store.start_run(run.id, RunPhase.WATER)
            store.finish_run(run.id, RunState.DONE, "planned time reached", applied_m3=SEASON_M3)
        Agronomy(site, store, clock).plan_all(MORNING)
        daemon = Daemon(site, store, clock)
        pages = PagesConfig(data_dir=tmp_path / "data", tz=site.site.tz, password_hasher=FAST)
        service = DaemonService(daemon, data_dir=tmp_path / "data")
        try:
            with serving(create_app(service, store, pages=pages)) as url:
                yield url
        finally:
            daemon.fieldio.close()


def logged_in(browser: Browser, url: str, locale: str = "zh-CN", width: int = 390) -> Page:
    """The overview at ``url`` as the technician li sees it at ``width`` px, in ``locale``
    (the language button pressed for English: the box's pages start in Chinese)."""
    return signed_in(browser, url, locale, {"width": width, "height": 844})


def test_no_label_of_the_overviews_cards_wraps_on_a_phone(
    overview_url: str, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.goto(overview_url + "/login")
    page.fill("input[name=username]", "li")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("article.zone")).to_have_count(4)
    # the labels that wrapped before are there to be measured
    for label in ("今日用水", "本季用水", "用水 / 常规", "本季施肥"):
        expect(page.locator("table.water th", has_text=label)).to_have_count(4)
    assert page.locator(LABELS).count() >= 4 * 6
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview-390.png"), full_page=True)
    assert page.evaluate(BROKEN_LABELS_JS, LABELS) == []
    # a figure is not cut between its number and its unit either
    figures = page.evaluate(BROKEN_LABELS_JS, "article.zone table.water td span")
    assert figures == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_savings_headlines_date_stays_whole_on_a_phone(
    overview_url: str, browser: Browser, locale: str
) -> None:
    page = logged_in(browser, overview_url, locale)
    headline = page.locator("#site-savings .saving-big")
    expect(headline).to_contain_text("2026-06-20")
    assert page.evaluate(BROKEN_TEXTS_JS, ["#site-savings .saving-big", DATE]) == []
    page.context.close()


@pytest.fixture
def runs_ahead_url(tmp_path: Path) -> Iterator[str]:
    """The overview of the page service's zones, each with a long run ahead (as the demo's
    early July: 240 min, 24.0 mm), a technician logged in by the test."""
    service = PageService()
    for name, zone in service.zones_by_name.items():
        assert zone.next_run is not None
        ahead = replace(zone.next_run, duration_min=240.0, depth_mm=24.0)
        service.zones_by_name[name] = replace(zone, label=f"{name}号地 (南中)", next_run=ahead)
    clock = VirtualClock(NOW)
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        Accounts(store, hasher=FAST).create_user("li", PASSWORD, "technician")
        pages = PagesConfig(data_dir=tmp_path / "data", password_hasher=FAST)
        with serving(create_app(service, store, pages=pages)) as url:
            yield url


# a time and a figure with its unit: 07-06 23:00, 240 分钟, 24.0 mm
NEXT_RUN_FIGURE = r"\d{2}-\d{2} \d{2}:\d{2}|\d+(?:\.\d+)? (?:mm|min|分钟)"


def test_the_next_runs_time_and_figures_stay_whole_on_a_phone(
    runs_ahead_url: str, browser: Browser
) -> None:
    page = logged_in(browser, runs_ahead_url)
    expect(page.locator("article.zone p.next", has_text="24.0 mm")).not_to_have_count(0)
    assert page.evaluate(BROKEN_TEXTS_JS, ["article.zone p.next", NEXT_RUN_FIGURE]) == []
    page.context.close()


# a figure with its unit in the zones' water table: 2061.6 m³, 82.5 m³/mu, 节水 188 m³/亩
WATER_FIGURE = r"\d+(?:\.\d+)? (?:m³|kg)(?:/(?:ha|mu|亩))?"


@pytest.mark.parametrize(("locale", "width"), [("en", 390), ("zh-CN", 1280), ("en", 1280)])
def test_the_zone_cards_fit_the_screen_with_their_figures_whole(
    overview_url: str, browser: Browser, locale: str, width: int
) -> None:
    """The English labels are longer than the Chinese, and several cards share a desktop's
    width: the cards fit the screen all the same, no figure cut from its unit."""
    page = logged_in(browser, overview_url, locale, width)
    expect(page.locator("article.zone tr.zone-saving")).to_have_count(4)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    assert page.evaluate(BROKEN_TEXTS_JS, ["article.zone table.water td", WATER_FIGURE]) == []
    if locale == "zh-CN":  # an English label wraps between its words on a phone
        assert page.evaluate(BROKEN_LABELS_JS, "article.zone table.water th") == []
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_overview_does_not_scroll_sideways_on_a_narrow_phone(
    overview_url: str, browser: Browser, locale: str
) -> None:
    """At 360 px, the narrowest phone the pages are made for, the page is no wider than the
    screen and nothing sticks out of a zone's card, in either language: a season's water in
    thousands of m³ and its m³/mu beside it, and the English labels, were wider than a card."""
    page = logged_in(browser, overview_url, locale, 360)
    expect(page.locator("article.zone td", has_text="2061.6 m³")).not_to_have_count(0)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    assert page.evaluate(OUT_OF_ZONE_CARD_JS) == []
    assert page.evaluate(BROKEN_TEXTS_JS, ["article.zone table.water td", WATER_FIGURE]) == []
    page.context.close()


def test_minutes_typed_into_a_zone_card_outlive_the_overviews_refresh(
    overview_url: str, browser: Browser
) -> None:
    """A technician types a run's minutes and volume, closes the phone's keyboard and looks
    up before pressing Start: the card refreshed meanwhile (every 3 s) and put back 10 min,
    so Start would have run the wrong time. The refreshed card keeps what was typed."""
    page = logged_in(browser, overview_url)
    form = page.locator("form[action='/zones/z1/start']")
    form.locator("input[name=minutes]").fill("35")
    form.locator("input[name=volume_m3]").fill("12.5")
    page.evaluate("document.activeElement.blur()")
    # the next refresh: the cards drawn before it carry a mark the new ones do not
    page.evaluate("document.querySelectorAll('#live article.zone').forEach(a => a.dataset.old = 1)")
    with page.expect_response(lambda r: r.url.endswith("/fragments/overview")):
        pass
    page.wait_for_function("!document.querySelector('#live article.zone[data-old]')")
    form = page.locator("form[action='/zones/z1/start']")
    expect(form.locator("input[name=minutes]")).to_have_value("35")
    expect(form.locator("input[name=volume_m3]")).to_have_value("12.5")
    other = page.locator("form[action='/zones/z2/start'] input[name=minutes]")
    expect(other).to_have_value("10")  # a card nobody typed into is as drawn
    page.context.close()
