"""The reading buffer's cadence: while no water runs, readings are committed at most every
``idle_flush_s``; while it runs (or ran since the last flush) at every flush check; and a
stop commits whatever is pending, watering or not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.store import ReadingBuffer, Store, StoreWriteError
from drivers.reading import Quality, Reading

T0 = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
FLUSH_S = 120.0  # the daemon's flush job checks this often
IDLE_FLUSH_S = 600.0


def polled(clock: VirtualClock, n: int = 3) -> list[Reading]:
    now = clock.now()
    return [
        Reading("probe1", "moisture", 20.0 + i, "%", Quality.OK, now + timedelta(seconds=i))
        for i in range(n)
    ]


class Card:
    """The write behind the buffer: every transaction it was given, or a failure."""

    def __init__(self) -> None:
        self.commits: list[int] = []
        self.failing = False

    def write(self, batch: list[Reading]) -> None:
        if self.failing:
            raise StoreWriteError("disk full")
        self.commits.append(len(batch))


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def card() -> Card:
    return Card()


@pytest.fixture
def buffer(clock: VirtualClock, card: Card) -> ReadingBuffer:
    return ReadingBuffer(card.write, idle_flush_s=IDLE_FLUSH_S, monotonic=clock.monotonic)


def checks(buffer: ReadingBuffer, clock: VirtualClock, n: int) -> list[int]:
    """``n`` flush checks ``FLUSH_S`` apart, a poll's readings before each; rows each wrote."""
    written = []
    for _ in range(n):
        clock.advance(FLUSH_S)
        buffer.add(polled(clock))
        written.append(buffer.flush_when_due())
    return written


def test_idle_readings_are_committed_once_per_idle_interval(
    buffer: ReadingBuffer, clock: VirtualClock, card: Card
) -> None:
    # five checks make 600 s: the fifth commits the readings of all five polls at once
    assert checks(buffer, clock, 10) == [0, 0, 0, 0, 15, 0, 0, 0, 0, 15]
    assert card.commits == [15, 15]


def test_a_check_a_moment_early_is_still_due(
    buffer: ReadingBuffer, clock: VirtualClock, card: Card
) -> None:
    clock.advance(IDLE_FLUSH_S - 0.01)  # the flush job a few ms early against its slot
    buffer.add(polled(clock))
    assert buffer.flush_when_due() == 3
    clock.advance(IDLE_FLUSH_S / 2)
    buffer.add(polled(clock))
    assert buffer.flush_when_due() == 0


def test_while_water_runs_every_check_commits(
    buffer: ReadingBuffer, clock: VirtualClock, card: Card
) -> None:
    buffer.set_watering(True)
    assert checks(buffer, clock, 3) == [3, 3, 3]
    buffer.set_watering(False)
    # the check after the water stopped still commits (the run's last readings), then idle
    assert checks(buffer, clock, 6) == [3, 0, 0, 0, 0, 15]


def test_a_run_between_two_checks_is_committed_at_the_next(
    buffer: ReadingBuffer, clock: VirtualClock, card: Card
) -> None:
    assert checks(buffer, clock, 1) == [0]
    clock.advance(30)
    buffer.set_watering(True)  # a short run, over before the next check
    buffer.add(polled(clock))
    buffer.set_watering(False)
    assert checks(buffer, clock, 1) == [9]  # the idle poll before the run too
    assert checks(buffer, clock, 1) == [0]


def test_a_failed_commit_of_a_run_is_retried_at_the_next_check(
    buffer: ReadingBuffer, clock: VirtualClock, card: Card
) -> None:
    buffer.set_watering(True)
    buffer.add(polled(clock))
    buffer.set_watering(False)
    card.failing = True
    with pytest.raises(StoreWriteError):
        buffer.flush_when_due()
    card.failing = False
    clock.advance(FLUSH_S)
    assert buffer.flush_when_due() == 3  # still owed, though the water is off now


def test_an_idle_interval_of_zero_commits_at_every_check(clock: VirtualClock, card: Card) -> None:
    buffer = ReadingBuffer(card.write, monotonic=clock.monotonic)
    assert checks(buffer, clock, 3) == [3, 3, 3]
    with pytest.raises(ValueError, match="idle_flush_s"):
        buffer.idle_flush_s = -1


def test_a_full_batch_is_committed_without_waiting(clock: VirtualClock, card: Card) -> None:
    buffer = ReadingBuffer(
        card.write, batch_size=5, idle_flush_s=IDLE_FLUSH_S, monotonic=clock.monotonic
    )
    buffer.add(polled(clock, 5))
    assert card.commits == [5]  # memory stays bounded on a quiet day too


# -- through the store -------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    s = Store.open_dir(tmp_path / "data", clock=clock)
    s.idle_flush_s = IDLE_FLUSH_S
    yield s
    s.close()


def stored(store: Store) -> int:
    return len(store.readings("probe1", "moisture", T0, T0 + timedelta(days=1)))


def test_the_store_commits_idle_readings_at_its_idle_interval(
    store: Store, clock: VirtualClock
) -> None:
    store.add_readings(polled(clock))
    clock.advance(FLUSH_S)
    assert store.flush_when_due() == 0 and stored(store) == 0
    clock.advance(IDLE_FLUSH_S - FLUSH_S)
    assert store.flush_when_due() == 3 and stored(store) == 3
    store.set_watering(True)
    store.add_readings(polled(clock))
    clock.advance(1)
    assert store.flush_when_due() == 3 and stored(store) == 6


def test_closing_the_store_commits_what_is_pending_whatever_the_cadence(
    tmp_path: Path, clock: VirtualClock
) -> None:
    s = Store.open_dir(tmp_path / "data", clock=clock)
    s.idle_flush_s = IDLE_FLUSH_S
    s.add_readings(polled(clock))
    assert s.flush_when_due() == 0  # not due yet
    s.close()  # the daemon's stop, and any shutdown, ends here
    with Store.open_dir(tmp_path / "data", clock=clock) as again:
        assert stored(again) == 3
