"""The planner's fertigation notes: recorded once while the plan says the same, again when
it changes, through the daemon's planning and its re-plan after a settings change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.fertplan import FertRun
from controller.agronomy.jobs import PlannedRun
from controller.agronomy.plan_notes import record_plan_notes
from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.runtime.fieldio import FieldIO
from controller.store import Event, RunSource, Store, StoreError
from tests.helpers.site import DEMO_SITE, on_free_ports

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 5, 15, 12, tzinfo=TZ)  # z1's first fertigation event (planting + 25)
TONIGHT = dt.datetime(2026, 5, 15, 21, tzinfo=TZ).astimezone(dt.UTC)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    path = tmp_path / "site.toml"
    path.write_text(on_free_ports(DEMO_SITE.read_text(encoding="utf-8")), encoding="utf-8")
    site = load_site(path)
    clock = VirtualClock(NOW)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        yield Daemon(site, store, clock, fieldio=FieldIO(site, {}))  # not started: no I/O


def _plans(daemon: Daemon, minutes: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner's decision is not under test: one run of z1 tonight, ``minutes`` long."""
    run = PlannedRun("z1", TONIGHT, minutes, 25.0, 1, RunSource.PLAN)
    monkeypatch.setattr(daemon.agronomy, "plan_all", lambda **_: [run])


def _notes(daemon: Daemon, zone: str | None = "z1") -> list[str]:
    """The fertigation notes of ``zone`` (None: of every zone, each after its zone)."""
    events = [e for e in daemon.store.events() if e.code == "fertigation_plan"]
    if zone is None:
        return [f"{e.source}: {e.message}" for e in events]
    return [e.message for e in events if e.source == zone]


def test_a_plan_said_again_is_not_noted_again(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plans(daemon, 180.0, monkeypatch)
    daemon.plan()
    (carries,) = _notes(daemon)
    assert carries.startswith("carries fertigation event 1")
    first = _notes(daemon, None)  # z2's event of the day gets a run of its own, noted too
    assert any(n.startswith("z2: ") for n in first)
    queued = [(r.zone, r.start, r.duration_min) for r in daemon.planned()]
    daemon.plan()  # a second planning of the same moment
    daemon.apply_site(daemon.site)  # a settings change re-plans
    assert _notes(daemon, None) == first
    # the queue is the plan's, whatever was noted
    assert [(r.zone, r.start, r.duration_min) for r in daemon.planned()] == queued


def test_a_changed_plan_is_noted_and_so_is_the_return_to_the_first(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plans(daemon, 180.0, monkeypatch)
    daemon.plan()
    _plans(daemon, 5.0, monkeypatch)  # too short to carry the event: it waits
    daemon.plan()
    daemon.plan()
    _plans(daemon, 180.0, monkeypatch)
    daemon.plan()
    notes = _notes(daemon)
    assert [n.split(" ", 1)[0] for n in notes] == ["carries", "fertigation", "carries"]
    assert " waits: the run of 5 min is shorter than prewet" in notes[1]


def test_the_next_day_notes_the_same_plan_again(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plans(daemon, 180.0, monkeypatch)
    daemon.plan()
    clock = daemon.clock
    assert isinstance(clock, VirtualClock)
    clock.advance(86400.0)  # 05-16 noon: the event's window is still open
    monkeypatch.setattr(
        daemon.agronomy,
        "plan_all",
        lambda **_: [
            PlannedRun("z1", TONIGHT + dt.timedelta(days=1), 180.0, 25.0, 2, RunSource.PLAN)
        ],
    )
    daemon.plan()
    assert len(_notes(daemon)) == 2


def test_a_record_that_cannot_be_read_does_not_stop_the_planning(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plans(daemon, 180.0, monkeypatch)
    daemon.plan()

    def unreadable(*_: object, **__: object) -> list[Event]:
        raise StoreError("database disk image is malformed")

    monkeypatch.setattr(daemon.store, "events", unreadable)
    daemon.plan()
    assert [r.zone for r in daemon.planned()] == ["z1", "z2"]  # queued all the same


def _carrying(store: Store, *notes: str) -> list[FertRun]:
    """z1's runs of a planning, the n-th an hour after the other, each with its note."""
    now = store.clock.now()
    return [
        FertRun(
            PlannedRun("z1", now + dt.timedelta(hours=n), 30, 4.0, n, RunSource.PLAN), note=note
        )
        for n, note in enumerate(notes, start=1)
    ]


CARRIES = "carries fertigation event 1 of 2026-05-15: N"
WAITS = "fertigation event 2 of 2026-05-15: waits for a run"


@pytest.mark.parametrize("later_s", [60.0, 0.0], ids=["a minute later", "the same instant"])
def test_a_re_plan_that_drops_a_run_and_its_note_is_noted(tmp_path: Path, later_s: float) -> None:
    """[A, B] then [B]: B ends what was said, yet the plan changed; said again, it is not."""
    clock = VirtualClock(NOW)
    midnight = dt.datetime(2026, 5, 15, tzinfo=TZ)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        assert len(record_plan_notes(store, _carrying(store, CARRIES, WAITS), midnight)) == 2
        clock.advance(60)
        assert [e.message for e in record_plan_notes(store, _carrying(store, WAITS), midnight)] == [
            WAITS
        ]
        clock.advance(later_s)
        assert record_plan_notes(store, _carrying(store, WAITS), midnight) == []
        said = [e.message for e in store.events() if e.code == "fertigation_plan"]
    assert said == [CARRIES, WAITS, WAITS]


class TickingClock(VirtualClock):
    """A clock that moves 1 ms each time it is read, as a real one does between writes."""

    def now(self) -> dt.datetime:
        self.advance(0.001)
        return super().now()


def test_a_plan_said_again_is_not_noted_again_on_a_clock_that_moves(tmp_path: Path) -> None:
    """One planning's notes carry one time: a zone with two notes, planned again a minute
    later on a clock that moves at every reading, says nothing the second time."""
    clock = TickingClock(NOW)
    midnight = dt.datetime(2026, 5, 15, tzinfo=TZ)
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as store:
        assert len(record_plan_notes(store, _carrying(store, CARRIES, WAITS), midnight)) == 2
        clock.advance(60)
        assert record_plan_notes(store, _carrying(store, CARRIES, WAITS), midnight) == []
        clock.advance(60)
        assert len(record_plan_notes(store, _carrying(store, WAITS), midnight)) == 1
