"""Outputs watched, not only written: every relay coil read back while anything runs.

A write is verified once (:mod:`controller.runtime.outputs`); a relay module can still go
wrong afterwards: a welded contact, a module that restarts and drops its coils, firmware
that answers every coil 1, a relay that switches on by itself. :class:`ReadBack` reads the
coils of every relay module that carries an output, in one request per module (function 01
over all its coils), and compares each coil with what the box commands.

Cadence (the daemon calls :meth:`ReadBack.poll` every ``READBACK_EVERY_S`` second):

- *busy* — any output commanded on, or a mismatch not yet cleared: every poll;
- *idle* — nothing commanded on: every ``IDLE_READBACK_EVERY_S`` seconds, so a relay that
  switches on by itself is caught too.

The rule (one poll is one read of a module):

- a coil that reads *on* while commanded off (a coil no role uses counts as commanded off),
  or *off* while commanded on, is a mismatch at the first poll that sees it: a Modbus answer
  with a good CRC is what the module holds, not noise;
- a module that carries an output commanded on and cannot be read (no answer, exception,
  short or malformed frame, resting after failures) is a mismatch once that happened on
  ``UNREADABLE_POLLS`` consecutive polls: one lost frame is tolerated (the bus retried it
  already), two in a row mean the box no longer knows what the valves do. A module with
  every output off that cannot be read is not an output mismatch (the poller's
  ``device_offline`` says it; its coils are checked again once it answers);
- a coil switched by the box during the read (its command before and after differ) is
  not judged in that poll.

A new fault trips the supervisor (:meth:`controller.runtime.safety.Supervisor.trip`,
code ``output_mismatch``, a critical latched alarm naming module, unit, coil, role,
commanded and read value and the raw coils): every run aborted, the injector stopped,
every output off and read back. A fault is one coil of one module in one kind of
disagreement (:attr:`Mismatch.kind`: reads on, reads off, unreadable); each is alarmed
once per episode, which lasts until a read of its module finds that coil as commanded.
An unreadable module ends none of its episodes, except its "unreadable" ones once none of
its outputs is commanded on (the next run on it that cannot be read is alarmed again). So
a second fault while the first alarm is still open, on another module, another coil of
the same module or the same coil in another way, raises its own alarm, whose text starts
with what is new; the same fault seen again every poll does not. Every coil of a module
named in an alarm that read on then counts as alarmed "reads on" too: the trip switches it
off, and if it stays on, the raw coils of that alarm and the supervisor's "could not
switch off" already say so. A coil that still reads on while commanded off is switched
off again at every poll (safety write, passes back-off) until it reads off.

The trip and the switch-offs run under ``guard`` (the daemon's control lock), so the
control tick cannot switch a coil between the decision and the write: a coil the tick has
commanded on since the read is left alone (the next poll judges it again); one still
commanded off is written off.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from controller.clock import Clock
from controller.config.site import SiteConfig
from controller.runtime.fieldio import FieldIO
from controller.runtime.outputs import Outputs
from drivers.bus import RawBlock
from drivers.errors import DriverError
from drivers.profile import Table
from drivers.reading import Quality, Reading

__all__ = [
    "CODE",
    "IDLE_READBACK_EVERY_S",
    "READBACK_EVERY_S",
    "UNREADABLE_POLLS",
    "Mismatch",
    "ReadBack",
]

log = logging.getLogger(__name__)

CODE = "output_mismatch"
READBACK_EVERY_S = 1.0  # one poll while anything is on
IDLE_READBACK_EVERY_S = 60.0  # nothing commanded on
UNREADABLE_POLLS = 2  # consecutive unreadable polls of a module with an output on


class Tripper(Protocol):
    """What the read-back needs from the supervisor: stop everything, latch the alarm."""

    def trip(self, code: str, message: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One coil that does not read as commanded (``read`` ``None``: the module unreadable)."""

    device: str
    point: str
    role: str  # "" for a coil no output role uses
    commanded: bool
    read: bool | None
    detail: str = ""

    @property
    def kind(self) -> str:
        """The kind of disagreement: ``reads on``, ``reads off`` or ``unreadable``."""
        if self.read is None:
            return "unreadable"
        return "reads on" if self.read else "reads off"

    @property
    def fault(self) -> tuple[str, str, str]:
        """What one alarm episode is about: ``(device, point, kind)``."""
        return (self.device, self.point, self.kind)

    def describe(self) -> str:
        role = self.role or "no role"
        wanted = "on" if self.commanded else "off"
        if self.read is None:
            return f"{self.point} [{role}] commanded {wanted}, unreadable: {self.detail}"
        got = "on" if self.read else "off"
        return f"{self.point} [{role}] commanded {wanted}, read {got}"


