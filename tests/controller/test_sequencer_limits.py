"""The sequencer's limits on running zones together: pump capacity and lone fertigation.

The demo site (every zone 100 m³/h, pump 120 m³/h) cannot show either limit at its edge, so
the site here is changed per test: zone flows around the capacity, or a pump large enough
that only the fertigation rule keeps a second zone out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.runtime.sequencer import CapacityExceeded, Recipe, RunRefused
from controller.simulation.harness import Simulation
from controller.store import Store
from tests.helpers.rig import Rig
from tests.helpers.servedports import on_served_ports
from tests.helpers.site import quick_site

MakeRig = Callable[[dict[str, str]], Rig]


def _flow(zone_valve: str, m3_h: float) -> tuple[str, str]:
    return (
        f'nominal_flow_m3_h = 100\nvalve = "{zone_valve}"',
        f'nominal_flow_m3_h = {m3_h}\nvalve = "{zone_valve}"',
    )


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[MakeRig]:
    """A rig on the test site with ``replace`` applied to its text (each old text must occur)."""
    made: list[tuple[Rig, Simulation, Store]] = []

    def make(replace: dict[str, str]) -> Rig:
        path = quick_site(tmp_path).path
        text = path.read_text(encoding="utf-8")
        for old, new in replace.items():
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        planned = load_site(path)
        sim = Simulation(planned, control_port=0, step_s=3600, any_port=True).start()
        site = on_served_ports(planned, sim, path)
        clock = VirtualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
        store = Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock)
        rig = Rig(site, sim, store, clock)
        made.append((rig, sim, store))
        return rig

    yield make
    for rig, sim, store in made:
        rig.outputs.all_off()
        rig.fieldio.close()
        store.close()
        sim.stop()


def test_zones_run_together_up_to_the_pump_capacity_and_not_beyond(make_rig: MakeRig) -> None:
    # z1 runs at 100 m³/h on a 120 m³/h pump; z2, z3 and z4 would join at, just under
    # and just over the 20 m³/h left.
    rig = make_rig(
        dict(
            [
                _flow("relay1.ch2", 20),
                _flow("relay1.ch3", 19.9),
                _flow("relay1.ch4", 20.1),
            ]
        )
    )
    assert rig.site.head.pump_capacity_m3_h == 120
    rig.sequencer.start("z1", 5, "manual")
    with pytest.raises(CapacityExceeded, match=r"120\.1 m3/h nominal .* > pump capacity 120"):
        rig.sequencer.start("z4", 5, "manual")
    assert not rig.coil("ch4")
    rig.sequencer.start("z3", 5, "manual")  # 119.9: fits
    rig.sequencer.stop("z3", "make room")
    rig.sequencer.start("z2", 1, "manual")  # 120: exactly the capacity, fits
    assert {r.zone for r in rig.sequencer.active()} == {"z1", "z2"}
    with pytest.raises(CapacityExceeded):
        rig.sequencer.start("z3", 5, "manual")  # 139.9 with z2 running
    assert rig.coil("ch1") and rig.coil("ch2") and not rig.coil("ch3")


@pytest.fixture
def roomy_rig(make_rig: MakeRig) -> Rig:
    """The pump could feed z1 and z2 together (250 m³/h): only the fertigation rule says no."""
    rig = make_rig({"pump_capacity_m3_h = 120": "pump_capacity_m3_h = 250"})
    rig.sequencer.start("z1", 2, "manual")
    rig.sequencer.start("z3", 2, "manual")  # two plain runs do share the pump
    rig.sequencer.stop_all("capacity shown")
    return rig


def test_a_plain_run_does_not_join_an_active_fertigation_run(roomy_rig: Rig) -> None:
    rig = roomy_rig
    run_id = rig.sequencer.start("z1", 2, "manual", recipe=Recipe(kg={"N": 2.0}))
    rig.run(5)
    with pytest.raises(RunRefused, match="a fertigation run is active"):
        rig.sequencer.start("z3", 2, "manual")
    assert [r.run_id for r in rig.sequencer.active()] == [run_id]
    assert not rig.coil("ch3")  # the solution reaches every open zone: z3 stays shut
    rig.run(35)  # into the injection: still alone
    with pytest.raises(RunRefused, match="a fertigation run is active"):
        rig.sequencer.start("z3", 2, "manual")
    assert [r.run_id for r in rig.sequencer.active()] == [run_id] and not rig.coil("ch3")


def test_a_fertigation_run_does_not_join_running_zones(roomy_rig: Rig) -> None:
    rig = roomy_rig
    rig.sequencer.start("z3", 2, "manual")
    with pytest.raises(RunRefused, match="a fertigation run runs alone"):
        rig.sequencer.start("z1", 2, "manual", recipe=Recipe(kg={"N": 2.0}))
    assert [r.zone for r in rig.sequencer.active()] == ["z3"] and not rig.coil("ch1")


def test_a_run_ending_on_a_shared_meter_records_the_progress_of_the_other(
    make_rig: MakeRig,
) -> None:
    """After z2 ends, the meter's rise is z1's alone: z1's meter mark moves to that moment."""
    rig = make_rig({"pump_capacity_m3_h = 120": "pump_capacity_m3_h = 250"})
    z1 = rig.sequencer.start("z1", 10, "manual")  # progress every 10 s: 10, 20, … 60, 70
    rig.run(5)
    rig.sequencer.start("z2", 1, "manual")  # ends at 65 s, between two of z1's progress
    rig.run(56)
    before = rig.store.run_meter(z1)  # z1's progress at 60 s
    rig.run(6)  # 67 s: z2 has ended; z1's next periodic progress is not due yet
    assert [a.zone for a in rig.sequencer.active()] == ["z1"]
    after = rig.store.run_meter(z1)
    assert before is not None and after is not None
    assert after.time > before.time and after.total_m3 > before.total_m3


def test_runs_interrupted_on_a_shared_meter_are_not_credited(make_rig: MakeRig) -> None:
    rig = make_rig({"pump_capacity_m3_h = 120": "pump_capacity_m3_h = 250"})
    ids = [rig.sequencer.start(z, 5, "manual") for z in ("z1", "z3")]
    rig.run(25)
    recorded = {i: rig.store.get_run(i).applied_m3 for i in ids}
    for _ in range(5):  # the daemon dies, the valves stay open within their lease
        rig.clock.advance(1)
        rig.sim.field.step(1.0)
    after = Rig(rig.site, rig.sim, rig.store, rig.clock)
    try:
        assert after.outputs.all_off() == {}
        assert after.sequencer.recover("daemon restart") == ids
    finally:
        after.fieldio.close()
    for i, other in zip(ids, reversed(ids), strict=True):
        run = rig.store.get_run(i)
        assert run.applied_m3 == recorded[i]
        assert f"flow1 also measured run {other}" in run.end_reason
