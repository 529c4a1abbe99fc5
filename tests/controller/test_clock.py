"""The clock: system time is aware UTC; virtual time moves only when told to."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from controller.clock import Clock, ClockError, SystemClock, VirtualClock

T0 = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)


def test_system_clock_is_aware_utc_and_monotonic() -> None:
    clock = SystemClock()
    assert isinstance(clock, Clock)
    now = clock.now()
    assert now.tzinfo is UTC
    assert abs((now - datetime.now(UTC)).total_seconds()) < 5
    a = clock.monotonic()
    clock.sleep(0.001)
    assert clock.monotonic() > a


def test_virtual_clock_starts_where_told_in_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    clock = VirtualClock(datetime(2025, 5, 1, 14, 0, tzinfo=beijing))
    assert isinstance(clock, Clock)
    assert clock.now() == T0
    assert clock.now().tzinfo is UTC
    assert clock.monotonic() == 0.0


def test_virtual_clock_refuses_naive_times() -> None:
    with pytest.raises(ClockError, match="naive"):
        VirtualClock(datetime(2025, 5, 1))
    with pytest.raises(ClockError, match="naive"):
        VirtualClock(T0).set(datetime(2025, 6, 1))


def test_advance_and_sleep_move_wall_and_monotonic_together() -> None:
    clock = VirtualClock(T0)
    assert clock.advance(90) == T0 + timedelta(seconds=90)
    clock.sleep(30)  # returns at once, having moved time
    assert clock.now() == T0 + timedelta(minutes=2)
    assert clock.monotonic() == 120.0
    with pytest.raises(ClockError):
        clock.advance(-1)
    with pytest.raises(ClockError):
        clock.sleep(-0.5)
    with pytest.raises(ClockError):
        clock.advance(float("nan"))


def test_set_forward_is_time_passing() -> None:
    clock = VirtualClock(T0)
    clock.set(T0 + timedelta(hours=1))
    assert clock.now() == T0 + timedelta(hours=1)
    assert clock.monotonic() == 3600.0


def test_set_backwards_is_a_clock_jump_refused_unless_allowed() -> None:
    clock = VirtualClock(T0)
    clock.advance(600)
    with pytest.raises(ClockError, match="allow_backwards"):
        clock.set(T0)
    assert clock.now() == T0 + timedelta(minutes=10)
    clock.set(T0 - timedelta(days=1), allow_backwards=True)
    assert clock.now() == T0 - timedelta(days=1)
    # the monotonic counter never goes back: durations stay right across the jump
    assert clock.monotonic() == 600.0
    clock.advance(5)
    assert clock.monotonic() == 605.0


def test_virtual_clock_is_thread_safe() -> None:
    clock = VirtualClock(T0)
    n_threads, n_steps = 8, 2000

    def work() -> None:
        for _ in range(n_steps):
            clock.sleep(0.25)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.monotonic() == n_threads * n_steps * 0.25
    assert clock.now() == T0 + timedelta(seconds=n_threads * n_steps * 0.25)
