"""The outputs' read-back on its own: the real :class:`ReadBack` and :class:`Outputs` over
two relay modules on two recording buses, faults set by hand, time moved by
:class:`VirtualClock` only (scripts/mutation.sh controller/runtime/readback.py).

Each rule at, just under and just over its bound: the idle cadence (60 s), the busy one
(every poll), two unreadable polls in a row; each alarm's text in full, each mismatch's
fields, one alarm per fault (module, coil, kind) and episode.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from controller.clock import VirtualClock
from controller.config.site import OutputRef
from controller.runtime.outputs import Outputs
from controller.runtime.readback import Mismatch, ReadBack
from drivers.bus import RawBlock
from drivers.codec import ReadBlock
from drivers.errors import VerifyMismatch
from drivers.profile import Table
from drivers.reading import Quality, Reading
from tests.helpers.fakebus import FakeBus

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
IDLE_S = 60.0  # the idle cadence, restated so a test fails if it moves under it
LEASE_S = 30.0
# relay2's roles come first: the modules are still read in name order.
ROLES = {
    "pump": OutputRef("relay2", "ch1"),
    "valve:z3": OutputRef("relay2", "ch2"),
    "valve:z1": OutputRef("relay1", "ch1"),
    "valve:z2": OutputRef("relay1", "ch2"),
    "master_valve": OutputRef("relay1", "ch3"),
}
COILS = {
    "relay1": ["ch1", "ch2", "ch3", "ch4"],  # ch4: no role
    "relay2": ["ch1", "ch2", "ch3"],  # ch3: no role
    "relay3": ["ch1", "ch2"],  # no output role at all: never read
}
LOG = "controller.runtime.readback"


class RelayBus(FakeBus):
    """Relay modules whose coils hold what was written; reads recorded, faults on demand.

    ``silent`` modules answer no read (the detail given); ``short`` ones answer one coil
    fewer than asked; a point in ``welded`` fails every switch-off (:class:`VerifyMismatch`)
    and holds what it holds; ``blocks`` coils per read (the raw answer comes in several
    blocks); ``during_read`` runs inside every read."""

    def __init__(self, name: str, units: dict[str, int], *, blocks: int = 8) -> None:
        super().__init__()
        self.settings = SimpleNamespace(name=name)
        self.devices = {d: SimpleNamespace(unit=u) for d, u in units.items()}
        self.coils = {d: dict.fromkeys(COILS[d], 0) for d in units}
        self.blocks = blocks
        self.reads: list[str] = []
        self.offs: list[str] = []  # every switch-off tried, failed or not
        self.silent: dict[str, str] = {}
        self.short: set[str] = set()
        self.welded: set[str] = set()
        self.during_read: Callable[[], None] | None = None
        self.guard: Guard | None = None  # whose state each switch-off records
        self.offs_held: list[bool] = []  # the guard held at each switch-off

    def _write(self, device: str, point: str, value: float) -> None:
        super()._write(device, point, value)
        self.coils[device][point] = int(value)

    def output_off(self, device: str, point: str) -> None:
        self.offs.append(f"{device}.{point}")
        self.offs_held.append(self.guard is not None and self.guard.held)
        if f"{device}.{point}" in self.welded:
            raise VerifyMismatch(device, point, 0, 1)
        super().output_off(device, point)

    def read_points(self, device: str, names: list[str]) -> tuple[list[Reading], list[RawBlock]]:
        self.reads.append(device)
        if self.during_read is not None:
            self.during_read()
        names = list(names)
        blocks = [names[i : i + self.blocks] for i in range(0, len(names), self.blocks)]
        if device in self.silent:
            detail = self.silent[device]
            readings = [
                Reading(device, n, None, "", Quality.COMM_ERROR, T0, detail=detail) for n in names
            ]
            return readings, [RawBlock(_block(b)) for b in blocks]
        values = {n: self.coils[device][n] for n in names}
        if device in self.short:
            names = names[:-1]
        readings = [Reading(device, n, float(values[n]), "", Quality.OK, T0) for n in names]
        raws = [RawBlock(_block(b), tuple(values[n] for n in b)) for b in blocks]
        return readings, raws


def _block(names: list[str]) -> ReadBlock:
    return ReadBlock(Table.COIL, 0, len(names), ())


class Supervisor:
    """Records each trip, and whether the guard was held then; ``fail`` makes it raise."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.trips: list[tuple[str, str]] = []
        self.held: list[bool] = []
        self.fail = False

    def trip(self, code: str, message: str) -> None:
        self.held.append(self.guard.held)
        if self.fail:
            raise RuntimeError("store on fire")
        self.trips.append((code, message))


