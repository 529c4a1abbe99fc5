"""A refused command (a start, a soil fit's approval) said in the page's language by the
refusal's code, the daemon's English kept as the box's record; and every code the daemon
refuses with named in both catalogs."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from controller.access.accounts import Accounts
from controller.daemon.protocol import ControlRefused
from controller.store import Store, StoreWriteError
from tests.helpers.pages import (
    FAST,
    PASSWORD,
    USERS,
    PageService,
    csrf_of,
    in_language,
    login,
    page_client,
)
from tests.helpers.refusal_codes import refusal_codes
from web.app import create_app
from web.i18n import LOCALES, catalog
from web.pages import PagesConfig

REFERER = {"referer": "http://127.0.0.1:8080/"}


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_refusal_code_is_said(locale: str) -> None:
    codes = set(refusal_codes())
    assert {"already_running", "stale_proposal", "clock_not_confirmable"} <= codes
    names = catalog(locale)
    assert sorted(c for c in codes if f"refusal.{c}" not in names) == []


def _flash(client: Any, path: str, data: dict[str, str]) -> str:
    r = client.post(path, data=data, headers=REFERER)
    assert r.status_code == 303, r.text
    (shown,) = re.findall(r'id="flash">([^<]*)<', client.get(r.headers["location"]).text)
    return str(shown)


def _start(client: Any) -> str:
    return _flash(client, "/zones/z1/start", {"minutes": "10", "csrf": csrf_of(client)})


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "操作被拒绝：该轮灌区正在灌溉（控制器记录：zone z1 is already running）"),
        (
            "en",
            "Refused: the zone is already watering "
            "(the box&#39;s record: zone z1 is already running)",
        ),
    ],
)
def test_a_refused_start_is_said_by_its_code(
    as_role: Any, service: PageService, lang: str, said: str
) -> None:
    tech = in_language(as_role("technician"), lang)
    service.refuse = ControlRefused("zone z1 is already running", "already_running")
    assert said in _start(tech)
    service.refuse = ControlRefused("zone z1 not started: the site is lost", "RunRefused")
    shown = _start(tech)
    assert "zone z1 not started: the site is lost" in shown  # no code said: as written
    assert "the box&#39;s record" not in shown and "控制器记录" not in shown


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "操作被拒绝：全部灌溉已暂停（含手动）：请先恢复（控制器记录：paused until"),
        ("en", "Refused: all irrigation is paused, manual too: resume it first (the box&#39;s"),
    ],
)
def test_a_sequencer_refusal_is_said_by_its_reason_code(
    as_role: Any, service: PageService, lang: str, said: str
) -> None:
    tech = in_language(as_role("technician"), lang)
    service.refuse = ControlRefused(
        "paused until 2026-05-01T10:00:00+00:00", "RunRefused", "paused"
    )
    assert said in _start(tech)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "操作被拒绝：全部灌溉已暂停至 05-01 18:00（含手动）：请先恢复"),
        ("en", "Refused: all irrigation is paused until 05-01 18:00, manual too: resume it first"),
    ],
)
def test_a_start_refused_by_a_pause_says_its_end_in_the_sites_time(
    store: Store, service: PageService, tmp_path: Path, lang: str, said: str
) -> None:
    """A manual start while paused is refused saying until when, in the site's local time as
    the pages say times (UTC+8: 10:00 UTC is 18:00), not the record's UTC with microseconds."""
    until = datetime(2026, 5, 1, 10, 0, 0, 918454, tzinfo=UTC)
    status = service.status()
    service.status = lambda: dataclasses.replace(status, paused_until=until)  # type: ignore[method-assign]
    service.refuse = ControlRefused(f"paused until {until.isoformat()}", "RunRefused", "paused")
    accounts = Accounts(store, hasher=FAST)
    accounts.create_user(USERS["technician"], PASSWORD, "technician")
    config = PagesConfig(
        data_dir=tmp_path / "data", password_hasher=FAST, tz=timezone(timedelta(hours=8))
    )
    with page_client(create_app(service, store, pages=config)) as tech:
        assert login(tech, USERS["technician"]).status_code == 303
        shown = _start(in_language(tech, lang))
    assert shown == said
    assert "+00:00" not in shown and "918454" not in shown


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "未批准：所示拟合已被更新的拟合取代：请先查看再批准（控制器记录："),
        ("en", "the fit shown was replaced by a newer one: look at it before approving (the box"),
    ],
)
def test_a_replaced_soil_fit_is_said_by_its_code(as_role: Any, lang: str, said: str) -> None:
    admin = in_language(as_role("admin"), lang)
    data = {"csrf": csrf_of(admin, "/soil"), "fitted_at": "2026-06-30T17:40:00+00:00"}
    shown = _flash(admin, "/soil/z1/approve", data)
    assert said in shown and "z1: the fit shown was replaced" in shown  # the fake's English


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh-CN", "已全部停止：设备回读所有阀门已关闭。但数据库未能记录各次灌溉的结束"),
        ("en", "Everything stopped: the devices report every valve closed. The box&#39;s database"),
    ],
)
def test_a_stop_all_whose_ends_are_not_recorded_says_the_water_is_off(
    as_role: Any, service: PageService, lang: str, said: str
) -> None:
    tech = in_language(as_role("technician"), lang)
    service.refuse = StoreWriteError("disk I/O error")
    service.zones_by_name = {  # the valves read back closed: the stop took
        n: dataclasses.replace(z, valve_on=False) for n, z in service.zones_by_name.items()
    }
    assert said in _flash(tech, "/stop-all", {"csrf": csrf_of(tech)})


@pytest.mark.parametrize(
    ("lang", "active", "alone"),
    [
        (
            "zh-CN",
            "操作被拒绝：Zone z2 正在施肥灌溉：施肥灌溉只能单独运行（控制器记录：",
            "操作被拒绝：施肥灌溉只能单独运行：Zone z1、Zone z2 正在运行（控制器记录：",
        ),
        (
            "en",
            "Refused: a fertigation run is active in Zone z2: it runs alone (the box",
            "Refused: a fertigation run runs alone: Zone z1, Zone z2 running (the box",
        ),
    ],
)
def test_a_start_refused_for_a_fertigation_run_names_the_zones_that_run(
    as_role: Any, service: PageService, lang: str, active: str, alone: str
) -> None:
    """z2 fertigates (its run injecting), z1 waters: a start refused for z2's fertigation
    names z2, not z1; a fertigation run refused for the zones running names both."""
    z1, z2 = service.zones_by_name["z1"], service.zones_by_name["z2"]
    service.zones_by_name["z1"] = dataclasses.replace(z1, valve_on=True, run_id=7, phase="water")
    service.zones_by_name["z2"] = dataclasses.replace(z2, valve_on=True, run_id=8, phase="inject")
    tech = in_language(as_role("technician"), lang)
    service.refuse = ControlRefused(
        "a fertigation run is active: it runs alone", "RunRefused", "fertigation_active"
    )
    assert active in _start(tech)
    service.refuse = ControlRefused(
        "a fertigation run runs alone: other zones are running", "RunRefused", "fertigation_alone"
    )
    assert alone in _start(tech)
    # nothing running any more when the page asks: the refusal's own words
    service.zones_by_name["z1"] = dataclasses.replace(z1, valve_on=False, run_id=None, phase=None)
    service.zones_by_name["z2"] = dataclasses.replace(z2, valve_on=False, run_id=None, phase=None)
    assert catalog(lang)["refusal.fertigation_alone"].replace("'", "&#39;") in _start(tech)
