"""The learned moisture forecast over a real store: training, fall-backs, the planner's use."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from controller.agronomy.jobs import Agronomy
from controller.clock import SystemClock, VirtualClock
from controller.config.site import ConfigError, SiteConfig, ZoneConfig, load_site
from controller.daemon.daemon import Daemon
from controller.learning.forecast import ForecastChoice, ForecastLearning
from controller.store import Store, WaterBalanceDay
from drivers.reading import Quality, Reading
from models.crops import root_depth_m
from models.learning import model_file, save_model
from models.learning.forecast import FORMAT_VERSION, KIND, FutureDay, Validation, physics_path
from models.soils import SoilProfile, texture
from tests.helpers.site import DEMO_SITE
from tests.helpers.station import local, weather_day

START = dt.date(2026, 5, 1)
SEASON_D = 75  # seeded days: enough 72 h samples without a run in them


def seed_balance(store: Store, site: SiteConfig, zone: str, date: dt.date, fraction: float) -> None:
    z = next(z for z in site.zones if z.name == zone)
    c = site.crop(z.crop)
    taw = SoilProfile.uniform(texture(z.soil), c.root_depth_max_m).taw_mm(
        root_depth_m(c, float((date - z.planting_date).days))
    )
    store.add_water_balance(
        WaterBalanceDay(
            zone=zone, date=date, et0_mm=5, kc=1, etc_mm=5, eta_mm=5, rain_mm=0,
            effective_rain_mm=0, irrigation_mm=0, dr_start_mm=0, dr_end_mm=fraction * taw,
            taw_mm=taw, raw_mm=0.55 * taw, ks=1, method="seeded",
        )
    )  # fmt: skip


def with_forecast(site: SiteConfig, enabled: bool) -> SiteConfig:
    learning = site.model.learning.model_copy(
        update={"forecast": site.model.learning.forecast.model_copy(update={"enabled": enabled})}
    )
    return dataclasses.replace(site, model=site.model.model_copy(update={"learning": learning}))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(START, 0)))
    yield s
    s.close()


def zone1(site: SiteConfig) -> ZoneConfig:
    return next(z for z in site.zones if z.name == "z1")


def seed_history(store: Store, site: SiteConfig, days: int, offset_mm: float) -> None:
    """``days`` balance days of z1 from START, refilled to field capacity when Dr reaches
    RAW, and its probes reading a soil that dries 30 % faster than the balance, ``offset_mm``
    drier than it (a true field capacity below the configured one), in each day's last hour."""
    z = zone1(site)
    c = site.crop(z.crop)
    soil = SoilProfile.uniform(texture(z.soil), c.root_depth_max_m)
    fc = soil.layers[0].theta_fc
    dr = truth = 20.0
    water = 0.0
    for i in range(days):
        date = START + dt.timedelta(days=i)
        dap = (date - z.planting_date).days
        zr = root_depth_m(c, float(dap))
        taw = soil.taw_mm(zr)
        raw = 0.55 * taw
        et0 = 4.0 + (i % 3)
        start = dr
        dr = physics_path(dr, taw, raw, [FutureDay(et0, 0.0, water, 0.9)])[0]
        truth = min((0.0 if water > 0.0 else truth) + 1.3 * 0.9 * et0, taw)
        store.add_water_balance(
            WaterBalanceDay(
                zone="z1", date=date, et0_mm=et0, kc=0.9, etc_mm=0.9 * et0, eta_mm=0.9 * et0,
                rain_mm=0, effective_rain_mm=0, irrigation_mm=water / z.efficiency,
                dr_start_mm=start, dr_end_mm=dr, taw_mm=taw, raw_mm=raw, ks=1, method="seeded",
            )
        )  # fmt: skip
        theta_pct = 100.0 * (fc - (truth + offset_mm) / (1000.0 * zr))
        store.add_readings(
            Reading(f"probe1{ab}", "moisture", theta_pct, "%", Quality.OK, local(date, h))
            for ab in "ab"
            for h in (23.0, 23.5)
        )
        water = dr if dr >= raw else 0.0
    store.flush()


def learning(site: SiteConfig, store: Store, tmp_path: Path, today: dt.date) -> ForecastLearning:
    return ForecastLearning(lambda: site, store, lambda: local(today, 1), tmp_path / "models")


AHEAD = [FutureDay(5.0, 0.0, 0.0, 0.9)] * 3


