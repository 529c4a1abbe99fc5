"""Watching a simulated relay after its daemon died: its own lease timer, nothing else, opens it."""

from __future__ import annotations

import time
from collections.abc import Sequence

from drivers.sim import VirtualDevice

# "Shortly before" the lease runs out: a coil sampled this close to its expiry must still be on.
BEFORE_S = 1.0
POLL_S = 0.05


def assert_lease_closes(
    relay: VirtualDevice, coils: Sequence[str], lease_s: float, margin_s: float = 5.0
) -> None:
    """Each of ``coils`` stays on until its lease runs out and is off just after.

    Call it right after the controlling process is gone. The coils must be on under a lease
    of at most ``lease_s``; each is sampled on until (and within ``BEFORE_S`` of) its expiry,
    and seen off within ``margin_s`` after it. The margin only absorbs a slow poll on a busy
    machine: the simulated relay drops a coil exactly when its timer ends.
    """
    ends_lo: dict[str, float] = {}  # the expiry lies in [ends_lo, ends_hi] (monotonic s)
    ends_hi: dict[str, float] = {}
    for coil in coils:
        before = time.monotonic()
        remaining = relay.lease_remaining_s(coil)
        after = time.monotonic()
        assert relay.get(coil) == 1.0 and remaining is not None, (
            f"{coil} is not on under a lease any more (remaining {remaining}): "
            "something other than the lease switched it off"
        )
        assert 0 < remaining <= lease_s + 0.5, (coil, remaining, lease_s)
        ends_lo[coil], ends_hi[coil] = before + remaining, after + remaining
    on_late: dict[str, float] = {}  # coil -> how long before its expiry it was last seen on
    off_at: dict[str, float] = {}
    deadline = max(ends_hi.values()) + margin_s
    while len(off_at) < len(coils) and time.monotonic() < deadline:
        for coil in coils:
            if coil in off_at:
                continue
            value = relay.get(coil)
            sampled = time.monotonic()
            if sampled < ends_lo[coil]:
                assert value == 1.0, (
                    f"{coil} went off {ends_lo[coil] - sampled:.2f} s before its lease ran out"
                )
                on_late[coil] = ends_lo[coil] - sampled
            elif value == 0.0:
                off_at[coil] = sampled
        time.sleep(POLL_S)
    for coil in coils:
        assert coil in on_late and on_late[coil] <= BEFORE_S, (
            f"{coil} was not sampled within {BEFORE_S} s before its lease ran out "
            f"(last on {on_late.get(coil)} s before)"
        )
        assert coil in off_at, f"{coil} still on {margin_s} s after its lease ran out"
        assert off_at[coil] <= ends_hi[coil] + margin_s
