"""Failed logins slow the next attempt down, per address and per account, without a lockout.

Each key — the remote address, and the account name tried — keeps a streak of failures.
The first :attr:`BackoffPolicy.free_failures` cost nothing (typos); every further one
doubles the wait before the key may try again, from :attr:`~BackoffPolicy.first_delay_s`
up to a cap. The caps differ on purpose:

* an **address** that keeps failing waits up to :attr:`~BackoffPolicy.address_max_s`
  (15 min): guessing from one machine becomes slow;
* an **account** waits at most :attr:`~BackoffPolicy.account_max_s` (30 s): guessing one
  account from many machines is slowed too, yet nobody can keep its owner out — from an
  address that has not failed, the owner gets in after that short wait at most.

An attempt refused while waiting is not a failure (it does not lengthen the wait). A
success clears both keys; a streak quiet for :attr:`~BackoffPolicy.forget_after_s` is
forgotten; :meth:`LoginBackoff.forgive` clears an account and the addresses that last
tried it (``qanat user unlock``). In memory on purpose: nothing is written per attempt
and a restart forgives. Times are seconds from ``now`` (the store's clock in the daemon).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from controller.access.accounts import TooManyAttempts

__all__ = ["MAX_TRACKED", "BackoffPolicy", "LoginBackoff"]

MAX_TRACKED = 10_000  # streaks kept before quiet ones are dropped (random names cost no memory)


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """How fast waits grow (seconds). The defaults: 3 free failures, then 1, 2, 4 … s."""

    free_failures: int = 3
    first_delay_s: float = 1.0
    address_max_s: float = 900.0
    account_max_s: float = 30.0
    forget_after_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.free_failures < 0 or self.first_delay_s <= 0:
            raise ValueError("free_failures >= 0 and first_delay_s > 0 expected")
        if not 0 < self.account_max_s <= self.address_max_s <= self.forget_after_s:
            raise ValueError("0 < account_max_s <= address_max_s <= forget_after_s expected")

    def delay_s(self, failures: int, cap_s: float) -> float:
        """The wait after ``failures`` failures in a row: 0, then doubling up to ``cap_s``."""
        extra = failures - self.free_failures
        if extra <= 0:
            return 0.0
        return min(cap_s, self.first_delay_s * 2.0 ** min(extra - 1, 62))


@dataclass(slots=True)
class _Streak:
    failures: int
    last_s: float  # when the latest failure happened
    username: str  # the account (for an address: the one it tried last)


class LoginBackoff:
    """The streaks of failed logins, by address and by account (module docstring)."""

    def __init__(
        self,
        policy: BackoffPolicy | None = None,
        *,
        now: Callable[[], float] = time.monotonic,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        self.policy = policy if policy is not None else BackoffPolicy()
        self._now = now
        self._max_tracked = max_tracked
        self._streaks: dict[str, _Streak] = {}
        self._lock = threading.Lock()

    def wait_s(self, address: str, username: str) -> float:
        """Seconds before ``address`` may try ``username`` (0: now)."""
        with self._lock:
            now = self._now()
            return max(
                self._remaining(f"a:{address}", self.policy.address_max_s, now),
                self._remaining(f"u:{username}", self.policy.account_max_s, now),
            )

    def check(self, address: str, username: str) -> None:
        """Raise :class:`TooManyAttempts` (with the wait, at least 1 s) if either key waits."""
        wait = self.wait_s(address, username)
        if wait > 0:
            raise TooManyAttempts(max(1.0, wait))

    def failed(self, address: str, username: str) -> None:
        with self._lock:
            now = self._now()
            if len(self._streaks) >= self._max_tracked:
                self._drop_quiet(now)
            for key in (f"a:{address}", f"u:{username}"):
                streak = self._live(key, now)
                if streak is None:
                    self._streaks[key] = _Streak(1, now, username)
                else:
                    streak.failures += 1
                    streak.last_s = now
                    streak.username = username

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._streaks.pop(f"a:{address}", None)
            self._streaks.pop(f"u:{username}", None)

    def forgive(self, username: str, *, failed_before_s: float | None = None) -> bool:
        """Clear ``username``'s streak and those of the addresses that last tried it
        (only streaks whose latest failure is before ``failed_before_s``, when given).
        Whether anything was cleared."""
        with self._lock:
            doomed = [
                key
                for key, streak in self._streaks.items()
                if streak.username == username
                and (failed_before_s is None or streak.last_s < failed_before_s)
            ]
            for key in doomed:
                del self._streaks[key]
            return bool(doomed)

    def tracked(self) -> int:
        """How many streaks are kept (for tests of the memory bound)."""
        with self._lock:
            return len(self._streaks)

    def _live(self, key: str, now: float) -> _Streak | None:
        streak = self._streaks.get(key)
        if streak is not None and now - streak.last_s >= self.policy.forget_after_s:
            del self._streaks[key]
            return None
        return streak

    def _remaining(self, key: str, cap_s: float, now: float) -> float:
        streak = self._live(key, now)
        if streak is None:
            return 0.0
        delay = self.policy.delay_s(streak.failures, cap_s)
        # min(): a wall clock set back (NTP, a dead RTC battery) never makes a wait longer
        return min(delay, max(0.0, streak.last_s + delay - now))

    def _drop_quiet(self, now: float) -> None:
        """Over the bound: forget streaks that impose no wait now, then the oldest."""
        for key in list(self._streaks):
            cap = self.policy.address_max_s if key.startswith("a:") else self.policy.account_max_s
            if self._remaining(key, cap, now) == 0.0:
                self._streaks.pop(key, None)
        while len(self._streaks) >= self._max_tracked:
            oldest = min(self._streaks, key=lambda k: self._streaks[k].last_s)
            del self._streaks[oldest]
