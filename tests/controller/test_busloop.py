"""One poll loop per bus: staggered first polls, a rate limit, a hang kept to its own bus."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from controller.daemon.busloop import BusLoop, PollTask


def test_first_polls_are_spread_over_each_interval() -> None:
    tasks = [PollTask(f"p{i}", lambda: None, 60.0) for i in range(4)]
    loop = BusLoop("field", tasks, max_polls_per_s=10)
    assert loop.first_due(100.0) == [100.0, 115.0, 130.0, 145.0]


def test_polls_on_one_bus_never_start_closer_than_the_rate_allows() -> None:
    starts: list[float] = []
    done = threading.Event()

    def poll() -> None:
        starts.append(time.monotonic())
        if len(starts) >= 8:
            done.set()

    # eight devices all due together (a tiny interval): the limit spaces them out
    loop = BusLoop("field", [PollTask(f"p{i}", poll, 0.001) for i in range(8)], max_polls_per_s=50)
    loop.start()
    try:
        assert done.wait(10)
    finally:
        assert loop.stop()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 1 / 50 - 1e-3


def test_a_hanging_bus_stalls_only_its_own_loop_and_its_late_polls_are_not_replayed() -> None:
    release = threading.Event()
    hung_calls: list[float] = []
    other_calls: list[float] = []
    other_many = threading.Event()

    def hang() -> None:
        hung_calls.append(time.monotonic())
        if len(hung_calls) == 1:
            release.wait(10)  # a read that does not come back for a while

    def other() -> None:
        other_calls.append(time.monotonic())
        if len(other_calls) >= 10:
            other_many.set()

    hung = BusLoop("field", [PollTask("probe", hang, 0.01)], max_polls_per_s=1000)
    fine = BusLoop("head", [PollTask("flow", other, 0.01)], max_polls_per_s=1000)
    hung.start()
    fine.start()
    try:
        assert other_many.wait(10)  # the other bus polls on while this one hangs
        assert len(hung_calls) == 1
        release.set()
        while len(hung_calls) < 3:
            time.sleep(0.01)
    finally:
        assert hung.stop() and fine.stop()
    stats = hung.stats()
    assert stats.skipped >= 1  # the slots the hang covered were dropped, not run back to back
    assert stats.failed == 0


def test_a_failing_poll_does_not_end_the_loop() -> None:
    calls: list[int] = []
    again = threading.Event()

    def poll() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("driver bug")
        again.set()

    loop = BusLoop("field", [PollTask("p", poll, 0.01)], max_polls_per_s=1000)
    loop.start()
    try:
        assert again.wait(10)
    finally:
        loop.stop()
    assert loop.stats().failed == 1


def test_bad_rates_and_intervals_are_refused() -> None:
    with pytest.raises(ValueError, match="max_polls_per_s"):
        BusLoop("field", [], max_polls_per_s=0)
    with pytest.raises(ValueError, match="probe1a"):
        BusLoop("field", [PollTask("probe1a", lambda: None, 0)], max_polls_per_s=1)
