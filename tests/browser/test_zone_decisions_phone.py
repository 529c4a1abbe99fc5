"""The zone page's decisions on a phone (390 × 844 px) in a real headless Chromium, in both
languages: each decision a card, its reasons said at the card's full width, the box's English
record cut to one line and whole on a tap, nothing wider than the screen; the desktop keeps
its table.

Before the cards the reasons stood in a column 84 px wide: a row was about 1,273 px tall and
the page about 36,000 px. The decisions are the planner's as the box records them: an ``et``
zone's run deferred to a later day (four reason codes and the long English record), a zone
not planted yet, and an old record without codes (said as recorded). A screenshot per
language goes to ``artifacts/zone-decisions-390-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from controller.access.accounts import Accounts
from controller.clock import VirtualClock
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.store import Store
from tests.helpers.browser import ARTIFACTS, card_boxes, cell_cut, serving, signed_in
from tests.helpers.pages import FAST, PASSWORD
from tests.helpers.site import quick_site
from web.app import create_app
from web.pages import PagesConfig

MORNING = datetime(2026, 7, 6, 2, 0, tzinfo=UTC)  # 10:00 in Zhangye
DEFERRED_RECORD = (
    "z1: 240 min, 24.0 mm at 23:00 (day 4): depletion 58.0 mm ≥ trigger 52.0 mm (MAD 0.40 × "
    "TAW 130.0 mm); window 20:00-08:00 off-peak; cut to the maximum run; 1 more event in the "
    "horizon; ET0 6.1 mm/d from the mean of the last 3 days (no forecast); vegetative, Ky 0.4: "
    "trigger 40% of TAW; refill to 17% of TAW depleted (3 mm of rain expected)"
)
# (action, record, inputs) as the planner writes them, oldest first
DECISIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("skip", "z1: soil water 12.0 mm below field capacity, trigger 52.0 mm", {}),
    (
        "skip",
        "z1: not planted until 2026-04-20",
        {
            "reason": "not_planted",
            "reasons": ["not_planted"],
            "reason_values": {"planting_date": "2026-04-20"},
        },
    ),
    (
        "defer",
        DEFERRED_RECORD,
        {
            "reason": "trigger_reached",
            "reasons": ["trigger_reached", "max_run_limited", "continuation", "no_forecast"],
            "trigger_day": 3,
            "deferred_to": (MORNING + timedelta(days=3, hours=13)).isoformat(),
        },
    ),
)
COPIES = 4  # each decision four times: twelve cards
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# A decision card's bound in lines of its text: two for its figures (time, decision, planned
# start, duration and depth: one line in Chinese, the English words may take two), five for
# the reasons said (the deferred run's time and four codes: about 75 characters in Chinese, 3
# lines of the card's 340 px at 15 px; about 180 in English, some 45 a line: 5 lines), one
# for the record cut; with the card's padding (0.25rem above and below, 8 px), its border
# (1 px) and rounding.
LINES = 2 + 5 + 1
CARD_EXTRA_PX = 8 + 1 + 0.5


@pytest.fixture
def zone_url(tmp_path: Path) -> Iterator[str]:
    """Zone z1's page, a technician logged in by the test; twelve decisions of the morning."""
    site = quick_site(tmp_path)
    clock = VirtualClock(MORNING)
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        Accounts(store, hasher=FAST).create_user("li", PASSWORD, "technician")
        for _ in range(COPIES):
            for action, record, inputs in DECISIONS:
                store.record_decision(
                    "z1",
                    "et",
                    action,
                    record,
                    inputs,
                    planned_start=MORNING + timedelta(days=3, hours=13)
                    if action == "defer"
                    else None,
                    duration_min=240 if action == "defer" else 0.0,
                    depth_mm=24.0 if action == "defer" else 0.0,
                )
                clock.advance(timedelta(minutes=10).total_seconds())
        daemon = Daemon(site, store, clock)
        pages = PagesConfig(data_dir=tmp_path / "data", tz=site.site.tz, password_hasher=FAST)
        service = DaemonService(daemon, data_dir=tmp_path / "data")
        try:
            with serving(create_app(service, store, pages=pages)) as url:
                yield url + "/zones/z1"
        finally:
            daemon.fieldio.close()


def zone_page(browser: Browser, url: str, locale: str, viewport: dict[str, int]) -> Page:
    base_url = url.rsplit("/zones/", 1)[0]
    page = signed_in(browser, base_url, locale, viewport, touch=viewport is PHONE)
    page.goto(url)
    expect(page.locator("table.decisions tr.decision")).to_have_count(COPIES * len(DECISIONS))
    return page


ROWS, LINE, WHY = "table.decisions tr.decision", "td.decided", "td.why-cell"
RECORDS = "table.decisions small.record"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_each_decision_is_a_card_on_a_phone_its_record_whole_on_a_tap(
    zone_url: str, browser: Browser, locale: str
) -> None:
    page = zone_page(browser, zone_url, locale, PHONE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"zone-decisions-390-{locale}.png"), full_page=True)
    cards: list[Any] = card_boxes(page, ROWS, LINE, WHY)
    assert [c["out"] for c in cards] == [[]] * len(cards)
    assert all(c["right"] <= PHONE["width"] for c in cards), cards
    assert all(c["wide"] >= c["width"] - 0.5 for c in cards), cards  # reasons at full width
    assert all(c["height"] <= LINES * c["line"] + CARD_EXTRA_PX for c in cards), cards
    table = page.locator("table.decisions").bounding_box()
    assert table is not None
    assert table["height"] <= len(cards) * (LINES * cards[0]["line"] + CARD_EXTRA_PX), table
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    expect(page.locator("table.decisions tr.head")).to_be_hidden()
    # the newest is the deferred run: its record is cut to a line, whole once tapped
    before = cell_cut(page, RECORDS, 0)
    assert before["cut"]
    page.locator("table.decisions td.why-cell").first.tap()
    after = cell_cut(page, RECORDS, 0)
    assert not after["cut"] and after["height"] > 1.5 * before["height"]
    assert [c["out"] for c in card_boxes(page, ROWS, LINE, WHY)] == [[]] * len(cards)
    page.context.close()


def test_the_desktop_keeps_the_decisions_table(zone_url: str, browser: Browser) -> None:
    """At 1280 px the decisions stay a table: the header over its columns, a row a decision,
    each column's cells under its header."""
    page = zone_page(browser, zone_url, "en", DESKTOP)
    expect(page.locator("table.decisions tr.head th")).to_have_count(5)
    expect(page.locator("table.decisions tr.head")).to_be_visible()
    columns = page.evaluate(
        """() => [...document.querySelectorAll('table.decisions tr')].map(row =>
             [getComputedStyle(row).display,
              ...[...row.children].map(cell => Math.round(cell.getBoundingClientRect().left))])"""
    )
    assert {tuple(row) for row in columns} == {tuple(columns[0])}
    assert columns[0][0] == "table-row"
    page.context.close()
