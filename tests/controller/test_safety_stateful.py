"""Supervisor + sequencer invariants under random commands and faults (Hypothesis).

A fake bus at the seam (coils and registers in a dict, stuck coils refusing
to move) under the real :class:`Outputs`, and a one-line field model feeding
:class:`LiveState`: no Modbus, so hundreds of simulated minutes run fast.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from controller.clock import VirtualClock
from controller.config.site import OutputRef
from controller.runtime.fieldio import FieldIO
from controller.runtime.live import LiveState
from controller.runtime.outputs import Outputs
from controller.runtime.safety import INJECT_NO_FLOW_GRACE_S, PUMP_NO_VALVE_GRACE_S, Supervisor
from controller.runtime.sequencer import Recipe, Sequencer, SequencerError
from controller.store import Store
from drivers.errors import VerifyMismatch
from drivers.reading import Quality, Reading
from tests.helpers.site import quick_site


class FakeBus:
    """Coils and registers of every device; a stuck coil keeps its state."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], float] = {}
        self.stuck: set[tuple[str, str]] = set()

    def _write(self, device: str, point: str, value: float) -> None:
        key = (device, point)
        if key not in self.stuck:
            self.values[key] = value
        if self.values.get(key, 0.0) != value:
            raise VerifyMismatch(device, point, [value], [self.values.get(key, 0.0)])

    def lease_output(self, device: str, point: str, seconds: float) -> None:
        self._write(device, point, 1)

    def output_off(self, device: str, point: str) -> None:
        self._write(device, point, 0)

    def outputs_off(self, device: str, points: list[str]) -> dict[str, VerifyMismatch]:
        failures: dict[str, VerifyMismatch] = {}
        for point in points:
            try:
                self._write(device, point, 0)
            except VerifyMismatch as exc:
                failures[point] = exc
        return failures

    def write_point(
        self, device: str, point: str, value: float, *, verify: bool = True, force: bool = False
    ) -> None:
        self._write(device, point, value)


class FakeFieldIO:
    def __init__(self) -> None:
        self.bus = FakeBus()

    def bus_of(self, device: str) -> FakeBus:
        return self.bus


