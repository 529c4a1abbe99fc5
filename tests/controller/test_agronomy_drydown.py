"""A calibration dry-down: the refill held below RAW once, outside critical periods."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.drydown import DryDownState, DryDownStates, days_to_target, hold_triggers
from controller.agronomy.jobs import Agronomy
from controller.clock import VirtualClock
from controller.config import overrides
from controller.config.site import ConfigError, SiteConfig, apply_overrides, load_site
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import ControlRefused, SettingsInvalid
from controller.daemon.service import DaemonService
from controller.store import Decision, RunSource, RunState, Store
from models.crops import crop, kc_on_day
from tests.helpers.agronomy import hold_under_way, local, seed_balance, weather_day
from tests.helpers.site import DEMO_SITE

DAY = dt.date(2026, 6, 1)  # z1 (seed corn, planted 20 April): crop day 42, vegetative
SEED_CORN = crop("seed_corn")
LAST_VEGETATIVE = 78  # flowering (critical) from crop day 79


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    return load_site(DEMO_SITE)


def _asked(site: SiteConfig, fraction: float | None = 0.8) -> SiteConfig:
    return apply_overrides(site, {"zones": {"z1": {"calibration_dry_down": fraction}}})


def _hold(
    site: SiteConfig,
    stored: DryDownState | None,
    *,
    crop_day: int = 42,
    dr_fraction: float = 0.5,
    distrust: str | None = None,
    roots_m: float = 0.6,
    et0_mm_day: float = 5.0,
    today: dt.date = DAY,
    watered: bool = True,
) -> tuple[tuple[float, ...], str, DryDownState | None]:
    zone = site.zones[0]
    hold, state = hold_triggers(
        zone,
        stored,
        SEED_CORN,
        crop_day,
        (0.5, 0.5, 0.5, 0.5),
        dr_mm=dr_fraction * 100.0,
        taw_mm=100.0,
        root_depth_m=roots_m,
        today=today,
        distrust=distrust,
        et0_mm_day=et0_mm_day,
        refill_fraction=0.15,
        watered=watered,
    )
    return hold.mad_fraction, hold.note, state


# -- the rule ---------------------------------------------------------------------------------


def test_without_a_request_nothing_changes(demo: SiteConfig) -> None:
    mad, note, state = _hold(demo, None)
    assert mad == (0.5, 0.5, 0.5, 0.5) and note == "" and state is None


def test_the_next_refill_starts_the_held_dry_down(demo: SiteConfig) -> None:
    # roots past the deeper probe, no refill due yet: the normal rule, waiting for one
    mad, note, state = _hold(_asked(demo), None, crop_day=50, dr_fraction=0.3)
    assert mad == (0.5, 0.5, 0.5, 0.5) and state is not None and state.phase == "requested"
    assert "waiting for the next refill, whose dry-down it holds" in note
    # the refill due today is made (time enough after it): its dry-down is held from tomorrow
    mad, note, state = _hold(_asked(demo), state, crop_day=50, dr_fraction=0.5, et0_mm_day=12.0)
    tomorrow = DAY + dt.timedelta(days=1)
    assert mad == (0.5, 0.5, 0.5, 0.5) and state is not None and state.phase == "requested"
    assert state.since == tomorrow.isoformat() and "today's refill starts it" in note
    mad, note, state = _hold(_asked(demo), state, dr_fraction=0.2, today=tomorrow, crop_day=51)
    assert mad == (0.8, 0.8, 0.8, 0.8)
    assert state is not None and state.phase == "holding" and state.since == tomorrow.isoformat()
    assert "refill held until Dr reaches 80% of TAW, Dr 20 of 80 mm" in note


def test_too_late_for_a_new_dry_down_the_refill_due_is_held(demo: SiteConfig) -> None:
    # nine days before flowering: a dry-down from a refill would not reach 80 % of TAW, so
    # the one in progress, already at the trigger, is held below RAW at once
    mad, note, state = _hold(_asked(demo), None, crop_day=LAST_VEGETATIVE - 8)
    assert mad == (0.8, 0.8, 0.8, 0.8)
    assert state is not None and state.phase == "holding" and state.since == DAY.isoformat()
    assert "would not reach 80% of TAW before flowering (ET0 5.0 mm/day)" in note
    # with a thirstier day the same day leaves time for a new one: the refill is made
    mad, _, state = _hold(_asked(demo), None, crop_day=LAST_VEGETATIVE - 8, et0_mm_day=20.0)
    assert mad == (0.5, 0.5, 0.5, 0.5) and state is not None and state.phase == "requested"


def test_without_a_run_since_planting_the_refill_starts_the_dry_down(demo: SiteConfig) -> None:
    # the dry-down in progress began with no metered run: the soil fit could not use it
    mad, note, state = _hold(_asked(demo), None, crop_day=LAST_VEGETATIVE - 8, watered=False)
    assert mad == (0.5, 0.5, 0.5, 0.5) and state is not None and state.phase == "requested"
    assert state.since == (DAY + dt.timedelta(days=1)).isoformat()
    assert "no run began the dry-down in progress" in note


def test_the_predicted_dry_down_slows_below_raw_and_stops_at_a_critical_period() -> None:
    ripening = SEED_CORN.stages[-2].end_dap + 1  # after the critical periods, full roots
    days = days_to_target(
        SEED_CORN, ripening, start_dr_mm=0.0, taw_mm=100.0, fraction=0.8, et0_mm_day=4.0
    )
    # the same water use without Ks (FAO-56 eq. 84) gets there sooner
    used, straight = 0.0, 0
    while used < 80.0:
        used += kc_on_day(SEED_CORN, float(ripening + straight), mulched=True) * 4.0
        straight += 1
    assert days is not None and days > straight
    faster = days_to_target(
        SEED_CORN, ripening, start_dr_mm=0.0, taw_mm=100.0, fraction=0.8, et0_mm_day=8.0
    )
    assert faster is not None and faster < days
    # the same dry-down started a few days before flowering is released first
    late = days_to_target(
        SEED_CORN, LAST_VEGETATIVE - 5, start_dr_mm=0.0, taw_mm=100.0, fraction=0.8, et0_mm_day=4.0
    )
    assert late is None


def test_released_when_dr_reaches_the_target(demo: SiteConfig) -> None:
    holding = DryDownState("z1", 0.8, "holding", since="2026-05-28")
    mad, note, state = _hold(_asked(demo), holding, dr_fraction=0.8)
    assert mad == (0.5, 0.5, 0.5, 0.5)
    assert state is not None and state.phase == "done" and state.ended == DAY.isoformat()
    assert note.startswith("calibration dry-down ended: Dr 80 of 80 mm (80% of TAW) reached")
    # once done, no second dry-down on the same request
    again, note, after = _hold(_asked(demo), state, dr_fraction=0.3)
    assert again == (0.5, 0.5, 0.5, 0.5) and note == "" and after == state


def test_released_the_day_before_a_critical_period(demo: SiteConfig) -> None:
    # two days before flowering: today held, tomorrow (the day before) and after released
    holding = DryDownState("z1", 0.8, "holding", since="2026-05-28")
    mad, _, state = _hold(_asked(demo), holding, crop_day=LAST_VEGETATIVE - 1)
    assert mad == (0.8, 0.5, 0.5, 0.5) and state is not None and state.phase == "holding"
    mad, note, ended = _hold(_asked(demo), state, crop_day=LAST_VEGETATIVE)
    assert mad == (0.5, 0.5, 0.5, 0.5)
    assert ended is not None and ended.phase == "done"
    assert "released: flowering is critical" in note


def test_a_request_in_a_critical_period_waits(demo: SiteConfig) -> None:
    mad, note, state = _hold(_asked(demo), None, crop_day=90)
    assert mad == (0.5, 0.5, 0.5, 0.5) and state is not None and state.phase == "requested"
    assert "not held: flowering is critical" in note


def test_not_held_with_the_probes_quarantined(demo: SiteConfig) -> None:
    why = "probe probe1a, probe1b quarantined"
    mad, note, state = _hold(_asked(demo), None, distrust=why)
    assert mad == (0.5, 0.5, 0.5, 0.5) and state is not None and state.phase == "requested"
    assert why in note
    # a hold under way stops, and the request is spent
    holding = DryDownState("z1", 0.8, "holding", since="2026-05-28")
    mad, note, state = _hold(_asked(demo), holding, distrust=why)
    assert mad == (0.5, 0.5, 0.5, 0.5) and state is not None and state.phase == "done"
    assert f"stopped: {why}" in note


def test_waits_for_the_roots_to_reach_the_deeper_probe(demo: SiteConfig) -> None:
    mad, note, state = _hold(_asked(demo), None, roots_m=0.3)
    assert mad == (0.5, 0.5, 0.5, 0.5) and state is not None and state.phase == "requested"
    assert "roots 0.30 m, not yet at the deeper probe (0.40 m)" in note


def test_a_shallow_crop_past_the_target_before_any_hold_still_waits(demo: SiteConfig) -> None:
    # a 0.2 m root zone's Dr can jump past the trigger and the target in a day: that dry-down,
    # unseen by the deeper probe, does not spend the request
    mad, note, state = _hold(_asked(demo, 0.7), None, roots_m=0.2, dr_fraction=0.75)
    assert mad == (0.5, 0.5, 0.5, 0.5) and state is not None and state.phase == "requested"
    assert "not yet at the deeper probe" in note
    # with the roots past it, a dry-down already at the target is the one asked for
    _, note, state = _hold(_asked(demo, 0.7), None, roots_m=0.6, dr_fraction=0.75)
    assert state is not None and state.phase == "done" and "reached" in note


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_a_fraction_out_of_range_is_refused_naming_the_key(
    demo: SiteConfig, fraction: float
) -> None:
    with pytest.raises(ConfigError, match=r"zones\[0\]\.calibration_dry_down"):
        _asked(demo, fraction)


def test_an_unreadable_state_holds_nothing(demo: SiteConfig, tmp_path: Path) -> None:
    (tmp_path / "calibration").mkdir()
    (tmp_path / "calibration" / "z1.json").write_text("{not json", encoding="utf-8")
    stored = DryDownStates(tmp_path).get("z1")
    mad, note, _ = _hold(_asked(demo), stored)
    assert mad == (0.5, 0.5, 0.5, 0.5) and "cannot be read" in note


# -- in the daemon's planning -----------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(DAY, 0)))
    yield s
    s.close()


def _plan(
    site: SiteConfig,
    store: Store,
    states: Path,
    day: dt.date,
    dr_fraction: float,
    method: str = "seeded",
) -> Decision:
    """A daemon (re)started with its states in ``states`` plans ``day`` at 18:00, z1's
    balance of the day before closed at ``dr_fraction`` of TAW."""
    for back in (3, 2, 1):
        weather_day(store, day - dt.timedelta(days=back))
    seed_balance(store, site, "z1", day - dt.timedelta(days=1), dr_fraction, method=method)
    agro = Agronomy(site, store, VirtualClock(local(day, 18)))
    agro.planning.drydowns = DryDownStates(states)
    agro.plan_all(local(day, 18))
    return max((d for d in store.decisions() if d.zone == "z1"), key=lambda d: d.id or 0)


def _planned(decision: Decision) -> bool:
    """Whether the decision plans a run (now or later in the horizon)."""
    return decision.action in ("irrigate", "defer")


def _state(states: Path) -> dict[str, object]:
    return dict(json.loads((states / "calibration" / "z1.json").read_text(encoding="utf-8")))


def test_the_plan_holds_and_a_restart_neither_repeats_nor_forgets(
    demo: SiteConfig, store: Store, tmp_path: Path
) -> None:
    states = tmp_path / "models"
    normal = _plan(demo, store, tmp_path / "none", DAY, 0.7)
    assert _planned(normal) and "MAD 0.40" in normal.reason  # past the ET rule's trigger
    asked = _asked(demo)
    # asked with a refill due: the refill is made, the dry-down it starts is the one held
    first = _plan(asked, store, states, DAY + dt.timedelta(days=1), 0.7)
    assert _planned(first) and "today's refill starts it" in first.reason
    assert _state(states)["phase"] == "requested"
    # restarted the next day, refilled: held from today
    held = _plan(asked, store, states, DAY + dt.timedelta(days=2), 0.3)
    assert held.action != "irrigate"
    assert "calibration dry-down (admin request): refill held" in held.reason
    assert _state(states)["phase"] == "holding"
    # restarted again, past the ET rule's trigger: still held, from the same first day
    again = _plan(asked, store, states, DAY + dt.timedelta(days=3), 0.75)
    assert again.action != "irrigate" and "MAD 0.80" in again.reason
    assert _state(states)["since"] == (DAY + dt.timedelta(days=2)).isoformat()
    # Dr reaches 80 % of TAW: released, the refill is planned
    done = _plan(asked, store, states, DAY + dt.timedelta(days=4), 0.82)
    assert _planned(done) and "calibration dry-down ended" in done.reason
    assert _state(states)["phase"] == "done"
    # restarted after: the setting still there, no second dry-down
    after = _plan(asked, store, states, DAY + dt.timedelta(days=5), 0.7)
    assert _planned(after) and "calibration" not in after.reason


def test_the_plan_holds_the_dry_down_in_progress_only_after_a_run(
    demo: SiteConfig, store: Store, tmp_path: Path
) -> None:
    """Nine days before flowering a dry-down from a refill would not reach the target: the
    plan holds the refill due when a metered run began the dry-down in progress, and makes
    it (to start a fittable one) when none did."""
    late = demo.zones[0].planting_date + dt.timedelta(days=LAST_VEGETATIVE - 8)
    unwatered = _plan(_asked(demo), store, tmp_path / "a", late, 0.7)
    assert _planned(unwatered) and "no run began the dry-down in progress" in unwatered.reason
    run = store.plan_run("z1", RunSource.PLAN, 120)
    assert run.id is not None
    store.start_run(run.id)
    store.finish_run(run.id, RunState.DONE, "completed", applied_m3=250.0)
    watered = _plan(_asked(demo), store, tmp_path / "b", late, 0.7)
    assert watered.action != "irrigate" and "so this one is held" in watered.reason


def test_the_plan_does_not_hold_with_the_probes_quarantined(
    demo: SiteConfig, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Agronomy, "quarantined_probes", lambda self: {"probe1a", "probe1b"})
    decision = _plan(_asked(demo), store, tmp_path, DAY, 0.7)
    assert _planned(decision)
    assert "not held: probe probe1a, probe1b quarantined" in decision.reason


def test_the_plan_does_not_hold_on_an_estimated_balance(
    demo: SiteConfig, store: Store, tmp_path: Path
) -> None:
    # yesterday's weather missing: its balance closed on an estimated ET0
    decision = _plan(_asked(demo), store, tmp_path, DAY, 0.7, method="ET0 estimated: mean")
    assert _planned(decision)
    assert "not held: the balance of 2026-05-31 was closed on estimated ET0" in decision.reason


# -- asked through the daemon's service -------------------------------------------------------


def test_a_request_is_a_setting_an_audit_and_a_state_a_restart_keeps(
    demo: SiteConfig, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with Store.open_dir(data) as store:
        clock = VirtualClock(local(DAY, 18))
        service = DaemonService(Daemon(demo, store, clock), data_dir=data)
        assert service.soil_fit("z1")["dry_down"]["phase"] is None
        with pytest.raises(SettingsInvalid):
            service.request_dry_down("z1", 0.9, "ada")
        assert not (data / "models" / "calibration" / "z1.json").exists()
        shown = service.request_dry_down("z1", 0.75, "ada")
        assert shown["fraction"] == 0.75 and shown["phase"] == "requested"
        assert overrides.load(data)["zones"]["z1"] == {"calibration_dry_down": 0.75}
        (audit,) = [a for a in store.rows_after("audit", 0) if a.action == "soil.calibrate"]  # type: ignore[attr-defined]
        assert audit.actor == "ada" and audit.detail == {"zone": "z1", "fraction": 0.75}
        # a refused change keeps the request as it was
        with pytest.raises(SettingsInvalid):
            service.request_dry_down("z1", 0.5, "ada")
        assert _state(data / "models")["fraction"] == 0.75
        # restarted: the request is still there
        again = Daemon(overrides.apply_saved(demo, data), store, clock)
        assert DaemonService(again, data_dir=data).soil_fit("z1")["dry_down"]["phase"] == (
            "requested"
        )


def test_the_plan_does_not_hold_without_yesterday_s_balance(
    demo: SiteConfig, store: Store, tmp_path: Path
) -> None:
    seed_balance(store, demo, "z1", DAY - dt.timedelta(days=2), 0.7)  # then a day missing
    for back in (4, 3, 2):
        weather_day(store, DAY - dt.timedelta(days=back))
    agro = Agronomy(_asked(demo), store, VirtualClock(local(DAY, 18)))
    agro.planning.drydowns = DryDownStates(tmp_path)
    agro.plan_all(local(DAY, 18))
    z1 = max((d for d in store.decisions() if d.zone == "z1"), key=lambda d: d.id or 0)
    assert "not held: the balance of 2026-05-31 is missing" in z1.reason
    assert "MAD 0.80" not in z1.reason


def test_a_withdrawn_hold_gives_the_normal_trigger_back_and_is_audited(
    demo: SiteConfig, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    day = DAY + dt.timedelta(days=1)
    with Store.open_dir(data) as store:
        for back in (3, 2, 1):
            weather_day(store, day - dt.timedelta(days=back))
        # Dr at 70 % of TAW: past the ET rule's trigger (MAD 0.40), short of the 80 % asked
        seed_balance(store, demo, "z1", day - dt.timedelta(days=1), 0.7)
        daemon = Daemon(demo, store, VirtualClock(local(day, 18)))
        service = DaemonService(daemon, data_dir=data)
        with pytest.raises(ControlRefused) as none:
            service.withdraw_dry_down("z1", "ada")
        assert none.value.code == "no_dry_down"
        assert service.request_dry_down("z1", 0.8, "ada")["phase"] == "requested"
        hold_under_way(service, day)
        assert "z1" not in {r.zone for r in daemon.planned()}  # the refill is held
        shown = service.withdraw_dry_down("z1", "ada")
        assert shown["phase"] == "done" and shown["why"] == "withdrawn by ada"
        assert "z1" in {r.zone for r in daemon.planned()}  # the normal rule plans it again
        (audit,) = [
            a for a in store.rows_after("audit", 0) if a.action == "soil.calibrate_withdraw"
        ]  # type: ignore[attr-defined]
        assert audit.actor == "ada"
        assert audit.detail == {"zone": "z1", "fraction": 0.8, "phase": "holding"}
        with pytest.raises(ControlRefused):  # ended: nothing left to withdraw
            service.withdraw_dry_down("z1", "ada")
        assert _state(data / "models")["phase"] == "done"


def test_after_a_withdrawal_the_zone_is_planned_as_if_never_asked(
    demo: SiteConfig, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    day = DAY + dt.timedelta(days=1)
    with Store.open_dir(data) as store:
        for back in (3, 2, 1):
            weather_day(store, day - dt.timedelta(days=back))
        seed_balance(store, demo, "z1", day - dt.timedelta(days=1), 0.3)  # short of MAD 0.40
        daemon = Daemon(demo, store, VirtualClock(local(day, 18)))
        service = DaemonService(daemon, data_dir=data)

        def z1() -> Decision:
            return max((d for d in store.decisions() if d.zone == "z1"), key=lambda d: d.id or 0)

        daemon.plan()
        never, runs = z1(), daemon.planned()
        service.request_dry_down("z1", 0.8, "ada")
        assert "calibration dry-down requested" in z1().reason
        service.withdraw_dry_down("z1", "ada")
        after = z1()
        assert (after.action, after.reason, after.planned_start) == (
            never.action,
            never.reason,
            never.planned_start,
        )
        assert daemon.planned() == runs


def test_only_an_et_zone_s_dry_down_is_asked(demo: SiteConfig, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open_dir(data) as store:
        service = DaemonService(Daemon(demo, store, VirtualClock(local(DAY, 18))), data_dir=data)
        with pytest.raises(ControlRefused) as refused:
            service.request_dry_down("z4", 0.8, "ada")  # a calendar zone
        assert refused.value.code == "dry_down_et_only"
        assert "this zone's mode is calendar" in refused.value.reason
        assert not (data / overrides.OVERRIDES_FILE).exists()
        assert DryDownStates(data / "models").get("z4") is None


def test_a_setting_taken_away_mid_hold_ends_it(demo: SiteConfig) -> None:
    holding = DryDownState("z1", 0.8, "holding", since="2026-05-28")
    mad, note, state = _hold(demo, holding)
    assert mad == (0.5, 0.5, 0.5, 0.5)
    assert state is not None and state.phase == "done" and state.ended == DAY.isoformat()
    assert note.startswith("calibration dry-down ended: calibration_dry_down was removed")
    again, note, after = _hold(demo, state)  # ended: nothing more said
    assert again == mad and note == "" and after == state
