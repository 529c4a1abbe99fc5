"""A crop period's MAD tuned for the site: checked like the site file, kept in
``site.overrides.toml``, taken by the running daemon's next decision, audited; through the
real DaemonService and through the settings page."""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from controller.access.accounts import Accounts
from controller.clock import VirtualClock
from controller.config import overrides
from controller.config.site import ConfigError, SiteConfig, apply_overrides
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import SettingsInvalid
from controller.daemon.service import DaemonService
from controller.office.export import iter_rows
from controller.simulation.harness import Simulation
from controller.store import Store
from drivers.reading import Quality, Reading
from models.crops import crop
from tests.helpers.agronomy import seed_balance
from tests.helpers.pages import BASE, FAST, PASSWORD, csrf_of, login
from web.app import create_app
from web.pages import PagesConfig

TZ = dt.timezone(dt.timedelta(hours=8))  # the demo site's Asia/Shanghai
TODAY = dt.date(2026, 6, 4)  # z1, sown 20 Apr, is on day 45: seed corn's "vegetative" (MAD 0.40)
RIPENING = {"crops": {"seed_corn": {"stages": {"ripening": {"mad": 0.7}}}}}


def _local(day: dt.date, hour: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=TZ) + dt.timedelta(hours=hour)


# -- the site's checks ------------------------------------------------------


def test_the_site_checks_each_tuned_period_by_key_path(site: SiteConfig) -> None:
    tuned = apply_overrides(site, RIPENING)
    assert tuned.crop("seed_corn").stages[-1].mad == 0.7
    assert tuned.crop("cotton") == crop("cotton")  # untuned crops are the library's
    with pytest.raises(ConfigError) as caught:  # only a period's MAD is editable
        apply_overrides(site, {"crops": {"seed_corn": {"stages": {"vegetative": {"ky": 0.1}}}}})
    assert caught.value.problems == [
        "crops.seed_corn.stages.vegetative.ky: not editable from the pages (site.overrides.toml)"
    ]
    with pytest.raises(ConfigError) as caught:  # the bound, by the schema
        apply_overrides(site, {"crops": {"seed_corn": {"stages": {"ripening": {"mad": 0.9}}}}})
    (problem,) = caught.value.problems
    assert problem.startswith("crops.seed_corn.stages.ripening.mad: ") and "0.8" in problem
    stages = {"flowering": {"mad": 0.6}, "tillering": {"mad": 0.5}}
    bad = {"seed_corn": {"stages": stages}, "rice": {"stages": {"ripening": {"mad": 0.5}}}}
    with pytest.raises(ConfigError) as caught:  # the cross-checks, all at once
        apply_overrides(site, {"crops": bad})
    problems = "\n".join(caught.value.problems)
    assert "crops.seed_corn.stages.flowering: a critical period" in problems
    assert "crops.seed_corn.stages.tillering: no such period (periods: establishment" in problems
    assert "crops.rice: unknown crop 'rice'" in problems


def test_a_period_with_a_space_in_its_name_survives_the_file(
    site: SiteConfig, tmp_path: Path
) -> None:
    spaced = {"crops": {"seed_corn": {"stages": {"yield formation": {"mad": 0.5}}}}}
    overrides.save(tmp_path, overrides.merge(RIPENING, spaced))
    text = (tmp_path / overrides.OVERRIDES_FILE).read_text("utf-8")
    assert '[crops.seed_corn.stages."yield formation"]\nmad = 0.5' in text
    assert "[crops.seed_corn.stages.ripening]\nmad = 0.7" in text
    assert overrides.load(tmp_path) == overrides.merge(RIPENING, spaced)
    overrides.save(tmp_path, RIPENING)
    assert overrides.apply_saved(site, tmp_path).crop("seed_corn").stages[-1].mad == 0.7


# -- the running daemon ---------------------------------------------------------------------


def _weather(store: Store, day: dt.date) -> None:
    """A warm, dry June day at the demo's station, one reading per point and hour."""
    readings = []
    for h in range(24):
        t = 20.0 - 8.0 * math.cos(2 * math.pi * (h - 3) / 24)
        for point, value, unit in (
            ("air_temperature", t, "°C"),
            ("humidity", 80.0 - 30.0 * (t - 12.0) / 16.0, "%"),
            ("wind_speed", 2.0, "m/s"),
            ("rain", 100.0, "mm"),
        ):
            readings.append(Reading("wx1", point, value, unit, Quality.OK, _local(day, h)))
    store.add_readings(readings)


