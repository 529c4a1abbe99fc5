"""Polling: read a device through its bus owner, update the live state, queue the readings.

Every reading reaches the live state (control and safety); the store gets
those the telemetry filter keeps (changes, quality changes, a heartbeat).

One call per device and poll interval (``poll_device``); the scheduler (or
the season simulation's virtual clock) decides when. Outages and implausible
episodes are timed on monotonic time, so a wall-clock step is neither one nor hides
one. A device that stops
answering is reported once as a ``device_offline`` warning event when its
last good reading becomes older than ``safety.stale_after_s``, and once as
``device_online`` when it answers again; :meth:`Poller.offline_since` says which devices
are offline now and when each last read well (the site status's ``offline_devices``).

A device that answers but whose point keeps reading implausibly (out of the
profile's range, or undecodable: a drifting or broken probe, a sentinel) for
``safety.stale_after_s`` raises a latched ``sensor_fault`` warning alarm for
that point, once per episode; ``sensor_ok`` (info) when it reads well again.
The flagged values were never used (only ``ok`` readings reach the models),
so the alarm changes no decision: it tells the technician that a zone is
running on its model alone. It never blocks water.

A dosing pump whose Modbus interface is powered by its supply relay
(:func:`controller.runtime.dosers.fed_by_supply`) is not read while that relay is commanded
off (``supply_on``): unpowered, it answers nothing, and its silence is no outage (no
``device_offline`` at every start and after every injection, no bus time spent waiting on
it). Its outage counts from its supply switching on.

A poll of a pulse-counter device also gives its pulse meters' ``total``, ``flow_rate`` and
``pulse`` readings (:mod:`controller.runtime.pulses`) to the live state, its ``total`` and
``flow_rate`` to the store under the meter's name by the flow meter's telemetry rule
(``[store.telemetry.flow_meter]``: every poll while water runs, on a change past the deadband,
else every heartbeat), and raises a ``counter_reset`` or ``counter_jump`` warning when a
counter fell back or leapt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from controller.clock import Clock
from controller.config.site import SiteConfig
from controller.runtime.dosers import dosing_pumps, fed_by_supply
from controller.runtime.fieldio import FieldIO
from controller.runtime.live import LiveState
from controller.runtime.pulses import PulseMeters
from controller.runtime.telemetry import TelemetryFilter
from controller.store import Severity, Store
from drivers.reading import Quality, Reading

__all__ = ["Poller"]

log = logging.getLogger(__name__)

_IMPLAUSIBLE = frozenset({Quality.OUT_OF_RANGE, Quality.UNDECODABLE})
# a pulse meter's readings on the card: its totalizer and flow (its pulse count is live only:
# the counter module's own reading is stored)
STORED_PULSE_POINTS = frozenset({"total", "flow_rate"})


class Poller:
    """Reads devices into the live state and the store; thread-safe per device.

    ``supply_on``: whether an output role is commanded on
    (:meth:`controller.runtime.outputs.Outputs.is_on`); without it every device is read."""

    def __init__(
        self,
        site: SiteConfig,
        fieldio: FieldIO,
        live: LiveState,
        store: Store,
        clock: Clock,
        supply_on: Callable[[str], bool] | None = None,
    ) -> None:
        self.site = site
        self._supply_on = supply_on
        fed = fed_by_supply(site)
        self._supply_of = {device: role for role, device in dosing_pumps(site) if device in fed}
        self.fieldio = fieldio
        self.live = live
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        keeping = {d: site.store.keeping(p.kind) for d, p in site.profiles.items()}
        # a pulse meter is kept as a flow meter is ([store.telemetry.flow_meter])
        keeping |= {m.name: site.store.keeping("flow_meter") for m in site.pulse_meters}
        self.telemetry = TelemetryFilter(
            site.profiles,
            heartbeat_s=site.store.heartbeat_s,
            deadband_pct=site.store.deadband_pct,
            keeping=keeping,
            derived={
                m.name: {"total": None, "flow_rate": m.max_flow_m3_h} for m in site.pulse_meters
            },
        )
        self._last_good_mono_s: dict[str, float] = {}  # monotonic: a clock step is no outage
        # device -> when its last good reading was (wall time), while it is offline
        self._offline: dict[str, datetime] = {}
        self._implausible_since: dict[str, float] = {}  # "device.point" -> first bad poll (mono_s)
        self._sensor_faults: set[str] = set()  # "device.point" with an alarm raised
        self.pulses = PulseMeters(site)

    def unpowered(self, device: str) -> bool:
        """Is ``device`` a dosing pump fed by its supply whose supply is commanded off?"""
        role = self._supply_of.get(device)
        return role is not None and self._supply_on is not None and not self._supply_on(role)

    def _not_polled(self, device: str) -> None:
        """``device`` is unpowered: not read, its outage (if any) counted from its power-on."""
        with self._lock:
            self._last_good_mono_s.pop(device, None)

    def poll_device(self, device: str) -> list[Reading]:
        """One poll of ``device``: every point, flagged where bad; never raises for the device.
        Nothing (no read) for an :meth:`unpowered` dosing pump."""
        if self.unpowered(device):
            self._not_polled(device)
            return []
        readings, _ = self.fieldio.bus_of(device).read_points(device)
        self.live.update(readings)
        self._derive(device, readings)
        self.store.add_readings(self.telemetry.select(readings))
        self._track(device, readings)
        return readings

    def poll_all(self, devices: Iterable[str] | None = None) -> None:
        """Every device (or ``devices``) once, buses in parallel (at start: state known at once);
        not an :meth:`unpowered` dosing pump."""
        wanted = list(devices) if devices is not None else [d.name for d in self.site.devices]
        for device in [d for d in wanted if self.unpowered(d)]:
            self._not_polled(device)
        for poll in self.fieldio.poll(d for d in wanted if not self.unpowered(d)):
            self.live.update(poll.readings)
            self._derive(poll.device, poll.readings)
            self.store.add_readings(self.telemetry.select(poll.readings))
            self._track(poll.device, poll.readings)

    def _derive(self, device: str, readings: list[Reading]) -> None:
        """The pulse meters counted by ``device``: their readings (live, and ``total`` and
        ``flow_rate`` stored like a flow meter's), their counter events."""
        derived, notes = self.pulses.derive(device, readings, self.clock.monotonic())
        self.live.update(derived)
        self.store.add_readings(
            self.telemetry.select(r for r in derived if r.point in STORED_PULSE_POINTS)
        )
        for note in notes:
            self.store.raise_event(Severity.WARNING, note.code, note.source, note.message)

    def _track(self, device: str, readings: list[Reading]) -> None:
        mono_s = self.clock.monotonic()
        answered = any(r.ok for r in readings)
        with self._lock:
            self._track_points(device, readings, mono_s)
            if answered:
                self._last_good_mono_s[device] = mono_s
                if device in self._offline:
                    del self._offline[device]
                    self.store.raise_event(
                        Severity.INFO, "device_online", device, f"{device} answers again"
                    )
                return
            age_s = mono_s - self._last_good_mono_s.setdefault(device, mono_s)
            if device not in self._offline and age_s >= self.site.safety.stale_after_s:
                self._offline[device] = self.clock.now() - timedelta(seconds=age_s)
                detail = readings[0].detail if readings else ""
                self.store.raise_event(
                    Severity.WARNING,
                    "device_offline",
                    device,
                    f"{device}: no good reading for {age_s:.0f} s ({detail})",
                )

    def _track_points(self, device: str, readings: list[Reading], mono_s: float) -> None:
        limit_s = self.site.safety.stale_after_s
        for r in readings:
            key = f"{device}.{r.point}"
            if r.quality in _IMPLAUSIBLE:
                age_s = mono_s - self._implausible_since.setdefault(key, mono_s)
                if key not in self._sensor_faults and age_s >= limit_s:
                    self._sensor_faults.add(key)
                    self.store.raise_event(
                        Severity.WARNING,
                        "sensor_fault",
                        key,
                        f"{key}: {r.quality.value.replace('_', ' ')} for {age_s:.0f} s "
                        f"({r.detail or r.decoded}); not used: the zone or rule that needs it "
                        "runs without it until it reads well again",
                        latched=True,
                    )
            elif r.ok:
                self._implausible_since.pop(key, None)
                if key in self._sensor_faults:
                    self._sensor_faults.discard(key)
                    self.store.raise_event(
                        Severity.INFO, "sensor_ok", key, f"{key} reads plausibly again"
                    )
            # a poll the device did not answer says nothing about the sensor itself

    def sensor_faults(self) -> set[str]:
        """``device.point`` keys whose ``sensor_fault`` alarm is raised and not cleared."""
        with self._lock:
            return set(self._sensor_faults)

    def offline(self) -> set[str]:
        """The devices reported ``device_offline`` and not answering since."""
        with self._lock:
            return set(self._offline)

    def offline_since(self) -> dict[str, datetime]:
        """:meth:`offline` with when each device's last good reading was (wall time; its
        first poll's, if it never answered): the one view of which devices are offline."""
        with self._lock:
            return dict(self._offline)