def test_trained_on_a_biased_history_the_learned_forecast_is_used(
    store: Store, tmp_path: Path
) -> None:
    site = with_forecast(load_site(DEMO_SITE), True)
    seed_history(store, site, SEASON_D, offset_mm=15.0)
    today = START + dt.timedelta(days=SEASON_D)
    fl = learning(site, store, tmp_path, today)
    assert fl.train_all()["z1"].startswith(f"trained on {SEASON_D - 1} days")
    assert model_file(tmp_path / "models", KIND, "z1").is_file()
    choice = fl.forecast(zone1(site), today, 40.0, 150.0, 80.0, AHEAD)
    assert choice.used == "learned" and choice.learned_mm is not None
    # from the balance's 40 mm, the soil's own drying (1.3 · 0.9 · 5 mm/day), not the
    # probes' 15 mm offset on top
    assert choice.physics_mm == pytest.approx((44.5, 49.0, 53.5))
    assert choice.learned_mm == pytest.approx((45.85, 51.7, 57.55), abs=1.5)
    v = choice.validation[0]
    assert v["learned_mae_mm"] < v["physics_mae_mm"]
    page = fl.page("z1")
    assert page["forecast"]["used"] == "learned" and "trained on" in page["training"]
    assert not [e for e in store.events() if e.code == "model_unavailable"]


def test_too_little_data_is_physics_and_no_alarm(store: Store, tmp_path: Path) -> None:
    site = with_forecast(load_site(DEMO_SITE), True)
    seed_history(store, site, 8, offset_mm=15.0)
    today = START + dt.timedelta(days=8)
    fl = learning(site, store, tmp_path, today)
    assert fl.train_all()["z1"] == "too little data: 7 of 21 usable days with probes"
    choice = fl.forecast(zone1(site), today, 40.0, 150.0, 80.0, AHEAD)
    assert choice.used == "physics" and "too little data" in choice.reason
    assert choice.physics_mm == tuple(physics_path(40.0, 150.0, 80.0, AHEAD))
    assert not [e for e in store.events() if e.code == "model_unavailable"]


def test_a_model_of_another_version_is_refused_with_one_alarm(store: Store, tmp_path: Path) -> None:
    site = with_forecast(load_site(DEMO_SITE), True)
    seed_history(store, site, SEASON_D, offset_mm=15.0)
    today = START + dt.timedelta(days=SEASON_D)
    fl = learning(site, store, tmp_path, today)
    fl.train_all()
    trained = model_file(tmp_path / "models", KIND, "z1")
    good = fl._load("z1")
    save_model(
        tmp_path / "models",
        dataclasses.replace(good, format_version=FORMAT_VERSION + 1),
    )
    for _ in range(2):
        choice = fl.forecast(zone1(site), today, 40.0, 150.0, 80.0, AHEAD)
        assert choice.used == "physics" and "unavailable" in choice.reason
        assert choice.chosen_mm == choice.physics_mm
    alarms = [e for e in store.events() if e.code == "model_unavailable"]
    assert len(alarms) == 1
    assert alarms[0].source == "z1" and str(trained) in alarms[0].message


@pytest.mark.parametrize("old_format", [1, 2])
def test_a_model_of_an_older_format_is_refused_and_retrained(
    store: Store, tmp_path: Path, old_format: int
) -> None:
    """Format 1 learned the probes' depletion level, format 2 was used on any validation win
    over one block; a file of either is refused (physics, one alarm) and the next training
    replaces it with one of this format."""
    assert FORMAT_VERSION == 3
    site = with_forecast(load_site(DEMO_SITE), True)
    seed_history(store, site, SEASON_D, offset_mm=15.0)
    today = START + dt.timedelta(days=SEASON_D)
    fl = learning(site, store, tmp_path, today)
    fl.train_all()
    save_model(tmp_path / "models", dataclasses.replace(fl._load("z1"), format_version=old_format))
    choice = fl.forecast(zone1(site), today, 40.0, 150.0, 80.0, AHEAD)
    assert choice.used == "physics" and "unavailable" in choice.reason
    assert [e.code for e in store.events()] == ["model_unavailable"]
    fl = learning(site, store, tmp_path, today)
    assert fl.train_all()["z1"].startswith(f"trained on {SEASON_D - 1} days")
    assert fl._load("z1").format_version == FORMAT_VERSION
    assert fl.forecast(zone1(site), today, 40.0, 150.0, 80.0, AHEAD).used == "learned"


