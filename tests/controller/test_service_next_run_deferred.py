"""A zone whose latest decision deferred its run has that run as its next one, through the
real daemon service: not queued (it lies beyond the day the queue holds), said as deferred,
at the decision's ``deferred_to`` with the planned minutes and depth; none once it is past."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.runtime.fieldio import FieldIO
from controller.runtime.timetrust import TimeVerdict
from controller.store import Store
from tests.helpers.agronomy import local, seed_balance, weather_day
from tests.helpers.site import DEMO_SITE, on_free_ports
from web.api.models import ZonePublic

DAY = dt.date(2026, 6, 1)  # z1 (seed corn, planted 20 April): crop day 42, vegetative


def _site(tmp_path: Path, mode: str = "") -> SiteConfig:
    """The demo site on free ports; z1 in ``mode`` when given."""
    path = tmp_path / f"site{mode}.toml"
    text = on_free_ports(DEMO_SITE.read_text(encoding="utf-8"))
    if mode:
        text = text.replace('name = "z1"\n', f'name = "z1"\nmode = "{mode}"\n', 1)
    path.write_text(text, encoding="utf-8")
    return load_site(path)


def _deferred(tmp_path: Path, store: Store, clock: VirtualClock) -> Daemon:
    """The demo site planned on DAY: z1's run deferred beyond the queue's day."""
    site = _site(tmp_path)
    for back in (3, 2, 1):
        weather_day(store, DAY - dt.timedelta(days=back))
    seed_balance(store, site, "z1", DAY - dt.timedelta(days=1), 0.3)
    daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))
    daemon.time_trust.confirm("test")
    daemon.plan()
    decision = store.last_decision("z1")
    assert decision is not None and decision.action == "defer", decision
    assert DaemonService(daemon).zone("z1").next_run is not None
    return daemon


def test_the_deferred_run_is_the_zones_next_run(tmp_path: Path) -> None:
    site = _site(tmp_path)
    clock = VirtualClock(local(DAY, 18))
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        for back in (3, 2, 1):
            weather_day(store, DAY - dt.timedelta(days=back))
        # a third of TAW depleted the day before: the trigger (half of it) is days ahead
        seed_balance(store, site, "z1", DAY - dt.timedelta(days=1), 0.3)
        daemon = Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O
        daemon.time_trust.confirm("test")
        daemon.plan()
        decision = store.last_decision("z1")
        assert decision is not None and decision.action == "defer", decision
        assert not [r for r in daemon.planned() if r.zone == "z1"]  # not queued
        nxt = DaemonService(daemon).zone("z1").next_run
        assert nxt is not None and nxt.deferred
        assert nxt.start == dt.datetime.fromisoformat(decision.inputs["deferred_to"])
        assert nxt.start - clock.now() > dt.timedelta(days=1)
        assert nxt.duration_min is not None and nxt.duration_min > 0
        assert nxt.depth_mm is not None and nxt.depth_mm > 0
        assert nxt.reason == decision.reason
        public = ZonePublic.model_validate(DaemonService(daemon).zone("z1"), from_attributes=True)
        assert public.next_run is not None and public.next_run.deferred
        clock.advance((nxt.start - clock.now()).total_seconds() + 60)  # the deferral is past
        assert DaemonService(daemon).zone("z1").next_run is None


@pytest.mark.parametrize("why", ["clock_untrusted", "paused_past_it", "zone_manual"])
def test_a_deferred_run_that_cannot_come_is_not_said_as_next(tmp_path: Path, why: str) -> None:
    """With the wall clock untrusted the planner plans nothing; paused past its time it
    cannot start; a zone now manual is not planned: the deferral says nothing of what comes
    (the banner said nothing waters while the card said "next run 07-10 23:00")."""
    clock = VirtualClock(local(DAY, 18))
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        daemon = _deferred(tmp_path, store, clock)
        at = DaemonService(daemon).zone("z1").next_run
        assert at is not None
        if why == "clock_untrusted":
            untrusted = TimeVerdict(False, "unconfirmed", "not confirmed", clock.now(), None)
            daemon.time_trust.verdict = lambda: untrusted  # type: ignore[method-assign]
        elif why == "paused_past_it":
            daemon.sequencer.pause(at.start + dt.timedelta(hours=1), "ada")
        else:
            daemon.apply_site(_site(tmp_path, "manual"))
        assert DaemonService(daemon).zone("z1").next_run is None
