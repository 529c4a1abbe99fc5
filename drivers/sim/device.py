"""A simulated Modbus device built from a device profile.

:class:`VirtualDevice` holds the registers and bits of every point of its
profile and answers Modbus requests the way the real device would:
addresses no point covers answer ILLEGAL_ADDRESS, writes to read-only
points ILLEGAL_ADDRESS, reads longer than the profile's
``max_read_registers`` (×16 for bits) ILLEGAL_VALUE, and so do writes of more
coils than its ``max_write_coils``.

Relay leases (``flash_on``): a write-single-coil to ``lease.address_offset
+ coil address`` switches the coil on for value × ``lease.unit_s`` seconds;
writing again restarts the timer, a plain on/off write to the coil cancels
it. Expiry is evaluated lazily against the injected clock on every access
(and by :meth:`VirtualDevice.tick`), so a fake clock drives it in tests.

Communication watchdog (a profile's ``[comm_watchdog]``): its holding register (0 at
power-up: disabled) holds a timeout in ``unit_s`` steps; when no request reaches the
module for that long (a request lost to a ``no_answer`` fault does not reach it), every
coil drops and its lease ends, once per silence, as the module would. The timeout counts
from the last request that reached it, evaluated lazily like the leases.

Faults (:mod:`drivers.sim.faults`) are injected and cleared at run time.
Every method is thread-safe: tests and the control channel inject from
their own threads while the server answers in its event loop.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from pymodbus.constants import ExcCodes

from drivers.codec import decode, encode
from drivers.errors import DecodeError
from drivers.profile import DataType, Point, Profile, Table
from drivers.sim.faults import ActiveFault, ExceptionAnswer, Fault, FaultKind, FaultTable, NoAnswer

__all__ = ["VirtualDevice"]

_COIL_ON = 0xFF00
_COIL_OFF = 0x0000

_RAW_LIMITS = {
    DataType.UINT16: (0, 0xFFFF),
    DataType.INT16: (-0x8000, 0x7FFF),
    DataType.UINT32: (0, 0xFFFF_FFFF),
    DataType.INT32: (-0x8000_0000, 0x7FFF_FFFF),
}


def _encode_saturating(point: Point, value: float) -> list[int]:
    """Encode ``value``, pinning it to the type's limits (a drifted value saturates)."""
    try:
        return encode(point, value)
    except DecodeError:
        lo, hi = _RAW_LIMITS.get(point.type, (0, 0))
        raw = hi if (value - point.offset) / point.scale > 0 else lo
        return encode(point, raw * point.scale + point.offset)


def _initial_value(point: Point) -> float:
    """Zero, or the nearest value inside the point's range."""
    value = 0.0
    if point.min is not None:
        value = max(value, point.min)
    if point.max is not None:
        value = min(value, point.max)
    return value