def test_a_corrupt_file_is_physics_with_an_alarm(store: Store, tmp_path: Path) -> None:
    site = with_forecast(load_site(DEMO_SITE), True)
    path = model_file(tmp_path / "models", KIND, "z1")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    fl = learning(site, store, tmp_path, START)
    choice = fl.forecast(zone1(site), START, 40.0, 150.0, 80.0, AHEAD)
    assert choice.used == "physics"
    assert [e.code for e in store.events()] == ["model_unavailable"]


def test_disabled_trains_nothing_and_says_physics(store: Store, tmp_path: Path) -> None:
    site = with_forecast(load_site(DEMO_SITE), False)
    seed_history(store, site, SEASON_D, offset_mm=15.0)
    fl = learning(site, store, tmp_path, START + dt.timedelta(days=SEASON_D))
    assert fl.train_all() == {}
    assert not (tmp_path / "models").exists()
    choice = fl.forecast(zone1(site), START, 40.0, 150.0, 80.0, AHEAD)
    assert choice.used == "physics" and "disabled" in choice.reason


def test_a_model_used_only_at_the_horizons_that_validated_better(
    store: Store, tmp_path: Path
) -> None:
    """Per horizon: a horizon whose learned MAE is not below physics' by its margin is
    physics, and so is every longer one (one path, day by day); with the 24 h one out the
    zone is physics only, chosen exactly FAO-56's."""
    site = with_forecast(load_site(DEMO_SITE), True)
    seed_history(store, site, SEASON_D, offset_mm=15.0)
    today = START + dt.timedelta(days=SEASON_D)
    fl = learning(site, store, tmp_path, today)
    fl.train_all()
    good = fl._load("z1")
    model = good.payload
    assert all(v.use_learned for v in model.validation)

    def within_margin(v: Validation) -> Validation:
        return dataclasses.replace(v, learned_mae_mm=v.physics_mae_mm - 0.5 * v.margin_mm)

    def forecast_with(*validation: Validation) -> ForecastChoice:
        payload = dataclasses.replace(model, validation=validation)
        save_model(tmp_path / "models", dataclasses.replace(good, payload=payload))
        return fl.forecast(zone1(site), today, 40.0, 150.0, 80.0, AHEAD)

    v24, v48, v72 = model.validation
    choice = forecast_with(v24, within_margin(v48), v72)
    assert choice.used == "learned"
    assert choice.reason.startswith("learned forecast validated better at 24 h (")
    assert choice.learned_mm is not None
    assert choice.chosen_mm == (choice.learned_mm[0], *choice.physics_mm[1:])
    choice = forecast_with(within_margin(v24), v48, v72)
    assert choice.used == "physics" and "no better than physics" in choice.reason
    assert choice.chosen_mm == choice.physics_mm


# -- the planner -----------------------------------------------------------------------------


class Fake:
    """A forecaster at the planner's seam: the learned forecast ``extra_mm`` drier at 24 h."""

    def __init__(self, enabled: bool, used: str, extra_mm: float) -> None:
        self.enabled = enabled
        self.used = used
        self.extra_mm = extra_mm
        self.asked = 0

    def forecast(
        self,
        zone: ZoneConfig,
        today: dt.date,
        dr_mm: float,
        taw_mm: float,
        raw_mm: float,
        ahead: Sequence[FutureDay],
    ) -> ForecastChoice:
        self.asked += 1
        physics = tuple(physics_path(dr_mm, taw_mm, raw_mm, ahead))
        learned = tuple(p + self.extra_mm for p in physics)
        return ForecastChoice(
            zone.name, self.used, "test", (24, 48, 72), physics, learned,  # type: ignore[arg-type]
            (True, True, True),
        )  # fmt: skip


def plan_z1(tmp_path: Path, forecaster: Fake | None) -> dict[str, object]:
    site = load_site(DEMO_SITE)
    clock = VirtualClock(local(dt.date(2026, 6, 1), 0))
    with Store(f"sqlite:///{tmp_path / f'p{id(forecaster)}.db'}", clock=clock) as store:
        agro = Agronomy(site, store, clock)
        agro.planning.forecaster = forecaster
        for d in range(4):
            weather_day(store, dt.date(2026, 6, 1) + dt.timedelta(days=d))
        day = dt.date(2026, 6, 4)
        seed_balance(store, site, "z1", day, 0.3)
        runs = agro.plan_all(local(day, 18))
        z1 = next(d for d in store.decisions() if d.zone == "z1")
        return {
            "runs": [(r.start, r.duration_min) for r in runs if r.zone == "z1"],
            "action": z1.action,
            "reason": z1.reason,
            "inputs": z1.inputs,
        }