class Guard:
    """The daemon's control lock as a context manager that says whether it is held."""

    def __init__(self) -> None:
        self.held = False
        self.entered = 0
        self.first: Callable[[], None] | None = None  # who held the lock before, once

    def __enter__(self) -> Guard:
        if self.first is not None:
            first, self.first = self.first, None
            first()  # the control tick had the lock: it ran before the read-back's turn
        self.held = True
        self.entered += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self.held = False


class Rig:
    """The read-back of two relay modules (relay1 unit 1 on bus 'head', relay2 unit 7 on
    bus 'field'); relay3 carries no output."""

    def __init__(self, *, blocks: int = 8, guarded: bool = True) -> None:
        self.head = RelayBus("head", {"relay1": 1, "relay3": 2}, blocks=blocks)
        self.field = RelayBus("field", {"relay2": 7}, blocks=blocks)
        buses = {"relay1": self.head, "relay3": self.head, "relay2": self.field}
        profiles = {
            d: SimpleNamespace(
                points=[SimpleNamespace(name=n, table=Table.COIL) for n in names]
                + [SimpleNamespace(name="timer", table=Table.HOLDING)]
            )
            for d, names in COILS.items()
        }
        site: Any = SimpleNamespace(
            safety=SimpleNamespace(lease_s=LEASE_S),
            output_roles=lambda: dict(ROLES),
            profiles=profiles,
        )
        self.fieldio: Any = SimpleNamespace(bus_of=lambda device: buses[device])
        self.clock = VirtualClock(T0)
        self.outputs = Outputs(site, self.fieldio, self.clock)
        self.guard = Guard()
        self.head.guard = self.field.guard = self.guard
        self.supervisor = Supervisor(self.guard)
        self.readback = ReadBack(
            site,
            self.outputs,
            self.fieldio,
            self.supervisor,
            self.clock,
            guard=self.guard if guarded else None,
        )

    def on(self, *roles: str) -> None:
        for role in roles:
            self.outputs.on(role)

    def messages(self) -> list[str]:
        assert all(code == "output_mismatch" for code, _ in self.supervisor.trips)
        return [message for _, message in self.supervisor.trips]


# -- the mismatch's wording -------------------------------------------------------------
def test_a_mismatch_describes_its_coil_role_command_and_read() -> None:
    assert Mismatch("r", "ch1", "pump", True, False).describe() == (
        "ch1 [pump] commanded on, read off"
    )
    assert Mismatch("r", "ch2", "", False, True).describe() == (
        "ch2 [no role] commanded off, read on"
    )
    assert Mismatch("r", "ch3", "valve:z1", True, None, "timeout").describe() == (
        "ch3 [valve:z1] commanded on, unreadable: timeout"
    )
    assert Mismatch("r", "ch4", "", False, None).describe() == (
        "ch4 [no role] commanded off, unreadable: "
    )
    assert Mismatch("r", "ch1", "pump", True, False).detail == ""


# -- what is read, and when ---------------------------------------------------------------
def test_only_the_modules_carrying_an_output_are_read_each_once_per_poll_in_name_order() -> None:
    rig = Rig()
    assert rig.readback.poll() == []
    assert rig.head.reads == ["relay1"] and rig.field.reads == ["relay2"]
    assert rig.readback.polls == 1
    rig.on("pump")
    assert rig.readback.poll() == []
    assert rig.head.reads == ["relay1"] * 2 and rig.field.reads == ["relay2"] * 2
    assert rig.readback.polls == 2
    assert rig.supervisor.trips == []


