"""The MQTT bridge against Debian's mosquitto on a free port (started by the test)."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import select

from controller.bridge.mqtt import Bridge
from controller.config.notify import MqttConfig
from controller.daemon.protocol import ControlRefused
from controller.store import AuditEntry, Store
from tests.helpers.fakes import FakeControlService
from tests.helpers.notify import Mosquitto, Subscriber, self_signed_cert, wait_for
from tests.helpers.site import free_port

BASE = "qanat/ganzhou-01"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    b = Mosquitto(tmp_path)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'qanat.db'}") as s:
        yield s


def bridge_for(port: int, service: FakeControlService, store: Store, **kw: object) -> Bridge:
    cfg = MqttConfig.model_validate({"host": "127.0.0.1", "port": port, "publish_s": 1, **kw})
    return Bridge(cfg, service, store, site_id="ganzhou-01", site_name="Ganzhou demo")


@pytest.fixture
def running(
    broker: Mosquitto, store: Store
) -> Iterator[tuple[Bridge, FakeControlService, Subscriber]]:
    service = FakeControlService()
    sub = Subscriber(broker.port, "qanat/#", "homeassistant/#")
    bridge = bridge_for(broker.port, service, store, commands=True)
    bridge.start()
    try:
        wait_for(lambda: sub.get("qanat/ganzhou_01/status") == "online", 10, "online")
        yield bridge, service, sub
    finally:
        bridge.stop()
        sub.close()


def refused(store: Store) -> list[dict[str, object]]:
    with store.reading() as s:
        rows = s.exec(select(AuditEntry).where(AuditEntry.action == "mqtt.command_refused"))
        return [r.detail for r in rows]


def test_state_and_discovery_are_what_home_assistant_reads(
    running: tuple[Bridge, FakeControlService, Subscriber],
) -> None:
    _, _, sub = running
    config_topic = "homeassistant/sensor/qanat_ganzhou_01/probe1_moisture/config"
    wait_for(lambda: sub.get(config_topic), 10, "the probe's discovery document")
    doc = json.loads(sub.get(config_topic) or "{}")
    assert doc["unique_id"] == "qanat_ganzhou_01_probe1_moisture"
    assert doc["state_topic"] == "qanat/ganzhou_01/device/probe1/moisture"
    assert doc["availability_topic"] == "qanat/ganzhou_01/status"
    assert (doc["unit_of_measurement"], doc["device_class"], doc["state_class"]) == (
        "%",
        "moisture",
        "measurement",
    )
    assert doc["device"]["identifiers"] == ["qanat_ganzhou_01"]
    assert doc["device"]["name"] == "qanat Ganzhou demo" and doc["device"]["manufacturer"]
    wait_for(lambda: sub.get(doc["state_topic"]) == "23.5", 10, "the probe's value")
    late = Subscriber(running[0].config.port, "qanat/#", "homeassistant/#")  # joins later
    try:
        # the broker sends the retained messages of each subscription in turn: wait for both
        wait_for(lambda: late.get(doc["state_topic"]) == "23.5", 10, "the retained value")
        wait_for(lambda: late.get(config_topic), 10, "the retained discovery document")
        assert {doc["state_topic"], config_topic} <= late.retained
    finally:
        late.close()
    wait_for(lambda: sub.get("qanat/ganzhou_01/alarm") == "ON", 10, "the alarm state")
    assert sub.get("qanat/ganzhou_01/last_alarm") == "dry_run"
    assert sub.get("qanat/ganzhou_01/zone/z1/valve") == "ON"
    assert sub.get("qanat/ganzhou_01/zone/z2/valve") == "OFF"
    # every discovery document: the keys HA needs, its state published, one device
    docs = {
        t: json.loads(p)
        for t, p in sub.last.items()
        if t.startswith("homeassistant/") and t.endswith("/config")
    }
    kinds = {t.split("/")[1] for t in docs}
    assert kinds == {"sensor", "binary_sensor", "switch", "button"}
    ids = [d["unique_id"] for d in docs.values()]
    assert len(ids) == len(set(ids))
    for topic, d in docs.items():
        assert d["device"] == doc["device"], topic
        assert d["availability_topic"] == "qanat/ganzhou_01/status", topic
        assert topic.split("/")[2] == "qanat_ganzhou_01", topic
        if "state_topic" in d:
            assert d["state_topic"].startswith("qanat/ganzhou_01/"), topic
    switch = docs["homeassistant/switch/qanat_ganzhou_01/zone_z1_run/config"]
    assert switch["command_topic"] == "qanat/ganzhou_01/cmd/zone/z1/set"


def test_commands_go_through_the_service_as_mqtt(
    running: tuple[Bridge, FakeControlService, Subscriber], store: Store
) -> None:
    _, service, sub = running
    sub.publish("qanat/ganzhou_01/cmd/zone/z2/set", "ON")
    sub.publish("qanat/ganzhou_01/cmd/zone/z1/set", '{"minutes": 12.5}')
    sub.publish("qanat/ganzhou_01/cmd/zone/z1/set", "OFF")
    sub.publish("qanat/ganzhou_01/cmd/pause", "2")
    sub.publish("qanat/ganzhou_01/cmd/stop_all", "PRESS")
    wait_for(lambda: any(c[0] == "stop_all" for c in service.calls), 10, "stop all")
    verbs = [c for c in service.calls if c[0] != "alarms"]
    assert verbs == [
        ("start_zone", {"zone": "z2", "minutes": 10.0, "actor": "mqtt"}),
        ("start_zone", {"zone": "z1", "minutes": 12.5, "actor": "mqtt"}),
        ("stop_zone", {"zone": "z1", "actor": "mqtt"}),
        ("pause", {"hours": 2.0, "actor": "mqtt"}),
        ("stop_all", {"actor": "mqtt"}),
    ]
    assert refused(store) == []


def test_malformed_commands_are_refused_logged_once_and_never_start_water(
    running: tuple[Bridge, FakeControlService, Subscriber],
    store: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, service, sub = running
    caplog.set_level(logging.DEBUG, logger="controller.bridge")
    bad = [
        ("zone/z1/set", '{"minutes": "lots"}'),
        ("zone/z1/set", '{"minutes": 5, "zone": "z2"}'),
        ("zone/z1/set", "999"),
        ("zone/z1/set", "NaN"),
        ("zone/z1/set", "-3"),
        ("zone/z9/set", "ON"),
        ("zone/z1/open", "ON"),
        ("pause", "forever"),
        ("pause", "100"),
    ]
    for suffix, payload in bad:
        sub.publish(f"qanat/ganzhou_01/cmd/{suffix}", payload)
    sub.publish("qanat/ganzhou_01/cmd/zone/z1/set", b"\xff\xfe\x00")
    wait_for(lambda: len(refused(store)) == len(bad) + 1, 10, "every bad command refused")
    assert [c for c in service.calls if c[0] != "alarms"] == []
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    topics = [r.getMessage().split(" refused")[0] for r in errors]
    assert len(topics) == len(set(topics))  # once per topic, repeats at DEBUG


def test_a_refusal_by_the_service_is_audited(
    running: tuple[Bridge, FakeControlService, Subscriber], store: Store
) -> None:
    _, service, sub = running
    service.refuse = ControlRefused("open alarm #1 dry_run", "RunRefused")
    sub.publish("qanat/ganzhou_01/cmd/zone/z2/set", "ON")
    wait_for(lambda: refused(store), 10, "the refusal audited")
    assert "open alarm #1 dry_run" in str(refused(store)[0]["why"])


def test_commands_are_ignored_unless_enabled(broker: Mosquitto, store: Store) -> None:
    service = FakeControlService()
    sub = Subscriber(broker.port, "qanat/#", "homeassistant/#")
    bridge = bridge_for(broker.port, service, store)
    bridge.start()
    try:
        wait_for(lambda: sub.get("qanat/ganzhou_01/zone/z1/valve"), 10, "state published")
        sub.publish("qanat/ganzhou_01/cmd/stop_all", "PRESS")
        sub.publish("qanat/ganzhou_01/cmd/zone/z2/set", "ON")
        bridge.tick()
        assert [c for c in service.calls if c[0] != "alarms"] == []
        assert not any("/switch/" in t or "/button/" in t for t in sub.last)
    finally:
        bridge.stop()
        sub.close()


def test_last_will_and_a_clean_stop_both_say_offline(broker: Mosquitto, store: Store) -> None:
    sub = Subscriber(broker.port, "qanat/#")
    bridge = bridge_for(broker.port, FakeControlService(), store)
    bridge.start()
    status = "qanat/ganzhou_01/status"
    wait_for(lambda: sub.get(status) == "online", 10, "online")
    bridge.client.loop_stop()  # the process dies: no DISCONNECT, the broker sends the will
    sock = bridge.client.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)
    wait_for(lambda: sub.get(status) == "offline", 10, "the Last Will")
    sub.close()


def test_an_unreachable_broker_is_retried_until_it_comes(
    tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="controller.bridge")
    port = free_port()
    bridge = bridge_for(port, FakeControlService(), store)
    bridge.start()
    try:
        wait_for(
            lambda: any("cannot connect" in r.getMessage() for r in caplog.records),
            10,
            "the outage logged",
        )
        broker = Mosquitto(tmp_path, port=port)
        try:
            sub = Subscriber(port, "qanat/#")
            wait_for(lambda: sub.get("qanat/ganzhou_01/status") == "online", 20, "connected")
            sub.close()
            errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
            assert len(errors) == 1, errors  # the outage once, however many retries
            assert any("connected to" in r.getMessage() for r in caplog.records)
        finally:
            broker.close()
    finally:
        bridge.stop()


def test_a_broker_that_stops_is_said_as_a_lost_connection(
    tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="controller.bridge")
    broker = Mosquitto(tmp_path)
    bridge = bridge_for(broker.port, FakeControlService(), store)
    bridge.start()
    try:
        wait_for(lambda: bridge.connected, 10, "connected")
        broker.close()
        wait_for(lambda: caplog.records, 10, "the outage logged")
        (said,) = [r.getMessage() for r in caplog.records]
        assert said == (
            f"mqtt: disconnected from 127.0.0.1:{broker.port}: connection lost (the broker "
            "stopped, or the network dropped it); retrying"
        )
    finally:
        bridge.stop()
        broker.close()


def test_tls_and_a_login_connect_and_a_wrong_password_is_logged_once(
    tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    cert, key = self_signed_cert(tmp_path)
    broker = Mosquitto(tmp_path, users={"qanat": "pw-mqtt"}, tls=(cert, key))
    try:
        good = bridge_for(
            broker.port,
            FakeControlService(),
            store,
            tls=True,
            ca_file=str(cert),
            username="qanat",
            password="pw-mqtt",
        )
        good.start()
        try:
            wait_for(lambda: good.connected, 10, "connected over TLS with the login")
        finally:
            good.stop()
        bad = bridge_for(
            broker.port,
            FakeControlService(),
            store,
            tls=True,
            ca_file=str(cert),
            username="qanat",
            password="wrong",
            client_id="qanat-bad",
        )
        bad.start()
        try:
            wait_for(
                lambda: any("refused" in r.getMessage() for r in caplog.records),
                10,
                "the refusal logged",
            )
            time.sleep(3)  # retries meanwhile, logged at DEBUG
            assert not bad.connected
        finally:
            bad.stop()
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "Not authorized" in errors[0], errors
    finally:
        broker.close()


DISCO = "homeassistant/{}/qanat_ganzhou_01/{}/config"


def _doc(sub: Subscriber, component: str, obj: str) -> dict[str, object] | None:
    payload = sub.get(DISCO.format(component, obj))
    return json.loads(payload) if payload else None


def test_discovery_follows_the_sites_zones_without_a_restart(
    running: tuple[Bridge, FakeControlService, Subscriber],
) -> None:
    """A zone added, one taken away, a label changed: new documents, the gone zone's cleared
    (empty retained, its state too), commands follow; a late subscriber sees only the new."""
    bridge, service, sub = running
    wait_for(lambda: _doc(sub, "switch", "zone_z2_run"), 10, "z2's discovery")
    wait_for(lambda: sub.get(f"{BASE.replace('-', '_')}/zone/z2/valve") == "OFF", 10, "z2")
    z1 = service.zones_by_name["z1"]
    service.zones_by_name = {
        "z1": replace(z1, label="东区 Zone 1"),
        "z3": replace(z1, name="z3", label="北区", valve_on=False, moisture_pct={"0.3": 30.0}),
    }
    wait_for(lambda: _doc(sub, "switch", "zone_z3_run"), 10, "z3's discovery")
    wait_for(lambda: sub.get(DISCO.format("switch", "zone_z2_run")) == "", 10, "z2 cleared")
    for topic in (
        DISCO.format("binary_sensor", "zone_z2_valve"),
        DISCO.format("sensor", "zone_z2_water_today"),
    ):
        wait_for(lambda t=topic: sub.get(t) == "", 10, f"{topic} cleared")
    assert sub.get("qanat/ganzhou_01/zone/z2/valve") == ""  # its state gone too
    wait_for(
        lambda: (
            (_doc(sub, "binary_sensor", "zone_z1_valve") or {}).get("name") == "东区 Zone 1 valve"
        ),
        10,
        "z1's new label",
    )
    moisture = _doc(sub, "sensor", "zone_z3_moisture_0_3")
    assert (
        moisture is not None and moisture["state_topic"] == "qanat/ganzhou_01/zone/z3/moisture_0_3"
    )
    wait_for(lambda: sub.get("qanat/ganzhou_01/zone/z3/moisture_0_3") == "30.0", 10, "z3 state")
    # a late subscriber (Home Assistant starting) finds z1 and z3, nothing of z2
    late = Subscriber(bridge.config.port, "homeassistant/#")
    try:
        wait_for(lambda: late.retained >= bridge.discovery_topics, 10, "the retained documents")
        assert "switch/qanat_ganzhou_01/zone_z3_run" in " ".join(late.retained)
        assert not [t for t in late.retained if "zone_z2" in t]
    finally:
        late.close()
    # commands follow: z3 is a zone now, z2 is not
    sub.publish("qanat/ganzhou_01/cmd/zone/z3/set", "ON")
    wait_for(lambda: any(c[1].get("zone") == "z3" for c in service.calls), 10, "z3 started")
    sub.publish("qanat/ganzhou_01/cmd/zone/z2/set", "ON")
    wait_for(lambda: refused(bridge.store), 10, "z2 refused")
    assert not any(c[1].get("zone") == "z2" for c in service.calls)


def test_documents_of_zones_gone_while_stopped_are_cleared_at_the_next_start(
    broker: Mosquitto, store: Store
) -> None:
    service = FakeControlService()
    sub = Subscriber(broker.port, "homeassistant/#")
    first = bridge_for(broker.port, service, store)
    first.start()
    try:
        wait_for(lambda: _doc(sub, "binary_sensor", "zone_z2_valve"), 10, "z2's discovery")
    finally:
        first.stop()
    del service.zones_by_name["z2"]  # the site file changed before the restart
    second = bridge_for(broker.port, service, store)
    second.start()
    try:
        wait_for(
            lambda: sub.get(DISCO.format("binary_sensor", "zone_z2_valve")) == "",
            10,
            "z2 cleared by the next run",
        )
        assert _doc(sub, "binary_sensor", "zone_z1_valve") is not None
        late = Subscriber(broker.port, "homeassistant/#")
        try:
            wait_for(lambda: late.retained >= second.discovery_topics, 10, "retained documents")
            assert not [t for t in late.retained if "zone_z2" in t]
        finally:
            late.close()
    finally:
        second.stop()
        sub.close()
