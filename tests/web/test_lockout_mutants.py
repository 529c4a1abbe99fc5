"""The login back-off at its bounds: policy checks, waits, the reported wait, clearing, memory."""

from __future__ import annotations

import pytest

from controller.access.accounts import TooManyAttempts
from controller.access.lockout import MAX_TRACKED, BackoffPolicy, LoginBackoff

FIRST = "free_failures >= 0 and first_delay_s > 0 expected"
CAPS = "0 < account_max_s <= address_max_s <= forget_after_s expected"


class Clock:
    def __init__(self) -> None:
        self.s = 0.0

    def __call__(self) -> float:
        return self.s


def policy(**kw: float) -> BackoffPolicy:
    return BackoffPolicy(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"free_failures": -1}, FIRST),
        ({"first_delay_s": 0.0}, FIRST),
        ({"first_delay_s": -0.5}, FIRST),
        ({"account_max_s": 0.0}, CAPS),
        ({"account_max_s": -1.0}, CAPS),
        ({"account_max_s": 901.0}, CAPS),
        ({"address_max_s": 3601.0}, CAPS),
        ({"forget_after_s": 899.0}, CAPS),
    ],
)
def test_a_policy_out_of_bounds_is_refused(kw: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError) as err:
        policy(**kw)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "kw",
    [
        {"free_failures": 0},
        {"first_delay_s": 0.001},
        {"account_max_s": 0.001},
        {"account_max_s": 900.0},  # equal to address_max_s
        {"address_max_s": 3600.0},  # equal to forget_after_s
        {"account_max_s": 5.0, "address_max_s": 5.0, "forget_after_s": 5.0},
    ],
)
def test_a_policy_at_its_bounds_is_accepted(kw: dict[str, float]) -> None:
    p = policy(**kw)
    for name, value in kw.items():
        assert getattr(p, name) == value


def test_the_delay_is_free_then_doubles_from_the_first_delay_up_to_the_cap() -> None:
    p = BackoffPolicy(free_failures=2, first_delay_s=1.5)
    assert [p.delay_s(n, 100.0) for n in range(7)] == [0.0, 0.0, 0.0, 1.5, 3.0, 6.0, 12.0]
    assert p.delay_s(3, 1.0) == 1.0  # capped
    assert p.delay_s(4, 3.0) == 3.0  # at the cap exactly
    assert p.delay_s(4, 2.9) == 2.9


def test_the_doubling_stops_at_2_to_the_62() -> None:
    p = BackoffPolicy(free_failures=0)
    assert p.delay_s(63, float("inf")) == 2.0**62
    assert p.delay_s(64, float("inf")) == 2.0**62
    assert p.delay_s(1000, float("inf")) == 2.0**62
    assert p.delay_s(62, float("inf")) == 2.0**61


def _waiting(clock: Clock, failures: int, **kw: float) -> LoginBackoff:
    backoff = LoginBackoff(BackoffPolicy(**kw), now=clock)  # type: ignore[arg-type]
    for _ in range(failures):
        backoff.failed("10.0.0.1", "li")
    return backoff


def test_check_reports_a_short_wait_as_one_second() -> None:
    clock = Clock()
    backoff = _waiting(clock, 4)  # 1 s to wait
    clock.s = 0.7
    assert backoff.wait_s("10.0.0.1", "li") == pytest.approx(0.3)
    with pytest.raises(TooManyAttempts) as err:
        backoff.check("10.0.0.1", "li")
    assert err.value.retry_after_s == 1.0


def test_check_reports_a_longer_wait_as_it_is() -> None:
    clock = Clock()
    backoff = _waiting(clock, 7, first_delay_s=0.625)  # 0.625 * 8 = 5 s
    with pytest.raises(TooManyAttempts) as err:
        backoff.check("10.0.0.1", "li")
    assert err.value.retry_after_s == 5.0
    clock.s = 3.5
    with pytest.raises(TooManyAttempts) as err:
        backoff.check("10.0.0.1", "li")
    assert err.value.retry_after_s == 1.5


def test_check_passes_once_the_wait_is_over() -> None:
    clock = Clock()
    backoff = _waiting(clock, 4)
    clock.s = 1.0
    backoff.check("10.0.0.1", "li")  # no wait left


