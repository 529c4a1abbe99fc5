"""The control loop's ticker: fixed rate on monotonic time, overruns counted, never replayed."""

from __future__ import annotations

import re
import threading
import time

import pytest

from controller.daemon.ticker import Ticker, TickStats

PERIOD_S = 0.02


def test_a_long_call_loses_its_slots_and_is_not_run_again_for_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each call starts in a slot of its own: an overrun is counted, never caught up twice."""
    slots: list[int] = []
    overran = threading.Event()
    done = threading.Event()
    # The slot of a call is read from the ticker's own last clock reading before it (what it
    # judged lateness by), not from a reading inside the call, which a loaded machine can
    # delay into the next slot.
    read_s = [0.0]

    def monotonic() -> float:
        read_s[0] = time.monotonic()
        return read_s[0]

    def tick() -> None:
        assert ticker.origin_s is not None
        slots.append(int((read_s[0] - ticker.origin_s) // PERIOD_S))
        if len(slots) == 3:
            time.sleep(10 * PERIOD_S)  # a call that overruns ten slots
            overran.set()
        if len(slots) >= 12:
            done.set()

    ticker = Ticker("test", tick, PERIOD_S, monotonic=monotonic)
    ticker.start()
    try:
        assert done.wait(30)
    finally:
        assert ticker.stop()
    stats = ticker.stats()
    assert overran.is_set()
    assert len(slots) == len(set(slots)), f"two calls in one slot: {slots}"
    assert stats.lost >= 9  # at least the nine whole slots the long call covered
    lost = [r.getMessage() for r in caplog.records if " lost (the loop was " in r.getMessage()]
    assert lost and all(re.match(r"test: (1 tick|([02-9]|\d\d+) ticks) lost", m) for m in lost), (
        lost
    )
    assert stats.ticks == len(slots)
    assert not ticker.running


def test_an_error_in_the_call_does_not_end_the_loop() -> None:
    calls = []
    again = threading.Event()

    def tick() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        again.set()

    ticker = Ticker("test", tick, PERIOD_S)
    ticker.start()
    try:
        assert again.wait(10)
    finally:
        ticker.stop()
    assert len(calls) >= 2


def test_stop_returns_promptly_between_ticks_and_twice_is_harmless() -> None:
    ticker = Ticker("test", lambda: None, 3600.0)  # first call at once, then an hour's wait
    ticker.start()
    assert ticker.stop(timeout_s=5)
    assert ticker.stop()


def test_period_must_be_positive() -> None:
    with pytest.raises(ValueError, match="period_s"):
        Ticker("bad", lambda: None, 0)


def test_stats_percentile_and_max() -> None:
    s = TickStats()
    for _ in range(99):
        s.add(1.5)
    s.add(250.0)
    assert s.ticks == 100
    assert s.late_max_ms == 250.0
    assert s.percentile_ms(0.99) == 2.0  # the upper edge of the 1-2 ms bucket
    assert s.percentile_ms(1.0) == 250.0
    assert TickStats().p99_ms == 0.0
