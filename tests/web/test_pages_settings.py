"""Settings changed on the pages: validated like the site file, kept, applied to the daemon,
laid over the site file again after a restart."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from controller.access.accounts import Accounts
from controller.agronomy.jobs import PlannedRun
from controller.clock import SystemClock
from controller.config import overrides
from controller.config.site import M2_PER_MU, ConfigError, SiteConfig, apply_overrides
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import SettingsInvalid
from controller.daemon.service import DaemonService
from controller.simulation.harness import Simulation
from controller.store import RunSource, Store
from tests.helpers.pages import BASE, FAST, PASSWORD, login
from web.app import create_app
from web.pages import PagesConfig


def test_apply_overrides_changes_only_what_is_named(site: SiteConfig) -> None:
    z2 = {"crop": "cotton", "planting_date": dt.date(2026, 5, 1), "mode": "sensor"}
    changed = apply_overrides(site, {"zones": {"z2": z2}, "policy": {"probe_weight": 0.3}})
    zone = next(z for z in changed.zones if z.name == "z2")
    assert (zone.crop, zone.planting_date, zone.mode) == ("cotton", dt.date(2026, 5, 1), "sensor")
    assert changed.policy.probe_weight == 0.3
    assert changed.zones[0] == site.zones[0] and changed.safety == site.safety
    assert changed.profiles.keys() == site.profiles.keys()


def test_apply_overrides_names_each_problem_by_key_path(site: SiteConfig) -> None:
    with pytest.raises(ConfigError) as caught:
        apply_overrides(
            site,
            {
                "zones": {"z2": {"crop": "rice", "valve": "relay1.ch8"}, "z9": {"mode": "et"}},
                "safety": {"max_run_min": 9999},
            },
        )
    problems = "\n".join(caught.value.problems)
    assert "zones[1].valve: not editable from the pages" in problems
    assert "zones.z9: no such zone" in problems
    assert "safety: not editable from the pages" in problems
    with pytest.raises(ConfigError) as caught:  # types and ranges
        apply_overrides(site, {"policy": {"probe_weight": 2}})
    assert caught.value.problems[0].startswith("policy.probe_weight: ")
    with pytest.raises(ConfigError) as caught:  # the site's cross-checks
        apply_overrides(site, {"zones": {"z2": {"crop": "rice"}}})
    assert caught.value.problems[0].startswith("zones[1].crop: ")


def test_overrides_round_trip_through_the_file(site: SiteConfig, tmp_path: Path) -> None:
    saved = {
        "zones": {"z1": {"label": '1号地 "北"', "planting_date": dt.date(2026, 4, 25)}},
        "policy": {"rain_skip_mm": 7.5},
    }
    overrides.save(tmp_path, saved)
    assert overrides.load(tmp_path) == saved
    assert overrides.apply_saved(site, tmp_path).zones[0].label == '1号地 "北"'
    merged = overrides.merge(saved, {"zones": {"z1": {"mode": "manual"}, "z3": {"mode": "et"}}})
    assert merged["zones"]["z1"] == {**saved["zones"]["z1"], "mode": "manual"}
    assert merged["zones"]["z3"] == {"mode": "et"} and merged["policy"] == saved["policy"]


@pytest.fixture
def service(site: SiteConfig, sim: Simulation, tmp_path: Path) -> Iterator[DaemonService]:
    with Store.open_dir(tmp_path / "data") as store:
        daemon = Daemon(site, store, SystemClock())
        daemon.start(schedule=False)
        try:
            yield DaemonService(daemon, data_dir=tmp_path / "data")
        finally:
            daemon.stop()


def test_the_daemon_takes_new_settings_live_and_keeps_them(
    service: DaemonService, tmp_path: Path
) -> None:
    service.apply_settings({"zones": {"z3": {"mode": "manual"}}}, actor="ada")
    assert service.zone("z3").mode == "manual"
    assert service.d.agronomy.site.zones[2].mode == "manual"
    assert service.settings()["zones"]["z3"]["mode"] == "manual"
    assert overrides.load(tmp_path / "data") == {"zones": {"z3": {"mode": "manual"}}}
    audit = [a for a in service.d.store.rows_after("audit", 0) if a.action == "settings.change"]  # type: ignore[attr-defined]
    assert audit[-1].actor == "ada"  # type: ignore[attr-defined]

    with pytest.raises(SettingsInvalid) as caught:
        service.apply_settings({"zones": {"z3": {"crop": "rice"}}}, actor="ada")
    assert any(p.startswith("zones[2].crop") for p in caught.value.problems)
    assert overrides.load(tmp_path / "data") == {"zones": {"z3": {"mode": "manual"}}}


def test_a_change_shows_in_every_service_of_the_daemon(service: DaemonService) -> None:
    """The MQTT bridge reads the daemon through a service of its own: it sees the pages'."""
    bridges = DaemonService(service.d)
    service.apply_settings({"zones": {"z3": {"label": "北区三号"}}}, actor="ada")
    assert bridges.zone("z3").label == "北区三号"
    assert [z.label for z in bridges.zones()] == [z.label for z in service.zones()]


