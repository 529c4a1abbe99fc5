"""Failing control ticks counted as episodes: one alarm each, the safe state after a bound.

A control tick that raises something unexpected (a bug) may have skipped the supervisor's
check or the leases' renewal. One such tick is a second the box did not judge, no worse than
a tick that ran late; a bug that fails every tick is a loop that no longer judges anything.
:class:`TickFailures` tells the two apart for :meth:`controller.daemon.daemon.Daemon.control_tick`:

* the first failing tick opens an *episode*: the one ``control_error`` alarm is raised and
  starts are refused (:meth:`controller.runtime.safety.Supervisor.hold_starts`);
* the failing ticks after it are counted, logged at DEBUG, and raise nothing;
* once the episode has lasted :data:`CONTROL_ERROR_SAFE_AFTER_S` (by monotonic time, or by
  as many failing ticks of the control period, whichever comes first) every run is aborted
  and every output switched off, and at each failing tick after that whatever is on again;
* the first tick that succeeds ends the episode: starts are allowed again and an event
  records how many ticks failed over how long.

The systemd watchdog is fed only by a tick that succeeded: a loop failing for longer than
``WatchdogSec`` (30 s in deploy/systemd/qanat.service) is killed and restarted by systemd,
and the restart switches every output off and reads it back before it reports ready.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONTROL_ERROR_SAFE_AFTER_S", "Episode", "Failed", "TickFailures"]

# Seconds of failing ticks in a row after which everything is switched off: the shortest
# lease the site file allows (safety.lease_s >= 3 s), so the box takes the safe state no
# later than a relay's own timer would, and below every supervisor delay a site sets in
# practice (dry_run_delay_s, burst_delay_s: 20-30 s), so a tick or two lost to a passing
# error does not end the night's irrigation.
CONTROL_ERROR_SAFE_AFTER_S = 3.0


@dataclass(slots=True)
class Episode:
    """Consecutive failing control ticks: the first error, the latest, how many, since when
    (monotonic seconds) and whether the safe state was taken."""

    first_error: str
    started_mono_s: float
    last_error: str = ""
    ticks: int = 1
    last_mono_s: float = 0.0
    safe: bool = False

    def lasted_s(self) -> float:
        return self.last_mono_s - self.started_mono_s


@dataclass(frozen=True, slots=True)
class Failed:
    """What a failing tick asks of the daemon."""

    episode: Episode
    first: bool  # the episode begins: raise its alarm, hold the starts
    go_safe: bool  # the bound is reached (now or before): everything off


class TickFailures:
    """Counts the control loop's failing ticks into episodes (module docstring)."""

    def __init__(self, period_s: float, safe_after_s: float = CONTROL_ERROR_SAFE_AFTER_S) -> None:
        if period_s <= 0 or safe_after_s < 0:
            raise ValueError(
                f"period_s {period_s!r} must be > 0 and safe_after_s {safe_after_s!r} >= 0"
            )
        self.safe_after_s = safe_after_s
        # failing ticks that make the bound when the loop keeps its period
        self.safe_after_ticks = max(1, round(safe_after_s / period_s))
        self.episode: Episode | None = None

    def failed(self, error: str, mono_s: float) -> Failed:
        """A tick failed with ``error`` at monotonic time ``mono_s``."""
        first = self.episode is None
        if self.episode is None:
            self.episode = Episode(error, mono_s, error, last_mono_s=mono_s)
        else:
            self.episode.ticks += 1
            self.episode.last_error, self.episode.last_mono_s = error, mono_s
        ep = self.episode
        go_safe = ep.ticks > self.safe_after_ticks or ep.lasted_s() >= self.safe_after_s
        return Failed(ep, first, go_safe)

    def succeeded(self) -> Episode | None:
        """A tick succeeded: the episode it ends, if one was under way."""
        ended, self.episode = self.episode, None
        return ended
