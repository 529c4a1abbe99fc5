"""The notifier's retry delays: doubling from 5 s up to the channel's cap, for ever."""

from __future__ import annotations

import pytest

from controller.notify.policy import FIRST_RETRY_S, backoff_s


def test_the_delay_doubles_up_to_the_cap() -> None:
    assert [backoff_s(n, 600) for n in range(1, 9)] == [5, 10, 20, 40, 80, 160, 320, 600]
    assert backoff_s(0, 600) == FIRST_RETRY_S


@pytest.mark.parametrize("attempts", [1_025, 1_100, 2_600_000])
def test_a_channel_failing_for_weeks_waits_the_cap_without_overflow(attempts: int) -> None:
    """``retry_max_s = 1`` and ``give_up_h = 720`` (both allowed) make millions of attempts:
    the 1,025th raised OverflowError in the notifier's failure path."""
    assert backoff_s(attempts, 1.0) == 1.0
    assert backoff_s(attempts, 3600.0) == 3600.0
