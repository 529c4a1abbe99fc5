"""Driver exceptions: the only errors that leave ``drivers/``.

pymodbus errors never cross this boundary; the bus owner translates them
(``raise ... from exc``) into this tree::

    DriverError                     root of every error raised by drivers/
    ├── ProfileError                a device profile is invalid (configuration: fix the file)
    ├── UsageError                  the caller asked for what the profile forbids (a bug)
    │   ├── NotWritable             a write to a read-only point, a lease on a non-lease output
    │   ├── LeaseOutOfRange         a lease longer than the module's timer (or not positive)
    │   ├── WatchdogOutOfRange      a communication watchdog timeout the module cannot hold
    │   └── BadReading(ValueError)  the value of a reading that is not of good quality
    ├── FieldIOError                a field transaction failed at run time
    │   ├── DeviceError             one transaction with one device failed (retryable)
    │   │   ├── DeviceTimeout       no answer within the timeout
    │   │   ├── DeviceException     the device answered with a Modbus exception code
    │   │   ├── BadFrame            an answer arrived but was malformed or unexpected
    │   │   ├── BusUnavailable      the port or socket cannot be opened
    │   │   └── DeviceBackedOff     skipped: the device failed repeatedly and is resting
    │   ├── DecodeError             registers cannot be decoded (or a value encoded) per the profile
    │   └── VerifyMismatch          an output read back differs from what was written
    │                               (safety-relevant: a valve may be stuck)
    └── SimulatorError              the simulated field (``drivers.sim``), never the real bus
        ├── NoAnswer                a simulated device stays silent (an injected fault)
        ├── ExceptionAnswer         a simulated device answers with a Modbus exception
        ├── ControlError            the simulator refused a control request (client side)
        └── _BadRequest             a control request it cannot use (server side)

``BadReading`` lives in :mod:`drivers.reading`, the simulator's errors in :mod:`drivers.sim`.

Callers that only want "did this device answer?" catch ``DeviceError``; code that
switches outputs catches ``FieldIOError`` (the field said no) and, where it must try
every output whatever happens (all off, stop the injector), ``DriverError``. The site
validation refuses non-writable outputs and leases longer than a module's timer, so a
``UsageError`` at run time is a bug; the safety supervisor treats ``VerifyMismatch`` as an
interlock.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BadFrame",
    "BusUnavailable",
    "DecodeError",
    "DeviceBackedOff",
    "DeviceError",
    "DeviceException",
    "DeviceTimeout",
    "DriverError",
    "FieldIOError",
    "LeaseOutOfRange",
    "NotWritable",
    "ProfileError",
    "SimulatorError",
    "UsageError",
    "VerifyMismatch",
    "WatchdogOutOfRange",
]


class DriverError(Exception):
    """Root of every error raised by ``drivers/``."""


class ProfileError(DriverError):
    """A device profile file is invalid; the message names the file and key path."""


class UsageError(DriverError):
    """The caller asked for something the device's profile does not allow (a bug)."""


class NotWritable(UsageError):
    """The point is read-only, or not a coil whose module has an output lease."""


class LeaseOutOfRange(UsageError):
    """The lease asked for is not positive or longer than the module's timer allows."""


class WatchdogOutOfRange(UsageError):
    """The communication watchdog timeout asked for is not positive or beyond the module's."""


class FieldIOError(DriverError):
    """A transaction with the field failed at run time (I/O, decoding, verification)."""


class DeviceError(FieldIOError):
    """A transaction with one device failed; trying again later may succeed.

    ``kind`` names the failure for a page (catalog table ``device_error``) and ``values``
    what its sentence names (``detail``, the message after the device's name, and the
    class's ``fields``), each written out as the English message writes it; the message
    itself (``str(error)``) is the log's and the API's record. ``template`` is that message
    as the bus words it (where its fields make all of it), so a record of it can be read
    back."""

    kind: ClassVar[str] = "failed"
    fields: ClassVar[tuple[str, ...]] = ()
    template: ClassVar[str] = ""  # the message after the device's name, from its fields

    def __init__(self, device: str, message: str, **values: object) -> None:
        super().__init__(f"{device}: {message}")
        self.device = device
        self.values = {"detail": message} | {k: str(v) for k, v in values.items()}


class DeviceTimeout(DeviceError):
    """The device did not answer within the bus timeout (after the bounded retries)."""

    kind = "timeout"
    fields = ("timeout_s",)
    template = "no answer within {timeout_s} s"


class DeviceException(DeviceError):
    """The device answered with a Modbus exception response."""

    kind = "exception"
    fields = ("what", "modbus_code", "name")
    template = "{what}: exception {modbus_code} ({name})"

    def __init__(self, device: str, code: int, message: str, **values: object) -> None:
        super().__init__(device, message, **values)
        self.code = code


class BadFrame(DeviceError):
    """The answer was malformed, of the wrong length or from the wrong unit."""

    kind = "bad_frame"


class BusUnavailable(DeviceError):
    """The serial port or TCP connection of the bus cannot be opened; ``cause`` says why
    where the port itself tells (:func:`drivers.transport.open_cause`: ``port_missing``,
    ``permission_denied``, ``port_busy``) or the failed connection does
    (:func:`drivers.transport.connect_cause`: ``connection_refused``, ``connect_timeout``,
    ``unknown_host``, ``no_route``), else ``""``."""

    kind = "unavailable"
    fields = ("port", "error", "cause")
    template = "{port}: {error}"


class DeviceBackedOff(DeviceError):
    """Not attempted: the device failed repeatedly and rests so it cannot stall the bus."""

    kind = "backed_off"
    fields = ("failures",)
    template = "resting after {failures} failures"


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


class SimulatorError(DriverError):
    """Base of the simulated field's errors (:mod:`drivers.sim`)."""
