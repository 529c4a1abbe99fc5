"""A water-stopping trip blocks new runs from the moment it acts, not from its commit.

The simulated demo site's relay module and meters on loopback, the real sequencer,
supervisor and SQLite store (made read-only under them, ``SQLITE_READONLY`` on every write).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.runtime.sequencer import RunRefused
from controller.store import Event, RunSource
from tests.helpers.rig import Rig, rig_on
from tests.helpers.site import quick_site
from tests.helpers.storefaults import read_only


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from rig_on(quick_site(tmp_path), tmp_path)


def test_a_trip_kept_in_memory_during_an_outage_still_refuses_a_start_once_writes_resume(
    rig: Rig,
) -> None:
    rig.sequencer.start("z1", 10, RunSource.MANUAL)
    rig.run(2)
    with read_only(rig.store):
        rig.supervisor.trip("burst", "burst: flow 300 m3/h > 125 for 11 s")
        assert rig.all_coils_off() and rig.sequencer.active() == []
        assert rig.store.health.pending_records >= 2  # the run's end, the trip's event
    rig.clock.advance(2)  # the store's back-off has run out; nothing has written since
    with pytest.raises(RunRefused, match="burst"):
        rig.sequencer.start("z1", 5, RunSource.MANUAL)
    assert rig.all_coils_off()
    # the refused start wrote nothing either; the trip's event is recorded as soon as the
    # store writes, and from then on the stored latched alarm refuses
    rig.store.flush()
    assert "burst" in rig.alarm_codes()
    with pytest.raises(RunRefused, match="burst"):
        rig.sequencer.start("z1", 5, RunSource.MANUAL)
    assert rig.all_coils_off()
    # acknowledged, it no longer refuses
    (alarm,) = [a for a in rig.store.open_alarms() if a.code == "burst"]
    assert alarm.id is not None
    rig.store.ack_event(alarm.id, "tech")
    rig.sequencer.start("z1", 5, RunSource.MANUAL)
    assert rig.coil("ch1")


def test_a_start_racing_a_trip_between_the_switch_off_and_its_commit_is_refused(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trip's commit is held (a store busy with a long write: up to its busy timeout)
    while a start comes in from another thread (the API, a planned run)."""
    rig.sequencer.start("z1", 10, RunSource.MANUAL)
    rig.run(2)
    committing, release = threading.Event(), threading.Event()
    real_raise = rig.store.raise_event

    def slow_commit(*args: Any, **kwargs: Any) -> Event:
        if args[1] == "output_fault":
            committing.set()
            release.wait(30)
        return real_raise(*args, **kwargs)

    monkeypatch.setattr(rig.store, "raise_event", slow_commit)
    trip = threading.Thread(
        target=rig.supervisor.trip, args=("output_fault", "zone z1: relay read back wrong")
    )
    trip.start()
    try:
        assert committing.wait(30)
        assert rig.all_coils_off()  # switched off; the alarm not yet committed
        with pytest.raises(RunRefused, match="output_fault"):
            rig.sequencer.start("z1", 5, RunSource.MANUAL)
        assert rig.all_coils_off() and rig.sequencer.active() == []
    finally:
        release.set()
        trip.join(30)
    assert "output_fault" in rig.alarm_codes()
    with pytest.raises(RunRefused, match="output_fault"):  # from the stored alarm now
        rig.sequencer.start("z1", 5, RunSource.MANUAL)
    assert rig.all_coils_off()
