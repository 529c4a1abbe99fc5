"""The pages in a real headless Chromium against the real daemon and the simulated field.

A technician logs in, sees the zone cards in Chinese, starts a zone and watches
it run (valve open as read back from the relay, remaining time counting down on
the self-refreshing overview), stops it, acknowledges an alarm and switches to
English. Screenshots of the overview at 360 px and 1280 px go to ``artifacts/``.
An admin creates a technician on the users page, who then logs in; the admin
changes a zone's irrigation trigger and a crop period's MAD and adds a fertigation
event, all still there after a reload (and in the running daemon).

Chromium is Debian's (``/usr/bin/chromium``, installed with ``fonts-noto-cjk``
by scripts/test.sh), driven by Playwright without its browser download.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, Page, expect

from controller.access.accounts import Accounts
from controller.clock import SystemClock
from controller.config.site import SiteConfig
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.learning.soil import Curve, SoilProposal, SoilValues
from controller.simulation.harness import Simulation
from controller.store import Severity, Store
from models.learning import Persisted, save_model
from models.learning.soil import FORMAT_VERSION as SOIL_FORMAT
from models.learning.soil import KIND as SOIL_KIND
from tests.helpers.browser import (
    ARTIFACTS,
    NARROW_TEXT_CELLS_JS,
    SQUEEZED_CELLS_JS,
    serving,
)
from web.app import create_app
from web.pages import PagesConfig

PASSWORD = "correct horse battery"


@dataclass
class Box:
    url: str
    store: Store
    daemon: Daemon
    sim: Simulation


@pytest.fixture
def box(site: SiteConfig, live_sim: Simulation, tmp_path: Path) -> Iterator[Box]:
    """The daemon with its pages on a free port, over the stepping simulated field."""
    data_dir = tmp_path / "data"
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with Store.open_dir(data_dir) as store:
        Accounts(store, hasher=fast).create_user("li", PASSWORD, "technician")
        daemon = Daemon(site, store, SystemClock())
        daemon.start()
        try:
            pages = PagesConfig(data_dir=data_dir, tz=site.site.tz, password_hasher=fast)
            app = create_app(DaemonService(daemon, data_dir=data_dir), store, pages=pages)
            with serving(app) as url:
                yield Box(url, store, daemon, live_sim)
        finally:
            daemon.stop()


def _log_in(page: Page, url: str, username: str = "li", password: str = PASSWORD) -> None:
    page.goto(url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-submit")
    expect(page.locator("#zone-z1")).to_be_visible()


def _seconds(text: str) -> int:
    """``4分05秒`` (the Chinese page's time left under an hour) in seconds."""
    match = re.fullmatch(r"(\d+)分(\d{2})秒", text.strip())
    assert match, text
    return int(match[1]) * 60 + int(match[2])


def test_technician_operates_the_site_from_the_page(box: Box, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # every confirmation: yes
    external: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(box.url) else external.append(r.url))

    _log_in(page, box.url)
    cards = page.locator("article.zone")
    expect(cards).to_have_count(4)
    expect(page.locator("#zone-z1")).to_contain_text("阀门关")
    expect(page.locator("#zone-z1")).to_contain_text("制种玉米")
    expect(page.locator("#site-state")).to_have_text("运行中")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "overview-1280.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})

    # Start zone 2 for 5 minutes: the answer is the valve state read back from the relay.
    card = page.locator("#zone-z2")
    card.locator("input[name=minutes]").fill("5")
    card.locator("#start-z2").click()
    expect(page.locator("#flash")).to_contain_text("设备回读阀门已打开")
    expect(page.locator("#zone-z2 .valve-on")).to_be_visible()
    assert box.sim.devices["relay1"].get("ch2"), "the relay's zone 2 coil is not on"

    # Watch it run: the overview refreshes itself and the remaining time counts down.
    remaining = page.locator("#zone-z2 .remaining")
    first = _seconds(remaining.inner_text())
    expect(remaining).not_to_have_text(remaining.inner_text(), timeout=10_000)
    assert 0 < _seconds(remaining.inner_text()) < first <= 300
    page.screenshot(path=str(ARTIFACTS / "overview-running-360.png"), full_page=True)

    page.locator("#stop-z2").click()
    expect(page.locator("#flash")).to_contain_text("设备回读阀门已关闭")
    expect(page.locator("#zone-z2 .valve-off")).to_be_visible()
    assert not box.sim.devices["relay1"].get("ch2")

    # An alarm shows on top of the overview (after the next refresh) and is acknowledged.
    alarm = box.store.raise_event(
        Severity.ALARM, "pressure_high", "site", "line pressure 420 kPa > 400 kPa", latched=True
    )
    expect(page.locator("#open-alarms")).to_contain_text("管道压力过高", timeout=10_000)
    expect(page.locator("#site-state")).to_have_text("报警")
    page.click("a[href='/alarms']")
    # said in the page's language: the source; the stored English kept as the box's record
    expect(page.locator(f"#alarm-{alarm.id}")).to_contain_text("管道压力过高 · 报警 · 站点")
    expect(page.locator(f"#alarm-{alarm.id}")).to_contain_text("控制器记录（原文）: line pressure")
    page.locator(f"#ack-{alarm.id}").click()
    expect(page.locator("#flash")).to_contain_text(f"报警 {alarm.id} 已确认")
    expect(page.locator("#no-open-alarms")).to_be_visible()
    # the event log on a phone: a card per event, no column squeezed, nothing off the
    # screen (tests/browser/test_alarms_crop_phone.py measures the cards)
    expect(page.locator("table.list td", has_text="管道压力过高")).to_be_visible()
    expect(page.locator("table.list thead")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.evaluate(SQUEEZED_CELLS_JS) == []
    assert page.evaluate(NARROW_TEXT_CELLS_JS) == []

    # Switch to English: kept on the user.
    page.click("#lang-switch")
    expect(page.locator("#no-open-alarms")).to_have_text("No open alarms.")
    page.click("a[href='/']")
    expect(page.locator("#zone-z1")).to_contain_text("valve closed")
    expect(page.locator("#zone-z1")).to_contain_text("m³/mu")

    # The zone page draws its charts with the vendored library.
    page.click("#zone-z1 h2 a")
    expect(page.locator("#chart-depletion")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#chart-moisture canvas")).to_be_visible()  # probe readings are stored
    page.screenshot(path=str(ARTIFACTS / "zone-360.png"), full_page=True)
    assert external == [], f"the pages asked for something off the box: {external}"
    context.close()


def test_admin_adds_a_user_and_changes_the_trigger_and_the_plan(box: Box, browser: Browser) -> None:
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    Accounts(box.store, hasher=fast).create_user("ada", PASSWORD, "admin")
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())

    # A new technician, made on the users page, logs in.
    _log_in(page, box.url, "ada")
    page.click("#nav-users")
    form = page.locator("#add-user")
    form.locator("input[name=username]").fill("wang")
    form.locator("select[name=role]").select_option("technician")
    form.locator("input[name=password]").fill("wang's good password")
    form.locator("input[name=password_again]").fill("wang's good password")
    page.click("#add-user-submit")
    expect(page.locator("#flash")).to_have_text("用户 wang（技术员）已创建。")
    expect(page.locator("#user-wang")).to_contain_text("技术员")
    page.screenshot(path=str(ARTIFACTS / "users-360.png"), full_page=True)
    page.click("#logout")
    _log_in(page, box.url, "wang", "wang's good password")
    expect(page.locator("header .who")).to_contain_text("wang · 技术员")
    expect(page.locator("#nav-users")).to_have_count(0)
    page.click("#logout")

    # The admin sets zone 1's trigger and adds a fertigation event; a reload shows both.
    _log_in(page, box.url, "ada")
    page.goto(box.url + "/settings")
    zone = page.locator("#settings-z1")
    zone.locator("input[name=mad_fraction]").fill("0.35")
    zone.locator("button.primary").click()
    expect(page.locator("#flash")).to_have_text("设置已保存并生效。")
    stages = page.locator("#stages-z1")  # seed corn's ripening period: a deeper deficit
    stages.locator("input[name='mad:ripening']").fill("0.7")
    stages.locator("button.primary").click()
    expect(page.locator("#flash")).to_have_text("设置已保存并生效。")
    page.locator("#add-event summary").click()
    event = page.locator("#event-form-new")
    event.locator("input[name=label]").fill("追肥试验")
    event.locator("input[name=zones][value=z2]").check()
    event.locator("input[name=day_after_planting]").fill("60")
    event.locator("input[name=n_kg_mu]").fill("2")
    page.click("#add-event-submit")
    expect(page.locator("#flash")).to_contain_text("施肥计划已保存并生效")
    page.reload()
    expect(page.locator("#settings-z1 input[name=mad_fraction]")).to_have_value("0.35")
    expect(page.locator("#stages-z1 input[name='mad:ripening']")).to_have_value("0.70")
    expect(page.locator("#plan")).to_contain_text("追肥试验")
    expect(page.locator("#plan tr", has_text="追肥试验")).to_contain_text("播种后第 60 天")
    expect(page.locator("#event-form-9 input[name=label]")).to_have_value("追肥试验")
    page.screenshot(path=str(ARTIFACTS / "settings-360.png"), full_page=True)
    site = box.daemon.site
    assert site.zones[0].mad_fraction == 0.35
    assert site.crop("seed_corn").stages[-1].mad == 0.7
    assert site.fertigation is not None and site.fertigation.events[-1].label == "追肥试验"
    context.close()


def test_technician_enters_a_soil_sample_on_a_phone(box: Box, browser: Browser) -> None:
    """At 390 px a technician enters a gravimetric sample next to probe1a; the probe's
    calibration shows on the page (the daemon's, refitted at once) and the raw readings of
    the probe in the store are untouched."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    _log_in(page, box.url)
    page.locator("#nav-probes").click()
    expect(page.locator("#sample-form")).to_be_visible()
    expect(page.locator("#cal-probe1a")).to_contain_text("无土样")
    page.select_option("#sample-probe", "probe1a")
    page.fill("#sample-theta", "21.5")
    page.fill("#sample-raw", "25")
    page.fill("#sample-note", "1号地 20 cm")
    page.locator("#sample-submit").click()
    expect(page.locator("#flash")).to_contain_text("已保存 probe1a 的土样 #1")
    expect(page.locator("#cal-probe1a")).to_contain_text("θ = 1.000 × 原始 -3.50 %")
    expect(page.locator("#cal-probe1a")).to_contain_text("± 1.50 %")
    expect(page.locator("#probe-probe1a")).to_contain_text("1号地 20 cm")
    # the form fits the phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "probe-sample-390.png"), full_page=True)
    (sample,) = box.store.probe_samples("probe1a")
    assert (sample.theta_pct, sample.raw_pct, sample.entered_by) == (21.5, 25.0, "li")
    context.close()


def _soil_proposal(box: Box) -> SoilProposal:
    """A fit of zone 1 waiting for approval, as the daily job leaves it in the models dir."""
    dates = tuple(dt.date(2026, 6, 1) + dt.timedelta(days=i) for i in range(9))
    curve = Curve(
        dates,
        (14.0, 22.0, 21.0, 20.2, 19.1, 18.0, 17.1, 16.4, 15.9),
        (None, None, None, None, 19.0, 18.1, 17.2, 16.5, 15.9),
        40.5,
    )
    proposal = SoilProposal(
        "z1",
        dt.datetime(2026, 7, 1, 17, 40, tzinfo=dt.UTC),
        1.0,
        SoilValues(0.25, 0.12, 1.0, 130.0),
        SoilValues(0.205, 0.104, 1.08, 101.0, 0.01, 0.006, 0.05, 9.0),
        3,
        0.3,
        (curve, curve, curve),
    )
    models = box.daemon.soil_learning.models_dir
    assert models is not None
    save_model(models, Persisted(SOIL_KIND, "z1", SOIL_FORMAT, proposal.fitted_at, 3, proposal))
    return proposal


def test_admin_approves_a_soil_fit_on_a_phone(box: Box, browser: Browser) -> None:
    """At 390 px an admin reads the dry-down evidence (curves, before/after with ±) and
    approves the fit; the running daemon's zone 1 takes the soil and kc_factor, and the page
    says probe_weight may now be raised."""
    proposal = _soil_proposal(box)
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    Accounts(box.store, hasher=fast).create_user("ada", PASSWORD, "admin")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    _log_in(page, box.url, "li")  # a technician sees the evidence, not the approval
    page.locator("#nav-soil").click()
    expect(page.locator("#soil-table-z1")).to_be_visible()
    expect(page.locator("#soil-approve-z1")).to_have_count(0)
    page.click("#logout")
    _log_in(page, box.url, "ada")
    page.locator("#nav-soil").click()
    expect(page.locator("#soil-taw-z1")).to_have_text("101 ± 9")
    expect(page.locator("svg.chart-z1 polyline.fit")).to_have_count(3)
    expect(page.locator("svg.chart-z1 circle.probe")).to_have_count(27)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "soil-fit-390.png"), full_page=True)
    page.locator("#soil-approve-button-z1").click()
    expect(page.locator("#flash")).to_contain_text("z1：已批准")
    expect(page.locator("#soil-in-use-z1")).to_contain_text("已按落干曲线批准")
    expect(page.locator("#soil-probe-weight-z1")).to_contain_text("probe_weight")
    z1 = box.daemon.site.zones[0]
    want = proposal.overrides()
    assert (z1.soil_fc_m3m3, z1.soil_wp_m3m3, z1.kc_factor) == (
        want["soil_fc_m3m3"],
        want["soil_wp_m3m3"],
        want["kc_factor"],
    )
    context.close()


def _noise_png(side: int) -> bytes:
    """A ``side`` × ``side`` PNG of random pixels: no compression makes it small."""
    import os
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    raw = b"".join(b"\x00" + os.urandom(side * 3) for _ in range(side))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )


def test_technician_records_a_crop_stage_with_a_phone_photo(
    box: Box, browser: Browser, tmp_path: Path
) -> None:
    """At 390 px a technician opens the crop page from the zone page and records emergence
    with a 4 MB photo; the page scales it down to a JPEG the box keeps, and the stage shows
    as observed against predicted."""
    photo = tmp_path / "IMG_0001.png"
    photo.write_bytes(_noise_png(1200))
    assert photo.stat().st_size > 4_000_000
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    _log_in(page, box.url)
    page.goto(box.url + "/zones/z1")
    page.locator("#zone-crop a").click()
    expect(page.locator("#observation-form")).to_be_visible()
    expect(page.locator("#crop-source")).to_contain_text("日历")
    page.select_option("#observation-stage", "VE")
    page.fill("#observation-date", "2026-05-08")
    page.fill("#observation-note", "出苗 80%")
    page.set_input_files("#observation-photo", str(photo))
    page.locator("#observation-submit").click()
    expect(page.locator("#flash")).to_contain_text("已记录 出苗 (VE)（2026-05-08）")
    expect(page.locator("#stage-VE")).to_contain_text("2026-05-08")
    expect(page.locator("#crop-source")).to_contain_text("实地观测")
    expect(page.locator("#crop-observations img")).to_have_count(1)
    page.locator("#crop-observations img").scroll_into_view_if_needed()  # loaded lazily
    expect(page.locator("#crop-observations img")).to_have_js_property("complete", True)
    assert page.evaluate("document.querySelector('#crop-observations img').naturalWidth") > 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "crop-stage-390.png"), full_page=True)
    (obs,) = box.store.crop_observations("z1")
    assert obs.note == "出苗 80%" and obs.photo.endswith(".jpg")  # scaled down to a JPEG
    context.close()


def test_a_mistaken_crop_stage_is_refused_confirmed_and_deleted_on_a_phone(
    box: Box, browser: Browser
) -> None:
    """At 390 px: a note alone is not sent (the stage select starts on its placeholder and
    is required); maturity 20 days after planting is refused naming why, kept once the
    technician ticks the confirmation and shown as confirmed; then deleted, asked first, and
    the stage is back on its prediction."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    _log_in(page, box.url)
    page.goto(box.url + "/zones/z1/crop")
    expect(page.locator("#observation-stage")).to_have_value("")
    page.fill("#observation-date", "2026-05-10")
    page.fill("#observation-note", "只写了备注")
    page.locator("#observation-submit").click()
    assert page.evaluate("!document.querySelector('#observation-stage').checkValidity()")
    assert box.store.crop_observations("z1") == []  # the browser did not send it
    page.select_option("#observation-stage", "maturity")
    page.locator("#observation-submit").click()
    expect(page.locator("#observation-refused")).to_contain_text(
        "2026-05-10 的成熟：播种后第 20 天，而日历上成熟约在第 145 天"
    )
    assert box.store.crop_observations("z1") == []
    expect(page.locator("#observation-stage")).to_have_value("maturity")  # as typed
    page.check("#observation-confirm")
    page.locator("#observation-submit").click()
    expect(page.locator("#flash")).to_contain_text("已记录 成熟（2026-05-10）")
    expect(page.locator("#confirmed-maturity")).to_have_text("已确认（与积温预测不符）")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "crop-confirmed-390.png"), full_page=True)
    (obs,) = box.store.crop_observations("z1")
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.locator(f"#delete-observation-{obs.id}").click()
    expect(page.locator("#flash")).to_contain_text("已删除 2026-05-10 的成熟记录")
    assert asked == ["删除 2026-05-10 的成熟记录？该生育期将回到预测。"]
    expect(page.locator("#stage-maturity td").nth(1)).to_have_text("—")
    assert box.store.crop_observations("z1") == []
    context.close()
