"""The season's salt in the savings ledger: the site key, the EC meter, the leaching needed,
over a real store; and the config errors of the new keys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from controller.agronomy.salt import MIN_METER_READINGS
from controller.agronomy.savings import savings_to_date
from controller.clock import VirtualClock
from controller.config.site import M2_PER_MU, ConfigError, SiteConfig, load_site
from controller.store import RunState, Store
from drivers.reading import Quality, Reading
from models.crops import crop
from models.salt import leaching_requirement, salt_season
from models.soils import SoilProfile, texture
from tests.helpers.ledger import add_quiet_day
from tests.helpers.site import DEMO_SITE, on_free_ports

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 25, 12, tzinfo=TZ)
SITE_LINE = 'timezone = "Asia/Shanghai"\n'


def _site(tmp_path: Path, site_keys: str = "", extra: str = "") -> SiteConfig:
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    assert SITE_LINE in text
    text = text.replace(SITE_LINE, SITE_LINE + site_keys, 1) + extra
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


def _run(
    store: Store, zone: str, m3: float, ec: list[float] | None = None, fertilizer: bool = False
) -> None:
    """A run of ``m3``; ``ec``: the line EC meter's readings while it waters, 10 s apart."""
    clock = store.clock
    assert isinstance(clock, VirtualClock)
    run = store.plan_run(zone, "plan", 60.0)
    assert run.id is not None
    store.start_run(run.id)
    start = clock.now()
    if ec:
        store.add_readings(
            Reading("ec1", "ec", v, "mS/cm", Quality.OK, start + dt.timedelta(seconds=10 * k))
            for k, v in enumerate(ec)
        )
        store.flush()
    clock.advance(600)
    store.update_run_progress(run.id, m3)
    store.finish_run(run.id, RunState.DONE, "done", m3, {"N": 1.0} if fertilizer else None)


def _fc_mm(zone_soil: str) -> float:
    depth = crop("seed_corn").root_depth_max_m
    return SoilProfile.uniform(texture(zone_soil), depth).field_capacity_mm(0.0, depth)


def test_leaching_needed_is_lr_times_the_season_water_without_drainage(tmp_path: Path) -> None:
    site = _site(tmp_path, "irrigation_water_ec_ds_m = 0.6\n")
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", 1000.0)  # 60 mm over 25 mu
        report = savings_to_date(site, store, clock.now())
    z1 = next(z for z in report.zones if z.zone == "z1")
    assert z1.salt is not None
    lr = 0.6 / (5 * 1.7 - 0.6)  # FAO-29 eq. 7, seed corn ECe 1.7
    water_mm = 1000.0 / (25 * M2_PER_MU) * 1000.0
    assert z1.salt.season_water_mm == pytest.approx(water_mm)
    assert z1.salt.leaching_requirement == pytest.approx(lr)
    assert z1.salt.leaching_mm == pytest.approx(lr * water_mm)
    assert z1.leaching_m3_per_mu == pytest.approx(lr * 40.0)  # 40 m³/mu applied
    # charged to the season in place of the practice's winter irrigation
    assert z1.saving_m3_per_mu == pytest.approx(100 + 85 - 40.0 - lr * 40.0)
    # the root zone started at 1.5 ECw and got saltier; the line says it all
    assert z1.salt.ece_start_ds_m == pytest.approx(0.9)
    assert z1.salt.ece_now_ds_m > 0.9
    assert z1.salt.ec_water_source == "site"
    line = z1.salt.describe()
    assert "leaching needed" in line and "ECw 0.60" in line and "LR 0.076" in line
    assert "against the crop's 1.7" in line
    # z2 had no water: nothing to leach
    z2 = next(z for z in report.zones if z.zone == "z2")
    assert z2.salt is not None and z2.leaching_m3_per_mu == 0.0
    assert report.leaching_m3_per_mu == pytest.approx(
        sum(z.leaching_m3_per_mu * z.area_mu for z in report.zones)
        / sum(z.area_mu for z in report.zones)
    )
    assert any("FAO-29" in a and "0.60" in a for a in report.assumptions)


