"""A hand-moved clock for the code that takes its time as a callable or a clock object."""

from __future__ import annotations


class FakeClock:
    """Time that moves only when a test moves it (``now``, ``advance``) or code sleeps.

    Passes as a ``() -> float`` time source (calling it) and as an object with
    ``monotonic()`` and ``sleep()``; sleeps return at once, move the clock, and are kept
    in ``sleeps``.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
