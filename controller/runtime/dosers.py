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
"""

from __future__ import annotations

from controller.config.site import SiteConfig
from controller.runtime.fieldio import FieldIO
from drivers.errors import DriverError

__all__ = ["UNCONFIRMED", "dosing_pumps", "run_off_at_start", "unconfirmed_message"]

UNCONFIRMED = "dosing_pump_unconfirmed"


def dosing_pumps(site: SiteConfig) -> list[tuple[str, str]]:
    """Every dosing pump as ``(supply role, device)``: the single injector's, then each
    channel's, in the site file's order; empty without ``[fertigation]``."""
    f = site.fertigation
    if f is None:
        return []
    pumps = [("injector_power", f.injector)] if f.injector is not None else []
    return pumps + [(f"dosing:{c.name}", c.injector) for c in f.channels]


def run_off_at_start(site: SiteConfig, fieldio: FieldIO) -> dict[str, DriverError]:
    """Write ``run`` 0 to every dosing pump and read it back (the bus's verified write, past
    any back-off); return the pumps that did not confirm it, by device, with the error."""
    failures: dict[str, DriverError] = {}
    for _, device in dosing_pumps(site):
        try:
            fieldio.bus_of(device).write_point(device, "run", 0, force=True)
        except DriverError as exc:
            failures[device] = exc
    return failures


def unconfirmed_message(device: str, role: str, exc: DriverError) -> str:
    """The alarm's text: the pump, what failed, why it cannot dose, what is refused."""
    return (
        f"dosing pump {device}: run 0 not confirmed at start: {exc}; its supply {role} is "
        "verified off; fertigation refused until acknowledged"
    )
