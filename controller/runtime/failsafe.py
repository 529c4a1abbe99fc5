"""Start-up check of the relay modules' own fail-safe (DESIGN principle 1).

Every output of the site lives on a relay module whose fail-safe is the
lease: the module switches the relay off by itself when the lease time runs
out. For the shipped Waveshare 8-channel relay (protocol V2) the lease is
*per write* — each "flash on" (function 05 to 0x0200 + channel) carries its
own on-time — so there is no timeout register to configure at start and
nothing to read back except the module itself. What is verified, per module
that carries an output, before the daemon reports ready:

1. its profile declares a lease of kind ``flash_on`` (else an output could
   stay on if qanat died; ``check-config`` refuses such a site too, this is
   the run-time guard);
2. the module answers at its configured unit id on its bus, reading every
   coil of its profile (function 01, 0x0000 … 0x0007 for the 8-channel
   module) with exactly as many bits as the profile declares — so a silent
   address, a different device kind answering with an exception, or a short
   frame all refuse the start;
3. every output coil on it reads *off* (done just before, by
   :meth:`controller.runtime.outputs.Outputs.all_off`, whose read-back this check
   repeats for the coils no role uses);
4. where its profile declares a ``[comm_watchdog]`` (the module's own communication
   watchdog: every relay off when no request reaches it for the timeout), the timeout
   ``safety.comm_watchdog_s`` is written and read back, so the outputs close on the module
   itself if the box dies or the bus goes silent, even within a lease. The shipped
   Waveshare modules document no such watchdog; the simulated
   ``sim-relay-8ch-watchdog`` profile has one (docs/profiles.md).

Not verified: the module's firmware version and its stored address register.
The Waveshare wiki's V2 protocol section lists them, but the register
numbers could not be confirmed against the manual for this release, and the
profile only carries verified registers.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.config.site import SiteConfig
from controller.errors import ProblemsError
from controller.runtime.fieldio import FieldIO
from drivers.errors import DriverError
from drivers.profile import Table
from drivers.reading import Quality

__all__ = ["FailSafeError", "ModuleCheck", "verify_failsafe"]

LEASE_KINDS = frozenset({"flash_on"})


class FailSafeError(ProblemsError, RuntimeError):
    """A relay module's fail-safe could not be confirmed; ``problems`` names each module."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems, "; ".join(problems))


@dataclass(frozen=True, slots=True)
class ModuleCheck:
    """What was confirmed about one relay module."""

    device: str
    bus: str
    unit: int
    lease_kind: str
    coils_read: int
    coils_on: tuple[str, ...]
    comm_watchdog_s: float | None = None  # the timeout armed on the module, if it has one


def verify_failsafe(site: SiteConfig, fieldio: FieldIO) -> list[ModuleCheck]:
    """Check every module that carries an output (see module docstring); FailSafeError if not."""
    devices = sorted({ref.device for ref in site.output_roles().values()})
    problems: list[str] = []
    checks: list[ModuleCheck] = []
    for name in devices:
        profile = site.profiles[name]
        bus = fieldio.bus_of(name)
        unit = bus.devices[name].unit
        where = f"{name} (unit {unit} on bus {bus.settings.name!r}, profile {profile.name!r})"
        if profile.lease is None or profile.lease.kind not in LEASE_KINDS:
            problems.append(f"{where}: no hardware lease; an output could stay on")
            continue
        coils = [p.name for p in profile.points if p.table is Table.COIL]
        readings, _ = bus.read_points(name, coils)
        bad = [r for r in readings if r.quality is not Quality.OK]
        if bad or len(readings) != len(coils):
            detail = bad[0].detail if bad else f"{len(readings)} of {len(coils)} coils"
            problems.append(f"{where}: does not answer as a relay module: {detail}")
            continue
        on = tuple(r.point for r in readings if r.value)
        if on:
            problems.append(f"{where}: coils still on after all-off: {', '.join(on)}")
        watchdog_s = None
        if profile.comm_watchdog is not None:
            try:
                watchdog_s = bus.arm_comm_watchdog(name, site.safety.comm_watchdog_s)
            except DriverError as exc:
                problems.append(f"{where}: communication watchdog not armed: {exc}")
                continue
        checks.append(
            ModuleCheck(
                name, bus.settings.name, unit, profile.lease.kind, len(coils), on, watchdog_s
            )
        )
    if problems:
        raise FailSafeError(problems)
    return checks