def test_the_policy_given_is_the_one_used_and_the_default_otherwise() -> None:
    mine = BackoffPolicy(free_failures=0, first_delay_s=2.0)
    assert LoginBackoff(mine).policy is mine
    assert LoginBackoff().policy == BackoffPolicy()
    assert LoginBackoff(None).policy == BackoffPolicy()


def test_the_first_failure_starts_a_streak_of_one_for_both_keys() -> None:
    clock = Clock()
    backoff = LoginBackoff(BackoffPolicy(free_failures=0, first_delay_s=2.0), now=clock)
    clock.s = 10.0
    backoff.failed("10.0.0.1", "li")
    assert backoff.tracked() == 2
    assert backoff.wait_s("10.0.0.1", "other") == 2.0  # one failure: the first delay
    assert backoff.wait_s("10.0.0.9", "li") == 2.0
    clock.s = 11.0
    assert backoff.wait_s("10.0.0.1", "other") == 1.0  # counted from the failure's time
    # both keys name the account tried, so forgiving it clears both
    assert backoff.forgive("li") is True
    assert backoff.tracked() == 0


def test_a_failure_updates_the_address_to_the_account_it_tried_last() -> None:
    clock = Clock()
    backoff = LoginBackoff(BackoffPolicy(free_failures=0), now=clock)
    backoff.failed("10.0.0.1", "li")
    clock.s = 5.0
    backoff.failed("10.0.0.1", "wu")
    assert backoff.wait_s("10.0.0.1", "x") == 2.0  # two failures, counted from t=5
    assert backoff.forgive("li") is True  # u:li only
    assert backoff.wait_s("10.0.0.1", "li") == 2.0
    assert backoff.forgive("wu") is True
    assert backoff.tracked() == 0


def test_success_clears_the_address_and_the_account_only() -> None:
    clock = Clock()
    backoff = LoginBackoff(BackoffPolicy(free_failures=0), now=clock)
    backoff.failed("10.0.0.1", "li")
    backoff.failed("10.0.0.2", "wu")
    backoff.succeeded("10.0.0.1", "li")
    assert backoff.tracked() == 2
    assert backoff.wait_s("10.0.0.1", "li") == 0.0
    assert backoff.wait_s("10.0.0.2", "x") == 1.0
    assert backoff.wait_s("10.0.0.3", "wu") == 1.0


def test_success_clears_each_key_on_its_own() -> None:
    clock = Clock()
    backoff = LoginBackoff(BackoffPolicy(free_failures=0), now=clock)
    backoff.failed("10.0.0.1", "li")
    backoff.succeeded("10.0.0.1", "nobody")
    assert backoff.wait_s("10.0.0.1", "x") == 0.0
    assert backoff.wait_s("10.0.0.9", "li") == 1.0
    backoff.succeeded("10.0.0.9", "li")
    assert backoff.tracked() == 0


def test_forgive_clears_only_failures_strictly_before_the_time_given() -> None:
    clock = Clock()
    backoff = LoginBackoff(BackoffPolicy(free_failures=0), now=clock)
    clock.s = 10.0
    backoff.failed("10.0.0.1", "li")
    assert backoff.forgive("li", failed_before_s=10.0) is False
    assert backoff.tracked() == 2
    assert backoff.forgive("li", failed_before_s=10.001) is True
    assert backoff.tracked() == 0
    assert backoff.forgive("li") is False


def test_forgive_without_a_time_clears_whatever_the_age() -> None:
    clock = Clock()
    backoff = LoginBackoff(BackoffPolicy(free_failures=0), now=clock)
    clock.s = 10.0
    backoff.failed("10.0.0.1", "li")
    backoff.failed("10.0.0.2", "wu")
    assert backoff.forgive("li") is True
    assert backoff.tracked() == 2
    assert backoff.wait_s("10.0.0.2", "wu") == 1.0


