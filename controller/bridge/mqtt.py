"""The MQTT bridge: retained state and discovery out, commands in (paho-mqtt 2.x).

paho's own thread keeps the connection (reconnecting with back-off, 1 s up to 60 s; the
broker unreachable or refusing the credentials is logged once at ERROR, repeats at DEBUG,
recovery at INFO). The bridge's thread publishes, once a second, what changed: alarms
every second, the rest every ``publish_s``, everything again after each (re)connection,
with the discovery documents first. The Last Will marks the site ``offline``; ``online``
is published on each connection, ``offline`` on a clean stop.

The discovery documents follow the site: every ``publish_s`` the entities are built again
from the service's zones and devices (a label or crop changed on the settings page, a
zone's probes, a device whose readings came after the start), a new or changed document
is published and an entity that went away is cleared with an empty retained payload (its
state topic too), so Home Assistant drops it. The bridge subscribes to its own node's
discovery topics: a retained document left on the broker by an earlier run (a zone taken
out of the site file before a restart) is cleared the same way.

Commands (only with ``[mqtt] commands = true``) are parsed in paho's thread
(:func:`controller.bridge.commands.parse_command`) and carried out in the bridge's thread
through the :class:`~controller.daemon.protocol.ControlService` with actor ``mqtt``: the
same gate, limits and audit as the HTTP API. A refused or malformed command is audited
(``mqtt.command_refused``) and logged once per topic; nothing is started on a doubt.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import ssl
import threading
from importlib import metadata
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from controller.bridge.commands import Command, parse_command
from controller.bridge.discovery import POINT_CLASSES, entities
from controller.bridge.errors import BadCommand, BridgeError
from controller.bridge.outage import BrokerOutage
from controller.bridge.topics import Topics, slug
from controller.config.notify import MqttConfig
from controller.daemon.protocol import (
    ControlRefused,
    ControlService,
    DeviceStatus,
    UnknownName,
    ZoneStatus,
)
from controller.store import Store

__all__ = ["ACTOR", "Bridge"]

log = logging.getLogger(__name__)

ACTOR = "mqtt"
TICK_S = 1.0
SAVINGS_EVERY_S = 300.0  # the savings ledger reads a season of runs: not every publish


def _version() -> str:
    try:
        return metadata.version("qanat")
    except metadata.PackageNotFoundError:
        return "0"


class Bridge:
    """Publishes a site's state to an MQTT broker and takes commands from it."""

    def __init__(
        self,
        config: MqttConfig,
        service: ControlService,
        store: Store,
        *,
        site_id: str,
        site_name: str,
    ) -> None:
        self.config = config
        self.service = service
        self.store = store
        self.site_id = site_id
        self.site_name = site_name
        self.topics = Topics(config.topic_prefix, site_id)
        self.version = _version()
        self._zones = {slug(z.name): z.name for z in service.zones()}
        self._published: dict[str, str] = {}
        self._discovery: dict[str, tuple[str, str | None]] = {}  # topic -> (doc, state topic)
        self._retained_discovery: set[str] = set()  # our node's documents found on the broker
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._fresh = threading.Event()  # (re)connected: discovery and a full publish due
        self._commands: queue.Queue[Command] = queue.Queue(maxsize=32)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._down_logged = False
        self._outage = BrokerOutage(store, f"{config.host}:{config.port}", config.down_alarm_min)
        self._bad_logged: set[str] = set()
        self._since_full_s = 0.0
        self._since_savings_s = SAVINGS_EVERY_S
        self.client = self._make_client()

    # -- the client -------------------------------------------------------------------
    def _make_client(self) -> paho.Client:
        cfg = self.config
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or f"qanat-{slug(self.site_id)}",
            protocol=paho.MQTTv311,
        )
        client.will_set(self.topics.availability, "offline", qos=1, retain=True)
        if cfg.username:
            client.username_pw_set(cfg.username, cfg.password)
        if cfg.tls:
            try:
                client.tls_set(ca_certs=cfg.ca_file or None, tls_version=ssl.PROTOCOL_TLS_CLIENT)
            except (OSError, ssl.SSLError) as exc:
                raise BridgeError(f"mqtt.ca_file {cfg.ca_file!r} unusable: {exc}") from exc
        client.reconnect_delay_set(min_delay=1, max_delay=60)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def start(self) -> None:
        """Connect in the background (an unreachable broker is retried, never waited for)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self.client.connect_async(self.config.host, self.config.port, self.config.keepalive_s)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._loop, name="qanat-mqtt", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Publish ``offline``, disconnect, stop both threads."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._connected.is_set():
            info = self.client.publish(self.topics.availability, "offline", qos=1, retain=True)
            # not connected any more: the broker's Last Will says the same
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def discovery_topics(self) -> set[str]:
        """The topics of the discovery documents published and current."""
        return set(self._discovery)

    # -- paho's callbacks (paho's thread) ---------------------------------------------
    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            self._log_down(f"broker refused the connection: {reason}")
            return
        if self._down_logged:
            log.info("mqtt: connected to %s:%s again", self.config.host, self.config.port)
        self._down_logged = False
        self._outage.up()
        client.publish(self.topics.availability, "online", qos=1, retain=True)
        client.subscribe(self._discovery_filter, qos=1)
        if self.config.commands:
            client.subscribe(self.topics.commands, qos=1)
        with self._lock:
            self._published.clear()
        self._connected.set()
        self._fresh.set()

    def _on_connect_fail(self, client: paho.Client, userdata: Any) -> None:
        self._log_down(f"cannot connect to {self.config.host}:{self.config.port}")

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            why = _disconnect_reason(reason)
            self._log_down(f"disconnected from {self.config.host}:{self.config.port}: {why}")

    def _log_down(self, what: str) -> None:
        self._outage.down(what)
        if self._down_logged:
            log.debug("mqtt: %s", what)
        else:
            self._down_logged = True
            log.error("mqtt: %s; retrying", what)

    @property
    def _node(self) -> str:
        return f"qanat_{slug(self.site_id)}"

    @property
    def _discovery_filter(self) -> str:
        return f"{self.config.discovery_prefix}/+/{self._node}/+/config"

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        if paho.topic_matches_sub(self._discovery_filter, msg.topic):
            if msg.retain and msg.payload:  # left on the broker, by this run or an earlier one
                with self._lock:
                    self._retained_discovery.add(msg.topic)
            return
        prefix = self.topics.command("")
        suffix = msg.topic[len(prefix) :] if msg.topic.startswith(prefix) else msg.topic
        try:
            command = parse_command(
                suffix,
                bytes(msg.payload),
                zones=self._zones,
                run_min=self.config.command_run_min,
                max_min=self.config.max_command_min,
            )
            self._commands.put_nowait(command)
        except BadCommand as exc:
            self._refuse(msg.topic, str(exc))
        except queue.Full:
            self._refuse(msg.topic, "too many commands waiting")

    def _refuse(self, topic: str, why: str) -> None:
        if topic in self._bad_logged:
            log.debug("mqtt: command on %s refused: %s", topic, why)
        else:
            self._bad_logged.add(topic)
            log.error("mqtt: command on %s refused: %s", topic, why)
        try:
            self.store.record_audit(ACTOR, "mqtt.command_refused", {"topic": topic, "why": why})
        except Exception:  # the audit failing must not take the bridge down
            log.exception("mqtt: cannot audit a refused command")

    # -- the bridge's thread ----------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a bad read must not stop the bridge
                log.exception("mqtt: publishing failed")
            self._stop.wait(TICK_S)

    def tick(self) -> None:
        """Carry out waiting commands, then record the broker's outage; publish what is due
        (when connected)."""
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                break
            self._execute(command)
        self._outage.check()
        if not self._connected.is_set():
            return
        fresh = self._fresh.is_set()
        if fresh:
            self._fresh.clear()
            self._since_full_s = self.config.publish_s
        self._since_full_s += TICK_S
        self._since_savings_s += TICK_S
        values = self._alarm_values()
        if self._since_full_s >= self.config.publish_s:
            self._since_full_s = 0.0
            zones, devices = self.service.zones(), self.service.devices()
            self.sync_discovery(zones, devices, force=fresh)
            values |= self._state_values(zones, devices)
        if self._since_savings_s >= SAVINGS_EVERY_S:
            self._since_savings_s = 0.0
            values |= self._savings_values()
        self._publish_changed(values)

    def _execute(self, command: Command) -> None:
        svc = self.service
        try:
            if command.action == "start":
                assert command.zone is not None and command.minutes is not None
                svc.start_zone(command.zone, command.minutes, ACTOR)
            elif command.action == "stop":
                assert command.zone is not None
                svc.stop_zone(command.zone, ACTOR)
            elif command.action == "stop_all":
                svc.stop_all(ACTOR)
            elif command.action == "pause":
                assert command.hours is not None
                svc.pause(command.hours, ACTOR)
            elif command.action == "resume":
                svc.resume(ACTOR)
        except (ControlRefused, UnknownName) as exc:
            self._refuse(self.topics.command(command.action), str(exc))
            return
        log.info("mqtt: %s carried out", command)
        self._since_full_s = self.config.publish_s  # show the result at once

    def publish_discovery(self) -> None:
        """Publish every discovery document again (and clear those gone)."""
        self.sync_discovery(self.service.zones(), self.service.devices(), force=True)

    def sync_discovery(
        self, zones: list[ZoneStatus], devices: list[DeviceStatus], *, force: bool = False
    ) -> None:
        """Make the broker's discovery documents those of ``zones`` and ``devices``: publish
        new and changed ones (all with ``force``), clear the ones gone (empty, retained)."""
        wanted: dict[str, tuple[str, str | None]] = {}
        for entity in entities(
            self.topics,
            site_id=self.site_id,
            site_name=self.site_name,
            version=self.version,
            zones=zones,
            devices=devices,
            commands=self.config.commands,
        ):
            doc = json.dumps(entity.config, ensure_ascii=False)
            state = entity.config.get("state_topic")
            wanted[entity.topic(self.config.discovery_prefix, self._node)] = (doc, state)
        with self._lock:
            self._zones = {slug(z.name): z.name for z in zones}
            gone = (set(self._discovery) | self._retained_discovery) - set(wanted)
            self._retained_discovery -= gone
        states_kept = {state for _, state in wanted.values()}
        for topic in sorted(gone):
            if not self._publish(topic, ""):
                continue  # not connected: tried again at the next sync
            _, state = self._discovery.pop(topic, ("", None))
            log.info("mqtt: entity %s removed", topic.split("/")[-2])
            if state and state not in states_kept:
                self._publish(state, "")
                with self._lock:
                    self._published.pop(state, None)
        for topic, (doc, state) in wanted.items():
            if (force or self._discovery.get(topic, ("", None))[0] != doc) and self._publish(
                topic, doc
            ):
                self._discovery[topic] = (doc, state)

    def _publish(self, topic: str, payload: str) -> bool:
        """Publish retained at QoS 1; False if paho did not take it (not connected)."""
        info = self.client.publish(topic, payload, qos=1, retain=True)
        return info.rc == paho.MQTT_ERR_SUCCESS

    def _alarm_values(self) -> dict[str, str]:
        alarms = self.service.alarms(open_only=True)
        t = self.topics
        return {
            t.site_value("open_alarms"): str(len(alarms)),
            t.site_value("alarm"): "ON" if alarms else "OFF",
            t.site_value("last_alarm"): alarms[0].code if alarms else "none",
        }

    def _state_values(self, zones: list[ZoneStatus], devices: list[DeviceStatus]) -> dict[str, str]:
        t = self.topics
        out: dict[str, str] = {}
        for z in zones:
            out[t.zone(z.name, "valve")] = "ON" if z.valve_on else "OFF"
            out[t.zone(z.name, "water_today")] = f"{z.water_today_m3:.3f}"
            for depth, value in z.moisture_pct.items():
                if value is not None:
                    out[t.zone(z.name, f"moisture_{slug(depth)}")] = f"{value:.1f}"
        for d in devices:
            for r in d.readings:
                if str(r.get("unit") or "") not in POINT_CLASSES:
                    continue
                if r.get("quality") == "ok" and isinstance(r.get("value"), int | float):
                    out[t.point(d.name, r["point"])] = f"{float(r['value']):.4g}"
        return out

    def _savings_values(self) -> dict[str, str]:
        report = self.service.savings()
        return {self.topics.site_value("saving_m3_per_mu"): f"{report.saving_m3_per_mu:.1f}"}

    def _publish_changed(self, values: dict[str, str]) -> None:
        for topic, payload in values.items():
            with self._lock:
                if self._published.get(topic) == payload:
                    continue
            if self._publish(topic, payload):
                with self._lock:
                    self._published[topic] = payload


def _disconnect_reason(reason: Any) -> str:
    """paho's reason for a lost connection in words: under MQTT 3.1.1 the broker sends none,
    and paho calls a connection that dropped (the broker stopped, a network or firewall cut
    it) "Unspecified error"."""
    if str(reason) == "Unspecified error":
        return "connection lost (the broker stopped, or the network dropped it)"
    return str(reason)