def test_drainage_in_the_season_counts_for_the_salt_it_carried_out(tmp_path: Path) -> None:
    site = _site(tmp_path, "irrigation_water_ec_ds_m = 0.6\nsoil_ece_spring_ds_m = 1.2\n")
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", 1000.0)
        add_quiet_day(store, "z1", dt.date(2026, 6, 25), deep_percolation_mm=15.0)
        report = savings_to_date(site, store, clock.now())
    salt = next(z for z in report.zones if z.zone == "z1").salt
    assert salt is not None
    days = (dt.date(2026, 6, 25) - dt.date(2026, 4, 20)).days + 1
    water = [0.0] * (days - 1) + [1000.0 / (25 * M2_PER_MU) * 1000.0]
    drained = [0.0] * (days - 1) + [15.0]
    season = salt_season(water, drained, 0.6, _fc_mm("loam"), 1.2)
    lr = leaching_requirement(0.6, 1.7)
    assert salt.drainage_mm == 15.0
    assert salt.ece_start_ds_m == pytest.approx(1.2)
    assert salt.salt_out_g_m2 == pytest.approx(season.salt_out_g_m2)
    assert salt.leaching_mm == pytest.approx(season.salt_gain_g_m2 * lr / (0.64 * 0.6))
    assert salt.leaching_mm < lr * water[-1]


def test_fresh_water_needs_no_leaching(tmp_path: Path) -> None:
    site = _site(tmp_path, "irrigation_water_ec_ds_m = 0.0\n")
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", 1000.0)
        report = savings_to_date(site, store, clock.now())
    z1 = next(z for z in report.zones if z.zone == "z1")
    assert z1.salt is not None and z1.salt.leaching_mm == 0.0 and z1.salt.ece_now_ds_m == 0.0
    assert z1.saving_m3_per_mu == pytest.approx(100 + 85 - 40.0)


def test_no_water_ec_no_salt_balance_and_the_ledger_says_so(tmp_path: Path) -> None:
    site = _site(tmp_path)
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", 1000.0)
        report = savings_to_date(site, store, clock.now())
    assert all(z.salt is None and z.leaching_m3_per_mu == 0.0 for z in report.zones)
    assert any("not known" in a and "irrigation_water_ec_ds_m" in a for a in report.assumptions)


def test_the_ec_meter_measures_the_water_when_the_site_does_not_say(tmp_path: Path) -> None:
    """Plain-water runs' readings count; readings during a fertigation run do not."""
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", 500.0, ec=[0.7, 0.8, 0.9])
        _run(store, "z2", 500.0, ec=[2.5, 2.6, 2.7], fertilizer=True)
        measured = savings_to_date(_site(tmp_path), store, clock.now())
        configured = savings_to_date(
            _site(tmp_path, "irrigation_water_ec_ds_m = 1.0\n"), store, clock.now()
        )
    z1 = next(z for z in measured.zones if z.zone == "z1").salt
    assert z1 is not None and z1.ec_water_source == "meter"
    assert z1.ec_water_ds_m == pytest.approx(0.8)
    assert "EC meter" in z1.describe()
    # a configured value wins; the meter's mean is shown beside it
    z1 = next(z for z in configured.zones if z.zone == "z1").salt
    assert z1 is not None and z1.ec_water_source == "site"
    assert (z1.ec_water_ds_m, z1.ec_meter_ds_m) == (1.0, pytest.approx(0.8))


def test_a_fertigation_run_in_progress_does_not_move_the_salt_or_the_saving(
    tmp_path: Path,
) -> None:
    """Its fertilizer is recorded when it ends: until then its injection readings must not
    pass for the water's EC, and at its end the ended-run rule (no fertilizer) holds."""
    site = _site(tmp_path)
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", 500.0, ec=[0.6, 0.6, 0.6])
        before = savings_to_date(site, store, clock.now())
        run = store.plan_run("z3", "plan", 60.0)
        assert run.id is not None
        store.start_run(run.id, "inject")
        store.add_readings(
            Reading("ec1", "ec", v, "mS/cm", Quality.OK, clock.now() + dt.timedelta(seconds=k))
            for k, v in enumerate([0.79] * 20)
        )
        store.flush()
        clock.advance(600)
        store.update_run_progress(run.id, 100.0)
        during = savings_to_date(site, store, clock.now())
        store.finish_run(run.id, RunState.DONE, "done", 100.0, {"N": 1.0})
        after = savings_to_date(site, store, clock.now())
    z1 = [next(z for z in r.zones if z.zone == "z1") for r in (before, during, after)]
    assert [z.salt.ec_water_ds_m if z.salt else None for z in z1] == [pytest.approx(0.6)] * 3
    assert z1[0].leaching_m3_per_mu > 0
    assert z1[1].leaching_m3_per_mu == z1[0].leaching_m3_per_mu
    assert z1[2].leaching_m3_per_mu == z1[0].leaching_m3_per_mu
    assert during.leaching_m3_per_mu == after.leaching_m3_per_mu
    assert during.saving_m3_per_mu == pytest.approx(after.saving_m3_per_mu)


