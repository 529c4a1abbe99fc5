"""Faults injected into simulated devices at run time.

A :class:`Fault` says what goes wrong (its :class:`FaultKind`), where (the
whole device, or one point) and for how long. A device keeps its active
faults in a :class:`FaultTable`, which answers "which faults touch these
addresses now?" against the device's clock; a fault with ``for_s`` ends by
itself.

How each kind shows on the wire:

===========  ==============================================================
no_answer    the request is ignored, as if the unit were not on the bus
exception    the device answers with Modbus exception ``code``
garbage      reads return ``values`` (cycled) or random raw words
stuck        writes are acknowledged but change nothing (a stuck valve,
             a frozen sensor: the field cannot move the value either; on a
             relay coil, a module that answers the write and leaves the coil
             as it was, its lease timer too: a welded or open contact behind
             a module reporting its coil, firmware dropping the write)
drift        read values are off by ``rate_per_s`` × seconds since injection
slow         the answer is delayed by ``delay_s`` (real seconds)
===========  ==============================================================
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass
from typing import Any

from pymodbus.constants import ExcCodes

from drivers.errors import SimulatorError

__all__ = [
    "ActiveFault",
    "ExceptionAnswer",
    "Fault",
    "FaultKind",
    "FaultTable",
    "NoAnswer",
]


class FaultKind(enum.StrEnum):
    NO_ANSWER = "no_answer"
    EXCEPTION = "exception"
    GARBAGE = "garbage"
    STUCK = "stuck"
    DRIFT = "drift"
    SLOW = "slow"


class NoAnswer(SimulatorError):
    """The simulated device stays silent for this request."""


class ExceptionAnswer(SimulatorError):
    """The simulated device answers with a Modbus exception code."""

    def __init__(self, code: ExcCodes, why: str) -> None:
        super().__init__(f"exception {code.name} ({int(code)}): {why}")
        self.code = code


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault to inject; validated on construction (``ValueError`` names the field).

    ``point`` limits the fault to requests touching that point (``None``: the
    whole device). ``for_s`` ends it after that many seconds of the device's
    clock (``None``: until cleared). ``code`` is the exception code of an
    ``exception`` fault, ``values`` the raw words of a ``garbage`` fault
    (``None``: random), ``rate_per_s`` the engineering units per second of a
    ``drift`` fault, ``delay_s`` the delay of a ``slow`` fault.
    """

    kind: FaultKind
    point: str | None = None
    for_s: float | None = None
    code: int = int(ExcCodes.DEVICE_FAILURE)
    values: tuple[int, ...] | None = None
    rate_per_s: float = 0.0
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", FaultKind(self.kind))
        except ValueError:
            kinds = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"kind: unknown fault kind {self.kind!r} (one of {kinds})") from None
        if self.for_s is not None and not (_is_number(self.for_s) and self.for_s > 0):
            raise ValueError(f"for_s: must be a positive number of seconds, got {self.for_s!r}")
        if self.kind is FaultKind.EXCEPTION:
            known = {int(c) for c in ExcCodes}
            if isinstance(self.code, bool) or self.code not in known:
                why = f"{self.code!r} is not a Modbus exception code {sorted(known)}"
                raise ValueError(f"code: {why}")
        if self.values is not None:
            values = tuple(self.values)
            if not values or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 0xFFFF for v in values
            ):
                raise ValueError(f"values: expected raw words 0..65535, got {self.values!r}")
            object.__setattr__(self, "values", values)
        if self.kind is FaultKind.DRIFT and not (_is_number(self.rate_per_s) and self.rate_per_s):
            raise ValueError(f"rate_per_s: a drift needs a non-zero rate, got {self.rate_per_s!r}")
        if self.kind is FaultKind.SLOW and not (_is_number(self.delay_s) and self.delay_s > 0):
            raise ValueError(f"delay_s: a slow fault needs a positive delay, got {self.delay_s!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """A fault from plain data (the control channel's JSON); ``ValueError`` if invalid."""
        known = {"kind", "point", "for_s", "code", "values", "rate_per_s", "delay_s"}
        unknown = sorted(set(data) - known)
        if unknown:
            allowed = ", ".join(sorted(known))
            raise ValueError(f"{unknown[0]}: unknown fault field (one of {allowed})")
        if "kind" not in data:
            raise ValueError("kind: missing")
        fields = dict(data)
        if fields.get("values") is not None:
            if not isinstance(fields["values"], list | tuple):
                raise ValueError(f"values: expected a list of raw words, got {fields['values']!r}")
            fields["values"] = tuple(fields["values"])
        return cls(**fields)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        if self.values is not None:
            data["values"] = list(self.values)
        return data


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True, slots=True)
class ActiveFault:
    """A fault as injected: when it started and when it ends (device clock, seconds)."""

    fault: Fault
    started_at: float
    ends_at: float | None

    def active(self, now: float) -> bool:
        return self.ends_at is None or now < self.ends_at


class FaultTable:
    """The active faults of one device. Not locked: the owning device holds its lock."""

    def __init__(self) -> None:
        # One fault per (kind, point): injecting the same again replaces it.
        self._faults: dict[tuple[FaultKind, str | None], ActiveFault] = {}

    def inject(self, fault: Fault, now: float) -> ActiveFault:
        ends_at = None if fault.for_s is None else now + fault.for_s
        active = ActiveFault(fault, now, ends_at)
        self._faults[(fault.kind, fault.point)] = active
        return active

    def clear(self, point: str | None = None, kind: FaultKind | None = None) -> int:
        """Remove faults (all, or those of ``point`` / ``kind``); returns how many."""
        doomed = [
            key
            for key in self._faults
            if (point is None or key[1] == point) and (kind is None or key[0] is kind)
        ]
        for key in doomed:
            del self._faults[key]
        return len(doomed)

    def active(self, now: float) -> list[ActiveFault]:
        """Faults in force at ``now``; expired ones are dropped."""
        for key in [k for k, f in self._faults.items() if not f.active(now)]:
            del self._faults[key]
        return list(self._faults.values())

    def matching(self, kind: FaultKind, points: AbstractSet[str], now: float) -> list[ActiveFault]:
        """Active faults of ``kind`` on the whole device or on one of ``points``."""
        return [
            f
            for f in self.active(now)
            if f.fault.kind is kind and (f.fault.point is None or f.fault.point in points)
        ]
