"""The systemd notification protocol (``sd_notify``), spoken directly: no dependency.

Under ``Type=notify`` systemd passes ``NOTIFY_SOCKET`` (a filesystem path, or
``@name`` for the Linux abstract namespace). Each notification is one
datagram of ``KEY=VALUE`` lines. Without ``NOTIFY_SOCKET`` (a shell, a test,
another init) every function here does nothing, so callers need no checks.

``WATCHDOG_USEC`` (set with ``WatchdogSec=``) is the time after which systemd
kills a service that has not sent ``WATCHDOG=1``; :func:`watchdog_interval_s`
is half of it, the usual ping cadence. ``WATCHDOG_PID``, when set and not
ours, means the watchdog belongs to another process (we then stay silent).

Sending never raises: a lost notification must not take down the daemon
(systemd restarts a service whose watchdog lapses, which is the right outcome
if the socket has gone).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

__all__ = [
    "WatchdogPinger",
    "notify",
    "ready",
    "status",
    "stopping",
    "watchdog",
    "watchdog_interval_s",
]

log = logging.getLogger(__name__)

# Set once READY=1 has been sent: the watchdog is fed only after that, so systemd sees
# READY=1 before the first WATCHDOG=1 even though the control loop starts inside
# Daemon.start(), a moment before the caller reports ready.
_READY_SENT = threading.Event()


def _address(env: Mapping[str, str]) -> str | None:
    path = env.get("NOTIFY_SOCKET", "")
    if not path:
        return None
    if path.startswith("@"):
        return "\0" + path[1:]  # abstract namespace: a leading NUL byte
    return path


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one notification datagram; True if sent, False without a socket or on error."""
    address = _address(os.environ if env is None else env)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as exc:
        log.debug("sd_notify %r to %r failed: %s", message, address, exc)
        return False
    return True


def ready(env: Mapping[str, str] | None = None) -> bool:
    """``READY=1``: start-up finished (every output is off and read back)."""
    sent = notify(f"READY=1\nMAINPID={os.getpid()}", env)
    if sent:
        _READY_SENT.set()
    return sent


def stopping(env: Mapping[str, str] | None = None) -> bool:
    """``STOPPING=1``: the service is shutting down (outputs going off)."""
    return notify("STOPPING=1", env)


def status(text: str, env: Mapping[str, str] | None = None) -> bool:
    """``STATUS=…``: one line shown by ``systemctl status``."""
    return notify("STATUS=" + " ".join(text.splitlines()), env)


def watchdog(env: Mapping[str, str] | None = None) -> bool:
    """``WATCHDOG=1``: the control loop completed a tick."""
    return notify("WATCHDOG=1", env)


def watchdog_interval_s(env: Mapping[str, str] | None = None) -> float | None:
    """Half of ``WATCHDOG_USEC`` in seconds, or None when no watchdog is asked of us."""
    env = os.environ if env is None else env
    if _address(env) is None:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    return int(usec) / 1e6 / 2


class WatchdogPinger:
    """Sends ``WATCHDOG=1`` at most every ``WATCHDOG_USEC/2`` when :meth:`tick` is called.

    The daemon calls :meth:`tick` at the end of each successful control tick,
    so the watchdog is fed only while the control loop really runs: a hung
    loop starves it and systemd kills and restarts the service. Nothing is
    sent before this process has sent ``READY=1`` (:func:`ready`).
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._env = dict(os.environ if env is None else env)
        self.interval_s = watchdog_interval_s(self._env)
        self._monotonic = monotonic
        self._last = float("-inf")
        self._lock = threading.Lock()

    def tick(self) -> bool:
        """Ping if a watchdog is set and the interval has passed; True if a ping was sent."""
        if self.interval_s is None or not _READY_SENT.is_set():
            return False
        now = self._monotonic()
        with self._lock:
            if now - self._last < self.interval_s:
                return False
            self._last = now
        return watchdog(self._env)
