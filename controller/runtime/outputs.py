"""Every output of the site (valves, pump, dosing-pump power) as a renewed lease.

An output is switched on with the relay module's own timer (``safety.lease_s``)
and renewed every third of the lease while the daemon is healthy: if qanat,
the Pi or the bus dies, the module opens the relay when the lease runs out
and the water stops (DESIGN principle 1). Every switch is verified by
read-back (:class:`drivers.errors.VerifyMismatch` otherwise).

Roles: ``valve:<zone>``, ``pump``, ``master_valve``, ``backflush_valve``,
``injector_power``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from controller.clock import Clock
from controller.config.site import OutputRef, SiteConfig
from controller.runtime.fieldio import FieldIO
from drivers.errors import DriverError, VerifyMismatch

__all__ = [
    "NOT_YET_OFF",
    "OFF_ORDER",
    "SWITCH_OFF_FAILED",
    "OutputStatus",
    "Outputs",
    "all_off_verified",
]

log = logging.getLogger(__name__)
# the log lines of an output not (yet) off: by role at each attempt, then the attempt's
# failures; a command that reports its result itself (``qanat outputs-off``) leaves them out
SWITCH_OFF_FAILED = "could not switch %s (%s) off: %s"
NOT_YET_OFF = "outputs not yet off (attempt %d of %d): %s"

# When everything goes off, the pump stops first (no pressure against closing valves),
# then the injector, then the master valve, then the zone valves.
OFF_ORDER = ("pump", "injector_power", "master_valve", "backflush_valve")


@dataclass(slots=True)
class OutputStatus:
    role: str
    ref: OutputRef
    wanted_on: bool = False
    leased_at: float = 0.0  # clock.monotonic() of the last successful lease
    on_since: float = 0.0  # clock.monotonic() when it last went from off to on
    last_error: str = ""
    reads_on: bool = False  # commanded off, but the module read it back on at the last try


class Outputs:
    """Switches and renews the site's leased outputs; thread-safe."""

    def __init__(self, site: SiteConfig, fieldio: FieldIO, clock: Clock) -> None:
        self.site = site
        self.fieldio = fieldio
        self.clock = clock
        self.lease_s = site.safety.lease_s
        self._lock = threading.RLock()
        self.status = {role: OutputStatus(role, ref) for role, ref in site.output_roles().items()}

    def roles(self) -> list[str]:
        return list(self.status)

    def is_on(self, role: str) -> bool:
        return self.status[role].wanted_on

    def on_roles(self) -> list[str]:
        with self._lock:
            return [r for r, s in self.status.items() if s.wanted_on]

    def reads_on_roles(self) -> list[str]:
        """The roles commanded off whose module read them back on at the last try (a relay
        stuck on: on in the field until :meth:`retry_off` reads it off)."""
        with self._lock:
            return [r for r, s in self.status.items() if s.reads_on and not s.wanted_on]

    def commanded(self) -> dict[str, tuple[bool, float]]:
        """Every role's ``(wanted_on, on_since)``, taken under the lock (never mid-switch).

        Two snapshots that are equal for a role mean it was not switched between them
        (an off-and-on-again changes ``on_since``)."""
        with self._lock:
            return {r: (s.wanted_on, s.on_since) for r, s in self.status.items()}

    def on(self, role: str) -> None:
        """Switch ``role`` on for one lease and verify; raises a FieldIOError on failure.

        A role that still read on after a failed off keeps its ``on_since``: it never went off.

        (A :class:`drivers.errors.UsageError` means a bug: the site validation refuses
        outputs that are not leased coils.)
        """
        with self._lock:
            st = self.status[role]
            try:
                self.fieldio.bus_of(st.ref.device).lease_output(
                    st.ref.device, st.ref.point, self.lease_s
                )
            except DriverError as exc:
                st.last_error = str(exc)
                raise
            if not st.wanted_on and not st.reads_on:  # still on after a failed off: never off
                st.on_since = self.clock.monotonic()
            st.wanted_on = True
            st.leased_at = self.clock.monotonic()
            st.last_error = ""
            st.reads_on = False

    def off(self, role: str) -> None:
        """Switch ``role`` off and verify (passes a backed-off device); raises on failure."""
        with self._lock:
            st = self.status[role]
            st.wanted_on = False  # never renewed again, whatever the bus says
            try:
                self.fieldio.bus_of(st.ref.device).output_off(st.ref.device, st.ref.point)
            except DriverError as exc:
                st.last_error = str(exc)
                st.reads_on = isinstance(exc, VerifyMismatch)
                raise
            st.last_error = ""
            st.reads_on = False

    def renew_due(self) -> dict[str, DriverError]:
        """Renew every on-output whose lease is a third used; return the failures by role."""
        failures: dict[str, DriverError] = {}
        with self._lock:
            now = self.clock.monotonic()
            for role, st in self.status.items():
                if st.wanted_on and now - st.leased_at >= self.lease_s / 3:
                    try:
                        self.on(role)
                    except DriverError as exc:
                        failures[role] = exc
        return failures

    def all_off(self) -> dict[str, DriverError]:
        """Every output off and read back, a relay module at a time; the failures by role.

        Each module's outputs go off in one write (as its profile allows) and are read back
        in one read (:meth:`drivers.bus.Bus.outputs_off`); the module of the pump goes
        first, then those of the injector, the master and the backflush valve, then the
        rest. Every module is tried; a module that does not answer fails each of its roles.
        """
        failures: dict[str, DriverError] = {}
        with self._lock:
            order = [r for r in OFF_ORDER if r in self.status]
            order += [r for r in self.status if r not in order]
            modules: dict[str, list[str]] = {}  # device -> its roles, in off order
            for role in order:
                st = self.status[role]
                st.wanted_on = False  # never renewed again, whatever the bus says
                modules.setdefault(st.ref.device, []).append(role)
            for device, roles in modules.items():
                points = list(dict.fromkeys(self.status[r].ref.point for r in roles))
                try:
                    bad: dict[str, DriverError] = dict(
                        self.fieldio.bus_of(device).outputs_off(device, points)
                    )
                except DriverError as exc:
                    bad = dict.fromkeys(points, exc)
                for role in roles:
                    st = self.status[role]
                    why = bad.get(st.ref.point)
                    st.last_error = "" if why is None else str(why)
                    st.reads_on = isinstance(why, VerifyMismatch)
                    if why is not None:
                        log.error(SWITCH_OFF_FAILED, role, st.ref, why)
                        failures[role] = why
        return dict(sorted(failures.items(), key=lambda kv: order.index(kv[0])))

    def retry_off(self) -> dict[str, DriverError]:
        """Switch off again every output commanded off that last read back on; failures by role.

        A relay whose module answered but still held it on (:class:`VerifyMismatch` at an
        off or :meth:`all_off`) is written off and read back at every call (the supervisor
        calls once a second) until it reads off, so a relay that comes free stops at once,
        not when its lease ends or the idle read-back finds it. A module that did not
        answer is not retried here (each try would hold the control loop for the bus's
        timeouts): its leases close its relays.
        """
        failures: dict[str, DriverError] = {}
        with self._lock:
            for role, st in self.status.items():
                if st.wanted_on or not st.reads_on:
                    continue
                try:
                    self.off(role)
                except DriverError as exc:
                    failures[role] = exc
                else:
                    log.warning("%s (%s) reads off again after a failed switch-off", role, st.ref)
        return failures


def all_off_verified(
    outputs: Outputs,
    *,
    attempts: int = 3,
    first_delay_s: float = 0.5,
    max_delay_s: float = 8.0,
    check: Callable[[], dict[str, Exception]] | None = None,
) -> dict[str, Exception]:
    """Every output off and read back off, retrying; the failures by role left at the end.

    Each of the ``attempts`` switches every output off, pump first (:meth:`Outputs.all_off`),
    and, if all went off, runs ``check`` (what else must hold then, such as the relay
    modules' own fail-safe; its failures count like an output's). Between attempts it waits
    on the outputs' clock: ``first_delay_s`` seconds, doubled each time up to ``max_delay_s``, so a
    frame lost to noise or a module still booting does not leave a valve open. An empty
    result means every output is verified off (and ``check`` passed).
    """
    failures: dict[str, Exception] = {}
    for attempt in range(attempts):
        if attempt:
            log.warning(NOT_YET_OFF, attempt, attempts, failures)
            outputs.clock.sleep(min(first_delay_s * 2 ** (attempt - 1), max_delay_s))
        failures = dict(outputs.all_off())
        if not failures and check is not None:
            failures = check()
        if not failures:
            break
    return failures
