"""The seasonal quota through the daemon: its planning over a real store and the simulated field
(the agronomy-fidelity season), the decisions' words, the alarms, and the site file's keys."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controller.agronomy.jobs import Agronomy
from controller.agronomy.quota import keep_to_quota, quota_views, used_m3
from controller.agronomy.types import PlannedRun
from controller.clock import VirtualClock
from controller.config.site import M2_PER_MU, ConfigError, load_site
from controller.simulation.fidelity import AgronomySeason
from controller.simulation.season import Scenario, load_scenario, quiet_logs
from controller.store import RunSource, RunState, Store
from drivers.reading import Quality, Reading
from tests.helpers.agronomy import (  # noqa: F401 - day1_clock, day1_store: fixtures
    DAY1,
    TZ,
    day1_clock,
    day1_store,
    local,
    seed_balance,
    weather_day,
)
from tests.helpers.site import DEMO_SITE, on_free_ports

FLOWERING = dt.date(2026, 7, 8)  # seed corn day 79: flowering, a critical period
DAYS = 17  # the soil starts full: the first refill falls on 07-22
TIGHT_M3_MU = 12.0  # two fertigation runs (4.7 m³/mu each) and part of the first refill


def _scenario_with(tmp_path: Path, site_line: str, zone_line: str = "") -> Scenario:
    sc = load_scenario("zhangye-seed-corn")
    text = sc.site_path.read_text(encoding="utf-8")
    text = text.replace(
        'timezone = "Asia/Shanghai"\n', f'timezone = "Asia/Shanghai"\n{site_line}\n', 1
    )
    if zone_line:  # the second zone's own quota
        first = text.index("[[zones]]")
        second = text.index("[[zones]]", first + 1)
        at = text.index("\n", second) + 1
        text = text[:at] + zone_line + "\n" + text[at:]
    path = tmp_path / "quota.site.toml"
    path.write_text(text, encoding="utf-8")
    return dataclasses.replace(sc, site_path=path)


def test_a_zone_with_a_tight_quota_stops_at_the_quota_and_raises_the_alarm(
    tmp_path: Path,
) -> None:
    """Seventeen days from flowering (critical: no deficit to place) on the simulated field:
    z1's allotment ([site], 12 m³/mu) runs out, its water never passes it, and the decisions
    and alarms say so; z2's own larger quota (the zone key overrides the site's) waters on."""
    scenario = _scenario_with(
        tmp_path, f"quota_m3_per_mu = {TIGHT_M3_MU}", zone_line="quota_m3_per_mu = 400"
    )
    work = tmp_path / "work"
    work.mkdir()
    with quiet_logs():
        AgronomySeason(scenario, "et", seed=1, days=DAYS, start=FLOWERING, workdir=work).run()
    site = load_site(work / "site.toml")
    z1, z2 = site.zones[0], site.zones[1]
    with Store(f"sqlite:///{work / 'qanat.db'}") as store:
        tz = site.site.tz
        year = (dt.date(2026, 1, 1), dt.date(2027, 1, 1))
        area_mu = z1.area_m2_value / M2_PER_MU
        z1_used = used_m3(store, z1.name, *year, tz)
        z2_used = used_m3(store, z2.name, *year, tz)
        # it watered up to the quota, never past it
        assert 0.9 * TIGHT_M3_MU * area_mu <= z1_used <= TIGHT_M3_MU * area_mu + 1e-6
        assert z2_used > z1_used  # the zone's own quota overrides the site's
        events = store.events()
        exhausted = [e for e in events if e.code == "quota_exhausted"]
        assert [e.source for e in exhausted] == [z1.name]  # once, for z1 only
        assert exhausted[0].latched and exhausted[0].severity == "alarm"
        assert any(e.code == "quota_pace" and e.source == z1.name for e in events)
        assert not any(e.source == z2.name and e.code.startswith("quota") for e in events)
        assert not any(e.code == "planned_run_refused" for e in events)
        planned = [d for d in store.decisions(z1.name) if "quota" in d.inputs]
        last = planned[-1]
        assert last.action == "skip"
        assert last.reason.startswith(f"{z1.name}: quota {TIGHT_M3_MU:g} m³/mu, used 12")
        assert "quota used up" in last.reason
        assert last.inputs["quota"]["exhausted"] is True
        # the refill that reached the quota was cut to what was left
        assert any("cut to the quota" in d.reason for d in planned if d.action == "irrigate")
        # a fertigation run of its own, queued past the quota, was cut by the daemon
        assert any(e.code == "quota_cut" and e.source == z1.name for e in events)
        # the pages' view: the burn-down's days and the last plan's projection
        end = dt.datetime(2026, 7, 25, 0, 20, tzinfo=tz)  # the season's last minutes
        (view,) = [v for v in quota_views(site, store, end) if v.zone == z1.name]
        assert view.used_m3_per_mu == pytest.approx(z1_used / area_mu)
        assert view.days[-1][1] == pytest.approx(view.used_m3_per_mu)
        assert [d for d, _ in view.days] == sorted(d for d, _ in view.days)
        assert view.exhausted and view.over and view.quota_m3_per_mu == TIGHT_M3_MU
        assert view.harvest == z1.planting_date + dt.timedelta(days=153)
        # a decision while the pace was over placed a deficit (or said none could be placed)
        paced = [
            d for d in store.decisions(z1.name) if d.inputs.get("quota", {}).get("over_m3", 0) > 0
        ]
        assert paced and all("quota" in d.reason for d in paced)


def test_the_decision_places_the_deficit_where_ky_is_smallest(
    tmp_path: Path, store: Store, clock: VirtualClock
) -> None:
    """z1 in its vegetative period (day 45) with 30 m³/mu of a 50 m³/mu quota used: ripening
    (Ky 0.2) takes the deficit first, then vegetative (Ky 0.4); flowering and yield formation
    (critical) are never raised, and the decision says they would be short. The day's trigger
    of the plan is the raised one; a zone within its quota is untouched."""
    path = tmp_path / "site.toml"
    path.write_text(_site_text("quota_m3_per_mu = 50", "quota_m3_per_mu = 5000"), encoding="utf-8")
    site = load_site(path)
    day = DAY1 + dt.timedelta(days=3)
    for d in range(4):
        weather_day(store, DAY1 + dt.timedelta(days=d))
    seed_balance(store, site, "z1", day, 0.3)
    seed_balance(store, site, "z2", day, 0.3)
    run = store.plan_run("z2", "plan", 60.0)
    assert run.id is not None
    store.start_run(run.id)
    store.finish_run(run.id, RunState.DONE, "done", 30.0 * 25)  # 30 m³/mu on 25 mu
    Agronomy(site, store, clock).plan_all(local(day, 18))
    z1 = next(d for d in reversed(store.decisions()) if d.zone == "z1")
    z2 = next(d for d in reversed(store.decisions()) if d.zone == "z2")
    assert z1.inputs["quota"]["over_m3"] == 0  # its own 5000 m³/mu
    assert z1.inputs["mad_fraction"][0] == pytest.approx(0.40)
    q = z2.inputs["quota"]
    assert q["used_m3"] == pytest.approx(750.0) and q["over_m3"] > 0
    assert [r[0] for r in q["raised"]] == ["ripening", "vegetative"]
    assert "z2: quota 50 m³/mu, used 30, need to harvest" in z2.reason
    assert "deficit in ripening (Ky 0.2), MAD 0.65→0.75" in z2.reason
    assert "deficit in vegetative (Ky 0.4), MAD 0.40→0.75" in z2.reason
    assert "critical periods short: flowering, yield formation" in z2.reason
    assert "expected relative yield 100%→" in z2.reason
    assert z2.inputs["mad_fraction"][0] == pytest.approx(0.75)  # the plan waters later
    pace = [e for e in store.events() if e.code == "quota_pace"]
    # z3 too: 50 m³/mu cannot grow its season either; z1 has its own quota, z4 is calendar
    assert {(e.source, e.severity, e.latched) for e in pace} == {
        ("z2", "warning", True),
        ("z3", "warning", True),
    }
    Agronomy(site, store, clock).plan_all(local(day, 19))  # planned again: not raised twice
    assert len([e for e in store.events() if e.code == "quota_pace"]) == 2


def _site_text(extra_site: str = "", zone_extra: str = "") -> str:
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    text = text.replace(
        'timezone = "Asia/Shanghai"\n', f'timezone = "Asia/Shanghai"\n{extra_site}\n', 1
    )
    if zone_extra:
        at = text.index("\n", text.index("[[zones]]")) + 1
        text = text[:at] + zone_extra + "\n" + text[at:]
    return text


@pytest.mark.parametrize(
    ("site_extra", "zone_extra", "message"),
    [
        ("quota_m3_per_mu = -5", "", "site.quota_m3_per_mu"),
        ("quota_m3_per_mu = 0", "", "site.quota_m3_per_mu"),
        ('quota_m3_per_mu = "240"', "", "site.quota_m3_per_mu"),
        ("", "quota_m3_per_mu = 9000", r"zones\[0\]\.quota_m3_per_mu: .*5000"),
        ('quota_year_start = "13-01"', "", "site.quota_year_start: no such day"),
        ('quota_year_start = "02-29"', "", "site.quota_year_start: no such day"),
        ('quota_year_start = "Oct 1"', "", "site.quota_year_start"),
    ],
)
def test_bad_quota_keys_are_refused_by_name(
    tmp_path: Path, site_extra: str, zone_extra: str, message: str
) -> None:
    path = tmp_path / "site.toml"
    path.write_text(_site_text(site_extra, zone_extra), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_site(path)


def test_the_quota_is_given_once(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(
        _site_text("quota_m3_per_mu = 240") + "\n[baseline]\nquota_m3_mu = 300\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"baseline.quota_m3_mu: give the quota once"):
        load_site(path)


def test_good_quota_keys_load(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_text(
        _site_text('quota_m3_per_mu = 240\nquota_year_start = "10-01"', "quota_m3_per_mu = 300"),
        encoding="utf-8",
    )
    site = load_site(path)
    assert site.site.quota_m3_per_mu == 240 and site.site.quota_year_start == "10-01"
    assert site.zones[0].quota_m3_per_mu == 300 and site.zones[1].quota_m3_per_mu is None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ledger_m3=st.lists(st.floats(0.0, 400.0), max_size=6),
    queued_min=st.lists(st.floats(1.0, 240.0), min_size=1, max_size=6),
    quota_m3_mu=st.floats(1.0, 60.0),
)
def test_the_daemon_queue_never_exceeds_the_quota(
    tmp_path: Path,
    store: Store,
    clock: VirtualClock,
    ledger_m3: list[float],
    queued_min: list[float],
    quota_m3_mu: float,
) -> None:
    """Whatever the ledger and the runs queued (any source), the queue the daemon keeps puts
    no zone past its quota at nominal flow, cuts nothing that fits, and leaves a zone without
    a quota alone. (One store: each example is a quota year of its own.)"""
    clock.advance(366 * 86_400.0)  # a new quota year: the earlier examples' runs are last year's
    path = tmp_path / "site.toml"
    path.write_text(_site_text("", f"quota_m3_per_mu = {quota_m3_mu!r}"), encoding="utf-8")
    site = load_site(path)
    z1 = site.zones[0]
    for m3 in ledger_m3:
        run = store.plan_run("z1", "plan", 60.0)
        assert run.id is not None
        store.start_run(run.id)
        store.finish_run(run.id, RunState.DONE, "done", m3)
    at = clock.now() + dt.timedelta(hours=2)
    runs = [
        PlannedRun("z1", at + dt.timedelta(hours=k), m, m / 10, 1, RunSource.PLAN)
        for k, m in enumerate(queued_min)
    ] + [PlannedRun("z2", at, 60.0, 6.0, 2, RunSource.PLAN)]
    kept, _notes = keep_to_quota(site, store, runs, clock.now().astimezone(TZ).date())
    flow = z1.nominal_flow_m3_h
    quota_m3 = quota_m3_mu * z1.area_m2_value / M2_PER_MU
    used = sum(ledger_m3)
    planned = sum(r.duration_min for r in kept if r.zone == "z1") / 60.0 * flow
    assert used + planned <= max(quota_m3, used) + 1e-6
    wanted = sum(queued_min) / 60.0 * flow
    # nothing cut that fits (a run cut under a minute is dropped: at most one)
    assert planned >= min(wanted, max(quota_m3 - used, 0.0)) - flow / 60.0 - 1e-6
    assert [r for r in kept if r.zone == "z2"] == [runs[-1]]


def _run_done(store: Store, zone: str, m3: float) -> None:
    run = store.plan_run(zone, "plan", 60.0)
    assert run.id is not None
    store.start_run(run.id)
    store.finish_run(run.id, RunState.DONE, "done", m3)


def test_a_calendar_zone_is_cut_to_its_quota_then_stopped(
    tmp_path: Path, store: Store, clock: VirtualClock
) -> None:
    """z4 (calendar, 25 mu at 100 m³/h) on its 90 m³/mu date with 30 m³/mu left: 750 m³,
    450 min; with the quota used up: no run, the decision and the alarm say so."""
    path = tmp_path / "site.toml"
    path.write_text(_site_text("quota_m3_per_mu = 30"), encoding="utf-8")
    site = load_site(path)
    for d in range(3):
        weather_day(store, DAY1 - dt.timedelta(days=d + 1))
    runs = [r for r in Agronomy(site, store, clock).plan_all(local(DAY1, 18)) if r.zone == "z4"]
    assert sum(r.duration_min for r in runs) == pytest.approx(450.0)
    z4 = store.decisions("z4")[-1]
    assert "cut to the quota: quota 30 m³/mu, used 0, left 30" in z4.reason
    _run_done(store, "z4", 750.0)
    later = DAY1 + dt.timedelta(days=19)  # the next calendar event, 06-20
    for d in range(3):
        weather_day(store, later - dt.timedelta(days=d + 1))
    runs = [r for r in Agronomy(site, store, clock).plan_all(local(later, 18)) if r.zone == "z4"]
    assert runs == []
    z4 = store.decisions("z4")[-1]
    assert z4.action == "skip" and "quota 30 m³/mu, used 30, left 0" in z4.reason
    (alarm,) = [e for e in store.events() if e.code == "quota_exhausted"]
    assert alarm.source == "z4" and alarm.latched


def test_a_sensor_zone_is_cut_to_its_quota(
    tmp_path: Path, store: Store, clock: VirtualClock
) -> None:
    """z4 in sensor mode, its probes dry and the balance in need: the run is the quota's 2
    m³/mu (50 m³, 30 min at 100 m³/h), not the probes' refill."""
    text = _site_text("quota_m3_per_mu = 2").replace(
        'max_run_min = 240\nmode = "calendar"', 'max_run_min = 240\nmode = "sensor"'
    )
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    site = load_site(path)
    seed_balance(store, site, "z4", DAY1, 0.6)
    now = local(DAY1, 18)
    store.add_readings(
        Reading(f"probe4{ab}", "moisture", 14.0, "%", Quality.OK, now - dt.timedelta(minutes=30))
        for ab in "ab"
    )
    store.flush()
    (run,) = [r for r in Agronomy(site, store, clock).plan_all(now) if r.zone == "z4"]
    assert run.duration_min == pytest.approx(30.0)
    z4 = store.decisions("z4")[-1]
    assert z4.mode == "sensor" and "cut to the quota (quota 2 m³/mu, used 0, left 2)" in z4.reason
