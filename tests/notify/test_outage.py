"""A broker out of reach for long is an alarm, its return an event (controller.bridge.outage);
both said in the site's language in a notification."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controller.bridge.commands import Command
from controller.bridge.mqtt import Bridge
from controller.bridge.outage import MQTT_DOWN, MQTT_UP, BrokerOutage
from controller.clock import VirtualClock
from controller.config.notify import MqttConfig
from controller.notify.messages import catalog
from controller.store import Store, StoreWriteError
from tests.helpers.fakes import FakeControlService
from tests.helpers.notify import Mosquitto, wait_for
from tests.helpers.site import free_port

START = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    """A store whose time is ``clock``'s: the outage is timed by it."""
    yield from _store_on(tmp_path / "qanat.db", clock)


def _store_on(path: Path, clock: VirtualClock) -> Iterator[Store]:
    with Store(f"sqlite:///{path}", clock=clock) as opened:
        yield opened


def codes(store: Store) -> list[tuple[str, bool]]:
    """Every event's code and whether it is acknowledged, oldest first."""
    return [(e.code, e.acked_at is not None) for e in store.events()]


def test_an_outage_of_down_alarm_min_is_one_alarm_and_its_end_an_event(
    store: Store, clock: VirtualClock
) -> None:
    outage = BrokerOutage(store, "10.0.0.2:1883", down_alarm_min=5)
    outage.down("cannot connect to 10.0.0.2:1883")
    clock.advance(299)
    outage.check()
    assert codes(store) == []
    clock.advance(1)
    outage.down("disconnected from 10.0.0.2:1883: connection lost")  # the latest why is said
    outage.check()
    outage.check()
    (alarm,) = store.open_alarms()
    assert (alarm.code, alarm.source, alarm.severity) == (MQTT_DOWN, "mqtt", "warning")
    assert alarm.message == (
        "MQTT broker 10.0.0.2:1883 unreachable since 2026-06-01T04:00:00+00:00: disconnected "
        "from 10.0.0.2:1883: connection lost; the state is published again when it connects"
    )
    outage.up()
    outage.check()
    outage.check()
    assert codes(store) == [(MQTT_DOWN, True), (MQTT_UP, False)]
    assert store.open_alarms() == []
    assert [e.acked_by for e in store.events()] == ["mqtt", None]


def test_an_outage_still_open_from_before_a_restart_ends_at_the_first_connection(
    store: Store, clock: VirtualClock
) -> None:
    """The fix to a wrong login or ca_file in [mqtt] needs a restart: the outage's alarm
    must not stay open for ever, nor a second one be raised beside it."""
    before = BrokerOutage(store, "10.0.0.2:1883", down_alarm_min=10)
    before.down("broker refused the connection: Not authorized")
    clock.advance(600)
    before.check()
    after = BrokerOutage(store, "10.0.0.2:1883", down_alarm_min=10)  # the daemon restarted
    after.down("cannot connect to 10.0.0.2:1883")
    clock.advance(3600)
    after.check()
    assert [a.code for a in store.open_alarms()] == [MQTT_DOWN]  # not a second one
    after.up()
    after.check()
    after.check()
    assert codes(store) == [(MQTT_DOWN, True), (MQTT_UP, False)]


def test_the_bridge_carries_out_commands_while_the_outage_cannot_be_recorded(
    store: Store, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A card that fills or turns read-only between the outage and the return must not
    keep Home Assistant's stop from the valves; the outage's end is recorded once the
    store writes again."""
    service = FakeControlService()
    cfg = MqttConfig.model_validate({"host": "127.0.0.1", "port": 1, "down_alarm_min": 10})
    bridge = Bridge(cfg, service, store, site_id="ganzhou-01", site_name="Ganzhou")
    bridge._outage.down("cannot connect to 127.0.0.1:1")  # the seam: paho's callbacks
    clock.advance(600)
    bridge.tick()
    assert [a.code for a in store.open_alarms()] == [MQTT_DOWN]
    bridge._outage.up()

    def unwritable(*args: object, **kwargs: object) -> None:
        raise StoreWriteError("write to qanat.db failed: disk I/O error")

    monkeypatch.setattr(store, "ack_event", unwritable)
    bridge._commands.put_nowait(Command("stop_all"))
    bridge.tick()
    bridge.tick()
    assert [c[0] for c in service.calls] == ["stop_all"]
    assert [a.code for a in store.open_alarms()] == [MQTT_DOWN]
    monkeypatch.undo()
    bridge.tick()
    assert codes(store) == [(MQTT_DOWN, True), (MQTT_UP, False)]


def test_a_short_outage_says_nothing(store: Store, clock: VirtualClock) -> None:
    outage = BrokerOutage(store, "10.0.0.2:1883", down_alarm_min=5)
    outage.down("cannot connect to 10.0.0.2:1883")
    clock.advance(240)
    outage.check()
    outage.up()
    clock.advance(600)
    outage.check()
    assert codes(store) == []


def test_the_outage_and_the_return_are_said_in_chinese() -> None:
    zh = catalog("zh_CN")
    tz = ZoneInfo("Asia/Shanghai")
    down = (
        "MQTT broker 10.0.0.2:1883 unreachable since 2026-06-01T04:00:00+00:00: cannot connect "
        "to 10.0.0.2:1883; the state is published again when it connects"
    )
    assert zh.detail(source="mqtt", code=MQTT_DOWN, message=down, tz=tz) == (
        "MQTT 服务器 10.0.0.2:1883 自 2026-06-01 12:00:00 CST 起无法连接：cannot connect to "
        "10.0.0.2:1883；连上后会重新发布全部状态"
    )
    up = "MQTT broker 10.0.0.2:1883 reachable again; the state is published again"
    assert zh.detail(source="mqtt", code=MQTT_UP, message=up, tz=tz) == (
        "MQTT 服务器 10.0.0.2:1883 已恢复连接，全部状态已重新发布"
    )
    assert zh.title(MQTT_DOWN) == "MQTT 服务器长时间无法连接"


def test_the_bridge_raises_it_for_a_broker_that_is_not_there_and_ends_it_when_it_comes(
    tmp_path: Path, store: Store, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="controller.bridge")
    port = free_port()
    cfg = MqttConfig.model_validate({"host": "127.0.0.1", "port": port, "down_alarm_min": 10})
    bridge = Bridge(cfg, FakeControlService(), store, site_id="ganzhou-01", site_name="Ganzhou")
    bridge.start()
    try:
        wait_for(lambda: caplog.records, 10, "the outage logged")
        clock.advance(600)
        wait_for(lambda: store.open_alarms(), 10, "the mqtt_down alarm")
        assert [a.code for a in store.open_alarms()] == [MQTT_DOWN]
        broker = Mosquitto(tmp_path, port=port)
        try:
            wait_for(lambda: MQTT_UP in [c for c, _ in codes(store)], 30, "mqtt_up")
            assert codes(store) == [(MQTT_DOWN, True), (MQTT_UP, False)]
        finally:
            broker.close()
    finally:
        bridge.stop()
