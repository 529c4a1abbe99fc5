"""The alarms page and the crop page on a phone (390 × 844 px) in a real headless Chromium, in
both languages: each alarm event a card, nothing of it off the screen; dates and times whole
on one line (``07-07 08:06`` not cut at its hyphen); the crop record's Delete button one line.

The box is the demo site's daemon (not running) over a store holding the events and the
crop records as the daemon and the crop page write them. Screenshots go to
``artifacts/alarms-390-*.png`` and ``artifacts/crop-390-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from controller.access.accounts import Accounts
from controller.clock import VirtualClock
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.store import Store
from controller.store.tables import CropObservation
from tests.helpers.browser import ARTIFACTS, BROKEN_TEXTS_JS, card_boxes, serving, signed_in
from tests.helpers.pages import FAST, PASSWORD
from tests.helpers.site import quick_site
from web.app import create_app
from web.pages import PagesConfig

MORNING = datetime(2026, 7, 7, 0, 6, tzinfo=UTC)  # 08:06 in Zhangye
PHONE = {"width": 390, "height": 844}
# events as the daemon raises them, long messages: one acknowledged, two never latched, and
# one open (shown above the events)
EVENTS = (
    ("critical", "dry_run", "safety", "dry run: pump on 30 s with flow 0.00 m3/h < 0.50", "acked"),
    ("warning", "planned_run_refused", "sequencer", "z2: paused until 07-07 11:00", "event"),
    ("warning", "pressure_low", "safety", "line pressure 42 kPa < 80 kPa for 20 s", "event"),
    ("critical", "flow_high", "safety", "flow 31.0 m3/h > 1.3 × nominal 22.0 m3/h", "open"),
)
HISTORY = [e for e in EVENTS if e[4] != "open"]
CARD_EXTRA_PX = 8 + 1 + 0.5  # a card's padding (0.25rem above and below), border, rounding
TIME = r"\d{2}-\d{2} \d{2}:\d{2}"  # 07-07 08:06
DATE = r"\d{4}-\d{2}-\d{2}"  # 2026-05-02


@pytest.fixture
def box(tmp_path: Path) -> Iterator[str]:
    """The box's base URL, a technician li; the morning's alarm events (the last one open)
    and zone z1's crop records."""
    site = quick_site(tmp_path)
    clock = VirtualClock(MORNING)
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        Accounts(store, hasher=FAST).create_user("li", PASSWORD, "technician")
        for severity, code, source, message, state in EVENTS:
            event = store.raise_event(severity, code, source, message, latched=state != "event")
            assert event.id is not None
            if state == "acked":
                store.ack_event(event.id, "li")
            clock.advance(timedelta(minutes=1).total_seconds())
        for stage, day in (("VE", date(2026, 5, 2)), ("V6", date(2026, 5, 30))):
            store.add_crop_observation(
                CropObservation(zone="z1", stage=stage, observed_on=day, entered_by="li")
            )
        daemon = Daemon(site, store, clock)
        pages = PagesConfig(data_dir=tmp_path / "data", tz=site.site.tz, password_hasher=FAST)
        service = DaemonService(daemon, data_dir=tmp_path / "data")
        try:
            with serving(create_app(service, store, pages=pages)) as url:
                yield url
        finally:
            daemon.fieldio.close()


def _page(browser: Browser, url: str, locale: str, path: str) -> Page:
    page = signed_in(browser, url, locale, PHONE, touch=True)
    page.goto(url + path)
    return page


def _overflow(page: Page) -> Any:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_each_alarm_event_is_a_card_on_a_phone(box: str, browser: Browser, locale: str) -> None:
    page = _page(browser, box, locale, "/alarms")
    expect(page.locator("table.events tr.event")).to_have_count(len(HISTORY))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"alarms-390-{locale}.png"), full_page=True)
    cards: list[Any] = card_boxes(page, "table.events tr.event", "td.when", "td.said")
    assert [c["out"] for c in cards] == [[]] * len(HISTORY), cards
    assert all(c["right"] <= PHONE["width"] for c in cards), cards
    # what happened at the card's full width, not a column squeezed beside five others
    assert all(c["wide"] >= 0.9 * c["width"] for c in cards), cards
    # a card of full lines: time and severity, alarm and source (a line each at most), the
    # message (two lines at most here), who acknowledged it; not a row mostly empty
    assert all(c["height"] <= 6 * c["line"] + CARD_EXTRA_PX for c in cards), cards
    assert _overflow(page) <= 0
    expect(page.locator("table.events tr.head")).to_be_hidden()
    acked = page.locator("table.events td.acked").filter(has_text="li")
    expect(acked).to_have_count(1)
    expect(acked).to_be_visible()
    label = "确认人" if locale == "zh-CN" else "Acknowledged by"
    before = acked.evaluate("td => getComputedStyle(td, '::before').content")
    assert label in before, before
    # the times whole: in the event cards and in the open alarms above them
    assert page.evaluate(BROKEN_TEXTS_JS, ["table.events td.when, .alarm a", TIME]) == []
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_crop_pages_dates_and_delete_button_stay_whole_on_a_phone(
    box: str, browser: Browser, locale: str
) -> None:
    page = _page(browser, box, locale, "/zones/z1/crop")
    expect(page.locator("#crop-observations button")).to_have_count(2)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"crop-390-{locale}.png"), full_page=True)
    assert page.evaluate(BROKEN_TEXTS_JS, ["#crop-stages td, #crop-observations td", DATE]) == []
    lines = page.evaluate(
        """() => [...document.querySelectorAll('#crop-observations button')].map(b => {
             const size = parseFloat(getComputedStyle(b).lineHeight);
             const padding = parseFloat(getComputedStyle(b).paddingTop) * 2;
             return Math.round((b.clientHeight - padding) / size);
           })"""
    )
    assert lines == [1, 1], lines
    page.context.close()