def test_idle_the_modules_are_read_every_60_s_not_sooner() -> None:
    rig = Rig()
    rig.readback.poll()  # the first poll always reads
    rig.clock.advance(IDLE_S - 0.5)
    assert rig.readback.poll() == []
    assert rig.readback.polls == 1 and rig.head.reads == ["relay1"]
    rig.clock.advance(0.5)  # exactly 60 s after the last read
    rig.readback.poll()
    assert rig.readback.polls == 2
    rig.clock.advance(IDLE_S - 0.5)  # counted from that read, not the first
    rig.readback.poll()
    assert rig.readback.polls == 2
    rig.clock.advance(1.0)
    rig.readback.poll()
    assert rig.readback.polls == 3 and rig.head.reads == ["relay1"] * 3
    assert not rig.readback.busy()


def test_busy_every_poll_reads_and_idle_again_60_s_after_the_last_read() -> None:
    rig = Rig()
    rig.readback.poll()
    rig.on("valve:z1")
    assert rig.readback.busy()
    rig.readback.poll()  # at once, busy
    rig.clock.advance(1.0)
    rig.readback.poll()
    assert rig.readback.polls == 3
    rig.outputs.off("valve:z1")
    assert not rig.readback.busy()
    rig.clock.advance(IDLE_S - 0.5)  # 59.5 s after the last read
    rig.readback.poll()
    assert rig.readback.polls == 3
    rig.clock.advance(0.5)
    rig.readback.poll()
    assert rig.readback.polls == 4


def test_a_relay_on_by_itself_while_idle_is_alarmed_switched_off_and_the_episode_ends() -> None:
    rig = Rig()
    rig.head.coils["relay1"]["ch4"] = 1  # a coil no role uses
    [m] = rig.readback.poll()
    assert m == Mismatch("relay1", "ch4", "", False, True)
    assert rig.messages() == [
        "output read-back mismatch: relay1 (unit 1 on bus 'head'): "
        "ch4 [no role] commanded off, read on (coils read 0,0,0,1)"
    ]
    assert rig.head.offs == ["relay1.ch4"] and rig.head.coils["relay1"]["ch4"] == 0
    assert rig.readback.busy()  # not cleared until a read says so: read again at once
    rig.clock.advance(1.0)
    assert rig.readback.poll() == []
    assert rig.readback.polls == 2 and not rig.readback.busy()  # the episode is over
    rig.head.coils["relay1"]["ch2"] = 1  # a new episode: a new alarm
    rig.clock.advance(IDLE_S)
    [m] = rig.readback.poll()
    assert (m.point, m.role, m.commanded, m.read) == ("ch2", "valve:z2", False, True)
    assert len(rig.messages()) == 2


