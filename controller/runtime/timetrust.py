"""Whether the wall clock may be believed, before anything waters by it.

A Raspberry Pi has no real-time clock: it boots at 1970 or at the time saved at the last
shutdown, and NTP may step it by hours once the network is up. Planning by such a clock
waters on the wrong day (or in 1970 on a calendar's "June 1"). :class:`TimeTrust` says whether
the wall clock (:meth:`controller.clock.Clock.now`) is trusted, and why not:

* **a source**: the system reports it synchronised (:func:`system_synchronised`: the
  ``/run/systemd/timesync/synchronized`` flag of systemd-timesyncd, or the kernel's own
  NTP state, read with ``adjtimex(2)``, which chrony and ntpd set), or an admin confirmed it
  (``qanat confirm-time``; audit action :data:`CONFIRM_ACTION`). A confirmation vouches for
  the clock as it was: it holds while the wall clock keeps pace with the monotonic one
  (same boot, offset within :data:`STEP_TOLERANCE_S`), so a later step voids it;
* **not before** :data:`controller.clock.RELEASE_FLOOR`;
* **not before the newest record** (reading, event, run) stored before this process started,
  minus :data:`RECORD_TOLERANCE_S`: a stale saved time. An admin who knows the records carry
  a wrong future time confirms with ``--over-records``.

Until the time is trusted the daemon plans nothing and starts nothing (a manual start is
refused with the code ``clock_untrusted``); the supervisor, leases and stopping runs work on
monotonic time and do not ask. A virtual clock (simulations, the demo) is trusted by
construction: :class:`AlwaysTrusted`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from controller.clock import RELEASE_FLOOR, Clock
from controller.store import AuditEntry, Severity, Store, StoreError

__all__ = [
    "ALARM_CODE",
    "CONFIRM_ACTION",
    "AlwaysTrusted",
    "Confirmation",
    "SyncProbe",
    "TimeGate",
    "TimeTrust",
    "TimeVerdict",
    "TrustAlarm",
    "boot_id",
    "kernel_synchronised",
    "system_synchronised",
]

log = logging.getLogger(__name__)

CONFIRM_ACTION = "time.confirm"
ALARM_CODE = "clock_untrusted"
TIMESYNCD_FLAG = Path("/run/systemd/timesync/synchronized")
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
#: Wall minus monotonic may drift this much (s) before it counts as a step (NTP slews far less).
STEP_TOLERANCE_S = 5.0
#: A clock this much (s) behind the newest stored record is still believed (records are
#: stamped by the clock itself; a few minutes covers a restart's slow start).
RECORD_TOLERANCE_S = 300.0
_TIME_ERROR = 5  # adjtimex(2): clock not synchronised
_TIMEX_BYTES = 512  # struct timex is 208 bytes on 64-bit Linux; room to spare


class SyncProbe(Protocol):
    def __call__(self) -> bool:
        """True if the system says its wall clock is synchronised."""
        ...


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, looked up once (``find_library`` may run ``ldconfig``): the control
    tick asks the kernel every second."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None


def kernel_synchronised() -> bool:
    """The kernel's NTP state (``adjtimex(2)`` read-only): False if unsynchronised or unknown."""
    libc = _libc()
    if libc is None:
        return False
    try:
        buf = ctypes.create_string_buffer(_TIMEX_BYTES)  # modes = 0: read only
        state = int(libc.adjtimex(buf))
    except AttributeError:  # not Linux, no adjtimex: unknown counts as no
        return False
    return 0 <= state < _TIME_ERROR


def system_synchronised(flag: Path = TIMESYNCD_FLAG) -> bool:
    """systemd-timesyncd's flag file, else the kernel's NTP state. No network is used."""
    return flag.exists() or kernel_synchronised()


def boot_id(path: Path = BOOT_ID) -> str:
    """This boot's id (Linux), ``""`` where unknown; a confirmation holds within one boot."""
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return ""


