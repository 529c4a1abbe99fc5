"""What the overview says of a doubted probe, an offline device and a deferred run, on a
narrow phone (360 px) in a real headless Chromium, in both languages: the page does not
scroll sideways, nothing sticks out of a zone card, and the struck value, its since-time and
the offline line's times stay whole. A screenshot goes to ``artifacts/`` for a person."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from controller.access.accounts import Accounts
from controller.clock import VirtualClock
from controller.daemon.protocol import NextRun, ProbeDoubt
from controller.store import Store
from tests.helpers.browser import (
    ARTIFACTS,
    BROKEN_TEXTS_JS,
    OUT_OF_ZONE_CARD_JS,
    serving,
    signed_in,
)
from tests.helpers.fakes import NOW
from tests.helpers.pages import FAST, PASSWORD, PageService
from web.app import create_app
from web.pages import PagesConfig

# a time and a moisture with its unit: 05-14 04:30, 23.5 %
WHOLE = r"\d{2}-\d{2} \d{2}:\d{2}|\d+\.\d %"


@pytest.fixture
def truth_url(tmp_path: Path) -> Iterator[str]:
    """z2's 20 cm probe quarantined, its run deferred three days; the station and the flow
    meter offline; a technician logged in by the test."""
    service = PageService()
    z2 = service.zones_by_name["z2"]
    doubt = ProbeDoubt("probe2a", "probe_flatline", 9, NOW - timedelta(hours=2))
    deferred = NextRun(datetime(2026, 5, 17, 15, 0, tzinfo=UTC), 41.0, 20.5, "", deferred=True)
    service.zones_by_name["z2"] = replace(
        z2, moisture_pct={"0.2": 21.0, "0.4": 24.3}, doubted={"0.2": doubt}, next_run=deferred
    )
    status = service.status
    offline = {"wx1": NOW - timedelta(minutes=25), "flow1": NOW - timedelta(hours=1)}
    service.status = lambda: replace(status(), offline_devices=offline)  # type: ignore[method-assign]
    clock = VirtualClock(NOW)
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        Accounts(store, hasher=FAST).create_user("li", PASSWORD, "technician")
        pages = PagesConfig(data_dir=tmp_path / "data", password_hasher=FAST)
        with serving(create_app(service, store, pages=pages)) as url:
            yield url


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_overviews_truths_fit_a_narrow_phone(
    truth_url: str, browser: Browser, locale: str
) -> None:
    page = signed_in(browser, truth_url, locale, {"width": 360, "height": 844})
    expect(page.locator("#moisture-z2 .doubted s")).to_have_text("21.0 %")
    expect(page.locator("#devices-offline")).to_contain_text("wx1")
    expect(page.locator("#zone-z2 .deferred")).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"overview-truth-360-{locale}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    assert page.evaluate(OUT_OF_ZONE_CARD_JS) == []
    for where in ("#moisture-z2", "#devices-offline", "#zone-z2 p.next"):
        assert page.evaluate(BROKEN_TEXTS_JS, [where, WHOLE]) == [], where
    page.context.close()
