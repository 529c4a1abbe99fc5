"""A channel's rules for one event: severity, quiet hours (site-local), back-off."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from controller.config.notify import SEVERITIES, ChannelConfig

__all__ = ["DISTINCT_FAULT_CODES", "backoff_s", "passes_severity", "quiet_until"]

FIRST_RETRY_S = 5.0

# Codes whose raiser raises one event per distinct fault and episode already (the relay
# read-back, controller.runtime.readback: one per module, coil and kind of disagreement):
# for them a repeat is the same code, source *and message*, so a second fault within
# dedup_min is still sent while the same fault raised again is not.
DISTINCT_FAULT_CODES = frozenset({"output_mismatch"})


def passes_severity(cfg: ChannelConfig, severity: str) -> bool:
    """``severity`` at or above the channel's ``min_severity`` (unknown ones pass)."""
    if severity not in SEVERITIES:
        return True
    return SEVERITIES.index(severity) >= SEVERITIES.index(cfg.min_severity)


def quiet_until(cfg: ChannelConfig, now: datetime, tz: tzinfo) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (aware), or ``None`` outside them.

    ``"22:00-07:00"`` spans midnight; a span whose start equals its end is never quiet.
    """
    if cfg.quiet_hours is None:
        return None
    start_s, end_s = cfg.quiet_hours.split("-")
    start, end = time.fromisoformat(start_s), time.fromisoformat(end_s)
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if start == end:
        return None
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tz)


def backoff_s(attempts: int, max_s: float) -> float:
    """Seconds before retry number ``attempts`` (1, 2, ...): 5, 10, 20, ... up to ``max_s``.
    The doublings are counted no further than the cap needs (``max_s`` ≤ 3,600 s): 2 ** 1024
    is no float, and a channel retried every second for the 720 h ``give_up_h`` allows makes
    millions of attempts."""
    return float(min(max_s, FIRST_RETRY_S * 2.0 ** min(max(0, attempts - 1), 64)))
