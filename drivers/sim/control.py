"""Control channel of a running simulator: JSON lines over a loopback TCP port.

Each request is one JSON object on one line; each gets one JSON reply line,
``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``. A bad request
gets an error reply and the simulator carries on. Operations::

    {"op": "fault", "device": "probe1a", "kind": "no_answer", "for_s": 30}
    {"op": "fault", "device": "relay1", "kind": "stuck", "point": "ch3"}
    {"op": "fault", "device": "flow", "kind": "exception", "code": 4}
    {"op": "fault", "device": "probe1a", "kind": "drift", "point": "moisture", "rate_per_s": 0.1}
    {"op": "clear", "device": "probe1a"}            # also "point", "kind"; no device: all
    {"op": "set", "device": "probe1a", "point": "moisture", "value": 23.5}
    {"op": "get", "device": "probe1a", "point": "moisture"}   -> {"ok": true, "value": 23.5, ...}
    {"op": "get", "device": "probe1a"}               -> {"ok": true, "status": {...}, ...}
    {"op": "status"}                                 # also "device": one device
    {"op": "line", "zone": "z2", "kind": "clog", "fraction": 0.2}   # fraction 0 clears it
    {"op": "line"}                                   -> {"ok": true, "line_faults": {...}}

Fault fields are those of :class:`drivers.sim.faults.Fault`. ``line`` sets a zone's line
fault in the simulated field (:meth:`drivers.sim.field.SimField.set_line_fault`: emitters
clogging lose a fraction of its flow, a leak adds one); it needs the server's ``field``.
A ``set`` on a point the simulated field drives lasts until the field's next step; to hold
a value, ``set`` it and inject a ``stuck`` fault on the point. The channel
only listens on a loopback address: it has no authentication.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import math
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

from drivers.errors import DecodeError, SimulatorError
from drivers.sim._thread import BackgroundService
from drivers.sim.device import VirtualDevice
from drivers.sim.faults import Fault

__all__ = ["ControlError", "ControlServer", "send_control"]

_MAX_LINE = 64 * 1024


class LineFaults(Protocol):
    """What the ``line`` op needs of the simulated field."""

    def set_line_fault(self, zone: str, kind: str, fraction: float) -> None: ...

    def line_faults(self) -> dict[str, tuple[str, float]]: ...


class ControlError(SimulatorError):
    """The simulator refused a control request; ``reply`` is its answer."""

    def __init__(self, reply: Mapping[str, Any]) -> None:
        super().__init__(str(reply.get("error", reply)))
        self.reply = dict(reply)


class _BadRequest(SimulatorError):
    pass


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ControlServer:
    """Serves the control channel for ``devices`` (unique names) on ``host``:``port``.

    ``port`` 0 picks a free port, reported by :attr:`port` once listening.
    Use like :class:`drivers.sim.server.SimServer`: ``start()``/``stop()``, a
    context manager, or ``await serve()`` in an event loop.
    """

    def __init__(
        self, devices: Iterable[VirtualDevice], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(f"host: the control channel listens on loopback only, not {host!r}")
        self.host = host
        self.port = port
        self.devices: dict[str, VirtualDevice] = {}
        for dev in devices:
            if dev.name in self.devices:
                raise ValueError(f"device name {dev.name!r} used twice")
            self.devices[dev.name] = dev
        self.field: LineFaults | None = None  # the simulated field, for the ``line`` op
        self._server: asyncio.Server | None = None
        self._background = BackgroundService(f"sim control {host}:{port}", self._open_for_thread)

    # ------------------------------------------------------------ running

    def start(self, timeout_s: float = 10.0) -> ControlServer:
        self._background.start(timeout_s)
        return self

    def stop(self) -> None:
        self._background.stop()

    def __enter__(self) -> ControlServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def open(self) -> None:
        self._server = await asyncio.start_server(
            self._client, self.host, self.port, limit=_MAX_LINE
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def serve(self) -> None:
        """Listen and answer until the task is cancelled."""
        await self.open()
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def _open_for_thread(self) -> Callable[[], Awaitable[None]]:
        await self.open()
        return self.close

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    reply: dict[str, Any] = {"ok": False, "error": "request line too long"}
                    writer.write(json.dumps(reply).encode() + b"\n")
                    break
                if not line:
                    break
                if not line.strip():
                    continue
                reply = self.handle_line(line)
                writer.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    # ------------------------------------------------------------ requests

    def handle_line(self, line: bytes) -> dict[str, Any]:
        """The reply to one request line (never raises)."""
        try:
            message = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return {"ok": False, "error": f"not JSON: {exc}"}
        if not isinstance(message, dict):
            return {"ok": False, "error": "expected a JSON object"}
        return self.handle(message)

    def handle(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """The reply to one request (never raises)."""
        ops = {
            "fault": self._fault,
            "clear": self._clear,
            "set": self._set,
            "get": self._get,
            "status": self._status,
            "line": self._line,
        }
        op = message.get("op")
        handler = ops.get(op) if isinstance(op, str) else None
        if handler is None:
            return {"ok": False, "error": f"op: unknown op {op!r} (one of {', '.join(ops)})"}
        try:
            return {"ok": True, **handler(message)}
        except (_BadRequest, ValueError, KeyError, TypeError, DecodeError) as exc:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            return {"ok": False, "error": f"{op}: {text}"}

    def _device(self, message: Mapping[str, Any]) -> VirtualDevice:
        name = message.get("device")
        if name not in self.devices:
            known = ", ".join(sorted(self.devices))
            raise _BadRequest(f"device: unknown device {name!r} (one of {known})")
        return self.devices[name]

    @staticmethod
    def _point(message: Mapping[str, Any], dev: VirtualDevice) -> str:
        point = message.get("point")
        if not isinstance(point, str) or not dev.profile.has_point(point):
            names = ", ".join(pt.name for pt in dev.profile.points)
            raise _BadRequest(f"point: {dev.name} has no point {point!r} (one of {names})")
        return point

    def _fault(self, message: Mapping[str, Any]) -> dict[str, Any]:
        dev = self._device(message)
        fields = {k: v for k, v in message.items() if k not in ("op", "device")}
        active = dev.inject(Fault.from_dict(fields))
        return {"device": dev.name, "fault": active.fault.to_dict()}

    def _clear(self, message: Mapping[str, Any]) -> dict[str, Any]:
        targets = [self._device(message)] if "device" in message else list(self.devices.values())
        point, kind = message.get("point"), message.get("kind")
        if point is not None and not isinstance(point, str):
            raise _BadRequest(f"point: expected a point name, got {point!r}")
        if kind is not None and not isinstance(kind, str):
            raise _BadRequest(f"kind: expected a fault kind, got {kind!r}")
        return {"cleared": sum(dev.clear(point, kind) for dev in targets)}

    def _set(self, message: Mapping[str, Any]) -> dict[str, Any]:
        dev = self._device(message)
        point = self._point(message, dev)
        value = message.get("value")
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise _BadRequest(f"value: expected a number, got {value!r}")
        dev.set(point, value)
        return {"device": dev.name, "point": point, "value": dev.get(point)}

    def _get(self, message: Mapping[str, Any]) -> dict[str, Any]:
        dev = self._device(message)
        if "point" not in message:
            return {"device": dev.name, "status": dev.status()}
        point = self._point(message, dev)
        return {"device": dev.name, "point": point, "value": dev.get(point)}

    def _line(self, message: Mapping[str, Any]) -> dict[str, Any]:
        if self.field is None:
            raise _BadRequest("this simulator has no field to set a line fault in")
        if "zone" in message:
            fraction = message.get("fraction")
            if isinstance(fraction, bool) or not isinstance(fraction, int | float):
                raise _BadRequest(f"fraction: expected a number, got {fraction!r}")
            self.field.set_line_fault(str(message.get("zone")), str(message.get("kind")), fraction)
        faults = self.field.line_faults()
        return {"line_faults": {z: {"kind": k, "fraction": f} for z, (k, f) in faults.items()}}

    def _status(self, message: Mapping[str, Any]) -> dict[str, Any]:
        if "device" in message:
            return {"devices": [self._device(message).status()]}
        return {"devices": [dev.status() for dev in self.devices.values()]}


def send_control(
    host: str, port: int, message: Mapping[str, Any], timeout_s: float = 5.0
) -> dict[str, Any]:
    """Send one request to a running simulator's control channel; the reply.

    Raises :class:`ControlError` if the simulator refused the request,
    ``OSError`` if it cannot be reached.
    """
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(json.dumps(message).encode() + b"\n")
        with sock.makefile("rb") as stream:
            line = stream.readline(_MAX_LINE)
    if not line:
        raise ConnectionError(f"simulator at {host}:{port} closed the connection")
    reply: dict[str, Any] = json.loads(line)
    if not reply.get("ok"):
        raise ControlError(reply)
    return reply