class ReadBack:
    """Reads back every output module's coils (module docstring); call :meth:`poll`."""

    def __init__(
        self,
        site: SiteConfig,
        outputs: Outputs,
        fieldio: FieldIO,
        supervisor: Tripper,
        clock: Clock,
        *,
        guard: AbstractContextManager[object] | None = None,
    ) -> None:
        """``guard`` is held while acting (the daemon's control lock), never while reading."""
        self.outputs = outputs
        self.fieldio = fieldio
        self.supervisor = supervisor
        self.clock = clock
        self._guard = guard if guard is not None else nullcontext()
        roles = site.output_roles()
        self._role_of = {(ref.device, ref.point): role for role, ref in roles.items()}
        self._coils: dict[str, list[str]] = {}
        for device in sorted({ref.device for ref in roles.values()}):
            profile = site.profiles[device]
            self._coils[device] = [p.name for p in profile.points if p.table is Table.COIL]
        self._unreadable: dict[str, int] = dict.fromkeys(self._coils, 0)
        self._alarmed: set[tuple[str, str, str]] = set()  # faults with an open episode
        self._read_on: dict[str, list[str]] = {}  # device -> coils read on at its last read
        self._last_read = float("-inf")  # clock.monotonic() of the last read
        self.polls = 0  # reads made (every module once each)

    def busy(self) -> bool:
        """Read every poll: something is commanded on or a mismatch is not cleared."""
        return bool(self.outputs.on_roles()) or bool(self._alarmed)

    def poll(self) -> list[Mismatch]:
        """Read back if due (module docstring); act on new mismatches; return every mismatch."""
        now = self.clock.monotonic()
        if not self.busy() and now - self._last_read < IDLE_READBACK_EVERY_S:
            return []
        self._last_read = now
        self.polls += 1
        found: list[Mismatch] = []
        evidence: list[str] = []
        for device, coils in self._coils.items():
            got, raw_text = self._read(device, coils)
            found += got
            if got:
                evidence.append(self._where(device) + ": " + "; ".join(m.describe() for m in got))
                evidence[-1] += f" (coils read {raw_text})" if raw_text else ""
        self._act(found, evidence)
        return found

    # -- reading ----------------------------------------------------------------
    def _read(self, device: str, coils: Sequence[str]) -> tuple[list[Mismatch], str]:
        before = self.outputs.commanded()
        readings, raws = self.fieldio.bus_of(device).read_points(device, coils)
        after = self.outputs.commanded()
        unstable = {r for r in before if before[r] != after.get(r)}
        raw_text = _raw_text(raws)
        bad = [r for r in readings if r.quality is not Quality.OK]
        if bad or len(readings) != len(coils):
            return self._unreadable_module(device, before, unstable, bad), raw_text
        self._unreadable[device] = 0
        self._read_on[device] = [r.point for r in readings if r.value]
        found = self._compare(device, readings, before, unstable)
        still = {m.fault for m in found}  # a coil read as commanded ends its episodes
        self._alarmed = {f for f in self._alarmed if f[0] != device or f in still}
        return found, raw_text

    def _unreadable_module(
        self,
        device: str,
        commanded: dict[str, tuple[bool, float]],
        unstable: set[str],
        bad: list[Reading],
    ) -> list[Mismatch]:
        on = [
            (point, role)
            for (dev, point), role in self._role_of.items()
            if dev == device and commanded[role][0] and role not in unstable
        ]
        if not on:  # nothing on to be wrong: an unreadable episode of the module ends
            self._unreadable[device] = 0
            self._alarmed = {f for f in self._alarmed if f[0] != device or f[2] != "unreadable"}
            return []
        self._unreadable[device] += 1
        if self._unreadable[device] < UNREADABLE_POLLS:
            log.warning("read-back of %s failed once; next poll decides", device)
            return []
        detail = bad[0].detail if bad else "short answer"
        detail += f" ({self._unreadable[device]} polls in a row)"
        return [Mismatch(device, point, role, True, None, detail) for point, role in on]

    def _compare(
        self,
        device: str,
        readings: list[Reading],
        commanded: dict[str, tuple[bool, float]],
        unstable: set[str],
    ) -> list[Mismatch]:
        out: list[Mismatch] = []
        for r in readings:
            role = self._role_of.get((device, r.point), "")
            if role in unstable:
                continue
            wanted = commanded[role][0] if role else False
            is_on = bool(r.value)
            if is_on == wanted:
                continue
            out.append(Mismatch(device, r.point, role, wanted, is_on))
        return out

    # -- acting -----------------------------------------------------------------
    def _act(self, found: list[Mismatch], evidence: list[str]) -> None:
        new = [m for m in found if m.fault not in self._alarmed]
        reading_on = [m for m in found if m.read and not m.commanded]
        if not new and not reading_on:
            return
        with self._guard:
            if new:
                self._trip(new, found, evidence)
            for m in reading_on:  # what still reads on while commanded off: off again
                self._force_off(m, repeated=m not in new)

    def _trip(self, new: list[Mismatch], found: list[Mismatch], evidence: list[str]) -> None:
        """Trip on the faults in ``new`` (called holding the guard); a follow-up alarm (some
        of ``found`` already alarmed) says first what is new."""
        head = "output read-back mismatch"
        if len(new) < len(found):
            head += " (new: " + "; ".join(f"{m.device}.{m.point} {m.kind}" for m in new) + ")"
        message = head + ": " + " | ".join(evidence)
        log.error("%s", message)
        try:
            self.supervisor.trip(CODE, message)
        except Exception:  # the trip must not leave water running, whatever failed
            log.exception("output_mismatch trip failed; switching everything off")
            self.outputs.all_off()
            raise
        self._alarmed |= {m.fault for m in new}
        for device in {m.device for m in found if m.read is not None}:
            self._alarmed |= {(device, point, "reads on") for point in self._read_on[device]}

    def _force_off(self, m: Mismatch, *, repeated: bool) -> None:
        """Write ``m``'s coil off (called holding the guard) unless the control tick has
        commanded it on since it was read: that one the next poll judges again."""
        if m.role and self.outputs.commanded()[m.role][0]:
            log.info("%s.%s commanded on since the read; judged again", m.device, m.point)
            return
        try:
            self.fieldio.bus_of(m.device).output_off(m.device, m.point)
        except DriverError as exc:
            level = logging.DEBUG if repeated else logging.ERROR
            log.log(level, "%s.%s still not off: %s", m.device, m.point, exc)

    def _where(self, device: str) -> str:
        bus = self.fieldio.bus_of(device)
        return f"{device} (unit {bus.devices[device].unit} on bus {bus.settings.name!r})"


def _raw_text(raws: list[RawBlock]) -> str:
    """The coils as read, e.g. ``0,1,1,0,0,0,0,0`` (empty when nothing was read)."""
    values = [v for raw in raws for v in raw.values]
    return ",".join(str(v) for v in values)