class VirtualDevice:
    """One simulated unit: ``name`` for people, ``unit`` (1..247) on the bus."""

    def __init__(
        self,
        name: str,
        unit: int,
        profile: Profile,
        clock: Callable[[], float] = time.monotonic,
        *,
        seed: int | str | None = None,
    ) -> None:
        if isinstance(unit, bool) or not isinstance(unit, int) or not 1 <= unit <= 247:
            raise ValueError(f"{name}: unit id {unit!r} outside 1..247")
        self.name = name
        self.unit = unit
        self.profile = profile
        self._clock = clock
        self._lock = threading.RLock()
        self._rng = random.Random(seed if seed is not None else f"{name}:{unit}")
        self._faults = FaultTable()
        self._words: dict[tuple[Table, int], int] = {}
        self._owner: dict[tuple[Table, int], Point] = {}
        self._span: dict[Table, tuple[int, int]] = {}
        for pt in profile.points:
            for i, word in enumerate(encode(pt, _initial_value(pt))):
                self._words[(pt.table, pt.address + i)] = word
                self._owner[(pt.table, pt.address + i)] = pt
            lo, hi = self._span.get(pt.table, (pt.address, pt.end))
            self._span[pt.table] = (min(lo, pt.address), max(hi, pt.end))
        self._lease_coils: dict[int, Point] = {}
        if profile.lease is not None:
            for pt in profile.points:
                if pt.table is Table.COIL and pt.writable:
                    self._lease_coils[profile.lease.address_offset + pt.address] = pt
        self._lease_ends: dict[str, float] = {}  # point name -> clock time the coil drops
        wd = profile.comm_watchdog
        if wd is not None:
            reg = Point("comm_watchdog", Table.HOLDING, wd.address, DataType.UINT16, writable=True)
            self._words[(Table.HOLDING, wd.address)] = 0
            self._owner[(Table.HOLDING, wd.address)] = reg
        self._last_heard = clock()  # when a request last reached the module
        self._watchdog_fired = False  # the coils dropped in this silence already
        self.watchdog_trips = 0  # how often the watchdog dropped the coils

    def __repr__(self) -> str:
        return f"VirtualDevice({self.name!r}, unit={self.unit}, profile={self.profile.name!r})"

    # ---------------------------------------------------------------- values

    def set(self, point: str, value: float) -> None:
        """Set ``point`` to ``value`` in engineering units (a coil: non-zero is on).

        A stuck point keeps its value. Setting a coil cancels its lease timer.
        Raises ``KeyError`` for an unknown point, ``DecodeError`` if the value
        does not fit the point's type.
        """
        pt = self.profile.point(point)
        words = encode(pt, value)
        with self._lock:
            now = self._clock()
            self._expire(now)
            if self._faults.matching(FaultKind.STUCK, {pt.name}, now):
                return
            self._lease_ends.pop(pt.name, None)
            self._store(pt, words)

    def get(self, point: str) -> float:
        """The true value of ``point`` in engineering units (no wire faults applied)."""
        pt = self.profile.point(point)
        with self._lock:
            self._expire(self._clock())
            return decode(pt, self._load(pt))

    def lease_remaining_s(self, point: str) -> float | None:
        """Seconds until the lease on coil ``point`` drops it; ``None`` without a lease."""
        pt = self.profile.point(point)
        with self._lock:
            now = self._clock()
            self._expire(now)
            ends = self._lease_ends.get(pt.name)
            return None if ends is None else ends - now

    def tick(self) -> None:
        """Evaluate lease timers and fault durations now (access does this too)."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            self._faults.active(now)

    # ---------------------------------------------------------------- faults

    def inject(self, fault: Fault) -> ActiveFault:
        """Start ``fault`` now (replacing one of the same kind on the same point)."""
        if fault.point is not None and not self.profile.has_point(fault.point):
            raise ValueError(
                f"point: device {self.name!r} ({self.profile.name}) has no point {fault.point!r}"
            )
        if (
            fault.kind is FaultKind.DRIFT
            and fault.point is not None
            and self.profile.point(fault.point).type is DataType.BOOL
        ):
            raise ValueError(f"point: {fault.point!r} is a bit; it cannot drift")
        with self._lock:
            return self._faults.inject(fault, self._clock())

    def clear(self, point: str | None = None, kind: FaultKind | str | None = None) -> int:
        """End faults: all, or those on ``point`` and/or of ``kind``; returns how many."""
        kind = None if kind is None else FaultKind(kind)
        with self._lock:
            return self._faults.clear(point, kind)

    def faults(self) -> list[ActiveFault]:
        with self._lock:
            return self._faults.active(self._clock())

    def status(self) -> dict[str, Any]:
        """Plain data for people and the control channel: values, leases, faults."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            faults = self._faults.active(now)
            return {
                "name": self.name,
                "unit": self.unit,
                "profile": self.profile.name,
                "values": {pt.name: decode(pt, self._load(pt)) for pt in self.profile.points},
                "leases": {name: round(end - now, 3) for name, end in self._lease_ends.items()},
                "comm_watchdog_s": self._watchdog_s(),
                "faults": [
                    {
                        **f.fault.to_dict(),
                        "remaining_s": None if f.ends_at is None else round(f.ends_at - now, 3),
                    }
                    for f in faults
                ],
            }

    # ---------------------------------------------------------------- the wire

    def answer_delay_s(self, table: Table, address: int, count: int) -> float:
        """How long to wait before answering this request (``slow`` faults)."""
        with self._lock:
            touched = self._touched(table, address, count)
            slow = self._faults.matching(FaultKind.SLOW, touched, self._clock())
            return max((f.fault.delay_s for f in slow), default=0.0)

    def read(self, table: Table, address: int, count: int) -> list[int]:
        """Raw words (bits as 0/1) of a read request, with faults applied.

        Raises :class:`NoAnswer` or :class:`ExceptionAnswer`.
        """
        with self._lock:
            now = self._clock()
            self._expire(now)
            touched = self._touched(table, address, count)
            self._heard(touched, now)
            self._refuse_if_faulted(touched, now)
            limit = self.profile.max_read_registers * (16 if table.is_bit else 1)
            if count > limit:
                raise ExceptionAnswer(ExcCodes.ILLEGAL_VALUE, f"read of {count} > {limit}")
            words = [self._readable_word(table, a) for a in range(address, address + count)]
            self._apply_drift(words, table, address, touched, now)
            self._apply_garbage(words, table, address, touched, now)
            return words

    def write(self, table: Table, address: int, values: Sequence[int]) -> None:
        """Write raw words (or 0/1 bits) from ``address``; stuck points ignore it."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            touched = self._touched(table, address, len(values))
            self._heard(touched, now)
            self._refuse_if_faulted(touched, now)
            if table is Table.COIL and len(values) > self.profile.max_write_coils:
                limit = self.profile.max_write_coils
                raise ExceptionAnswer(ExcCodes.ILLEGAL_VALUE, f"write of {len(values)} > {limit}")
            for a in range(address, address + len(values)):
                self._check_writable(table, a)
            stuck = {f.fault.point for f in self._faults.matching(FaultKind.STUCK, touched, now)}
            for i, value in enumerate(values):
                pt = self._owner[(table, address + i)]
                if None in stuck or pt.name in stuck:
                    continue
                self._words[(table, address + i)] = int(value) & 0xFFFF
                self._lease_ends.pop(pt.name, None)

    def write_coil_raw(self, address: int, value: int) -> None:
        """Function 05 with its raw 16-bit value: 0xFF00/0x0000 or a flash-on time."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            self._heard(self._touched(Table.COIL, address, 1), now)
            lease_coil = self._lease_coils.get(address)
            if lease_coil is None:
                if value not in (_COIL_ON, _COIL_OFF):
                    touched = self._touched(Table.COIL, address, 1)
                    self._refuse_if_faulted(touched, self._clock())
                    self._check_writable(Table.COIL, address)
                    raise ExceptionAnswer(ExcCodes.ILLEGAL_VALUE, f"coil value {value:#06x}")
                self.write(Table.COIL, address, [1 if value == _COIL_ON else 0])
                return
            self._flash_on(lease_coil, value)

    # ---------------------------------------------------------------- internals

    def _flash_on(self, pt: Point, steps: int) -> None:
        lease = self.profile.lease
        assert lease is not None  # only lease addresses lead here
        now = self._clock()
        self._expire(now)
        self._refuse_if_faulted({pt.name}, now)
        max_steps = round(lease.max_s / lease.unit_s)
        if not 1 <= steps <= max_steps:
            why = f"flash time {steps} outside 1..{max_steps}"
            raise ExceptionAnswer(ExcCodes.ILLEGAL_VALUE, why)
        if self._faults.matching(FaultKind.STUCK, {pt.name}, now):
            return
        self._store(pt, [1])
        self._lease_ends[pt.name] = now + steps * lease.unit_s

    def _heard(self, touched: AbstractSet[str], now: float) -> None:
        """A request reached the module (unless a ``no_answer`` fault swallows it)."""
        if not self._faults.matching(FaultKind.NO_ANSWER, touched, now):
            self._last_heard = now
            self._watchdog_fired = False

    def _watchdog_s(self) -> float | None:
        """The armed watchdog timeout (s); ``None`` without a watchdog, 0 when disarmed."""
        wd = self.profile.comm_watchdog
        return None if wd is None else self._words[(Table.HOLDING, wd.address)] * wd.unit_s

    def _watchdog(self, now: float) -> None:
        wd = self.profile.comm_watchdog
        if wd is None or self._watchdog_fired:
            return
        steps = self._words[(Table.HOLDING, wd.address)]
        if steps == 0 or now - self._last_heard < steps * wd.unit_s:
            return
        self._watchdog_fired = True
        self.watchdog_trips += 1
        for pt in self.profile.points:
            if pt.table is Table.COIL and not self._faults.matching(
                FaultKind.STUCK, {pt.name}, now
            ):
                self._lease_ends.pop(pt.name, None)
                self._store(pt, [0])

    def _expire(self, now: float) -> None:
        self._watchdog(now)
        for name, ends in list(self._lease_ends.items()):
            if now < ends:
                continue
            del self._lease_ends[name]
            # A stuck relay (welded contact) stays where it is when its timer runs out.
            if not self._faults.matching(FaultKind.STUCK, {name}, now):
                self._store(self.profile.point(name), [0])

    def _store(self, pt: Point, words: Sequence[int]) -> None:
        for i, word in enumerate(words):
            self._words[(pt.table, pt.address + i)] = word

    def _load(self, pt: Point) -> list[int]:
        return [self._words[(pt.table, pt.address + i)] for i in range(pt.width)]

    def _touched(self, table: Table, address: int, count: int) -> AbstractSet[str]:
        """Names of the points a request overlaps (a lease address touches its coil)."""
        names = {
            pt.name
            for a in range(address, address + count)
            if (pt := self._owner.get((table, a))) is not None
        }
        if table is Table.COIL and count == 1 and address in self._lease_coils:
            names.add(self._lease_coils[address].name)
        return names

    def _refuse_if_faulted(self, touched: AbstractSet[str], now: float) -> None:
        if self._faults.matching(FaultKind.NO_ANSWER, touched, now):
            raise NoAnswer(self.name)
        for f in self._faults.matching(FaultKind.EXCEPTION, touched, now):
            raise ExceptionAnswer(ExcCodes(f.fault.code), "injected fault")

    def _readable_word(self, table: Table, address: int) -> int:
        word = self._words.get((table, address))
        if word is not None:
            return word
        # A device whose profile allows read gaps answers holes inside its map with zeros.
        lo, hi = self._span.get(table, (0, 0))
        if self.profile.read_gap > 0 and lo <= address < hi:
            return 0
        raise ExceptionAnswer(ExcCodes.ILLEGAL_ADDRESS, f"{table.value} {address} not mapped")

    def _check_writable(self, table: Table, address: int) -> None:
        pt = self._owner.get((table, address))
        if pt is None:
            raise ExceptionAnswer(ExcCodes.ILLEGAL_ADDRESS, f"{table.value} {address} not mapped")
        if not pt.writable:
            raise ExceptionAnswer(ExcCodes.ILLEGAL_ADDRESS, f"{pt.name} is read-only")

    def _apply_drift(
        self, words: list[int], table: Table, start: int, touched: AbstractSet[str], now: float
    ) -> None:
        for f in self._faults.matching(FaultKind.DRIFT, touched, now):
            names = touched if f.fault.point is None else {f.fault.point}
            for name in names:
                pt = self.profile.point(name)
                if pt.type is DataType.BOOL:
                    continue
                value = decode(pt, self._load(pt)) + f.fault.rate_per_s * (now - f.started_at)
                for i, word in enumerate(_encode_saturating(pt, value)):
                    if start <= pt.address + i < start + len(words):
                        words[pt.address + i - start] = word

    def _apply_garbage(
        self, words: list[int], table: Table, start: int, touched: AbstractSet[str], now: float
    ) -> None:
        for f in self._faults.matching(FaultKind.GARBAGE, touched, now):
            for i in range(len(words)):
                owner = self._owner.get((table, start + i))
                if f.fault.point is not None and (owner is None or owner.name != f.fault.point):
                    continue
                if f.fault.values is not None:
                    word = f.fault.values[i % len(f.fault.values)]
                    words[i] = (1 if word else 0) if table.is_bit else word
                else:
                    words[i] = self._rng.randrange(2 if table.is_bit else 0x10000)
