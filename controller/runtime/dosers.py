"""The site's dosing pumps, and their ``run`` command written 0 at daemon start.

A dosing pump is two things to the box: a leased relay output feeding it (``injector_power``
for the single injector, ``dosing:<channel>`` for each channel's pump) and its own Modbus
registers (``run``, ``rate_setpoint``). The relay's lease stops the pump when the box dies,
but the pump keeps its registers: a box killed mid-injection leaves ``run`` 1 at the old
rate. Powered again by hand, or by a relay that fails on, it would dose at once.
:func:`run_off_at_start` writes every pump's ``run`` 0 and reads it back, after the relays
were switched off and verified (:meth:`controller.daemon.daemon.Daemon.make_safe`).

A pump that does not confirm ``run`` 0 does not refuse the daemon's start: its supply relay
was just verified off and only the box switches it on again (a relay failing on is what the
``run`` 0 guards against), so it cannot dose; refusing
would stop the irrigation with it. It is a latched ``dosing_pump_unconfirmed`` alarm of the
supervisor's, one of :data:`controller.runtime.safety.INJECTION_STOP_CODES`: fertigation is
refused until a technician has checked the pump and acknowledged it (docs/reliability.md).

A pump whose Modbus interface is powered by its supply relay (``fertigation.
injector_modbus_via_supply``, a channel's ``modbus_via_supply``: :func:`fed_by_supply`) answers
nothing while that relay is off, as it is at start: its silence then (no answer,
:class:`drivers.errors.DeviceTimeout`) is no alarm, since unpowered it cannot dose; any other
failure still is. It has kept its registers through the power cut (a pump that does not is
unharmed), so whenever the box switches its supply on to inject, :func:`stopped_once_powered`
writes its ``run`` 0 and reads it back before its rate and ``run`` 1: a pump that does not
confirm it fails the injection's switch-on, which stops everything as a refused rate does
(``output_fault``). It must answer within the bus's timeout and retries of its supply
switching on.

Stopping a pump fed by its supply (:func:`stop_pump`) writes its ``run`` 0 (verified) while
its supply is still on, then cuts the supply: the other way round the pump has just lost the
power its Modbus side needs, and the write could only time out. Once its supply relay reads
back off, a fed pump that does not answer ``run`` 0 is no failure: unpowered, it cannot dose
(and it is written ``run`` 0 again before it doses, as above). A supply that does not read
back off keeps the failure. A pump not fed by its supply keeps the safer order: supply
first (it stops the pump whatever the bus says), then ``run`` 0, whose failure is a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from controller.config.site import SiteConfig
from controller.runtime.fieldio import FieldIO
from controller.runtime.outputs import Outputs
from drivers.errors import DeviceTimeout, DriverError

__all__ = [
    "UNCONFIRMED",
    "dosing_pumps",
    "fed_by_supply",
    "run_off_at_start",
    "stop_pump",
    "stopped_once_powered",
    "unconfirmed_message",
]

log = logging.getLogger(__name__)

UNCONFIRMED = "dosing_pump_unconfirmed"


def dosing_pumps(site: SiteConfig) -> list[tuple[str, str]]:
    """Every dosing pump as ``(supply role, device)``: the single injector's, then each
    channel's, in the site file's order; empty without ``[fertigation]``."""
    f = site.fertigation
    if f is None:
        return []
    pumps = [("injector_power", f.injector)] if f.injector is not None else []
    return pumps + [(f"dosing:{c.name}", c.injector) for c in f.channels]


def fed_by_supply(site: SiteConfig) -> frozenset[str]:
    """The dosing pumps (devices) whose Modbus interface is powered by their supply relay."""
    f = site.fertigation
    if f is None:
        return frozenset()
    single = {f.injector} if f.injector is not None and f.injector_modbus_via_supply else set()
    return frozenset(single | {c.injector for c in f.channels if c.modbus_via_supply})


def run_off_at_start(
    site: SiteConfig, fieldio: FieldIO, not_off: Collection[str] = ()
) -> dict[str, DriverError]:
    """Write ``run`` 0 to every dosing pump and read it back (the bus's verified write, past
    any back-off), after every output was switched off; return the pumps that did not
    confirm it, by device, with the error. A pump fed by its supply (:func:`fed_by_supply`)
    that does not answer is unpowered, not a failure (it is logged, not returned), unless
    its supply role is in ``not_off`` (the roles not verified off): then it may be powered."""
    failures: dict[str, DriverError] = {}
    fed = fed_by_supply(site)
    for role, device in dosing_pumps(site):
        try:
            fieldio.bus_of(device).write_point(device, "run", 0, force=True)
        except DeviceTimeout as exc:
            if device not in fed or role in not_off:
                failures[device] = exc
                continue
            log.info(
                "dosing pump %s: no answer, its Modbus fed by its supply (off): %s", device, exc
            )
        except DriverError as exc:
            failures[device] = exc
    return failures


def stopped_once_powered(site: SiteConfig, fieldio: FieldIO, device: str) -> None:
    """For a pump fed by its supply (:func:`fed_by_supply`), just powered for an injection:
    write its ``run`` 0 and read it back, past any back-off its silence while unpowered
    earned it, before its rate and ``run`` 1 are written. Raises what the bus raises (a
    :class:`drivers.errors.FieldIOError`: the injection's switch-on failed). Nothing for
    another pump (its ``run`` 0 was confirmed at start)."""
    if device in fed_by_supply(site):
        fieldio.bus_of(device).write_point(device, "run", 0, force=True)


def stop_pump(
    site: SiteConfig, outputs: Outputs, fieldio: FieldIO, role: str, device: str
) -> list[tuple[str, DriverError]]:
    """Stop the dosing pump ``device`` fed through the leased output ``role``: its supply
    off (verified) and its ``run`` 0 (verified), in the order the module docstring gives;
    return what failed, as ``(role or "<device>.run", error)``, every step tried.

    A pump fed by its supply (:func:`fed_by_supply`) is written ``run`` 0 before its supply
    goes off when the supply is commanded on or was left reading on; if that write fails, or
    the supply was off, it is written again after the supply went off, and its silence then
    (:class:`drivers.errors.DeviceTimeout`) is a failure only while the supply is not
    verified off."""
    failures: list[tuple[str, DriverError]] = []
    run = f"{device}.run"
    bus = fieldio.bus_of(device)
    stopped = False
    if device in fed_by_supply(site) and role in outputs.on_roles() + outputs.reads_on_roles():
        try:
            bus.write_point(device, "run", 0, force=True)
            stopped = True
        except DriverError as exc:
            log.warning("dosing pump %s: run 0 before its supply goes off failed: %s", device, exc)
    supply_off = False
    try:
        outputs.off(role)
        supply_off = True
    except DriverError as exc:
        failures.append((role, exc))
    if stopped:
        return failures
    try:
        bus.write_point(device, "run", 0, force=True)
    except DeviceTimeout as exc:
        if not (supply_off and device in fed_by_supply(site)):
            failures.append((run, exc))
        else:
            log.info("dosing pump %s: no answer to run 0, its supply verified off: %s", device, exc)
    except DriverError as exc:
        failures.append((run, exc))
    return failures


def unconfirmed_message(device: str, role: str, exc: DriverError) -> str:
    """The alarm's text: the pump, what failed, why it cannot dose, what is refused."""
    return (
        f"dosing pump {device}: run 0 not confirmed at start: {exc}; its supply {role} is "
        "verified off; fertigation refused until acknowledged"
    )
