"""The dosing recipes on the settings page in a real headless Chromium, against the daemon's
own service on a site with four dosing channels: an admin adds a recipe for a crop stage,
a bad one is refused with the message beside its field, and the daemon's recipes change
(and only with the good one)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from controller.access.accounts import Accounts
from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.store import Store
from tests.helpers.browser import ARTIFACTS, serving
from tests.helpers.dosing import quick_channel_site
from tests.helpers.pages import FAST, PASSWORD
from web.app import create_app
from web.pages import PagesConfig


@dataclass
class Box:
    url: str
    daemon: Daemon

    def recipes(self) -> list[str]:
        f = self.daemon.site.fertigation
        assert f is not None
        return [r.name for r in f.recipes]


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    """The (not running) daemon of a channel site with its pages on a free port."""
    quick_channel_site(tmp_path)
    site = load_site(tmp_path / "site.toml")
    data_dir = tmp_path / "data"
    clock = VirtualClock(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    with Store.open_dir(data_dir, clock=clock) as store:
        Accounts(store, hasher=FAST).create_user("ada", PASSWORD, "admin")
        daemon = Daemon(site, store, clock)
        pages = PagesConfig(data_dir=data_dir, tz=site.site.tz, password_hasher=FAST)
        app = create_app(DaemonService(daemon, data_dir=data_dir), store, pages=pages)
        try:
            with serving(app) as url:
                yield Box(url, daemon)
        finally:
            daemon.fieldio.close()


def _fill(page: Page, url: str, name: str, stage: str, ec: str) -> None:
    page.goto(url + "/settings")
    page.locator("#add-recipe summary").click()
    form = page.locator("#recipe-form-new")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=stage]").fill(stage)
    form.locator("input[name='amount:N']").fill("2")
    form.locator("input[name='amount:K']").fill("1.5")
    form.locator("select[name='unit:K']").select_option("l_mu")
    form.locator("input[name='amount:acid']").fill("0.14")
    form.locator("input[name=ec_ms_cm]").fill(ec)
    form.locator("input[name=ph]").fill("6.3")
    page.click("#add-recipe-submit")


def test_admin_adds_a_recipe_and_a_bad_one_is_refused_beside_its_field(
    box: Box, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(box.url + "/login")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#zone-z1")).to_be_visible()

    _fill(page, box.url, "tassel", "大喇叭口期", "1.8")
    expect(page.locator("#flash")).to_have_text("配方已保存并生效。")
    row = page.locator("#recipe-list tr", has_text="tassel")
    expect(row).to_contain_text("大喇叭口期")
    expect(row).to_contain_text("K 1.5 升/亩")
    assert box.recipes() == ["jointing", "rig", "rig-acid", "tassel"]

    # EC 5 passes the form but not the site: above safety.ec_max_ms_cm
    _fill(page, box.url, "silking", "吐丝期", "5")
    form = page.locator("#recipe-form-new")
    beside = form.locator(".field-error[data-field=ec_ms_cm]")
    expect(beside).to_contain_text("配方「silking」：EC 设定值 5 mS/cm 超过安全上限")
    expect(form.locator("input[name=name]")).to_have_value("silking")  # drawn as sent
    expect(page.locator("#settings-errors")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "recipes-refused-360.png"), full_page=True)
    assert box.recipes() == ["jointing", "rig", "rig-acid", "tassel"]

    page.goto(box.url + "/settings")
    expect(page.locator("#recipe-list")).to_contain_text("tassel")
    expect(page.locator("#recipe-list")).not_to_contain_text("silking")
    context.close()
