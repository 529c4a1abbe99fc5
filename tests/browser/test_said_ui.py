"""A zone page in Chinese says a calendar zone's decision and a run's end reason in Chinese,
in a real headless Chromium against the daemon's own service.

The decision is the planner's own (a calendar zone with no event today); the run is
recorded as the sequencer ends a run a technician stopped. Both are stored in English, the
box's record; the page says them from their codes and keeps the record on hover.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from controller.access.accounts import Accounts
from controller.agronomy.jobs import Agronomy
from controller.clock import VirtualClock
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.store import RunPhase, RunState, Store
from tests.helpers.browser import BROKEN_TEXTS_JS, serving
from tests.helpers.pages import FAST, PASSWORD
from tests.helpers.site import quick_site
from web.app import create_app
from web.pages import PagesConfig

# 2026-06-05 18:00 in Zhangye: no calendar event for z4 today, the next on 2026-06-20
NOW = datetime(2026, 6, 5, 10, 0, tzinfo=UTC)
STOPPED = "stopped by li; water by flow1 totalizer"


@dataclass
class Box:
    url: str
    store: Store


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    """The (not running) daemon of the demo site with its pages on a free port; the
    planner has decided z4, and a run of z4 was stopped."""
    site = quick_site(tmp_path)
    data_dir = tmp_path / "data"
    clock = VirtualClock(NOW)
    with Store.open_dir(data_dir, clock=clock) as store:
        Accounts(store, hasher=FAST).create_user("li", PASSWORD, "technician")
        Agronomy(site, store, clock).plan_all(NOW)
        run = store.plan_run("z4", "manual", 30)
        assert run.id is not None
        store.start_run(run.id, RunPhase.WATER)
        store.finish_run(run.id, RunState.ABORTED, STOPPED, applied_m3=1.5)
        daemon = Daemon(site, store, clock)
        pages = PagesConfig(data_dir=data_dir, tz=site.site.tz, password_hasher=FAST)
        app = create_app(DaemonService(daemon, data_dir=data_dir), store, pages=pages)
        try:
            with serving(app) as url:
                yield Box(url, store)
        finally:
            daemon.fieldio.close()


def test_a_calendar_zones_decision_and_a_runs_end_are_said_in_chinese(
    box: Box, browser: Browser
) -> None:
    (decision,) = box.store.decisions("z4")
    assert decision.reason == "z4: calendar: no event today (next 2026-06-20)"  # the record
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(box.url + "/login")
    page.fill("input[name=username]", "li")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    page.goto(box.url + "/zones/z4")
    said = page.locator("#zone-decision .why-said")
    expect(said).to_have_text("按日历：今天不灌溉（下一次 2026-06-20）")
    expect(page.locator("#zone-decision .record")).to_contain_text(decision.reason)
    ended = page.locator("td.end-reason").first
    expect(ended).to_have_text("li 停止；水量按 flow1 累计流量计")
    expect(ended).to_have_attribute("title", f"控制器记录（原文）: {STOPPED}")
    context.close()


# a time in the pages' tables: 06-05 18:00
TIME = r"\d{2}-\d{2} \d{2}:\d{2}"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_runs_and_decisions_times_stay_whole_on_a_phone(
    box: Box, browser: Browser, locale: str
) -> None:
    """At 390 px a decision's long why squeezed its time's column, the date cut at its
    hyphen (07-|06|18:00): a time stays on one line, the table scrolls sideways instead."""
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale=locale)
    page = context.new_page()
    page.goto(box.url + "/login")
    page.fill("input[name=username]", "li")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    if locale == "en":
        page.click("#lang-switch")
    page.goto(box.url + "/zones/z4")
    times = page.locator("table.list td", has_text=re.compile(TIME))
    expect(times).not_to_have_count(0)
    assert page.evaluate(BROKEN_TEXTS_JS, ["table.list td", TIME]) == []
    context.close()