def _depleted(store: Store, site: SiteConfig, zone: str, fraction_of_taw: float) -> float:
    """The zone's balance at the end of TODAY: ``fraction_of_taw`` of its TAW depleted."""
    return seed_balance(store, site, zone, TODAY, fraction_of_taw, raw_fraction=0.4)


@pytest.fixture
def daemon(site: SiteConfig, sim: Simulation, tmp_path: Path) -> Iterator[Daemon]:
    """The demo site's daemon at 18:00 on TODAY after three measured days; z1 at 0.5 TAW
    (past the vegetative period's MAD 0.40), the other zones full."""
    clock = VirtualClock(_local(TODAY, 18))
    store = Store.open_dir(tmp_path / "data", clock=clock)
    for d in range(4):
        _weather(store, TODAY - dt.timedelta(days=3 - d))
    store.flush()
    _depleted(store, site, "z1", 0.5)
    for zone in ("z2", "z3"):
        _depleted(store, site, zone, 0.0)
    daemon = Daemon(site, store, clock)
    daemon.start(schedule=False)
    try:
        yield daemon
    finally:
        daemon.stop()
        store.close()


def _z1(daemon: Daemon) -> tuple[str, dict[str, Any]]:
    """The newest ET plan decision of z1: its action and inputs (a run that only carries a
    fertigation event is another decision)."""
    decision = next(d for d in reversed(daemon.store.decisions("z1")) if "raw_mm_day0" in d.inputs)
    return decision.action, decision.inputs


def test_a_tuned_period_is_the_next_decisions_trigger(daemon: Daemon, tmp_path: Path) -> None:
    service = DaemonService(daemon, data_dir=tmp_path / "data")
    daemon.plan()
    action, before = _z1(daemon)
    taw = before["taw_mm"]
    assert before["raw_mm_day0"] == pytest.approx(0.4 * taw, rel=1e-6)
    assert before["stage"] == "vegetative" and action == "irrigate"  # 0.5 TAW is past 0.40

    change = {"crops": {"seed_corn": {"stages": {"vegetative": {"mad": 0.6}}}}}
    service.apply_settings(change, actor="ada")

    action, after = _z1(daemon)  # re-planned at once, no restart
    assert after["raw_mm_day0"] == pytest.approx(0.6 * taw, rel=1e-6)
    assert after["stage"] == "vegetative"
    assert action == "defer"  # 0.5 TAW is short of the new trigger: watered days later
    assert overrides.load(tmp_path / "data") == change
    assert daemon.agronomy.site.crop("seed_corn").stages[1].mad == 0.6
    shown = service.settings()["zones"]["z1"]
    vegetative = next(s for s in shown["stages"] if s["name"] == "vegetative")
    assert vegetative | {"today": True} == vegetative  # today's period
    assert (vegetative["mad"], vegetative["mad_default"], vegetative["tuned"]) == (0.6, 0.4, True)
    audit = [a for a in daemon.store.rows_after("audit", 0) if a.action == "settings.change"]  # type: ignore[attr-defined]
    assert (audit[-1].actor, audit[-1].detail) == ("ada", change)  # type: ignore[attr-defined]

    # a critical period is refused by the service too, and nothing changes
    with pytest.raises(SettingsInvalid) as caught:
        service.apply_settings(
            {"crops": {"seed_corn": {"stages": {"flowering": {"mad": 0.6}}}}}, actor="ada"
        )
    assert any("crops.seed_corn.stages.flowering: a critical" in p for p in caught.value.problems)
    assert overrides.load(tmp_path / "data") == change

    # back to the library's value: the key leaves the file, the trigger is 0.40 again
    service.apply_settings({"crops": {"seed_corn": {"stages": {"vegetative": None}}}}, actor="ada")
    action, back = _z1(daemon)
    assert overrides.load(tmp_path / "data") == {}
    assert back["raw_mm_day0"] == pytest.approx(0.4 * taw, rel=1e-6) and action == "irrigate"


def test_the_fao56_rule_chosen_on_the_service_ignores_the_periods(
    daemon: Daemon, tmp_path: Path
) -> None:
    service = DaemonService(daemon, data_dir=tmp_path / "data")
    service.apply_settings({"zones": {"z1": {"targets": "fao56"}}}, actor="ada")
    _, inputs = _z1(daemon)
    assert inputs["targets"] == "fao56" and inputs["mad_source"] == "crop p"
    assert service.settings()["zones"]["z1"]["targets"] == "fao56"
    assert overrides.load(tmp_path / "data") == {"zones": {"z1": {"targets": "fao56"}}}