def test_an_emptied_mad_fraction_returns_to_the_site_files_value(
    site: SiteConfig, sim: Simulation, tmp_path: Path
) -> None:
    """As ``qanat run`` starts: the saved settings laid over the site file, then taken back."""
    data = tmp_path / "data"
    overrides.save(data, {"zones": {"z1": {"mad_fraction": 0.35, "mode": "sensor"}}})
    with Store.open_dir(data) as store:
        daemon = Daemon(overrides.apply_saved(site, data), store, SystemClock())
        daemon.start(schedule=False)
        try:
            service = DaemonService(daemon, data_dir=data, site_file=site)
            assert service.settings()["zones"]["z1"]["mad_fraction"] == 0.35
            service.apply_settings({"zones": {"z1": {"mad_fraction": None}}}, actor="ada")
            assert overrides.load(data) == {"zones": {"z1": {"mode": "sensor"}}}
            shown = service.settings()["zones"]["z1"]
            assert shown["mad_fraction"] is None and shown["mode"] == "sensor"
            assert (shown["crop_p"], shown["mad_site_file"]) == (0.55, None)  # seed corn p
            assert daemon.agronomy.site.zones[0].mad_fraction is None
        finally:
            daemon.stop()


NEW_PLAN = [{"label": "追肥 “试验”", "zones": ["z1"], "date": None, "n_kg_mu": 2.0}]


def test_a_plan_changed_in_the_settings_is_what_the_daemon_schedules(
    service: DaemonService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = service.d
    tz = daemon.site.site.tz
    today = daemon.clock.now().astimezone(tz).date()
    start = dt.datetime.combine(today, dt.time(21, 0), tz).astimezone(dt.UTC)
    if start <= daemon.clock.now():  # late in the day: tomorrow night's run, tomorrow's event
        today += dt.timedelta(days=1)
        start += dt.timedelta(days=1)
    # The planner's decision is not under test: a long run of z1 tonight is due.
    run = PlannedRun("z1", start, 180.0, 25.0, 1, RunSource.PLAN)
    monkeypatch.setattr(daemon.agronomy, "plan_all", lambda **_: [run])
    daemon.plan()
    assert not [e for e in daemon.store.events() if "追肥" in e.message]

    plan = [{**NEW_PLAN[0], "date": today}]
    service.apply_settings({"fertigation": {"events": plan}}, actor="ada")

    assert daemon.site.fertigation is not None and daemon.site.fertigation.events[0].date == today
    notes = [e.message for e in daemon.store.events() if e.code == "fertigation_plan"]
    assert any("carries fertigation event 1 (追肥 “试验”)" in n for n in notes), notes
    (queued,) = daemon._queue
    area_mu = daemon.site.zones[0].area_m2_value / M2_PER_MU
    assert queued.recipe is not None
    assert dict(queued.recipe.kg) == {"N": pytest.approx(2.0 * area_mu)}
    # kept, and what the daemon starts with after a restart
    restarted = overrides.apply_saved(service.site_file, tmp_path / "data")
    assert restarted.fertigation is not None
    assert [e.label for e in restarted.fertigation.events] == ["追肥 “试验”"]

    service.apply_settings({"fertigation": {"events": []}}, actor="ada")  # no plan at all
    (queued,) = daemon._queue
    assert queued.recipe is None


def _serve(site: SiteConfig, data: Path) -> tuple[Daemon, TestClient]:
    """What ``qanat run`` does: saved settings over the site file, the daemon, the pages."""
    store = Store.open_dir(data)
    if not Accounts(store, hasher=FAST).users():
        Accounts(store, hasher=FAST).create_user("ada", PASSWORD, "admin")
    daemon = Daemon(overrides.apply_saved(site, data), store, SystemClock())
    daemon.start(schedule=False)
    service = DaemonService(daemon, data_dir=data, site_file=site)
    app = create_app(service, store, pages=PagesConfig(data_dir=data, password_hasher=FAST))
    client = TestClient(app, base_url=BASE, follow_redirects=False)
    client.headers["origin"] = BASE
    assert login(client, "ada").status_code == 303
    return daemon, client


def _stop(daemon: Daemon) -> None:
    daemon.stop()
    daemon.store.close()


def _form(client: TestClient, form_id: str) -> dict[str, Any]:
    """The hidden fields (csrf, plan version) of a form on the settings page."""
    page = client.get("/settings").text
    form = page[page.index(f'id="{form_id}"') :]
    found = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form[:2000]))
    return {"csrf": found["csrf"], "plan": found["plan"]}


