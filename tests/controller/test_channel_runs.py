"""Multi-channel fertigation runs through the sequencer and supervisor, against the demo
site's simulated devices (real pymodbus servers on loopback) with four dosing channels: the
pumps, tanks and mixing line of ``drivers.sim.dosingfield`` behind the EC and pH meters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.runtime.dosing import ChannelRecipe
from controller.runtime.end_reasons import channel_doses, end_parts
from controller.runtime.runs import RecipeError
from controller.store import RunPhase, RunState, Store
from drivers.sim import Fault, FaultKind
from tests.helpers.dosing import quick_channel_site
from tests.helpers.powered import powered_by
from tests.helpers.rig import Rig
from tests.helpers.servedports import served_field

DOSERS = {"N": "dose_n", "P": "dose_p", "K": "dose_k", "acid": "dose_acid"}
SUPPLY = {"N": "ch1", "P": "ch2", "K": "ch3", "acid": "ch4"}


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    clock = VirtualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    with served_field(quick_channel_site(tmp_path), step_s=3600) as (site, sim):
        store = Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock)
        r = Rig(site, sim, store, clock)
        r.extra_poll = {d: ("dosed_volume",) for d in DOSERS.values()}
        try:
            yield r
        finally:
            r.outputs.all_off()
            r.fieldio.close()
            store.close()


def dosing(rig: Rig, channel: str) -> bool:
    """The channel's supply relay or its pump's run command is on."""
    supply = bool(rig.sim.devices["relay2"].get(SUPPLY[channel]))
    return supply or bool(rig.sim.devices[DOSERS[channel]].get("run"))


def rate(rig: Rig, channel: str) -> float:
    return float(rig.sim.devices[DOSERS[channel]].get("rate_setpoint"))


def drawn_l(rig: Rig, channel: str) -> float:
    assert rig.sim.dosing is not None
    return rig.sim.dosing.line.channels[channel].drawn_l


def test_channels_dose_in_ratio_to_the_flow_then_flush_and_record_each(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="rig"))
    rig.run(29)
    assert not any(dosing(rig, c) for c in DOSERS)  # prewet: water only
    rig.run(3)
    assert rig.sequencer.active()[0].phase is RunPhase.INJECT
    assert all(dosing(rig, c) for c in ("N", "P", "K")) and not dosing(rig, "acid")
    flow = rig.live.value("flow1", "flow_rate", rig.clock.now(), 10)
    assert flow is not None
    assert rate(rig, "N") == pytest.approx(1.0 * flow, rel=0.06)
    assert rate(rig, "N") / rate(rig, "K") == pytest.approx(2.0, rel=0.06)
    assert not rig.coil("ch6")  # no backflush while a channel doses
    rig.run(120)
    assert not any(dosing(rig, c) for c in DOSERS)
    assert rig.sequencer.active()[0].phase is RunPhase.FLUSH
    rig.run(60)
    run = rig.store.get_run(run_id)
    assert run.state == RunState.DONE, run.end_reason
    assert "channels: N " in run.end_reason and "(counter)" in run.end_reason
    # each channel's litres is read back as a code, so a page can say it in its language
    (part,) = [p for p in end_parts(run.end_reason) if p.code == "fertilizer_channels"]
    doses = channel_doses(part.values["channels"])
    assert {"N", "P", "K"} <= {d.values.get("channel") for d in doses}
    assert all(d.code for d in doses), part.text
    # the record is the pumps' counters, which a healthy station's tanks agree with
    assert run.fertilizer["channel:N"] == pytest.approx(drawn_l(rig, "N") * 0.5, rel=0.03)
    assert run.fertilizer["channel:K"] == pytest.approx(drawn_l(rig, "K") * 0.3, rel=0.03)
    assert drawn_l(rig, "N") == pytest.approx(1.0 * flow * 2 / 60, rel=0.1)
    assert rig.alarm_codes() == [] and rig.all_coils_off()


def test_closed_loops_hold_ec_and_ph_on_the_station(rig: Rig) -> None:
    rig.sequencer.start("z1", 8, "manual", recipe=ChannelRecipe(name="rig-acid"))
    rig.run(31 + 90)  # prewet, then the dose reaches the probes and settles
    ec, ph = [], []
    for _ in range(240):
        rig.run(1)
        ec.append(rig.live.value("ec1", "ec", rig.clock.now(), 10))
        ph.append(rig.live.value("ph1", "ph", rig.clock.now(), 10))
    assert rig.alarm_codes() == []
    assert sum(abs(e - 1.24) <= 0.2 for e in ec if e is not None) >= 0.9 * len(ec)
    assert sum(abs(p - 6.3) <= 0.3 for p in ph if p is not None) >= 0.9 * len(ph)
    assert dosing(rig, "acid")


def test_a_clogged_injector_ends_dosing_with_its_alarm(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 20, "manual", recipe=ChannelRecipe(name="rig"))
    rig.run(40)
    assert rig.sim.dosing is not None
    rig.sim.dosing.line.clog("N", 0.3)
    rig.run(900)  # ~100 L/h from a 1.13 m² tank: 20 mm of expected fall take ~14 min
    assert rig.alarm_codes() == ["injector_delivery_low"]
    assert "channel N" in rig.store.open_alarms()[0].message
    assert not any(dosing(rig, c) for c in DOSERS)
    rig.run(120)
    run = rig.store.get_run(run_id)
    assert run.state == RunState.DONE, run.end_reason  # flushed, not aborted
    assert "dosing stopped: injector_delivery_low" in run.end_reason
    assert run.fertilizer["channel:N"] > drawn_l(rig, "N") * 0.5 * 1.5  # counted, not given


def test_no_flow_cuts_every_channel_at_once(rig: Rig) -> None:
    rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="rig"))
    rig.run(40)
    assert dosing(rig, "N")
    rig.sim.devices["flow1"].set("flow_rate", 0.0)
    rig.sim.devices["flow1"].inject(Fault(FaultKind.STUCK, point="flow_rate"))
    rig.run(2)
    assert not any(dosing(rig, c) for c in DOSERS)


def test_stuck_ph_probe_ends_dosing_with_its_alarm_and_the_run_flushes(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 6, "manual", recipe=ChannelRecipe(name="rig-acid"))
    rig.sim.devices["ph1"].set("ph", 7.2)
    rig.sim.devices["ph1"].inject(Fault(FaultKind.STUCK, point="ph"))
    rig.run(32)
    assert dosing(rig, "acid") and dosing(rig, "N")
    rig.run(240)
    assert rig.alarm_codes() == ["ph_probe_stuck"]
    assert not any(dosing(rig, c) for c in DOSERS)
    rig.run(60)
    run = rig.store.get_run(run_id)
    assert run.state == RunState.DONE, run.end_reason  # flushed, not aborted
    assert "flushed" in run.end_reason
    assert "dosing stopped: ph_probe_stuck" in run.end_reason
    assert "acid " in run.end_reason
    ok, why = rig.supervisor.may_start("z1", fertigation=True)
    assert not ok and "ph_probe_stuck" in why


def test_supervisor_trip_cuts_every_channel_supply(rig: Rig) -> None:
    rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="rig"))
    rig.run(40)
    assert dosing(rig, "N")
    rig.sim.devices["ec1"].set("ec", 6.0)
    rig.sim.devices["ec1"].inject(Fault(FaultKind.STUCK, point="ec"))
    rig.run(2)
    assert rig.alarm_codes() == ["ec_high"]
    assert not any(dosing(rig, c) for c in DOSERS) and rig.coil("ch8")


def test_an_injection_trip_cuts_every_channel_before_the_next_tick(rig: Rig) -> None:
    rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="rig-acid"))
    rig.run(40)
    assert dosing(rig, "N") and dosing(rig, "acid")
    rig.supervisor.trip("tank_low", "a tank below its level", action="injection")
    assert not any(dosing(rig, c) for c in DOSERS)  # supplies off and run 0, at once


def test_a_pump_that_does_not_answer_stops_everything(rig: Rig) -> None:
    run_id = rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="rig"))
    rig.sim.devices["dose_p"].inject(Fault(FaultKind.NO_ANSWER))
    rig.run(35)
    assert rig.alarm_codes() == ["output_fault"]
    assert "dose_p" in rig.store.open_alarms()[0].message
    assert not any(dosing(rig, c) for c in ("N", "K", "acid")) and rig.all_coils_off()
    assert not any(rig.sim.devices["relay2"].get(ch) for ch in SUPPLY.values())
    assert rig.store.get_run(run_id).state == RunState.ABORTED


def test_a_channel_supply_relay_the_module_refuses_stops_everything(rig: Rig) -> None:
    """The P channel's supply (a leased relay of the second module) refused at the start of
    dosing: no channel doses on, the water stops, the alarm names the relay."""
    rig.sim.devices["relay2"].inject(Fault(FaultKind.EXCEPTION, point=SUPPLY["P"], code=4))
    run_id = rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="rig"))
    rig.run(40)
    assert not any(dosing(rig, c) for c in DOSERS) and rig.all_coils_off()
    assert rig.alarm_codes() == ["output_fault"]
    assert f"lease {SUPPLY['P']}" in rig.store.open_alarms()[0].message
    run = rig.store.get_run(run_id)
    assert run.state == RunState.ABORTED and "output_fault" in run.end_reason


def test_an_unknown_recipe_is_refused_before_water(rig: Rig) -> None:
    with pytest.raises(RecipeError, match="'nope'"):
        rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="nope"))
    assert rig.all_coils_off()


@pytest.fixture
def fed_rig(tmp_path: Path) -> Iterator[Rig]:
    """The channel rig whose P pump's Modbus side is fed by its supply relay (``ch2``)."""
    site = quick_channel_site(tmp_path)
    text = site.path.read_text(encoding="utf-8")
    power = f'power = "relay2.{SUPPLY["P"]}"'
    assert power in text
    text = text.replace(power, power + "\nmodbus_via_supply = true", 1)
    site.path.write_text(text, encoding="utf-8")
    clock = VirtualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    with served_field(load_site(site.path), step_s=3600) as (site, sim):
        store = Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock)
        r = Rig(site, sim, store, clock)
        r.extra_poll = {d: ("dosed_volume",) for d in DOSERS.values()}
        try:
            yield r
        finally:
            r.outputs.all_off()
            r.fieldio.close()
            store.close()


