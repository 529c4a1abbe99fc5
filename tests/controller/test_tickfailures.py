"""Failing control ticks counted as episodes (:mod:`controller.daemon.tickfailures`): the
bound by ticks at the control period, by monotonic time when the ticks come late."""

from __future__ import annotations

import pytest

from controller.daemon.tickfailures import CONTROL_ERROR_SAFE_AFTER_S, TickFailures


def test_the_first_failing_tick_opens_an_episode_and_the_bound_makes_it_safe() -> None:
    failures = TickFailures(1.0)
    steps = [failures.failed(f"error {i}", float(i)) for i in range(6)]
    assert [s.first for s in steps] == [True] + [False] * 5
    ticks_to_bound = int(CONTROL_ERROR_SAFE_AFTER_S)  # one a second
    assert [s.go_safe for s in steps] == [i >= ticks_to_bound for i in range(6)]
    ep = steps[-1].episode
    assert (ep.ticks, ep.first_error, ep.last_error, ep.lasted_s()) == (6, "error 0", "error 5", 5)


def test_ticks_that_come_late_reach_the_bound_by_time() -> None:
    """A failing tick that overran its slots: two failures the bound apart are enough."""
    failures = TickFailures(1.0)
    assert not failures.failed("e", 100.0).go_safe
    assert failures.failed("e", 100.0 + CONTROL_ERROR_SAFE_AFTER_S).go_safe


def test_a_tick_that_succeeds_ends_the_episode_and_the_next_failure_opens_another() -> None:
    failures = TickFailures(1.0)
    failures.failed("e", 0.0)
    failures.failed("e", 1.0)
    ended = failures.succeeded()
    assert ended is not None and ended.ticks == 2
    assert failures.succeeded() is None
    again = failures.failed("f", 2.0)
    assert again.first and again.episode.ticks == 1 and not again.go_safe


def test_a_bound_of_zero_is_safe_at_the_first_failure() -> None:
    assert TickFailures(1.0, safe_after_s=0.0).failed("e", 0.0).go_safe


@pytest.mark.parametrize(("period_s", "after_s"), [(0.0, 3.0), (1.0, -1.0)])
def test_a_period_or_bound_that_cannot_be_is_refused_by_name(
    period_s: float, after_s: float
) -> None:
    with pytest.raises(ValueError, match="period_s"):
        TickFailures(period_s, after_s)


def test_one_failing_tick_is_an_episode_of_one_error_and_no_time() -> None:
    """The recovery event says the first and the last error and how long: for a single
    failing tick both are its error, over 0 s (monotonic time need not start at 0)."""
    failures = TickFailures(1.0)
    first = failures.failed("boom", 500.0)
    assert first.first and not first.go_safe
    ended = failures.succeeded()
    assert ended is not None
    assert (ended.first_error, ended.last_error, ended.ticks, ended.lasted_s()) == (
        "boom",
        "boom",
        1,
        0.0,
    )


@pytest.mark.parametrize(
    ("period_s", "after_s", "safe_at_tick"),
    [
        (0.5, 3.0, 7),  # 6 ticks make the bound: the 7th failing tick is past it
        (5.0, 3.0, 2),  # a period over the bound: one tick makes it, the second is past it
    ],
)
def test_the_bound_by_ticks_holds_whatever_the_clock_says(
    period_s: float, after_s: float, safe_at_tick: int
) -> None:
    """Failing ticks that come faster than the clock moves (all at one monotonic time):
    the safe state after the bound's number of ticks at the control period."""
    failures = TickFailures(period_s, after_s)
    safe = [failures.failed("e", 42.0).go_safe for _ in range(safe_at_tick + 1)]
    assert safe == [tick >= safe_at_tick for tick in range(1, safe_at_tick + 2)]