class Machine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp())
        self.site = quick_site(self.tmp)
        self.clock = VirtualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
        self.store = Store(f"sqlite:///{self.tmp / 'qanat.db'}", clock=self.clock)
        self.fieldio = FakeFieldIO()
        fio = cast(FieldIO, self.fieldio)
        self.live = LiveState()
        self.outputs = Outputs(self.site, fio, self.clock)
        self.supervisor = Supervisor(
            self.site, self.outputs, self.live, self.store, fio, self.clock
        )
        self.sequencer = Sequencer(
            self.site, self.outputs, self.live, self.store, fio, self.clock, self.supervisor
        )
        self.supervisor.attach(self.sequencer)
        self.refs = {role: st.ref for role, st in self.outputs.status.items()}
        self.flow_override: float | None = None
        self.ec_override: float | None = None
        self.held: dict[str, int] = {}
        self.publish()

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------ the field

    def coil(self, role: str) -> bool:
        ref: OutputRef = self.refs[role]
        return bool(self.fieldio.bus.values.get((ref.device, ref.point), 0))

    def valves_on(self) -> list[str]:
        return [z.name for z in self.site.zones if self.coil(f"valve:{z.name}")]

    def flow(self) -> float:
        if self.flow_override is not None:
            return self.flow_override
        if not (self.coil("pump") and self.coil("master_valve")):
            return 0.0
        return sum(z.nominal_flow_m3_h for z in self.site.zones if z.name in self.valves_on())

    def publish(self) -> None:
        now = self.clock.now()
        doser = self.site.fertigation.injector if self.site.fertigation else ""
        injecting = self.coil("injector_power") and self.fieldio.bus.values.get((doser, "run"))
        ec = 0.6 + (0.5 if injecting and self.flow() > 0 else 0.0)
        values = {
            ("flow1", "flow_rate"): self.flow(),
            ("flow1", "total"): 0.0,
            ("press1", "line_pressure"): 200.0,
            ("ec1", "ec"): self.ec_override if self.ec_override is not None else ec,
            ("ph1", "ph"): 7.0,
            ("tank_n", "level"): 1.0,
            ("tank_k", "level"): 1.0,
        }
        self.live.update(
            Reading(d, p, v, "", Quality.OK, now, decoded=v) for (d, p), v in values.items()
        )

    # ------------------------------------------------------------ rules

    @rule(
        zone=st.sampled_from(["z1", "z2", "z3", "z4"]),
        minutes=st.sampled_from([1, 2, 3]),
        fertigate=st.booleans(),
    )
    def start(self, zone: str, minutes: int, fertigate: bool) -> None:
        recipe = Recipe(kg={"N": 1.0}) if fertigate else None
        with contextlib.suppress(SequencerError):
            self.sequencer.start(zone, minutes, "manual", recipe=recipe)

    @rule(zone=st.sampled_from(["z1", "z2", "z3", "z4"]))
    def stop(self, zone: str) -> None:
        self.sequencer.stop(zone, "manual stop")

    @rule(seconds=st.integers(1, 90))
    def advance(self, seconds: int) -> None:
        for _ in range(seconds):
            self.clock.advance(1)
            self.publish()
            self.sequencer.tick()
            trips = self.supervisor.check()
            self.publish()
            if any(t.action == "all_off" for t in trips):
                self.assert_all_off()
            self.check_durations()

    @rule(value=st.sampled_from([None, 0.0, 500.0]))
    def flow_fault(self, value: float | None) -> None:
        self.flow_override = value

    @rule(value=st.sampled_from([None, 6.0]))
    def ec_fault(self, value: float | None) -> None:
        self.ec_override = value

    @rule(role=st.sampled_from(["valve:z1", "pump", "injector_power"]))
    def stick(self, role: str) -> None:
        ref = self.refs[role]
        self.fieldio.bus.stuck.add((ref.device, ref.point))

    @rule()
    def unstick(self) -> None:
        self.fieldio.bus.stuck.clear()

    @rule(roles=st.sampled_from([("pump",), ("valve:z2", "master_valve", "pump")]))
    def rogue_switch(self, roles: tuple[str, ...]) -> None:
        """Outputs switched behind the sequencer's back (a bug, a technician)."""
        for role in roles:
            try:
                self.outputs.on(role)
            except VerifyMismatch:
                return

    @rule()
    def acknowledge(self) -> None:
        for event in self.store.open_alarms():
            assert event.id is not None
            self.store.ack_event(event.id, "tech")

    # ------------------------------------------------------------ invariants

    def stuck_roles(self) -> set[str]:
        return {
            r for r, ref in self.refs.items() if (ref.device, ref.point) in self.fieldio.bus.stuck
        }

    def assert_all_off(self) -> None:
        stuck = self.stuck_roles()
        on = [r for r in self.refs if self.coil(r) and r not in stuck]
        assert on == [], f"after a trip still on: {on}"
        assert self.outputs.on_roles() == []
        assert self.sequencer.active() == []

    def count(self, key: str, condition: bool) -> int:
        self.held[key] = self.held.get(key, 0) + 1 if condition else 0
        return self.held[key]

    def check_durations(self) -> None:
        """Each condition held no longer than its rule's grace + the 1 s check period.

        The coils are counted every second, a stuck relay or not, so a count is what the
        field did: a condition that ended while a relay was stuck starts again from 0, and
        one that goes on after the relay comes free keeps its whole length. While a relay
        is stuck nothing is asserted (a welded relay cannot be switched off: only the alarm
        is owed); once it is free the bounds hold again at once, so a relay the box failed
        to switch off must go off within the first check after it comes free
        (:meth:`Outputs.retry_off`).
        """
        pump_alone = self.count("pump_no_valve", self.coil("pump") and not self.valves_on())
        dry_inject = self.coil("injector_power") and self.flow() < self.site.safety.no_flow_m3_h
        inject_no_flow = self.count("inject_no_flow", dry_inject)
        zones_on_s = {
            z.name: self.count(f"valve:{z.name}", self.coil(f"valve:{z.name}"))
            for z in self.site.zones
        }
        if self.stuck_roles():
            return
        assert pump_alone <= PUMP_NO_VALVE_GRACE_S + 1, "pump on without a valve"
        assert inject_no_flow <= INJECT_NO_FLOW_GRACE_S + 1
        for z in self.site.zones:
            limit_s = min(z.max_run_min, self.site.safety.max_run_min) * 60
            on_s = zones_on_s[z.name]
            assert on_s <= limit_s + 1, f"zone {z.name} on {on_s} s > {limit_s} s"

    @invariant()
    def backflush_never_with_injection(self) -> None:
        assert not (self.coil("injector_power") and self.coil("backflush_valve"))