def test_a_welded_relay_keeps_the_read_back_busy_and_is_switched_off_every_poll(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One alarm for the episode; every poll tries the switch-off again, logged at ERROR
    the first time and at DEBUG after."""
    caplog.set_level(logging.DEBUG, logger=LOG)
    rig = Rig()
    rig.field.coils["relay2"]["ch3"] = 1
    rig.field.welded.add("relay2.ch3")
    [m] = rig.readback.poll()
    assert (m.device, m.point, m.role, m.commanded, m.read) == ("relay2", "ch3", "", False, True)
    assert rig.readback.busy()  # nothing is on, but the mismatch is not cleared
    assert [(r.levelno, r.getMessage()) for r in caplog.records if "still" in r.message] == [
        (
            logging.ERROR,
            "relay2.ch3 still not off: relay2.ch3: wrote 0 but read back 1",
        )
    ]
    caplog.clear()
    rig.clock.advance(1.0)  # busy: read again one second later
    assert rig.readback.poll() == [m]
    assert rig.field.offs == ["relay2.ch3"] * 2
    assert len(rig.messages()) == 1
    assert [(r.levelno, r.getMessage()) for r in caplog.records if "still" in r.message] == [
        (logging.DEBUG, "relay2.ch3 still not off: relay2.ch3: wrote 0 but read back 1")
    ]
    rig.field.welded.clear()  # it comes free
    rig.clock.advance(1.0)
    assert rig.readback.poll() == [m]  # still reads on, switched off at this poll...
    assert rig.field.coils["relay2"]["ch3"] == 0
    rig.clock.advance(1.0)
    assert rig.readback.poll() == []  # ...and reads off at the next: the episode ends
    assert not rig.readback.busy()


def test_a_commanded_on_coil_reading_off_is_alarmed_and_left_to_the_trip() -> None:
    rig = Rig()
    rig.on("valve:z1", "master_valve")
    rig.head.coils["relay1"]["ch3"] = 0  # the master valve's relay dropped out
    [m] = rig.readback.poll()
    assert m == Mismatch("relay1", "ch3", "master_valve", True, False)
    assert rig.messages() == [
        "output read-back mismatch: relay1 (unit 1 on bus 'head'): "
        "ch3 [master_valve] commanded on, read off (coils read 1,0,0,0)"
    ]
    assert rig.head.offs == []  # nothing reads on unasked: the supervisor stops the rest


def test_two_modules_wrong_in_one_poll_are_both_returned_and_named_in_one_alarm(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger=LOG)
    rig = Rig(blocks=2)  # each module answers in blocks of two coils
    rig.on("pump", "valve:z1")
    rig.head.coils["relay1"]["ch2"] = 1
    rig.head.coils["relay1"]["ch4"] = 1
    rig.field.coils["relay2"]["ch1"] = 0
    found = rig.readback.poll()
    assert found == [
        Mismatch("relay1", "ch2", "valve:z2", False, True),
        Mismatch("relay1", "ch4", "", False, True),
        Mismatch("relay2", "ch1", "pump", True, False),
    ]
    assert rig.messages() == [
        "output read-back mismatch: "
        "relay1 (unit 1 on bus 'head'): ch2 [valve:z2] commanded off, read on; "
        "ch4 [no role] commanded off, read on (coils read 1,1,0,1)"
        " | relay2 (unit 7 on bus 'field'): ch1 [pump] commanded on, read off "
        "(coils read 0,0,0)"
    ]
    assert rig.head.offs == ["relay1.ch2", "relay1.ch4"] and rig.field.offs == []
    assert rig.supervisor.held == [True]  # tripped under the control lock
    assert rig.guard.entered == 1 and not rig.guard.held
    assert [(r.levelno, r.getMessage()) for r in caplog.records if r.name == LOG] == [
        (logging.ERROR, rig.messages()[0])
    ]  # the alarm's text in the journal too


def test_a_second_module_going_wrong_later_raises_its_own_alarm_once() -> None:
    rig = Rig()
    rig.head.coils["relay1"]["ch4"] = 1
    rig.head.welded.add("relay1.ch4")
    rig.readback.poll()
    assert len(rig.messages()) == 1
    rig.field.coils["relay2"]["ch3"] = 1
    rig.field.welded.add("relay2.ch3")
    rig.clock.advance(1.0)
    found = rig.readback.poll()
    assert [(m.device, m.point) for m in found] == [("relay1", "ch4"), ("relay2", "ch3")]
    assert len(rig.messages()) == 2
    assert rig.messages()[1].startswith(
        "output read-back mismatch (new: relay2.ch3 reads on): "
        "relay1 (unit 1 on bus 'head'): ch4 [no role]"
    )  # what is new first; the evidence names every module wrong, the one alarmed too
    rig.clock.advance(1.0)
    assert len(rig.readback.poll()) == 2
    assert len(rig.messages()) == 2  # both episodes still open: no third alarm
    rig.head.welded.clear()
    rig.clock.advance(1.0)
    rig.readback.poll()  # relay1's coil switched off at this poll
    rig.clock.advance(1.0)
    assert [m.device for m in rig.readback.poll()] == ["relay2"]
    assert len(rig.messages()) == 2
    rig.head.coils["relay1"]["ch4"] = 1  # relay1's episode had ended: alarmed again
    rig.clock.advance(1.0)
    rig.readback.poll()
    assert len(rig.messages()) == 3


def test_the_read_back_works_without_a_guard() -> None:
    rig = Rig(guarded=False)
    rig.head.coils["relay1"]["ch1"] = 1
    rig.readback.poll()
    assert len(rig.messages()) == 1
    assert rig.supervisor.held == [False] and rig.guard.entered == 0


def test_a_trip_that_fails_switches_everything_off_and_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rig = Rig()
    rig.on("pump", "valve:z1")
    rig.head.coils["relay1"]["ch1"] = 0
    rig.supervisor.fail = True
    with pytest.raises(RuntimeError, match="store on fire"):
        rig.readback.poll()
    assert rig.outputs.on_roles() == []
    assert rig.head.coils["relay1"]["ch1"] == 0 and rig.field.coils["relay2"]["ch1"] == 0
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR][-1] == (
        "output_mismatch trip failed; switching everything off"
    )
    assert not rig.guard.held


# -- a coil switched during the read --------------------------------------------------------
def test_a_coil_switched_during_the_read_is_not_judged_but_the_others_are() -> None:
    rig = Rig()
    rig.head.during_read = lambda: rig.outputs.on("valve:z1")  # ch1, switched on meanwhile
    rig.head.coils["relay1"]["ch2"] = 1  # ch2, after it: still judged
    found = rig.readback.poll()
    assert found == [Mismatch("relay1", "ch2", "valve:z2", False, True)]
    rig.head.during_read = None
    rig.clock.advance(1.0)
    assert rig.readback.poll() == []  # ch1 reads on, as commanded now; ch2 was switched off


def test_an_output_switched_off_and_on_again_during_the_read_is_not_judged() -> None:
    rig = Rig()
    rig.on("valve:z1")

    def off_and_on() -> None:
        rig.outputs.off("valve:z1")
        rig.clock.advance(0.5)
        rig.outputs.on("valve:z1")
        rig.head.coils["relay1"]["ch1"] = 0  # the read caught it off

    rig.head.during_read = off_and_on
    assert rig.readback.poll() == []
    assert rig.supervisor.trips == []


# -- a module that cannot be read -----------------------------------------------------------
def test_an_unreadable_module_with_an_output_on_is_a_mismatch_at_the_second_poll_in_a_row(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=LOG)
    rig = Rig()
    rig.on("valve:z1", "master_valve", "pump")
    rig.head.silent["relay1"] = "relay1: no answer"
    assert rig.readback.poll() == []  # the very first poll: once is tolerated
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "read-back of relay1 failed once; next poll decides")
    ]
    rig.clock.advance(1.0)
    found = rig.readback.poll()
    detail = "relay1: no answer (2 polls in a row)"
    assert found == [
        Mismatch("relay1", "ch1", "valve:z1", True, None, detail),
        Mismatch("relay1", "ch3", "master_valve", True, None, detail),
    ]  # relay2 answers: its pump is not named
    assert rig.messages() == [
        "output read-back mismatch: relay1 (unit 1 on bus 'head'): "
        f"ch1 [valve:z1] commanded on, unreadable: {detail}; "
        f"ch3 [master_valve] commanded on, unreadable: {detail}"
    ]  # nothing was read: no coils in the message
    rig.clock.advance(1.0)
    [m, _] = rig.readback.poll()
    assert m.detail == "relay1: no answer (3 polls in a row)"
    assert len(rig.messages()) == 1  # the same episode
    assert rig.head.offs == []


def test_a_short_answer_counts_as_unreadable() -> None:
    rig = Rig()
    rig.on("pump")
    rig.field.short.add("relay2")
    assert rig.readback.poll() == []
    rig.clock.advance(1.0)
    assert rig.readback.poll() == [
        Mismatch("relay2", "ch1", "pump", True, None, "short answer (2 polls in a row)")
    ]
    assert rig.messages() == [
        "output read-back mismatch: relay2 (unit 7 on bus 'field'): ch1 [pump] commanded on, "
        "unreadable: short answer (2 polls in a row) (coils read 1,0,0)"
    ]


def test_a_good_read_between_two_failed_ones_starts_the_count_again() -> None:
    rig = Rig()
    rig.on("valve:z1")
    for _ in range(3):
        rig.head.silent["relay1"] = "relay1: no answer"
        assert rig.readback.poll() == []
        del rig.head.silent["relay1"]
        assert rig.readback.poll() == []
    assert rig.supervisor.trips == []


def test_an_unreadable_module_with_every_output_off_is_no_mismatch_and_resets_the_count() -> None:
    rig = Rig()
    rig.on("valve:z3")  # on relay2, which answers
    rig.head.silent["relay1"] = "relay1: no answer"
    for _ in range(3):
        rig.clock.advance(1.0)
        assert rig.readback.poll() == []
    rig.on("valve:z1")
    rig.readback.poll()  # unreadable once with an output on
    rig.outputs.off("valve:z1")
    rig.readback.poll()  # unreadable with everything off: the count starts again
    rig.on("valve:z1")
    assert rig.readback.poll() == []  # once again, not twice in a row
    assert rig.supervisor.trips == []
    assert rig.readback.poll() != []


def test_an_unreadable_module_judges_only_what_was_not_switched_during_the_read() -> None:
    rig = Rig()
    rig.on("valve:z1", "valve:z2")
    rig.head.silent["relay1"] = "relay1: no answer"
    rig.readback.poll()

    def switch_z2() -> None:
        rig.outputs.off("valve:z2")
        rig.outputs.on("valve:z2")
        rig.clock.advance(0.1)

    rig.head.during_read = switch_z2
    rig.clock.advance(1.0)
    assert [m.role for m in rig.readback.poll()] == ["valve:z1"]


def test_an_unreadable_module_whose_only_output_was_switched_during_the_read_is_no_mismatch() -> (
    None
):
    rig = Rig()
    rig.on("valve:z1")
    rig.head.silent["relay1"] = "relay1: no answer"
    rig.readback.poll()

    def switch_z1() -> None:
        rig.outputs.off("valve:z1")
        rig.clock.advance(0.1)
        rig.outputs.on("valve:z1")

    rig.head.during_read = switch_z1
    rig.clock.advance(1.0)
    assert rig.readback.poll() == []
    rig.head.during_read = None
    assert rig.readback.poll() == []  # the count started again: once, not three times
    assert rig.supervisor.trips == []


def test_a_bad_reading_names_its_own_detail() -> None:
    rig = Rig()
    rig.on("pump")
    real = rig.field.read_points

    def undecodable(device: str, names: list[str]) -> tuple[list[Reading], list[RawBlock]]:
        readings, raws = real(device, names)
        bad = Reading(device, "ch2", None, "", Quality.UNDECODABLE, T0, detail="bit 2 is 7")
        return [readings[0], bad, *readings[2:]], raws

    rig.field.read_points = undecodable  # type: ignore[method-assign]
    rig.readback.poll()
    [m] = rig.readback.poll()
    assert m.detail == "bit 2 is 7 (2 polls in a row)"


# -- one alarm per fault: module, coil and kind ---------------------------------------------
def test_a_second_coil_of_the_same_module_going_wrong_raises_its_own_alarm_once() -> None:
    rig = Rig()
    rig.head.coils["relay1"]["ch4"] = 1
    rig.head.welded.add("relay1.ch4")
    rig.readback.poll()
    assert len(rig.messages()) == 1
    rig.head.coils["relay1"]["ch2"] = 1  # valve:z2 on by itself while ch4's alarm is open
    rig.head.welded.add("relay1.ch2")
    rig.clock.advance(1.0)
    assert [m.point for m in rig.readback.poll()] == ["ch2", "ch4"]
    assert rig.messages()[1] == (
        "output read-back mismatch (new: relay1.ch2 reads on): relay1 (unit 1 on bus 'head'): "
        "ch2 [valve:z2] commanded off, read on; ch4 [no role] commanded off, read on "
        "(coils read 0,1,0,1)"
    )
    for _ in range(3):  # the same two faults every poll: no more alarms
        rig.clock.advance(1.0)
        assert len(rig.readback.poll()) == 2
    assert len(rig.messages()) == 2
    assert rig.head.offs.count("relay1.ch2") == 4 and rig.head.offs.count("relay1.ch4") == 5


def test_the_same_coil_wrong_in_another_way_raises_its_own_alarm() -> None:
    rig = Rig()
    rig.on("valve:z1")
    rig.head.silent["relay1"] = "relay1: no answer"
    rig.readback.poll()
    rig.clock.advance(1.0)
    [m] = rig.readback.poll()  # unreadable twice with valve:z1 on: alarmed
    assert m.kind == "unreadable" and len(rig.messages()) == 1
    rig.outputs.all_off()  # what the trip does; the module still does not answer
    rig.clock.advance(1.0)
    assert rig.readback.poll() == [] and not rig.readback.busy()  # nothing on: it ends
    del rig.head.silent["relay1"]
    rig.head.coils["relay1"]["ch1"] = 1  # it answers again: valve:z1's relay held on
    rig.head.welded.add("relay1.ch1")
    rig.clock.advance(IDLE_S)
    [m] = rig.readback.poll()
    assert m.fault == ("relay1", "ch1", "reads on")
    assert rig.messages()[1] == (
        "output read-back mismatch: relay1 (unit 1 on bus 'head'): "
        "ch1 [valve:z1] commanded off, read on (coils read 1,0,0,0)"
    )  # nothing else is open: no "new" in front
    rig.clock.advance(1.0)
    rig.readback.poll()
    assert len(rig.messages()) == 2


def test_a_coil_on_in_an_alarmed_module_staying_on_after_the_trip_is_no_new_alarm() -> None:
    """Every coil reads 1: the coils commanded on then are in the alarm's raw coils; that
    they still read on once the trip commanded them off is the same fault."""
    rig = Rig()
    rig.on("valve:z1")
    for point in ("ch1", "ch2", "ch3", "ch4"):
        rig.head.coils["relay1"][point] = 1
        rig.head.welded.add(f"relay1.{point}")
    assert [m.point for m in rig.readback.poll()] == ["ch2", "ch3", "ch4"]
    rig.outputs.all_off()  # what the trip does: valve:z1 commanded off...
    rig.head.coils["relay1"].update(ch1=1, ch2=1, ch3=1)  # ...and every coil still reads on
    rig.clock.advance(1.0)
    assert [m.point for m in rig.readback.poll()] == ["ch1", "ch2", "ch3", "ch4"]
    assert len(rig.messages()) == 1
    rig.head.welded.clear()
    rig.clock.advance(1.0)
    rig.readback.poll()  # all switched off at this poll
    rig.clock.advance(1.0)
    assert rig.readback.poll() == [] and not rig.readback.busy()
    rig.head.coils["relay1"]["ch1"] = 1  # on by itself later: a new episode
    rig.clock.advance(IDLE_S)
    rig.readback.poll()
    assert len(rig.messages()) == 2


# -- the switch-off after a disagreement, under the control lock ------------------------------
def test_every_switch_off_is_written_holding_the_guard_even_when_it_fails() -> None:
    rig = Rig()
    rig.head.coils["relay1"]["ch2"] = 1
    rig.head.welded.add("relay1.ch2")  # the write fails: VerifyMismatch
    rig.field.coils["relay2"]["ch3"] = 1  # this one goes off
    rig.readback.poll()
    rig.clock.advance(1.0)
    rig.readback.poll()  # relay1.ch2 again, alone: no trip this time
    assert rig.head.offs == ["relay1.ch2"] * 2 and rig.field.offs == ["relay2.ch3"]
    assert rig.head.offs_held == [True, True] and rig.field.offs_held == [True]
    assert rig.supervisor.held == [True] and rig.guard.entered == 2 and not rig.guard.held


def test_a_coil_the_control_tick_switched_on_since_the_read_is_not_switched_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The read sees valve:z2 on while commanded off; before the read-back gets the lock,
    the tick starts valve:z2: the coil stays on, as now commanded, and nothing is tripped
    twice."""
    rig = Rig()
    rig.head.coils["relay1"]["ch2"] = 1
    rig.head.welded.add("relay1.ch2")
    rig.readback.poll()  # alarmed; the relay is stuck
    assert len(rig.messages()) == 1
    rig.head.welded.clear()
    rig.guard.first = lambda: rig.outputs.on("valve:z2")  # e.g. a run once acknowledged
    rig.clock.advance(1.0)
    with caplog.at_level(logging.INFO, logger=LOG):
        [m] = rig.readback.poll()
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        "relay1.ch2 commanded on since the read; judged again"
    ]
    assert m.fault == ("relay1", "ch2", "reads on")
    assert rig.head.offs == ["relay1.ch2"]  # only the first poll's, none after the start
    assert rig.head.coils["relay1"]["ch2"] == 1 and rig.outputs.on_roles() == ["valve:z2"]
    rig.clock.advance(1.0)
    assert rig.readback.poll() == []  # reads on, as commanded: the episode is over
    assert len(rig.messages()) == 1


