"""A fertigation run with a recipe started by hand through the daemon's service, against the
simulated devices with four dosing channels (real pymodbus servers on loopback): it takes the
plan's channel path, doses each of the recipe's channels, ends and is audited with its name;
a start the recipe cannot have opens nothing; the channel path's safety holds for it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from controller.access.accounts import Accounts
from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import ControlRefused
from controller.daemon.service import DaemonService
from controller.runtime.fieldio import FieldIO
from controller.simulation.harness import Simulation
from controller.store import RunPhase, RunState, Store
from drivers.bus import Bus
from drivers.sim import Fault, FaultKind
from tests.helpers.dosing import channel_only, quick_channel_site
from tests.helpers.pages import FAST, PASSWORD, USERS, login, page_client
from tests.helpers.rig import FAST_POLL, SLOW_POLL
from tests.helpers.servedports import served_field
from tests.helpers.site import quick_site
from web.app import create_app
from web.pages import PagesConfig

DOSERS = {"N": "dose_n", "P": "dose_p", "K": "dose_k", "acid": "dose_acid"}
SUPPLY = {"N": "ch1", "P": "ch2", "K": "ch3", "acid": "ch4"}
POLL = FAST_POLL | SLOW_POLL | {d: ("dosed_volume",) for d in DOSERS.values()}


class Box:
    """The daemon and its service on the simulated channel site, stepped a second at a time."""

    def __init__(self, tmp_path: Path, sim: Simulation, clock: VirtualClock) -> None:
        site = load_site(tmp_path / "site.toml")
        self.sim, self.clock = sim, clock
        self.store = Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock)
        buses = {
            b.name: Bus(b.settings(), site.devices_on(b.name), now=clock.now) for b in site.buses
        }
        self.daemon = Daemon(site, self.store, clock, fieldio=FieldIO(site, buses))
        self.service = DaemonService(self.daemon)
        self.run(1)

    def run(self, seconds: int) -> None:
        for _ in range(seconds):
            self.clock.advance(1)
            self.sim.step(1.0)
            for device, names in POLL.items():
                readings, _ = self.daemon.fieldio.bus_of(device).read_points(device, names)
                self.daemon.live.update(readings)
            self.daemon.control_tick()

    def dosing(self, channel: str) -> bool:
        supply = bool(self.sim.devices["relay2"].get(SUPPLY[channel]))
        return supply or bool(self.sim.devices[DOSERS[channel]].get("run"))

    def anything_on(self) -> bool:
        valves = any(self.sim.devices["relay1"].get(f"ch{i}") for i in range(1, 9))
        return valves or any(self.dosing(c) for c in DOSERS)


@pytest.fixture(params=["single injector too"])
def box(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Box]:
    quick_channel_site(tmp_path)  # prewet and flush 0.5 min; here inject at least 1.5 min
    path = tmp_path / "site.toml"
    text = path.read_text(encoding="utf-8")
    assert "min_inject_min = 30 " in text
    text = text.replace("min_inject_min = 30 ", "min_inject_min = 1.5 ")
    if request.param == "channels only":
        text = channel_only(text, recipe="rig")
    path.write_text(text, "utf-8")
    clock = VirtualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    with served_field(load_site(path), step_s=3600) as (_, sim):  # over site.toml, as Box reads
        b = Box(tmp_path, sim, clock)
        try:
            yield b
        finally:
            b.daemon.outputs.all_off()
            b.daemon.fieldio.close()
            b.store.close()


@pytest.mark.parametrize("box", ["single injector too", "channels only"], indirect=True)
def test_a_manual_recipe_run_doses_each_channel_then_flushes_and_ends(box: Box) -> None:
    assert box.service.settings()["fertigation"]["recipes"] == ["jointing", "rig", "rig-acid"]
    run_id = box.service.start_zone("z1", 3, actor="li", recipe="rig")
    box.run(28)
    (active,) = box.daemon.sequencer.active()
    assert active.phase is RunPhase.PREWET and not any(box.dosing(c) for c in DOSERS)
    box.run(4)
    assert box.daemon.sequencer.active()[0].phase is RunPhase.INJECT
    assert all(box.dosing(c) for c in ("N", "P", "K")) and not box.dosing("acid")
    box.run(120)
    assert box.daemon.sequencer.active()[0].phase is RunPhase.FLUSH
    assert not any(box.dosing(c) for c in DOSERS)
    box.run(60)
    run = box.store.get_run(run_id)
    assert run.state == RunState.DONE, run.end_reason
    assert run.source == "manual"
    assert all(run.fertilizer[f"channel:{c}"] > 0 for c in ("N", "P", "K"))
    assert "channel:acid" not in run.fertilizer
    audit = box.store.last_audit("run.start")
    assert audit is not None and audit.actor == "li"
    assert audit.detail["recipe"]["name"] == "rig" and audit.detail["run_id"] == run_id
    assert [e.code for e in box.store.open_alarms()] == []
    assert not box.anything_on()
    assert not box.sim.devices["doser1"].get("run")


@pytest.mark.parametrize(
    ("minutes", "recipe", "volume_m3", "code"),
    [
        (3, "tassel", None, "unknown_recipe"),
        (2.4, "rig", None, "too_short_for_recipe"),  # < prewet 0.5 + inject 1.5 + flush 0.5
        (3, "rig", 1.0, "recipe_by_volume"),
    ],
)
def test_a_recipe_start_that_cannot_be_opens_nothing(
    box: Box, minutes: float, recipe: str, volume_m3: float | None, code: str
) -> None:
    with pytest.raises(ControlRefused) as refused:
        box.service.start_zone("z1", minutes, actor="li", recipe=recipe, volume_m3=volume_m3)
    assert refused.value.code == code
    box.run(5)
    assert box.store.runs() == [] and box.store.last_audit("run.start") is None
    assert not box.anything_on()


def test_a_site_with_only_the_single_injector_refuses_a_recipe(tmp_path: Path) -> None:
    site = quick_site(tmp_path)  # a [fertigation] injector and tanks, no channels
    assert site.fertigation is not None and not site.fertigation.channels
    clock = VirtualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    store = Store(f"sqlite:///{tmp_path / 'qanat.db'}", clock=clock)
    daemon = Daemon(site, store, clock)
    try:
        with pytest.raises(ControlRefused) as refused:
            DaemonService(daemon).start_zone("z1", 60, actor="li", recipe="rig")
        assert refused.value.code == "no_channels" and "no dosing channels" in refused.value.reason
        assert DaemonService(daemon).settings()["fertigation"]["recipes"] == []
        assert store.runs() == [] and daemon.outputs.on_roles() == []
    finally:
        daemon.fieldio.close()
        store.close()


def test_no_flow_cuts_every_channel_of_a_manual_recipe_run(box: Box) -> None:
    box.service.start_zone("z1", 3, actor="li", recipe="rig")
    box.run(40)
    assert all(box.dosing(c) for c in ("N", "P", "K"))
    box.sim.devices["flow1"].set("flow_rate", 0.0)
    box.sim.devices["flow1"].inject(Fault(FaultKind.STUCK, point="flow_rate"))
    box.run(2)
    assert not any(box.dosing(c) for c in DOSERS)


def test_a_low_tank_refuses_a_manual_recipe_run_before_water(box: Box) -> None:
    box.sim.devices["tank_n"].set("level", 0.05)
    box.sim.devices["tank_n"].inject(Fault(FaultKind.STUCK, point="level"))
    box.run(2)
    with pytest.raises(ControlRefused) as refused:
        box.service.start_zone("z1", 3, actor="li", recipe="rig")
    assert refused.value.code == "RunRefused"
    assert refused.value.reason_code == "tank_low"
    assert refused.value.reason == "channel N: tank at 0.05 m < 0.1 m"
    box.run(5)
    assert box.store.runs() == [] and not box.anything_on()


def test_the_zone_pages_run_list_says_what_each_channel_gave(box: Box, tmp_path: Path) -> None:
    run_id = box.service.start_zone("z1", 3, actor="li", recipe="rig")
    box.run(212)
    run = box.store.get_run(run_id)
    assert run.state == RunState.DONE, run.end_reason
    Accounts(box.store, hasher=FAST).create_user(USERS["viewer"], PASSWORD, "viewer")
    pages = PagesConfig(data_dir=tmp_path / "data", password_hasher=FAST)
    with page_client(create_app(box.service, box.store, pages=pages)) as viewer:
        assert login(viewer, USERS["viewer"]).status_code == 303
        page = html.unescape(viewer.get("/zones/z1").text)
    rows = page.split('<tr class="run">')
    row = next(r for r in rows if r.startswith(f'<td class="run-id">{run_id}</td>'))
    for channel in ("N", "P", "K"):
        kg = run.fertilizer[f"channel:{channel}"]
        assert f"通道 {channel} {kg:.1f} kg" in row, row
        litres = re.search(
            rf"{channel} (\d+\.\d\d) L( of [0-9.]+ L)? \((counter|rate × time)\)", row
        )
        assert litres is not None, row
        assert float(litres[1]) > 0
    assert "acid" not in row
