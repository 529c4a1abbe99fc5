"""The zone page's runs on a phone (390 × 844 px) in a real headless Chromium, in both
languages: each run a compact card of a few lines, nothing sticking out of it, the whole
why it ended a tap away; the desktop keeps its table.

The box is the demo site's daemon (not running) whose zone z1 has runs as the sequencer
records them: fertilizer of three nutrients, the long end reasons a volume cap, a safety
trip and a restart write. A screenshot per language goes to ``artifacts/zone-runs-390-*.png``.
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
from controller.store import RunPhase, RunState, Store
from tests.helpers.browser import ARTIFACTS, card_boxes, cell_cut, serving, signed_in
from tests.helpers.pages import FAST, PASSWORD
from tests.helpers.site import quick_site
from web.app import create_app
from web.pages import PagesConfig

MORNING = datetime(2026, 6, 20, 4, 0, tzinfo=UTC)  # 12:00 in Zhangye
FERTILIZER = {"N": 3.2, "P2O5": 1.1, "K2O": 2.4}
# end reasons as the sequencer writes them (controller/runtime/end_reasons.py)
END_REASONS = (
    "planned time reached; water by flow1 totalizer",
    "time cap reached before the target volume: 12.3 of 20.0 m3 metered in 240 min; "
    "water by flow1 totalizer, flow rate integrated for 35 s",
    "safety dry_run: dry run: pump on 30 s with flow 0.00 m3/h < 0.50; "
    "water by flow1 flow-rate integration",
    "daemon restarted during the run; water by flow1 totalizer",
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# A run card's bound: three lines of its text (number, start, source, state and time; water
# and fertilizer; why it ended, cut to one line), each the height of a one-line cell, with
# the card's padding (0.25rem above and below, 8 px) and its border (1 px).
LINES = 3
CARD_EXTRA_PX = 8 + 1 + 0.5  # padding, border, rounding


@pytest.fixture
def zone_url(tmp_path: Path) -> Iterator[str]:
    """Zone z1's page, a technician logged in by the test; four runs of the morning."""
    site = quick_site(tmp_path)
    clock = VirtualClock(MORNING)
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        Accounts(store, hasher=FAST).create_user("li", PASSWORD, "technician")
        for reason in END_REASONS:
            run = store.plan_run("z1", "manual", 240)
            assert run.id is not None
            store.start_run(run.id, RunPhase.WATER)
            clock.advance(timedelta(hours=1).total_seconds())
            store.finish_run(
                run.id, RunState.DONE, reason, applied_m3=2061.6, fertilizer=FERTILIZER
            )
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
    expect(page.locator("table.runs tr.run")).to_have_count(len(END_REASONS))
    return page


ROWS, LINE, WHY = "table.runs tr.run", "td.run-id", "table.runs tr.run td.end-reason"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_each_run_is_a_short_card_on_a_phone_its_why_whole_on_a_tap(
    zone_url: str, browser: Browser, locale: str
) -> None:
    page = zone_page(browser, zone_url, locale, PHONE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"zone-runs-390-{locale}.png"), full_page=True)
    runs: list[Any] = card_boxes(page, ROWS, LINE)
    assert [r["out"] for r in runs] == [[]] * len(END_REASONS)
    assert all(r["right"] <= PHONE["width"] for r in runs), runs
    assert all(r["height"] <= LINES * r["line"] + CARD_EXTRA_PX for r in runs), runs
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    expect(page.locator("table.runs tr.head")).to_be_hidden()
    # the volume cap's reason is longer than a line: cut with an ellipsis, then whole (on
    # more lines, within its card) once tapped; the runs are listed newest first
    capped = len(END_REASONS) - 1 - next(i for i, r in enumerate(END_REASONS) if "cap" in r)
    before = cell_cut(page, WHY, capped)
    assert before["cut"]
    page.locator("table.runs tr.run td.end-reason").nth(capped).tap()
    after = cell_cut(page, WHY, capped)
    assert not after["cut"] and after["height"] > 1.5 * before["height"]
    assert [r["out"] for r in card_boxes(page, ROWS, LINE)] == [[]] * len(END_REASONS)
    page.context.close()


def test_the_desktop_keeps_the_runs_table(zone_url: str, browser: Browser) -> None:
    """At 1280 px the runs stay a table (English, the longer words): the header over its
    columns, a row a run, each column's cells under its header."""
    page = zone_page(browser, zone_url, "en", DESKTOP)
    expect(page.locator("table.runs tr.head th")).to_have_count(8)
    expect(page.locator("table.runs tr.head")).to_be_visible()
    columns = page.evaluate(
        """() => [...document.querySelectorAll('table.runs tr')].map(row =>
             [getComputedStyle(row).display,
              ...[...row.children].map(cell => Math.round(cell.getBoundingClientRect().left))])"""
    )
    assert {tuple(row) for row in columns} == {tuple(columns[0])}
    assert columns[0][0] == "table-row"
    page.context.close()