Machine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestSupervisorAndSequencer = Machine.TestCase


def test_pump_freed_after_a_failed_off_goes_off_within_a_second() -> None:
    """The example Hypothesis found (kept explicit: CI runs without the example database).

    z2, master and pump switched on behind the sequencer's back; the pump relay sticks just
    before z2's max run trips, so the trip cannot switch it off; it comes free 20 s later.
    The box knew the pump failed to go off: it must not leave it running against closed
    valves until the lease or the idle read-back ends it.
    """
    m = Machine()
    try:
        m.rogue_switch(roles=("valve:z2", "master_valve", "pump"))
        m.unstick()
        m.advance(seconds=59)
        m.stick(role="pump")
        m.advance(seconds=20)
        assert m.coil("pump") and not m.valves_on()  # welded: the trip could not stop it
        assert m.outputs.on_roles() == []
        m.unstick()
        m.advance(seconds=1)
        assert not m.coil("pump"), "a pump freed after a failed off still runs"
        assert m.outputs.status["pump"].last_error == ""
        m.advance(seconds=83)
    finally:
        m.teardown()


def test_a_zone_opened_again_after_a_stuck_relay_is_counted_from_its_new_opening() -> None:
    """A model check (found by Hypothesis): z2 closed by max_run while valve z1 was stuck,
    opened again after z1 came free, is 51 s into its new opening, not 11 + 51 s."""
    m = Machine()
    try:
        m.rogue_switch(roles=("valve:z2", "master_valve", "pump"))
        m.advance(seconds=11)
        m.stick(role="valve:z1")
        m.advance(seconds=50)
        assert not m.coil("valve:z2")  # max_run closed it while z1 was stuck
        m.unstick()
        m.rogue_switch(roles=("valve:z2", "master_valve", "pump"))
        m.advance(seconds=51)
        assert m.held["valve:z2"] == 51
    finally:
        m.teardown()


def test_a_pump_freed_and_switched_on_again_gets_no_fresh_grace() -> None:
    """The example Hypothesis found (random seeds; CI runs derandomized).

    The pump, switched on alone behind the sequencer's back, welds; pump_no_valve trips
    after its grace and cannot switch it off. 11 s later the relay comes free and is
    switched on again at once, before the retry could write it off: in the field it has
    run without a valve since the start, so the rule acts at the first check, not after a
    fresh grace.
    """
    m = Machine()
    try:
        m.rogue_switch(roles=("pump",))
        m.stick(role="pump")
        m.advance(seconds=11)
        assert m.coil("pump") and m.outputs.on_roles() == []
        m.unstick()
        m.rogue_switch(roles=("pump",))
        assert m.outputs.on_roles() == ["pump"]
        m.advance(seconds=1)
        assert not m.coil("pump"), "a pump freed and switched on again ran a fresh grace"
        assert m.outputs.on_roles() == []
    finally:
        m.teardown()


def test_a_pump_welded_on_is_one_alarm_per_rule_not_one_per_grace() -> None:
    """While the welded pump stays on with nothing commanded on, each rule that holds is
    raised once for the episode; switched on again, the rule acts at once, once more."""
    m = Machine()
    try:
        m.rogue_switch(roles=("pump",))
        m.stick(role="pump")
        m.advance(seconds=60)
        codes = [e.code for e in m.store.events() if e.source == "safety"]
        assert sorted(codes) == ["dry_run", "output_fault", "pump_no_valve"]
        m.rogue_switch(roles=("pump",))  # a stuck coil reads 1: the switch-on "succeeds"
        m.advance(seconds=1)
        assert m.outputs.on_roles() == []
        codes = [e.code for e in m.store.events() if e.source == "safety"]
        assert sorted(codes) == ["dry_run", "output_fault", "pump_no_valve", "pump_no_valve"]
    finally:
        m.teardown()