def test_a_coil_still_commanded_off_when_the_guard_is_had_is_switched_off() -> None:
    rig = Rig()
    rig.clock.advance(5.0)
    rig.on("valve:z2")  # on once, off again: commanded off, switched on at 5 s
    rig.outputs.off("valve:z2")
    rig.head.coils["relay1"]["ch2"] = 1  # its relay comes back on by itself
    rig.guard.first = lambda: rig.outputs.on("valve:z1")  # the tick switched another one
    [m] = rig.readback.poll()
    assert m.role == "valve:z2" and rig.head.coils["relay1"]["ch2"] == 0
    assert rig.head.offs == ["relay1.ch2"] * 2  # the outputs' off before, the read-back's
    assert rig.head.offs_held[-1]


def test_two_new_faults_in_a_follow_up_alarm_are_both_named_first() -> None:
    rig = Rig()
    rig.head.coils["relay1"]["ch4"] = 1
    rig.head.welded.add("relay1.ch4")
    rig.readback.poll()
    rig.head.coils["relay1"]["ch2"] = 1
    rig.head.welded.add("relay1.ch2")
    rig.field.coils["relay2"]["ch3"] = 1
    rig.field.welded.add("relay2.ch3")
    rig.clock.advance(1.0)
    rig.readback.poll()
    assert rig.messages()[1].startswith(
        "output read-back mismatch (new: relay1.ch2 reads on; relay2.ch3 reads on): "
    )


