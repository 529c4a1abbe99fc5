"""One owner per physical bus: serialised, gap-respecting, bounded, translated.

A :class:`Bus` owns the pymodbus client of one serial line or TCP endpoint
(several unit ids behind it). Every transaction takes the bus lock, waits
out the inter-frame gap, and makes at most ``1 + retries`` attempts of
``timeout_s`` each. pymodbus errors become :mod:`drivers.errors` types here
and nowhere else. A device that fails repeatedly rests (exponential
back-off) so it cannot stall the others; safety writes may pass anyway
(``force=True``).

Writes are verified: an output is on or off when the device says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pymodbus.client.base import ModbusBaseSyncClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.pdu import ExceptionResponse, ModbusPDU

from drivers.codec import ReadBlock, decode, encode, plan_reads
from drivers.errors import (
    BadFrame,
    BusUnavailable,
    DecodeError,
    DeviceBackedOff,
    DeviceError,
    DeviceException,
    DeviceTimeout,
    FieldIOError,
    LeaseOutOfRange,
    NotWritable,
    VerifyMismatch,
    WatchdogOutOfRange,
)
from drivers.profile import DataType, Point, Profile, Table
from drivers.reading import Quality, Reading
from drivers.transport import (
    BusSettings,
    FlashCoilRequest,
    build_client,
    connect_cause,
    open_cause,
)

__all__ = ["Bus", "DeviceHealth", "DeviceRef", "RawBlock"]

log = logging.getLogger(__name__)
_MAX_DOUBLINGS = 64  # a rest's doublings counted at most: 2**64 × any base is past any cap

# The read function of each table: an answer of another function holds another table's data.
_READ_FUNCTION = {Table.COIL: 1, Table.DISCRETE: 2, Table.HOLDING: 3, Table.INPUT: 4}

_EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "device failure",
    5: "acknowledge",
    6: "device busy",
    10: "gateway path unavailable",
    11: "gateway target failed to respond",
}


@dataclass(frozen=True, slots=True)
class DeviceRef:
    """A device on a bus: its site name, Modbus unit id and profile."""

    name: str
    unit: int
    profile: Profile


@dataclass(slots=True)
class DeviceHealth:
    """Counters per device since the bus was created."""

    ok: int = 0
    timeout: int = 0
    exception: int = 0
    bad_frame: int = 0
    unavailable: int = 0
    skipped: int = 0
    last_good: datetime | None = None
    last_error: str = ""
    last_error_kind: str = ""  # the last error's DeviceError.kind, for a page's language
    last_error_values: dict[str, str] = field(default_factory=dict)  # ... and its values
    consecutive_failures: int = 0
    backoff_until: float = 0.0  # monotonic seconds

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "timeout": self.timeout,
            "exception": self.exception,
            "bad_frame": self.bad_frame,
            "unavailable": self.unavailable,
            "skipped": self.skipped,
            "last_good": self.last_good.isoformat() if self.last_good else None,
            "last_error": self.last_error,
            "last_error_kind": self.last_error_kind,
            "last_error_values": dict(self.last_error_values),
            "consecutive_failures": self.consecutive_failures,
        }


@dataclass(frozen=True, slots=True)
class RawBlock:
    """What one read returned, kept for commissioning displays."""

    block: ReadBlock
    values: tuple[int, ...] = field(default=())


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Bus:
    """The single owner of one physical bus; thread-safe."""

    def __init__(
        self,
        settings: BusSettings,
        devices: Iterable[DeviceRef],
        *,
        client: ModbusBaseSyncClient | None = None,
        now: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.devices = {d.name: d for d in devices}
        self._client = client if client is not None else build_client(settings)
        self._now = now
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last_end = 0.0
        self.health = {name: DeviceHealth() for name in self.devices}
        # a device's whole-profile read plan (profiles are frozen), made on its first poll
        self._plans: dict[str, tuple[DeviceRef, list[ReadBlock]]] = {}

    # -- life cycle ---------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._client.close()

    def __enter__(self) -> Bus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------
    def read_points(
        self, device: str, names: Sequence[str] | None = None
    ) -> tuple[list[Reading], list[RawBlock]]:
        """Read ``names`` (default: every point) of ``device`` in as few transactions as allowed.

        Never raises for a device that does not answer: the points of a
        failed read come back with quality ``comm_error`` and the error in
        ``detail``, so one silent probe does not hide the rest.
        """
        ref = self._device(device)
        readings: list[Reading] = []
        raws: list[RawBlock] = []
        for block in self._plan(ref, names):
            try:
                values = self.read_block(device, block)
            except DeviceError as exc:
                t = self._now()
                readings.extend(
                    Reading(device, pt.name, None, pt.unit, Quality.COMM_ERROR, t, detail=str(exc))
                    for pt in block.points
                )
                raws.append(RawBlock(block))
                continue
            t = self._now()
            raws.append(RawBlock(block, tuple(int(v) for v in values)))
            readings.extend(_to_reading(device, pt, block, values, t) for pt in block.points)
        return readings, raws

    def _plan(self, ref: DeviceRef, names: Sequence[str] | None) -> list[ReadBlock]:
        """The reads of ``names`` (default: every point, planned once per device)."""
        p = ref.profile
        if names is not None:
            return plan_reads([p.point(n) for n in names], p.max_read_registers, p.read_gap)
        kept = self._plans.get(ref.name)
        if kept is None or kept[0] is not ref:
            kept = (ref, plan_reads(p.points, p.max_read_registers, p.read_gap))
            self._plans[ref.name] = kept
        return kept[1]

    def read_block(self, device: str, block: ReadBlock) -> list[int]:
        """One read transaction; registers (or bits as 0/1) of ``block``."""
        ref = self._device(device)
        method = {
            Table.COIL: "read_coils",
            Table.DISCRETE: "read_discrete_inputs",
            Table.INPUT: "read_input_registers",
            Table.HOLDING: "read_holding_registers",
        }[block.table]

        def call(client: ModbusBaseSyncClient) -> ModbusPDU:
            return getattr(client, method)(block.start, count=block.count, device_id=ref.unit)

        what = f"read {block.table.value} {block.start}+{block.count}"
        response = self._transact(device, call, what)
        # pymodbus matches an answer to its request by transaction id (TCP) or order (RTU)
        # and drops another unit's, but decodes whatever function the answer names.
        function = getattr(response, "function_code", None)
        if function != _READ_FUNCTION[block.table]:
            wanted = _READ_FUNCTION[block.table]
            raise self._fail(
                device, BadFrame(device, f"{what}: answer of function {function}, not {wanted}")
            )
        if block.table.is_bit:
            bits = list(getattr(response, "bits", []))
            if len(bits) < block.count:
                raise self._fail(device, BadFrame(device, f"{len(bits)} bits for {block.count}"))
            return [1 if b else 0 for b in bits[: block.count]]
        regs = list(getattr(response, "registers", []))
        if len(regs) != block.count:
            raise self._fail(device, BadFrame(device, f"{len(regs)} registers for {block.count}"))
        return regs

    def read_point(self, device: str, point: str) -> Reading:
        """Read a single point (one transaction)."""
        readings, _ = self.read_points(device, [point])
        return readings[0]

    # -- writing ------------------------------------------------------------
    def write_point(
        self, device: str, point: str, value: float, *, verify: bool = True, force: bool = False
    ) -> None:
        """Write ``value`` to a writable point and (by default) read it back.

        Raises :class:`VerifyMismatch` if the read-back differs, or a
        :class:`DeviceError` if the device cannot be reached; :class:`NotWritable`
        for a read-only point. ``force`` ignores the device's back-off (for
        turning outputs off).
        """
        ref = self._device(device)
        pt = ref.profile.point(point)
        if not pt.writable:
            raise NotWritable(f"{device}.{point}: point is not writable")
        regs = encode(pt, value)
        if pt.table is Table.COIL:

            def call(client: ModbusBaseSyncClient) -> ModbusPDU:
                return client.write_coil(pt.address, bool(regs[0]), device_id=ref.unit)
        elif len(regs) == 1:

            def call(client: ModbusBaseSyncClient) -> ModbusPDU:
                return client.write_register(pt.address, regs[0], device_id=ref.unit)
        else:

            def call(client: ModbusBaseSyncClient) -> ModbusPDU:
                return client.write_registers(pt.address, regs, device_id=ref.unit)

        self._transact(device, call, f"write {point}={value}", force=force)
        if verify:
            self._verify(device, pt, regs, force=force)

    def lease_output(self, device: str, point: str, seconds: float) -> None:
        """Switch a coil on for ``seconds`` with the module's own timer, then verify it is on.

        Calling again before the time runs out renews the lease. If the
        controller dies, the relay opens by itself when the lease ends.
        :class:`NotWritable` if the point is not a coil of a module with a lease,
        :class:`LeaseOutOfRange` if ``seconds`` is not within the module's timer.
        """
        ref = self._device(device)
        lease = ref.profile.lease
        pt = ref.profile.point(point)
        if lease is None:
            raise NotWritable(f"{device}: profile {ref.profile.name!r} has no output lease")
        if pt.table is not Table.COIL or not pt.writable:
            raise NotWritable(f"{device}.{point}: not a writable coil")
        if not 0 < seconds <= lease.max_s:
            raise LeaseOutOfRange(f"{device}.{point}: lease {seconds} s outside 0..{lease.max_s} s")
        steps = max(1, round(seconds / lease.unit_s))
        request = FlashCoilRequest(lease.address_offset + pt.address, steps, ref.unit)

        def call(client: ModbusBaseSyncClient) -> ModbusPDU:
            return client.execute(False, request)

        self._transact(device, call, f"lease {point} {seconds:g} s")
        self._verify(device, pt, [1], force=False)

    def arm_comm_watchdog(self, device: str, seconds: float) -> float:
        """Set the module's communication watchdog to ``seconds`` and read it back.

        Returns the timeout the module now holds (whole steps of the profile's ``unit_s``).
        From then on the module switches every relay off by itself when no request reaches
        it for that long. :class:`NotWritable` if the profile has no ``[comm_watchdog]``,
        :class:`WatchdogOutOfRange` outside ``0 < seconds <= max_s``,
        :class:`VerifyMismatch` if the register reads back otherwise.
        """
        ref = self._device(device)
        wd = ref.profile.comm_watchdog
        if wd is None:
            raise NotWritable(f"{device}: profile {ref.profile.name!r} has no comm_watchdog")
        if not 0 < seconds <= wd.max_s:
            raise WatchdogOutOfRange(
                f"{device}: comm watchdog {seconds:g} s outside 0..{wd.max_s:g} s"
            )
        steps = wd.steps(seconds)
        pt = Point("comm_watchdog", Table.HOLDING, wd.address, DataType.UINT16, writable=True)

        def call(client: ModbusBaseSyncClient) -> ModbusPDU:
            return client.write_register(wd.address, steps, device_id=ref.unit)

        self._transact(device, call, f"comm watchdog {steps} x {wd.unit_s:g} s")
        self._verify(device, pt, [steps], force=False)
        return steps * wd.unit_s

    def output_off(self, device: str, point: str) -> None:
        """Switch a coil off and verify; ignores back-off (used to stop water)."""
        self.write_point(device, point, 0, verify=True, force=True)

    def outputs_off(self, device: str, points: Sequence[str]) -> dict[str, FieldIOError]:
        """Switch the coils ``points`` of ``device`` off together, then read them back once.

        Consecutive coils go off in one write of up to the profile's ``max_write_coils``
        (function 15; one coil a write, function 05, where the profile allows no more),
        then every coil written is read back in as few reads as the profile allows. A write
        the module answers with an exception is tried again one coil a write (a module
        that did not answer is not: each try would wait out the timeouts). Returns
        the points not verified off, each with why: the write's or read's error (every coil
        it covered), or :class:`VerifyMismatch` for a coil that reads back on. Ignores the
        device's back-off (used to stop water); a coil whose write failed is not read back.
        :class:`NotWritable` (raised) for a point that is not a writable coil.
        """
        ref = self._device(device)
        profile = ref.profile
        pts = sorted({profile.point(n) for n in points}, key=lambda p: p.address)
        for pt in pts:
            if pt.table is not Table.COIL or not pt.writable:
                raise NotWritable(f"{device}.{pt.name}: not a writable coil")
        failures: dict[str, FieldIOError] = {}
        written: list[Point] = []
        for run in _coil_runs(pts, profile.max_write_coils):
            try:
                self._coils_off(ref, run[0].address, len(run))
            except DeviceException as exc:
                if len(run) == 1:
                    failures[run[0].name] = exc
                    continue
                # The module answered but refused the whole write (a faulted channel, busy):
                # one coil a write, so a coil it refuses does not keep the others on.
                for pt in run:
                    try:
                        self._coils_off(ref, pt.address, 1)
                    except DeviceError as one:
                        failures[pt.name] = one
                    else:
                        written.append(pt)
                continue
            except DeviceError as exc:
                failures.update((pt.name, exc) for pt in run)
                continue
            written += run
        for block in plan_reads(written, profile.max_read_registers, profile.read_gap):
            self.health[device].backoff_until = 0.0  # the read-back passes a back-off too
            try:
                got = self.read_block(device, block)
            except DeviceError as exc:
                failures.update((pt.name, exc) for pt in block.points)
                continue
            for pt in block.points:
                bit = got[pt.address - block.start]
                if bit:
                    failures[pt.name] = VerifyMismatch(device, pt.name, [0], [bit])
        return failures

    def _coils_off(self, ref: DeviceRef, start: int, count: int) -> None:
        """One write of ``count`` coils off from ``start`` (function 05 for one, else 15)."""
        if count == 1:

            def call(client: ModbusBaseSyncClient) -> ModbusPDU:
                return client.write_coil(start, False, device_id=ref.unit)
        else:

            def call(client: ModbusBaseSyncClient) -> ModbusPDU:
                return client.write_coils(start, [False] * count, device_id=ref.unit)

        self._transact(ref.name, call, f"write coils {start}+{count} off", force=True)

    def _verify(self, device: str, pt: Point, wanted: list[int], *, force: bool) -> None:
        block = ReadBlock(pt.table, pt.address, pt.width, (pt,))
        if force:
            self.health[device].backoff_until = 0.0
        got = self.read_block(device, block)
        if got != wanted:
            raise VerifyMismatch(device, pt.name, wanted, got)

    # -- health -------------------------------------------------------------
    def health_report(self) -> dict[str, dict[str, object]]:
        with self._lock:
            return {name: h.as_dict() for name, h in self.health.items()}

    # -- internals ----------------------------------------------------------
    def _device(self, name: str) -> DeviceRef:
        try:
            return self.devices[name]
        except KeyError:
            raise KeyError(f"bus {self.settings.name!r} has no device {name!r}") from None

    def _transact(
        self,
        device: str,
        call: Callable[[ModbusBaseSyncClient], ModbusPDU],
        what: str,
        *,
        force: bool = False,
    ) -> ModbusPDU:
        health = self.health[device]
        with self._lock:
            if not force and self._monotonic() < health.backoff_until:
                health.skipped += 1
                failures = health.consecutive_failures
                raise DeviceBackedOff(
                    device, f"resting after {failures} failures", failures=failures
                )
            last: DeviceError | None = None
            for _attempt in range(1 + self.settings.retries):
                self._wait_gap()
                try:
                    response = call(self._client)
                except ConnectionException as exc:
                    last = self._unavailable(device, exc)
                except ModbusIOException as exc:
                    last = self._io_error(device, exc)
                    self._client.close()  # drop any late answer before the next frame
                except ModbusException as exc:
                    last = BadFrame(device, f"{what}: {exc}")
                    self._client.close()
                except OSError as exc:
                    last = self._unavailable(device, exc)
                    self._client.close()
                else:
                    self._last_end = self._monotonic()
                    if isinstance(response, ExceptionResponse) or response.isError():
                        code = int(getattr(response, "exception_code", 0))
                        name = _EXCEPTION_NAMES.get(code, "unknown")
                        # The device is alive and answered: not a reason to back off.
                        self._record_ok(device, alive_only=True)
                        health.exception += 1
                        raise self._log_failure(
                            device,
                            DeviceException(
                                device,
                                code,
                                f"{what}: exception {code} ({name})",
                                what=what,
                                modbus_code=code,
                                name=name,
                            ),
                        )
                    self._record_ok(device)
                    return response
                self._last_end = self._monotonic()
            assert last is not None
            raise self._fail_locked(device, last)

    def _io_error(self, device: str, exc: ModbusIOException) -> DeviceError:
        text = str(exc)
        if "No response" in text or "timeout" in text.lower():
            timeout_s = f"{self.settings.timeout_s:g}"
            return DeviceTimeout(device, f"no answer within {timeout_s} s", timeout_s=timeout_s)
        return BadFrame(device, text)

    def _unavailable(self, device: str, exc: Exception) -> BusUnavailable:
        """The bus cannot be reached: a TCP connection that failed said by why (pymodbus
        keeps only "Failed to connect[…]"), else the library's words and the serial port's
        cause."""
        port = self.settings.describe()
        said = connect_cause(self._client, self.settings)
        if isinstance(exc, ConnectionException) and said is not None:
            cause, error = said
        else:
            cause, error = open_cause(self.settings), str(exc)
        return BusUnavailable(device, f"{port}: {error}", port=port, error=error, cause=cause)

    def _wait_gap(self) -> None:
        wait = self._last_end + self.settings.gap_s - self._monotonic()
        if wait > 0:
            self._sleep(wait)

    def _record_ok(self, device: str, *, alive_only: bool = False) -> None:
        health = self.health[device]
        if health.consecutive_failures:
            log.info("%s: answering again after %d failures", device, health.consecutive_failures)
        health.consecutive_failures = 0
        health.backoff_until = 0.0
        if not alive_only:
            health.ok += 1
            health.last_good = self._now()

    def _fail(self, device: str, error: DeviceError) -> DeviceError:
        with self._lock:
            return self._fail_locked(device, error)

    def _fail_locked(self, device: str, error: DeviceError) -> DeviceError:
        health = self.health[device]
        if isinstance(error, DeviceTimeout):
            health.timeout += 1
        elif isinstance(error, BusUnavailable):
            health.unavailable += 1
        else:
            health.bad_frame += 1
        health.consecutive_failures += 1
        if health.consecutive_failures >= self.settings.failures_before_backoff:
            # doublings capped before the power: 2.0 ** 1024 overflows (a device silent for
            # about 17 h at a 60 s rest), and the cap is long past any backoff_max_s by then
            excess = health.consecutive_failures - self.settings.failures_before_backoff
            doublings = min(excess, _MAX_DOUBLINGS)
            rest = min(self.settings.backoff_max_s, self.settings.backoff_base_s * 2.0**doublings)
            health.backoff_until = self._monotonic() + rest
        return self._log_failure(device, error)

    def _log_failure(self, device: str, error: DeviceError) -> DeviceError:
        health = self.health[device]
        message = str(error)
        # An outage is logged once at ERROR; its repeats at DEBUG.
        if health.last_error != message:
            log.error("%s", message)
        else:
            log.debug("%s", message)
        health.last_error = message
        health.last_error_kind, health.last_error_values = error.kind, dict(error.values)
        return error


def _to_reading(
    device: str, pt: Point, block: ReadBlock, values: Sequence[int], t: datetime
) -> Reading:
    regs = values[pt.address - block.start : pt.end - block.start]
    raw = tuple(map(int, regs))
    try:
        value = decode(pt, regs)
    except DecodeError as exc:
        return Reading(
            device, pt.name, None, pt.unit, Quality.UNDECODABLE, t, raw=raw, detail=str(exc)
        )
    if (pt.min is not None and value < pt.min) or (pt.max is not None and value > pt.max):
        return Reading(
            device,
            pt.name,
            None,
            pt.unit,
            Quality.OUT_OF_RANGE,
            t,
            decoded=value,
            raw=raw,
            detail=f"{value:g} outside {pt.min}..{pt.max}",
        )
    return Reading(device, pt.name, value, pt.unit, Quality.OK, t, decoded=value, raw=raw)


def _coil_runs(points: Sequence[Point], max_coils: int) -> list[list[Point]]:
    """``points`` (coils, by address) cut into runs of consecutive addresses, each of at most
    ``max_coils``: what one write may switch."""
    runs: list[list[Point]] = []
    for pt in points:
        run = runs[-1] if runs else None
        if run is not None and pt.address == run[-1].address + 1 and len(run) < max_coils:
            run.append(pt)
        else:
            runs.append([pt])
    return runs