def test_the_page_edits_reach_the_daemon_and_survive_a_restart(
    daemon: Daemon, site: SiteConfig, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    Accounts(daemon.store, hasher=FAST).create_user("ada", PASSWORD, "admin")
    Accounts(daemon.store, hasher=FAST).create_user("wei", PASSWORD, "viewer")
    service = DaemonService(daemon, data_dir=data, site_file=site)
    app = create_app(service, daemon.store, pages=PagesConfig(data_dir=data, password_hasher=FAST))
    with TestClient(app, base_url=BASE, follow_redirects=False) as admin:
        admin.headers["origin"] = BASE
        assert login(admin, "ada").status_code == 303
        page = html.unescape(admin.get("/settings").text)
        assert 'id="stage-z1-2" class="today"' in page  # day 45: vegetative

        form = {"mad:vegetative": "0.6", "mad:ripening": "0.65", "csrf": csrf_of(admin)}
        assert admin.post("/settings/crops/seed_corn/stages", data=form).status_code == 303
        change = {"crops": {"seed_corn": {"stages": {"vegetative": {"mad": 0.6}}}}}
        assert overrides.load(data) == change  # ripening at its default: not a setting
        action, inputs = _z1(daemon)
        assert inputs["raw_mm_day0"] == pytest.approx(0.6 * inputs["taw_mm"], rel=1e-6)
        assert action == "defer"

        form = {"mad:ripening": "0.81", "csrf": csrf_of(admin)}
        sent = admin.post("/settings/crops/seed_corn/stages", data=form)
        assert sent.status_code == 422
        assert "制种玉米「成熟期」：MAD “0.81” 必须在 0.2 到 0.8 之间。" in html.unescape(sent.text)
        assert overrides.load(data) == change

        # a zone whose crop has no periods says so, and has no period form
        zone = {"crop": "cotton", "planting_date": "2026-04-22", "mode": "et"}
        sent = admin.post("/settings/zones/z3", data={**zone, "csrf": csrf_of(admin)})
        assert sent.status_code == 303
        page = html.unescape(admin.get("/settings").text)
        assert 'id="stages-none-z3"' in page and 'id="stages-z3"' not in page
        assert "作物库中棉花没有分生育期的触发点" in page

    with TestClient(app, base_url=BASE, follow_redirects=False) as viewer:
        viewer.headers["origin"] = BASE
        assert login(viewer, "wei").status_code == 303
        form = {"mad:vegetative": "0.3", "csrf": csrf_of(viewer)}
        before = overrides.load(data)
        assert viewer.post("/settings/crops/seed_corn/stages", data=form).status_code == 403
        assert overrides.load(data) == before and before["crops"] == change["crops"]

    restarted = overrides.apply_saved(site, data)  # what `qanat run` starts with
    assert restarted.crop("seed_corn").stages[1].mad == 0.6
    assert restarted.zones[2].crop == "cotton"


def test_the_decisions_reason_names_the_period_on_the_page_and_in_the_export(
    daemon: Daemon, site: SiteConfig, tmp_path: Path
) -> None:
    """The technician reads why z1 is watered — the period, its Ky, the refill's rain room —
    on the zone page, and the office gets the same sentence in the decisions export."""
    data = tmp_path / "data"
    Accounts(daemon.store, hasher=FAST).create_user("wei", PASSWORD, "viewer")
    service = DaemonService(daemon, data_dir=data, site_file=site)
    daemon.plan()
    decision = next(d for d in reversed(daemon.store.decisions("z1")) if "raw_mm_day0" in d.inputs)
    assert "vegetative, Ky 0.4" in decision.reason
    assert "of TAW depleted" in decision.reason  # the refill target's sentence
    app = create_app(service, daemon.store, pages=PagesConfig(data_dir=data, password_hasher=FAST))
    with TestClient(app, base_url=BASE, follow_redirects=False) as viewer:
        viewer.headers["origin"] = BASE
        assert login(viewer, "wei").status_code == 303
        page = html.unescape(viewer.get("/zones/z1").text)
    assert decision.reason in page
    exported = [r for r in iter_rows(daemon.store, "decisions") if r["zone"] == "z1"]
    assert decision.reason in [r["reason"] for r in exported]
