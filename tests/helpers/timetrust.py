"""The time-trust tests' clock and store: a virtual clock at a trusted time, a real store.

Fixtures for the modules that test :mod:`controller.runtime.timetrust` and the clock's trust
records read back as codes (:mod:`controller.runtime.clock_events`). A module imports the
fixture functions, which pytest then finds as the fixtures ``clock`` and ``store``
(``from tests.helpers.timetrust import trust_store, trusted_clock  # noqa: F401``): imported
under names other than the fixtures', so a test's ``clock`` argument redefines no import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.runtime.timetrust import TimeTrust
from controller.store import Store

__all__ = ["GOOD", "trust", "trust_store", "trusted_clock"]

GOOD = dt.datetime(2027, 6, 1, 10, 0, tzinfo=dt.UTC)  # after the release floor: trusted


@pytest.fixture(name="clock")
def trusted_clock() -> VirtualClock:
    """A virtual clock at :data:`GOOD`."""
    return VirtualClock(GOOD)


@pytest.fixture(name="store")
def trust_store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    """A real SQLite store in the test's folder, stamping its records by ``clock``."""
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=clock) as s:
        yield s


def trust(clock: VirtualClock, store: Store, *, synced: bool) -> TimeTrust:
    """The rules over ``store`` on boot ``boot-1``, the kernel's NTP state given as ``synced``."""
    return TimeTrust(clock, store, synchronised=lambda: synced, boot="boot-1")