@pytest.mark.parametrize("phase", ["prewet", "inject", "flush"])
def test_a_fertigation_run_ended_interrupted_without_fertilizer_is_not_the_water(
    tmp_path: Path, phase: str
) -> None:
    """A crash mid-injection: the restart ends the run ``interrupted``, no fertilizer
    recorded; its phase says it had a recipe, so its injection EC is not the water's."""
    site = _site(tmp_path)
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", 500.0, ec=[0.6, 0.6, 0.6])
        before = savings_to_date(site, store, clock.now())
        run = store.plan_run("z3", "plan", 60.0)
        assert run.id is not None
        store.start_run(run.id, phase)
        store.add_readings(
            Reading("ec1", "ec", 2.4, "mS/cm", Quality.OK, clock.now() + dt.timedelta(seconds=k))
            for k in range(20)
        )
        store.flush()
        clock.advance(600)
        store.finish_run(run.id, RunState.INTERRUPTED, "daemon restarted during the run")
        after = savings_to_date(site, store, clock.now())
    z1 = [next(z for z in r.zones if z.zone == "z1") for r in (before, after)]
    assert [z.salt.ec_water_ds_m if z.salt else None for z in z1] == [pytest.approx(0.6)] * 2
    assert z1[1].leaching_m3_per_mu == z1[0].leaching_m3_per_mu


def test_a_plain_run_counts_for_the_water_once_it_has_ended(tmp_path: Path) -> None:
    site = _site(tmp_path)
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        run = store.plan_run("z1", "plan", 60.0)
        assert run.id is not None
        store.start_run(run.id)
        store.add_readings(
            Reading("ec1", "ec", 0.7, "mS/cm", Quality.OK, clock.now() + dt.timedelta(seconds=k))
            for k in range(MIN_METER_READINGS)
        )
        store.flush()
        clock.advance(600)
        during = savings_to_date(site, store, clock.now())
        store.finish_run(run.id, RunState.DONE, "done", 500.0)
        after = savings_to_date(site, store, clock.now())
    assert all(z.salt is None for z in during.zones)
    salt = next(z for z in after.zones if z.zone == "z1").salt
    assert salt is not None and salt.ec_water_ds_m == pytest.approx(0.7)


