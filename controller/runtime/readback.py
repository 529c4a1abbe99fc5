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

A new mismatch trips the supervisor (:meth:`controller.runtime.safety.Supervisor.trip`,
code ``output_mismatch``, a critical latched alarm naming module, unit, coil, role,
commanded and read value and the raw coils): every run aborted, the injector stopped,
every output off and read back. A coil that still reads on while commanded off is switched
off again at every poll (safety write, passes back-off) until it reads off; the alarm is
raised once per episode of a module (until all its coils read as commanded again).
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
        self._alarmed: set[str] = set()  # modules with an open episode (alarm raised)
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
        found = self._compare(device, readings, before, unstable)
        if not found:
            self._alarmed.discard(device)  # reads as commanded again: the episode ends
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
        if not on:
            self._unreadable[device] = 0
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
        new = {m.device for m in found} - self._alarmed
        if new:
            message = "output read-back mismatch: " + " | ".join(evidence)
            log.error("%s", message)
            with self._guard:
                try:
                    self.supervisor.trip(CODE, message)
                except Exception:  # the trip must not leave water running, whatever failed
                    log.exception("output_mismatch trip failed; switching everything off")
                    self.outputs.all_off()
                    raise
            self._alarmed |= new
        for m in found:  # what still reads on while commanded off: off again, every poll
            if m.read and not m.commanded:
                self._force_off(m, repeated=m.device not in new)

    def _force_off(self, m: Mismatch, *, repeated: bool) -> None:
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
