"""Field I/O exceptions: the only errors that leave ``drivers/``.

pymodbus errors never cross this boundary; the bus owner translates them
(``raise ... from exc``) into this tree::

    FieldIOError
    ├── ProfileError               a device profile is invalid (fatal, fix the file)
    ├── DeviceError                one transaction with one device failed (retryable)
    │   ├── DeviceTimeout          no answer within the timeout
    │   ├── DeviceException        the device answered with a Modbus exception code
    │   ├── BadFrame               an answer arrived but was malformed or unexpected
    │   ├── BusUnavailable         the port or socket cannot be opened
    │   └── DeviceBackedOff        skipped: the device failed repeatedly and is resting
    ├── DecodeError                registers cannot be decoded as the profile says
    └── VerifyMismatch             an output read back differs from what was written
                                   (safety-relevant: a valve may be stuck)

Callers that only want "did this device answer?" catch ``DeviceError``;
the safety supervisor treats ``VerifyMismatch`` as an interlock.
"""

from __future__ import annotations

__all__ = [
    "BadFrame",
    "BusUnavailable",
    "DecodeError",
    "DeviceBackedOff",
    "DeviceError",
    "DeviceException",
    "DeviceTimeout",
    "FieldIOError",
    "ProfileError",
    "VerifyMismatch",
]


class FieldIOError(Exception):
    """Root of every error raised by ``drivers/``."""


class ProfileError(FieldIOError):
    """A device profile file is invalid; the message names the file and key path."""


class DeviceError(FieldIOError):
    """A transaction with one device failed; trying again later may succeed."""

    def __init__(self, device: str, message: str) -> None:
        super().__init__(f"{device}: {message}")
        self.device = device


class DeviceTimeout(DeviceError):
    """The device did not answer within the bus timeout (after the bounded retries)."""


class DeviceException(DeviceError):
    """The device answered with a Modbus exception response."""

    def __init__(self, device: str, code: int, message: str) -> None:
        super().__init__(device, message)
        self.code = code


class BadFrame(DeviceError):
    """The answer was malformed, of the wrong length or from the wrong unit."""


class BusUnavailable(DeviceError):
    """The serial port or TCP connection of the bus cannot be opened."""


class DeviceBackedOff(DeviceError):
    """Not attempted: the device failed repeatedly and rests so it cannot stall the bus."""


class DecodeError(FieldIOError):
    """Registers cannot be decoded (or a value encoded) as the profile describes."""


class VerifyMismatch(FieldIOError):
    """An output read back differs from the value written: the actuator may be stuck."""

    def __init__(self, device: str, point: str, wanted: object, got: object) -> None:
        super().__init__(f"{device}.{point}: wrote {wanted!r} but read back {got!r}")
        self.device = device
        self.point = point
        self.wanted = wanted
        self.got = got