def test_a_pump_fed_by_its_supply_confirms_run_0_before_its_rate_and_run(fed_rig: Rig) -> None:
    """Silent while unpowered (polled all the same), it is written ``run`` 0 and read back
    as soon as its supply is on, then its rate and ``run`` 1; it doses as the others."""
    rig = fed_rig
    written = powered_by(rig.sim.devices["dose_p"], rig.sim.devices["relay2"], SUPPLY["P"])
    rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="rig"))
    rig.run(40)
    assert dosing(rig, "P") and rate(rig, "P") > 0
    assert [name for name, _ in written[:3]] == ["run", "rate_setpoint", "run"]
    assert written[0][1] == 0 and written[2][1] == 1
    assert rig.alarm_codes() == []


def test_a_pump_fed_by_its_supply_silent_once_powered_stops_everything(fed_rig: Rig) -> None:
    rig = fed_rig
    rig.sim.devices["dose_p"].inject(Fault(FaultKind.NO_ANSWER))
    run_id = rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="rig"))
    rig.run(35)
    assert rig.alarm_codes() == ["output_fault"]
    assert "dose_p" in rig.store.open_alarms()[0].message
    assert not any(dosing(rig, c) for c in DOSERS) and rig.all_coils_off()
    assert rig.store.get_run(run_id).state == RunState.ABORTED


def test_a_pump_fed_by_its_supply_is_stopped_while_powered_and_the_run_ends_done(
    fed_rig: Rig,
) -> None:
    """Its ``run`` 0 is written while its supply is on, then the supply goes off: the
    channels' dosing and the run end without an alarm."""
    rig = fed_rig
    written = powered_by(rig.sim.devices["dose_p"], rig.sim.devices["relay2"], SUPPLY["P"])
    run_id = rig.sequencer.start("z1", 3, "manual", recipe=ChannelRecipe(name="rig"))
    rig.run(40)
    assert dosing(rig, "P")
    rig.run(400)
    assert rig.store.get_run(run_id).state == RunState.DONE
    assert rig.alarm_codes() == [] and rig.all_coils_off()
    assert written[-1] == ("run", 0) and ("run", 1) in written
