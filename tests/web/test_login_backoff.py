"""The login back-off on its own: waits that double per address and per account, bounded."""

from __future__ import annotations

import pytest

from controller.access.accounts import TooManyAttempts
from controller.access.lockout import BackoffPolicy, LoginBackoff


class Clock:
    def __init__(self) -> None:
        self.s = 0.0

    def __call__(self) -> float:
        return self.s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def backoff(clock: Clock) -> LoginBackoff:
    return LoginBackoff(now=clock)


def test_three_failures_are_free_then_the_wait_doubles(backoff: LoginBackoff) -> None:
    waits = []
    for _ in range(8):
        backoff.failed("10.0.0.1", "li")
        waits.append(backoff.wait_s("10.0.0.1", "li"))
    assert waits == [0, 0, 0, 1, 2, 4, 8, 16]


def test_an_account_waits_at_most_30_s_an_address_at_most_15_min(
    backoff: LoginBackoff,
) -> None:
    for _ in range(40):
        backoff.failed("10.0.0.1", "li")
    assert backoff.wait_s("10.0.0.1", "li") == 900  # the failing address: the long wait
    assert backoff.wait_s("10.0.0.2", "li") == 30  # the owner elsewhere: the account's cap
    assert backoff.wait_s("10.0.0.1", "wang") == 900  # the address, trying anyone


def test_an_attacker_never_keeps_the_owner_out(backoff: LoginBackoff, clock: Clock) -> None:
    """Many addresses guessing one account as fast as they are let: the owner, from an
    address that has not failed, waits 30 s at most at any moment."""
    worst = 0.0
    for i in range(2000):
        attacker = f"203.0.113.{i % 250}"
        clock.s += 0.5
        if backoff.wait_s(attacker, "ada") == 0:
            backoff.failed(attacker, "ada")
        worst = max(worst, backoff.wait_s("192.168.1.50", "ada"))
    assert 0 < worst <= 30
    clock.s += 30
    backoff.check("192.168.1.50", "ada")  # no TooManyAttempts


def test_a_refused_attempt_is_no_failure(backoff: LoginBackoff, clock: Clock) -> None:
    for _ in range(4):
        backoff.failed("10.0.0.1", "li")
    for _ in range(10):  # hammering while waiting does not lengthen the wait
        with pytest.raises(TooManyAttempts) as caught:
            backoff.check("10.0.0.1", "li")
    assert caught.value.retry_after_s == 1.0
    clock.s += 1
    backoff.check("10.0.0.1", "li")


def test_the_wait_is_told_in_whole_seconds_of_at_least_one(
    backoff: LoginBackoff, clock: Clock
) -> None:
    for _ in range(6):
        backoff.failed("10.0.0.1", "li")  # waits 4 s
    clock.s += 3.9
    with pytest.raises(TooManyAttempts, match="try again in 1 s") as caught:
        backoff.check("10.0.0.1", "li")
    assert caught.value.retry_after_s == 1.0


def test_a_success_clears_its_address_and_account(backoff: LoginBackoff) -> None:
    for _ in range(5):
        backoff.failed("10.0.0.1", "li")
    backoff.succeeded("10.0.0.1", "li")
    assert backoff.wait_s("10.0.0.1", "li") == 0
    assert backoff.tracked() == 0


def test_a_quiet_hour_forgets_a_streak(backoff: LoginBackoff, clock: Clock) -> None:
    for _ in range(10):
        backoff.failed("10.0.0.1", "li")
    clock.s += 3599
    assert backoff.wait_s("10.0.0.1", "li") == 0  # the wait is long over
    backoff.failed("10.0.0.1", "li")  # ...but the streak goes on
    assert backoff.wait_s("10.0.0.1", "li") > 0
    clock.s += 3600
    backoff.failed("10.0.0.1", "li")  # an hour quiet: a new streak, a free failure
    assert backoff.wait_s("10.0.0.1", "li") == 0


def test_forgive_clears_the_account_and_the_addresses_that_tried_it(
    backoff: LoginBackoff, clock: Clock
) -> None:
    for _ in range(10):
        backoff.failed("10.0.0.1", "li")
        backoff.failed("10.0.0.2", "wang")
    assert not backoff.forgive("li", failed_before_s=-1)  # only failures before an unlock
    assert backoff.forgive("li", failed_before_s=clock.s + 1)
    assert backoff.wait_s("10.0.0.1", "li") == 0
    assert backoff.wait_s("10.0.0.2", "wang") > 0  # another account, another address
    assert not backoff.forgive("li")


def test_memory_stays_bounded_under_random_names(clock: Clock) -> None:
    backoff = LoginBackoff(now=clock, max_tracked=100)
    for _ in range(5):
        backoff.failed("10.0.0.1", "li")  # a streak with a wait: kept
    for i in range(1000):
        backoff.failed(f"10.1.{i // 250}.{i % 250}", f"user{i}")
    assert backoff.tracked() <= 100
    assert backoff.wait_s("10.0.0.1", "li") > 0


@pytest.mark.parametrize(
    "policy",
    [
        {"free_failures": -1},
        {"first_delay_s": 0},
        {"account_max_s": 0},
        {"account_max_s": 1000, "address_max_s": 900},
        {"address_max_s": 7200, "forget_after_s": 3600},
    ],
)
def test_an_inconsistent_policy_is_refused(policy: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BackoffPolicy(**policy)  # type: ignore[arg-type]


def test_a_clock_set_back_never_lengthens_a_wait(backoff: LoginBackoff, clock: Clock) -> None:
    clock.s = 1_000_000.0
    for _ in range(40):
        backoff.failed("10.0.0.1", "li")
    clock.s -= 86_400  # the box's clock jumps a day back
    assert backoff.wait_s("10.0.0.1", "li") == 900
    assert backoff.wait_s("10.0.0.2", "li") == 30