def test_over_the_bound_streaks_without_a_wait_go_first() -> None:
    clock = Clock()
    backoff = LoginBackoff(now=clock, max_tracked=4)  # 3 free failures
    for _ in range(4):
        backoff.failed("10.0.0.2", "busy")  # 1 s wait: the oldest, yet kept
    clock.s = 0.2
    backoff.failed("10.0.0.1", "quiet")  # no wait: dropped first
    assert backoff.tracked() == 4
    clock.s = 0.5
    backoff.failed("10.0.0.3", "new")
    assert backoff.tracked() == 4
    assert backoff.forgive("quiet") is False
    assert backoff.wait_s("10.0.0.2", "x") == 0.5
    assert backoff.wait_s("10.0.0.9", "busy") == 0.5
    assert backoff.forgive("new") is True


def test_over_the_bound_each_key_is_judged_by_its_own_cap() -> None:
    clock = Clock()
    backoff = LoginBackoff(BackoffPolicy(free_failures=0), now=clock, max_tracked=3)
    for _ in range(11):
        backoff.failed("10.0.0.1", "li")  # address waits 900 s, account 30 s
    backoff.failed("10.0.0.5", "li")  # a third streak: 1 s
    assert backoff.tracked() == 3
    clock.s = 100.0  # the account's wait is over, the address's is not
    backoff.failed("10.0.0.2", "wu")
    assert backoff.wait_s("10.0.0.1", "x") == 800.0  # kept
    assert backoff.tracked() == 3  # u:li and a:10.0.0.5 dropped, a:10.0.0.2 and u:wu added
    assert backoff.wait_s("10.0.0.5", "x") == 0.0
    assert backoff.forgive("wu") is True
    assert backoff.forgive("li") is True  # the address's streak


def test_over_the_bound_the_oldest_go_when_all_wait() -> None:
    clock = Clock()
    backoff = LoginBackoff(BackoffPolicy(free_failures=0), now=clock, max_tracked=4)
    backoff.failed("10.0.0.1", "li")
    clock.s = 0.1
    backoff.failed("10.0.0.2", "wu")
    clock.s = 0.2
    backoff.failed("10.0.0.3", "ma")  # all four wait: the oldest (a:10.0.0.1) goes
    assert backoff.tracked() == 5
    assert backoff.wait_s("10.0.0.1", "x") == 0.0
    assert backoff.wait_s("10.0.0.9", "li") == pytest.approx(0.8)
    assert backoff.wait_s("10.0.0.2", "x") == pytest.approx(0.9)
    clock.s = 0.3
    backoff.failed("10.0.0.4", "zh")  # drops u:li then a:10.0.0.2
    assert backoff.tracked() == 5
    assert backoff.forgive("li") is False
    assert backoff.wait_s("10.0.0.2", "x") == 0.0
    assert backoff.wait_s("10.0.0.9", "wu") == pytest.approx(0.8)


def test_below_the_bound_nothing_is_dropped() -> None:
    clock = Clock()
    backoff = LoginBackoff(now=clock, max_tracked=5)
    backoff.failed("10.0.0.1", "a")
    backoff.failed("10.0.0.2", "b")
    assert backoff.tracked() == 4
    backoff.failed("10.0.0.3", "c")  # 4 < 5: the quiet ones stay
    assert backoff.tracked() == 6


def test_the_default_bound_is_max_tracked() -> None:
    clock = Clock()
    backoff = LoginBackoff(now=clock)
    for n in range(MAX_TRACKED // 2):
        backoff.failed(f"a{n}", f"u{n}")
    assert backoff.tracked() == MAX_TRACKED
    backoff.failed("last", "last")  # all quiet: all dropped but the new pair
    assert backoff.tracked() == 2


def test_check_asks_about_the_address_and_the_account_given() -> None:
    clock = Clock()
    backoff = _waiting(clock, 4)  # 10.0.0.1 and li wait 1 s
    with pytest.raises(TooManyAttempts):
        backoff.check("10.0.0.1", "wu")  # the address waits
    with pytest.raises(TooManyAttempts):
        backoff.check("10.0.0.9", "li")  # the account waits
    backoff.check("10.0.0.9", "wu")


def test_over_the_bound_forgotten_streaks_are_dropped_too() -> None:
    clock = Clock()
    backoff = LoginBackoff(now=clock, max_tracked=2)
    backoff.failed("10.0.0.1", "li")
    clock.s = 3600.0  # forgotten, not yet removed
    backoff.failed("10.0.0.2", "wu")
    assert backoff.tracked() == 2
    assert backoff.forgive("li") is False