def test_the_planner_uses_the_learned_forecast_only_when_enabled_and_chosen(
    tmp_path: Path,
) -> None:
    plain = plan_z1(tmp_path, None)
    assert plain["action"] != "irrigate"  # 0.3 TAW: not triggered today by physics
    disabled = Fake(enabled=False, used="learned", extra_mm=60.0)
    assert plan_z1(tmp_path, disabled) == plain and disabled.asked == 0
    physics = Fake(enabled=True, used="physics", extra_mm=60.0)
    seen = plan_z1(tmp_path, physics)
    assert physics.asked >= 1  # once per ET zone
    assert seen["runs"] == plain["runs"] and seen["action"] == plain["action"]
    assert seen["inputs"]["moisture_forecast"]["used"] == "physics"  # type: ignore[index]
    learned = plan_z1(tmp_path, Fake(enabled=True, used="learned", extra_mm=60.0))
    assert learned["action"] == "irrigate" and learned["runs"]  # the learned path triggers
    assert learned["inputs"]["moisture_forecast"]["used"] == "learned"  # type: ignore[index]
    assert "learned moisture forecast" in str(learned["reason"])


# -- configuration ---------------------------------------------------------------------------


def test_learning_forecast_keys_are_validated_by_key_path(tmp_path: Path) -> None:
    text = DEMO_SITE.read_text(encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text(text + '\n[learning.forecast]\nenabled = true\ntrain_time = "02:05"\n')
    assert load_site(good).learning.forecast.enabled
    assert not load_site(DEMO_SITE).learning.forecast.enabled  # off unless asked
    bad = tmp_path / "bad.toml"
    bad.write_text(text + '\n[learning.forecast]\nenabled = "maybe"\ntrain_time = "25:00"\n')
    with pytest.raises(ConfigError) as err:
        load_site(bad)
    problems = "\n".join(err.value.problems)
    assert "learning.forecast.enabled" in problems and "learning.forecast.train_time" in problems


def test_the_daemon_schedules_training_only_when_enabled(tmp_path: Path) -> None:
    with Store.open_dir(tmp_path / "data") as store:
        off = Daemon(load_site(DEMO_SITE), store, SystemClock())
        assert not [j for j in off.jobs() if j.name.startswith("learn:")]
        site = with_forecast(load_site(DEMO_SITE), True)
        on = Daemon(site, store, SystemClock())
        (job,) = [j for j in on.jobs() if j.name == "learn:forecast"]
        assert job.kind == "task" and job.cron == {"hour": 1, "minute": 20}
        assert on.agronomy.planning.forecaster is on.forecast_learning
        assert on.forecast_learning.models_dir == (tmp_path / "data").resolve() / "models"
        # no history yet: said per zone with probes, nothing raised, nothing alarmed
        assert job.func() == {
            z: "too little data: 0 of 21 usable days with probes" for z in ("z1", "z2", "z3")
        }
        assert not [e for e in store.events() if e.code == "model_unavailable"]


def test_today_s_probes_are_read_up_to_now_for_the_planner(store: Store, tmp_path: Path) -> None:
    """At the planner's 18:00 the day's last hour has not come: its last hour before now
    stands for it, so the forecast sees the probes' gap to the balance as training did."""
    site = with_forecast(load_site(DEMO_SITE), True)
    seed_history(store, site, 1, offset_mm=15.0)  # readings at 23:00 and 23:30 of START
    store.add_readings(
        Reading(f"probe1{ab}", "moisture", 20.0, "%", Quality.OK, local(START, 17.5)) for ab in "ab"
    )
    store.flush()
    fl = learning(site, store, tmp_path, START)
    (evening,) = fl.history(zone1(site), START, START)
    (before_six,) = fl.history(zone1(site), START, START, until=local(START, 18))
    assert evening.observed_mm is not None and before_six.observed_mm is not None
    assert before_six.observed_mm != pytest.approx(evening.observed_mm)
    (too_early,) = fl.history(zone1(site), START, START, until=local(START, 12))
    assert too_early.observed_mm is None
