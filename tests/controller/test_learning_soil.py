"""The soil fit over a real store: dry-downs from balance days and calibrated probes, the
proposal on disk, too little data, a bad proposal file, and the daemon's job."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.clock import SystemClock, VirtualClock
from controller.config import overrides
from controller.config.site import KC_FACTOR_RANGE, SiteConfig, ZoneConfig, load_site
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import ControlRefused
from controller.daemon.service import DaemonService
from controller.learning.calibration import ProbeCalibrations
from controller.learning.soil import SoilLearning, SoilProposal
from controller.store import Store, WaterBalanceDay
from drivers.reading import Quality, Reading
from models.crops import root_depth_m
from models.learning import model_file
from models.learning.soil import KIND
from tests.helpers.site import DEMO_SITE

START = dt.date(2026, 6, 10)  # z1 (seed corn, planted 20 April) has its roots down
TZ = dt.timezone(dt.timedelta(hours=8))
TRUE_FC, TRUE_WP = 0.21, 0.11  # the truth holds less than the configured loam


def local(date: dt.date, hour: float) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(0), tzinfo=TZ) + dt.timedelta(hours=hour)


def with_soil(site: SiteConfig, enabled: bool = True) -> SiteConfig:
    learning = site.model.learning.model_copy(
        update={"soil": site.model.learning.soil.model_copy(update={"enabled": enabled})}
    )
    return dataclasses.replace(site, model=site.model.model_copy(update={"learning": learning}))


def zone1(site: SiteConfig) -> ZoneConfig:
    return next(z for z in site.zones if z.name == "z1")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(START, 0)))
    yield s
    s.close()


def seed_season(store: Store, site: SiteConfig, days: int) -> int:
    """``days`` balance days of z1 from START, a run (45 mm net) whenever the true soil has
    dried past 60 % of its TAW, and both probes reading θwp + A / (1000 z) in each day's
    last hour (z = 0.6 Zr: the water reaches the probes first). Returns the runs."""
    z = zone1(site)
    c = site.crop(z.crop)
    a_mm, water, runs = 50.0, 0.0, 0
    for i in range(days):
        date = START + dt.timedelta(days=i)
        zr = float(root_depth_m(c, float((date - z.planting_date).days)))
        taw = 1000.0 * (TRUE_FC - TRUE_WP) * zr
        et0 = 5.0 + (i % 3) * 0.5
        a_mm = min(a_mm + water, taw)
        knee = 0.45 * taw
        for _ in range(4):
            ks = 1.0 if a_mm >= knee else a_mm / knee
            a_mm -= min(ks * 1.1 * 1.0 * et0 / 4, a_mm)
        store.add_water_balance(
            WaterBalanceDay(
                zone="z1", date=date, et0_mm=et0, kc=1.0, etc_mm=et0, eta_mm=et0, rain_mm=0,
                effective_rain_mm=0, irrigation_mm=water / z.efficiency, dr_start_mm=0,
                dr_end_mm=0, taw_mm=taw, raw_mm=0.55 * taw, ks=1, method="seeded",
            )
        )  # fmt: skip
        theta_pct = 100.0 * (TRUE_WP + a_mm / (1000.0 * 0.6 * zr))
        store.add_readings(
            Reading(f"probe1{ab}", "moisture", theta_pct, "%", Quality.OK, local(date, h))
            for ab in "ab"
            for h in (23.0, 23.5)
        )
        water = 45.0 if a_mm < 0.4 * taw else 0.0
        runs += water > 0
    store.flush()
    return runs


def learning(site: SiteConfig, store: Store, tmp_path: Path, today: dt.date) -> SoilLearning:
    return SoilLearning(
        lambda: site, store, ProbeCalibrations(store), lambda: local(today, 1), tmp_path / "m"
    )


def test_too_little_data_proposes_nothing_and_raises_nothing(store: Store, tmp_path: Path) -> None:
    site = with_soil(load_site(DEMO_SITE))
    seed_season(store, site, 20)
    sl = learning(site, store, tmp_path, START + dt.timedelta(days=20))
    drydowns, _ = sl.drydowns(zone1(site), START, START + dt.timedelta(days=19))
    assert len(drydowns) < 3
    out = sl.propose_all()
    assert out["z1"] == f"too little data: {len(drydowns)} of 3 dry-downs with probes"
    assert sl.proposal("z1") is None
    assert not model_file(tmp_path / "m", KIND, "z1").exists()
    assert not [e for e in store.events() if e.code == "model_unavailable"]


def test_a_season_of_dry_downs_gives_a_proposal_with_its_evidence(
    store: Store, tmp_path: Path
) -> None:
    site = with_soil(load_site(DEMO_SITE))
    runs = seed_season(store, site, 60)
    assert runs >= 5
    today = START + dt.timedelta(days=60)
    sl = learning(site, store, tmp_path, today)
    out = sl.propose_all()
    assert out["z1"].startswith("fitted on ") and "waiting for approval" in out["z1"]
    proposal = sl.proposal("z1")
    assert isinstance(proposal, SoilProposal) and proposal.n_drydowns >= 3
    assert model_file(tmp_path / "m", KIND, "z1").exists()
    # before: the configured loam; after: nearer the truth's θwp, each with an uncertainty
    assert proposal.before.wp_m3m3 == pytest.approx(0.12, abs=0.03)
    assert proposal.after.wp_m3m3 == pytest.approx(TRUE_WP, abs=0.02)
    assert proposal.after.taw_se_mm > 0 and proposal.after.kc_factor_se > 0
    settings = proposal.overrides()
    assert set(settings) == {"soil_fc_m3m3", "soil_wp_m3m3", "kc_factor"}
    assert KC_FACTOR_RANGE[0] <= settings["kc_factor"] <= KC_FACTOR_RANGE[1]
    numbers = sl.page("z1")["proposal"]
    assert numbers is not None and len(numbers["curves"]) == proposal.n_drydowns
    curve = numbers["curves"][0]
    assert len(curve["dates"]) == len(curve["observed_pct"]) == len(curve["fitted_pct"])
    assert curve["fitted_pct"][0] is None and curve["fitted_pct"][-1] is not None
    # nothing changed: the fit is a proposal
    assert zone1(site).soil_fc_m3m3 is None and zone1(site).kc_factor == 1.0


def test_a_bad_proposal_file_leaves_the_configured_soil_with_an_alarm(
    store: Store, tmp_path: Path
) -> None:
    site = with_soil(load_site(DEMO_SITE))
    sl = learning(site, store, tmp_path, START)
    path = model_file(tmp_path / "m", KIND, "z1")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    assert sl.proposal("z1") is None
    assert sl.proposal("z1") is None  # once per cause
    (event,) = [e for e in store.events() if e.code == "model_unavailable"]
    assert event.source == "z1" and "unreadable" in event.message
    assert "configured soil stays" in event.message


def test_a_fit_that_fails_raises_model_unavailable_once(store: Store, tmp_path: Path) -> None:
    site = with_soil(load_site(DEMO_SITE))
    seed_season(store, site, 60)
    day = START + dt.timedelta(days=40)
    store.add_readings(  # probes stuck at 100 % through an evening: no soil holds that
        Reading(f"probe1{ab}", "moisture", 100.0, "%", Quality.OK, local(day, 23.05 + m / 100))
        for m in range(10)
        for ab in "ab"
    )
    store.flush()
    sl = learning(site, store, tmp_path, START + dt.timedelta(days=60))
    first = sl.propose_all()["z1"]
    assert first.startswith("failed: ") and "m³/m³" in first
    sl.propose_all()
    (event,) = [e for e in store.events() if e.code == "model_unavailable"]
    assert "soil fit fitting failed" in event.message and sl.proposal("z1") is None


def test_the_daemon_schedules_the_fit_only_when_enabled(tmp_path: Path) -> None:
    with Store.open_dir(tmp_path / "data") as store:
        off = Daemon(load_site(DEMO_SITE), store, SystemClock())
        assert not [j for j in off.jobs() if j.name == "learn:soil"]
        on = Daemon(with_soil(load_site(DEMO_SITE)), store, SystemClock())
        (job,) = [j for j in on.jobs() if j.name == "learn:soil"]
        assert job.kind == "task" and job.cron == {"hour": 1, "minute": 40}
        assert on.soil_learning.models_dir == (tmp_path / "data").resolve() / "models"
        assert on.soil_learning.probes is on.agronomy.probes
        assert job.func() == {
            z: "too little data: 0 of 3 dry-downs with probes" for z in ("z1", "z2", "z3")
        }
        assert not [e for e in store.events() if e.code == "model_unavailable"]


def test_an_admin_approval_writes_the_zone_s_settings_and_the_balance_uses_them(
    tmp_path: Path,
) -> None:
    site = with_soil(load_site(DEMO_SITE))
    data = tmp_path / "data"
    with Store.open_dir(data) as store:
        seed_season(store, site, 60)
        daemon = Daemon(site, store, VirtualClock(local(START + dt.timedelta(days=60), 1)))
        service = DaemonService(daemon, data_dir=data)
        assert service.soil_fit("z1")["proposal"] is None
        daemon.soil_learning.propose_all()
        shown = service.soil_fit("z1")
        assert shown["enabled"] and shown["in_use"]["approved"] is False
        proposal = daemon.soil_learning.proposal("z1")
        assert proposal is not None and shown["proposal"]["fitted_at"] == (
            proposal.fitted_at.isoformat()
        )
        with pytest.raises(ControlRefused) as stale:
            service.approve_soil("z1", proposal.fitted_at - dt.timedelta(days=1), "ada")
        assert stale.value.code == "stale_proposal"
        with pytest.raises(ControlRefused) as none:
            service.approve_soil("z2", proposal.fitted_at, "ada")
        assert none.value.code == "no_proposal"
        written = service.approve_soil("z1", proposal.fitted_at, "ada")
        assert written == proposal.overrides()
        z1 = zone1(daemon.site)
        assert (z1.soil_fc_m3m3, z1.soil_wp_m3m3, z1.kc_factor) == (
            written["soil_fc_m3m3"],
            written["soil_wp_m3m3"],
            written["kc_factor"],
        )
        # the balance's soil is the approved one, kept across a restart in the overrides
        model = daemon.agronomy.zone_model(z1)
        assert model.soil.layers[0].theta_fc == written["soil_fc_m3m3"]
        assert overrides.load(data)["zones"]["z1"] == written
        assert service.soil_fit("z1")["in_use"]["approved"] is True
        (audit,) = [a for a in store.rows_after("audit", 0) if a.action == "soil.approve"]  # type: ignore[attr-defined]
        assert audit.actor == "ada" and audit.detail["kc_factor"] == written["kc_factor"]