@dataclass(frozen=True, slots=True)
class TimeVerdict:
    """Whether the wall clock is trusted at ``now``; ``reason`` says why not (empty if trusted).

    ``condition``: ``"floor"``, ``"records"`` or ``"source"`` (which check failed), or the
    source that made it trusted (``"synchronised"``, ``"confirmed"``, or why it always is)."""

    trusted: bool
    condition: str
    reason: str
    now: datetime
    newest_record: datetime | None


@dataclass(frozen=True, slots=True)
class Confirmation:
    """An admin's word that the wall clock was right at ``wall`` (monotonic ``mono_s``)."""

    wall: datetime
    mono_s: float
    boot: str
    actor: str
    over_records: bool = False

    def detail(self) -> dict[str, Any]:
        return {
            "wall": self.wall.isoformat(),
            "mono_s": self.mono_s,
            "boot_id": self.boot,
            "over_records": self.over_records,
        }

    @classmethod
    def from_audit(cls, entry: AuditEntry) -> Confirmation | None:
        """The confirmation an audit entry records; ``None`` if it is not one we can read."""
        d = entry.detail
        try:
            return cls(
                wall=datetime.fromisoformat(str(d["wall"])),
                mono_s=float(d["mono_s"]),
                boot=str(d["boot_id"]),
                actor=entry.actor,
                over_records=bool(d.get("over_records", False)),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def step_s(self, now: datetime, mono_s: float) -> float:
        """How far (s) the wall clock moved apart from the monotonic one since the confirmation."""
        return (now - self.wall).total_seconds() - (mono_s - self.mono_s)


class TimeGate(Protocol):
    """What the daemon asks: :class:`TimeTrust`, or :class:`AlwaysTrusted` on a virtual clock."""

    def verdict(self) -> TimeVerdict:
        """Now, from what is known (cheap: no store read)."""
        ...

    def refresh(self) -> TimeVerdict:
        """Re-read the confirmations from the store, then :meth:`verdict`."""
        ...

    def confirm(self, actor: str, *, over_records: bool = False) -> Confirmation:
        """Record an admin's confirmation of the wall clock (audited)."""
        ...

    def take_step(self) -> float | None:
        """The wall clock's step (s) since the last call, if it stepped."""
        ...


class TimeTrust:
    """The rules of the module docstring over a clock, a store and a synchronisation probe."""

    def __init__(
        self,
        clock: Clock,
        store: Store,
        *,
        synchronised: SyncProbe,
        floor: datetime = RELEASE_FLOOR,
        boot: str | None = None,
    ) -> None:
        """``synchronised``: :func:`system_synchronised` in production; ``boot``: this boot's
        id (default :func:`boot_id`). The newest stored record is read now, at start."""
        self.clock = clock
        self.store = store
        self.synchronised = synchronised
        self.floor = floor
        self.boot = boot_id() if boot is None else boot
        self.newest_record = store.newest_record_time()
        self._confirmation: Confirmation | None = None
        self._offset_s = self._wall_minus_mono_s()
        self.refresh()

    def _wall_minus_mono_s(self) -> float:
        return self.clock.now().timestamp() - self.clock.monotonic()

    def take_step(self) -> float | None:
        """The wall clock's step (s, signed) since the last call, if beyond
        :data:`STEP_TOLERANCE_S` (time passing is no step); ``None`` otherwise."""
        offset = self._wall_minus_mono_s()
        step, self._offset_s = offset - self._offset_s, offset
        return step if abs(step) > STEP_TOLERANCE_S else None

    def refresh(self) -> TimeVerdict:
        try:
            entry = self.store.last_audit(CONFIRM_ACTION)
        except StoreError:  # unreadable store: keep what we knew
            log.warning("time trust: cannot read the confirmations; keeping the last one known")
        else:
            self._confirmation = Confirmation.from_audit(entry) if entry is not None else None
        return self.verdict()

    def verdict(self) -> TimeVerdict:
        now, mono_s = self.clock.now(), self.clock.monotonic()
        newest = self.newest_record
        held, why_not = self._confirmed(now, mono_s)

        def no(condition: str, reason: str) -> TimeVerdict:
            return TimeVerdict(False, condition, reason, now, newest)

        if now < self.floor:
            return no(
                "floor", f"the clock says {now:%Y-%m-%d %H:%M} UTC, before {self.floor:%Y-%m-%d}"
            )
        over = held and self._confirmation is not None and self._confirmation.over_records
        if newest is not None and not over and now < newest - timedelta(seconds=RECORD_TOLERANCE_S):
            return no(
                "records",
                f"the clock says {now:%Y-%m-%d %H:%M} UTC, before the newest stored record "
                f"({newest:%Y-%m-%d %H:%M} UTC)",
            )
        if self.synchronised():
            return TimeVerdict(True, "synchronised", "", now, newest)
        if held:
            return TimeVerdict(True, "confirmed", "", now, newest)
        return no("source", f"not synchronised (no NTP) and {why_not}")

    def _confirmed(self, now: datetime, mono_s: float) -> tuple[bool, str]:
        c = self._confirmation
        if c is None:
            return False, "not confirmed by an admin"
        if c.boot != self.boot:
            return False, f"the admin confirmation of {c.wall:%Y-%m-%d %H:%M} was before a reboot"
        step = c.step_s(now, mono_s)
        if abs(step) > STEP_TOLERANCE_S:
            return False, (
                f"the clock stepped {step:+.0f} s since the admin confirmation of "
                f"{c.wall:%Y-%m-%d %H:%M}"
            )
        return True, ""

    def confirm(self, actor: str, *, over_records: bool = False) -> Confirmation:
        c = Confirmation(
            self.clock.now(), self.clock.monotonic(), self.boot, actor, over_records=over_records
        )
        self.store.record_audit(actor, CONFIRM_ACTION, c.detail())
        self._confirmation = c
        return c


class AlwaysTrusted:
    """A clock trusted by construction (a :class:`controller.clock.VirtualClock`, the demo)."""

    def __init__(self, clock: Clock, why: str) -> None:
        self.clock = clock
        self.why = why

    def verdict(self) -> TimeVerdict:
        return TimeVerdict(True, self.why, "", self.clock.now(), None)

    def refresh(self) -> TimeVerdict:
        return self.verdict()

    def take_step(self) -> float | None:
        return None  # a virtual clock's jumps are the test's own doing

    def confirm(self, actor: str, *, over_records: bool = False) -> Confirmation:
        return Confirmation(self.clock.now(), self.clock.monotonic(), "", actor, over_records)


class TrustAlarm:
    """The latched warning :data:`ALARM_CODE` while the clock is untrusted, cleared once trusted.

    Raised once per failed condition (not per check); cleared by acknowledging it as
    ``"clock"``, so the alarm list shows who cleared it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._raised_for: str | None = None
        self._swept = False  # open alarms of an earlier process cleared once trusted

    def update(self, v: TimeVerdict) -> None:
        if v.trusted:
            if self._raised_for is not None or not self._swept:  # else nothing to clear
                self._clear()
                self._swept = True
            return
        if self._raised_for == v.condition and self._open():
            return
        newest = f"{v.newest_record:%Y-%m-%d %H:%M} UTC" if v.newest_record else "none"
        self._clear()
        self.store.raise_event(
            Severity.WARNING,
            ALARM_CODE,
            "site",
            f"wall clock not trusted: {v.reason}; the clock says {v.now:%Y-%m-%d %H:%M:%S} UTC, "
            f"newest record {newest}; nothing waters automatically until it is trusted "
            "(check NTP, or run `qanat confirm-time`)",
            latched=True,
        )
        self._raised_for = v.condition

    def _open(self) -> list[int]:
        return [e.id for e in self.store.open_alarms() if e.code == ALARM_CODE and e.id is not None]

    def _clear(self) -> None:
        for event_id in self._open():
            self.store.ack_event(event_id, "clock")
        self._raised_for = None