def test_the_pages_change_the_plan_and_mad_kept_across_a_restart(
    site: SiteConfig, sim: Simulation, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    daemon, admin = _serve(site, data)
    try:
        zone = {"crop": "seed_corn", "planting_date": "2026-04-20", "mode": "et"}
        hidden = _form(admin, "event-form-new")
        sent = admin.post(
            "/settings/zones/z1", data={**zone, "mad_fraction": "0.35", "csrf": hidden["csrf"]}
        )
        assert sent.status_code == 303
        assert overrides.load(data)["zones"]["z1"]["mad_fraction"] == 0.35

        new = {
            "label": "追肥 “晚”",
            "zones": ["z2", "z3"],
            "date": "2026-07-30",
            "n_kg_mu": "1.25",
            **hidden,
        }
        assert admin.post("/settings/fertigation/events", data=new).status_code == 303
        edit = {
            "label": "苗期",
            "day_after_planting": "26",
            "n_kg_mu": "0.5",
            **_form(admin, "event-form-1"),
        }
        assert admin.post("/settings/fertigation/events/1", data=edit).status_code == 303
        gone = _form(admin, "event-form-2")
        assert admin.post("/settings/fertigation/events/2/delete", data=gone).status_code == 303

        events = overrides.load(data)["fertigation"]["events"]
        assert len(events) == 8  # the site file's 8, one edited, one deleted, one added
        assert events[0] == {"label": "苗期", "day_after_planting": 26, "n_kg_mu": 0.5}
        assert events[-1] == {
            "label": "追肥 “晚”",
            "zones": ["z2", "z3"],
            "date": dt.date(2026, 7, 30),
            "n_kg_mu": 1.25,
        }
        assert "拔节期" not in [e["label"] for e in events]  # the site file's second
        assert daemon.site.fertigation is not None
        assert daemon.site.fertigation.events[0].label == "苗期"

        # Refused (z2 already has an event on day 26 after planting): the file stays as it was.
        before = (data / overrides.OVERRIDES_FILE).read_bytes()
        twin = {
            "label": "重复",
            "day_after_planting": "26",
            "n_kg_mu": "1",
            **_form(admin, "event-form-new"),
        }
        sent = admin.post("/settings/fertigation/events", data=twin)
        assert sent.status_code == 422
        named = "第 9 次施肥「重复」：站点校验未通过：地块 z1 在 2026-05-16 已有另一次施肥。"
        assert named in html.unescape(sent.text)
        assert "already has" not in html.unescape(sent.text)  # no English inside
        bad = {**twin, "day_after_planting": "x"}
        assert admin.post("/settings/fertigation/events", data=bad).status_code == 422
        assert (data / overrides.OVERRIDES_FILE).read_bytes() == before

        # The trigger back to the crop's p: the key leaves the file.
        sent = admin.post(
            "/settings/zones/z1", data={**zone, "mad_fraction": "", "csrf": hidden["csrf"]}
        )
        assert sent.status_code == 303
        assert "mad_fraction" not in overrides.load(data)["zones"]["z1"]
        actions = [a.action for a in daemon.store.rows_after("audit", 0, limit=1000)]  # type: ignore[attr-defined]
        assert actions.count("settings.change") == 5
    finally:
        _stop(daemon)

    daemon, admin = _serve(site, data)  # a restart: the saved settings are laid over again
    try:
        page = html.unescape(admin.get("/settings").text)
        assert "苗期" in page and "追肥 “晚”" in page and "<td>拔节期</td>" not in page
        assert daemon.site.fertigation is not None and len(daemon.site.fertigation.events) == 8
        assert daemon.site.zones[0].mad_fraction is None
    finally:
        _stop(daemon)