def test_too_few_meter_readings_are_not_a_measure(tmp_path: Path) -> None:
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", 500.0, ec=[0.5] * (MIN_METER_READINGS - 1))
        report = savings_to_date(_site(tmp_path), store, clock.now())
    assert all(z.salt is None for z in report.zones)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("irrigation_water_ec_ds_m = -0.5\n", "site.irrigation_water_ec_ds_m"),
        ('irrigation_water_ec_ds_m = "0.6"\n', "site.irrigation_water_ec_ds_m"),
        ("irrigation_water_ec_ds_m = 11.0\n", "site.irrigation_water_ec_ds_m"),
        ("soil_ece_spring_ds_m = -1.0\n", "site.soil_ece_spring_ds_m"),
        ("irrigation_water_ec_ds_m = nan\n", "site.irrigation_water_ec_ds_m"),
    ],
)
def test_bad_salt_keys_are_refused_naming_the_key(tmp_path: Path, keys: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        _site(tmp_path, keys)
    assert any(p.startswith(expected) and "site.toml" in p for p in err.value.problems)


def test_water_too_salty_for_a_crop_is_refused_naming_the_zone(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        _site(tmp_path, "irrigation_water_ec_ds_m = 8.5\n")
    text = "\n".join(err.value.problems)
    assert "site.irrigation_water_ec_ds_m: 8.5 dS/m is too salty for zones[0] (seed_corn" in text
    assert "5 × ECe = 8.5" in text
    assert _site(tmp_path, "irrigation_water_ec_ds_m = 8.4\n").site.irrigation_water_ec_ds_m == 8.4


def test_the_boxs_season_report_carries_the_leaching_line(tmp_path: Path) -> None:
    from controller.cli import main

    data = tmp_path / "box"
    with Store.open_dir(data, clock=VirtualClock(NOW)) as store:
        _run(store, "z1", 1000.0)
        add_quiet_day(store, "z1", NOW.date(), deep_percolation_mm=0.0)
    _site(tmp_path, "irrigation_water_ec_ds_m = 0.6\n")  # written to tmp_path/site.toml
    out = tmp_path / "season.html"
    args = ["report", "--config", str(tmp_path / "site.toml"), "--data-dir", str(data)]
    assert main([*args, "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "z1: leaching needed 5 mm (3 m³/mu): ECw 0.60 dS/m (site file), LR 0.076" in html
    # a day range is not a season: no leaching line
    assert main([*args, "--start", "2026-06-01", "--end", "2026-06-30", "--out", str(out)]) == 0
    assert "leaching needed" not in out.read_text(encoding="utf-8")
    _site(tmp_path)  # the water's EC not known: no line
    assert main([*args, "--out", str(out)]) == 0
    assert "leaching needed" not in out.read_text(encoding="utf-8")


def test_api_savings_carries_the_salt_through_the_daemon_service(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from controller.daemon.daemon import Daemon
    from controller.daemon.service import DaemonService
    from controller.runtime.fieldio import FieldIO
    from web.app import create_app

    site = _site(tmp_path, "irrigation_water_ec_ds_m = 0.6\n")
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z2", 500.0)  # 20 m³/mu
        token = store.create_token("viewer", "viewer")[1]
        daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O
        client = TestClient(create_app(DaemonService(daemon), store))
        body = client.get("/api/v1/savings", headers={"Authorization": f"Bearer {token}"}).json()
    z2 = next(z for z in body["zones"] if z["zone"] == "z2")
    lr = 0.6 / 7.9
    assert z2["leaching_m3_per_mu"] == pytest.approx(lr * 20.0)
    assert z2["salt"]["leaching_requirement"] == pytest.approx(lr)
    assert z2["salt"]["ec_water_source"] == "site" and z2["salt"]["problem"] == ""
    assert z2["salt"]["ece_threshold_ds_m"] == 1.7
    assert body["leaching_m3_per_mu"] == pytest.approx(lr * 20.0 / 4)  # four zones of 25 mu


def test_a_measured_water_too_salty_for_the_crop_is_stated_not_raised(tmp_path: Path) -> None:
    """The site file's value is checked at load; the meter's is not: the ledger says why it
    has no leaching figure, and the pages go on."""
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", 500.0, ec=[9.0, 9.2, 9.4])
        report = savings_to_date(_site(tmp_path), store, clock.now())
    z1 = next(z for z in report.zones if z.zone == "z1")
    assert z1.salt is not None and "ECw < 5 ECe" in z1.salt.problem
    assert z1.leaching_m3_per_mu == 0.0 and z1.salt.leaching_mm == 0.0
    assert "leaching not computed" in z1.salt.describe()


def test_the_overview_the_board_and_the_api_say_one_figure_through_a_fertigation_run(
    tmp_path: Path,
) -> None:
    """The figures a fertigation run in progress once moved (the leaching water, the saving)
    read the same on the overview, the public board and GET /api/v1/savings, during the run
    and after it, from the daemon's one ledger."""
    import re

    from controller.access.accounts import Accounts
    from controller.daemon.daemon import Daemon
    from controller.daemon.service import DaemonService
    from controller.runtime.fieldio import FieldIO
    from tests.helpers.pages import FAST, PASSWORD, login, page_client
    from web.app import create_app
    from web.pages import PagesConfig

    site = _site(tmp_path)
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        _run(store, "z1", 1000.0, ec=[0.6, 0.6, 0.6])  # the water's EC, measured
        token = store.create_token("viewer", "viewer")[1]
        Accounts(store, hasher=FAST).create_user("wei", PASSWORD, "viewer")
        daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O
        pages = PagesConfig(data_dir=tmp_path / "data", password_hasher=FAST, board_public=True)
        app = create_app(DaemonService(daemon), store, pages=pages)
        run = store.plan_run("z3", "plan", 60.0)
        assert run.id is not None

        def figures() -> tuple[tuple[str, str], ...]:
            with page_client(app) as client:
                api = client.get(
                    "/api/v1/savings", headers={"Authorization": f"Bearer {token}"}
                ).json()
                board = client.get("/board").text
                assert login(client, "wei").status_code == 303
                overview = client.get("/").text
            said = (
                f"{api['leaching_m3_per_mu']:.0f} m³/亩",
                f"{api['saving_m3_per_mu']:.0f} m³/亩",
            )
            leach = re.search(r"已扣除季后需淋洗水量 ([\d.]+ m³/亩)", board)
            saved = re.search(r'id="board-saved-per-mu">([^<]+)<', board)
            assert leach and saved, board
            o_leach = re.search(r'id="leaching-per-mu">([^<]+)<', overview)
            o_saved = re.search(r'id="saving-per-mu">([^<]+)<', overview)
            assert o_leach and o_saved
            assert (leach.group(1), saved.group(1)) == said
            assert (o_leach.group(1), o_saved.group(1)) == said
            return said, (str(api["zones"][0]["salt"]["ec_water_ds_m"]),)

        before = figures()
        store.start_run(run.id, "inject")
        store.add_readings(
            Reading("ec1", "ec", 2.4, "mS/cm", Quality.OK, clock.now() + dt.timedelta(seconds=k))
            for k in range(30)
        )
        store.flush()
        clock.advance(600)
        during = figures()
        store.finish_run(run.id, RunState.DONE, "done", 0.0, {"N": 1.0})
        after = figures()
    assert before == during == after
    assert before[1] == ("0.6",)