def test_an_open_fault_of_a_module_gone_silent_stays_open_through_another_alarm() -> None:
    rig = Rig()
    rig.field.coils["relay2"]["ch3"] = 1  # relay2's spare coil held on
    rig.field.welded.add("relay2.ch3")
    rig.readback.poll()
    rig.field.silent["relay2"] = "relay2: no answer"  # then relay2 goes silent
    rig.head.coils["relay1"]["ch4"] = 1  # and relay1's spare coil switches on
    rig.clock.advance(1.0)
    rig.readback.poll()
    assert len(rig.messages()) == 2
    del rig.field.silent["relay2"]  # relay2 answers again, ch3 still on: the same episode
    rig.clock.advance(1.0)
    assert [m.fault for m in rig.readback.poll()] == [("relay2", "ch3", "reads on")]
    assert len(rig.messages()) == 2


def test_an_unreadable_episode_ends_once_nothing_on_it_is_commanded_on() -> None:
    """The trip commanded everything off: the next run on the still silent module is
    alarmed again at its second unreadable poll."""
    rig = Rig()
    rig.on("pump")
    rig.field.silent["relay2"] = "relay2: no answer"
    rig.readback.poll()
    rig.readback.poll()
    assert len(rig.messages()) == 1
    rig.outputs.all_off()  # the trip
    rig.readback.poll()  # silent, nothing on: the episode ends
    assert not rig.readback.busy()
    rig.on("pump")  # acknowledged, started again; still silent
    assert rig.readback.poll() == []  # once is tolerated
    assert [m.fault for m in rig.readback.poll()] == [("relay2", "ch1", "unreadable")]
    assert len(rig.messages()) == 2
