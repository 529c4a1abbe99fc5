"""A safety alarm's message read back as codes (controller.runtime.trip_messages).

The messages are the supervisor's own: its rules made to trip on the demo site, one scenario
each, and every event it raised read back part by part. A rule whose words drift from
:data:`TRIP_MESSAGES` fails here instead of showing in English on a Chinese page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.runtime.fieldio import FieldIO
from controller.runtime.live import LiveState
from controller.runtime.outputs import Outputs
from controller.runtime.safety import (
    INJECT_NO_FLOW_GRACE_S,
    PUMP_NO_VALVE_GRACE_S,
    SETTLE_S,
    UNSCHEDULED_FLOW_DELAY_S,
    Supervisor,
)
from controller.runtime.trip_messages import TRIP_MESSAGES, trip_parts
from controller.store import Store
from drivers.reading import Quality, Reading
from tests.helpers.fakebus import FakeBus, SimpleFieldIO
from tests.helpers.recorded import assert_templates_read_back
from tests.helpers.site import DEMO_SITE

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
WATER = ("valve:z1", "master_valve", "pump")
INJECTING = (*WATER, "injector_power")
FLOWING = {("flow1", "flow_rate"): 100.0, ("press1", "line_pressure"): 200.0}
DOSING = {("ec1", "ec"): 1.5, ("ph1", "ph"): 7.0, ("tank_n", "level"): 1.0}
DOSING |= {("tank_k", "level"): 1.0}

# code read back -> (outputs on, values published (None: not published), seconds waited)
SCENARIOS: dict[str, tuple[tuple[str, ...], dict[tuple[str, str], float | None], float]] = {
    "max_run": (("valve:z1",), {("flow1", "flow_rate"): 0.0}, 240 * 60 + 1),
    "pump_no_valve": (("pump",), FLOWING, PUMP_NO_VALVE_GRACE_S + 1),
    "flow_negative": (WATER, FLOWING | {("flow1", "flow_rate"): -5.0}, 1),
    "flow_meter_stale": (WATER, FLOWING | {("flow1", "flow_rate"): None}, 1),
    "dry_run": (WATER, FLOWING | {("flow1", "flow_rate"): 0.0}, 31),
    "burst": (WATER, FLOWING | {("flow1", "flow_rate"): 200.0}, 21),
    "pressure_high": (WATER, FLOWING | {("press1", "line_pressure"): 400.0}, SETTLE_S + 1),
    "pressure_low": (WATER, FLOWING | {("press1", "line_pressure"): 50.0}, SETTLE_S + 1),
    "unscheduled_flow": ((), {("flow1", "flow_rate"): 10.0}, UNSCHEDULED_FLOW_DELAY_S + 1),
    "inject_no_flow_pump_off": (("injector_power",), FLOWING | DOSING, INJECT_NO_FLOW_GRACE_S + 1),
    "inject_no_flow_pump_on": (
        INJECTING,
        FLOWING | DOSING | {("flow1", "flow_rate"): 0.0},
        INJECT_NO_FLOW_GRACE_S + 1,
    ),
    "inject_no_flow_unknown_pump_off": (
        ("injector_power",),
        DOSING,
        INJECT_NO_FLOW_GRACE_S + 1,
    ),
    "ec_high": (INJECTING, FLOWING | DOSING | {("ec1", "ec"): 4.0}, 1),
    "ec_meter_stale": (INJECTING, FLOWING | DOSING | {("ec1", "ec"): None}, 1),
    "ph_meter_stale": (INJECTING, FLOWING | DOSING | {("ph1", "ph"): None}, 1),
    "ph_out_of_band": (INJECTING, FLOWING | DOSING | {("ph1", "ph"): 9.0}, 1),
    "tank_low": (INJECTING, FLOWING | DOSING | {("tank_n", "level"): 0.1}, 1),
}


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(T0)) as s:
        yield s


def _trip(
    site: SiteConfig,
    store: Store,
    on: tuple[str, ...],
    values: dict[tuple[str, str], float | None],
    wait_s: float,
    failing: frozenset[str] = frozenset(),
) -> list[str]:
    """The messages of the safety events raised after ``wait_s`` with ``on`` switched on
    and ``values`` published fresh at every check."""
    clock = store.clock
    assert isinstance(clock, VirtualClock)
    clock.advance(100.0)  # a monotonic clock away from zero
    bus = FakeBus()
    fio = cast(FieldIO, SimpleFieldIO(bus))
    live, outputs = LiveState(), Outputs(site, fio, clock)
    supervisor = Supervisor(site, outputs, live, store, fio, clock)
    for role in on:
        outputs.on(role)
    bus.failing = set(failing)
    for step_s in (0.0, wait_s):
        clock.advance(step_s)
        readings = [
            Reading(d, p, v, "", Quality.OK, clock.now(), decoded=v)
            for (d, p), v in values.items()
            if v is not None
        ]
        live.update(readings)
        supervisor.check()
    return [e.message for e in store.events() if e.source == "safety"]


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_each_rules_message_is_read_back_as_its_code(
    demo: SiteConfig, store: Store, code: str
) -> None:
    messages = _trip(demo, store, *SCENARIOS[code])
    firsts = [trip_parts(m)[0] for m in messages]
    assert code in [p.code for p in firsts], messages
    assert all(p.code for p in firsts), messages  # whatever else tripped is read too


def test_what_could_not_be_switched_off_is_read_after_the_trip(
    demo: SiteConfig, store: Store
) -> None:
    on, values, wait_s = SCENARIOS["burst"]
    (message,) = _trip(demo, store, on, values, wait_s, failing=frozenset({"relay1.ch8"}))
    burst, failed = trip_parts(message)
    assert (burst.code, failed.code) == ("burst", "switch_off_failed")
    assert failed.values == {"error": "pump: relay1: stuck"}
    assert burst.values["zones"] == "z1" and burst.values["factor"] == "1.5"


def test_a_template_reads_back_the_values_it_was_written_with() -> None:
    assert_templates_read_back(TRIP_MESSAGES, lambda text: trip_parts(text)[0])
    assert trip_parts("") == []
